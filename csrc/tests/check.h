/* The one check harness of the C tests (csrc/tests/test_*.c): CHECK counts a failed
 * condition and goes on, so one run names every failed check; check_finish prints the
 * verdict and gives main's exit status (non-zero when any check failed). Header-only:
 * each test is one translation unit, so the counter is private to it. */
#ifndef UC_TESTS_CHECK_H
#define UC_TESTS_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                              \
        }                                                                            \
    } while (0)

static inline int check_finish(const char *name)
{
    if (failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", name, failures);
        return 1;
    }
    printf("%s: ok\n", name);
    return 0;
}

#endif
