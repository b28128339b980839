/* Allocation counting for the C tests that show a path allocates nothing (included by
 * test_srtp_alloc.c and test_sip_front_alloc.c; one test program each, so the definitions
 * are the program's own). Allocations are counted while `counting` is set: in the plain
 * build by defining malloc and friends here, which forward to glibc's __libc_* entry points
 * and interpose on libc's for every shared library; under AddressSanitizer, which owns
 * malloc, through its allocation hooks (call install_counter() first). */
#ifndef UC_TEST_ALLOC_COUNT_H
#define UC_TEST_ALLOC_COUNT_H

#include <stddef.h>

#include "check.h"

static volatile int counting;
static volatile unsigned long allocations;

static void count_allocation(void)
{
    if (counting)
        allocations++;
}

#if defined(__SANITIZE_ADDRESS__)
/* compiler-rt's <sanitizer/allocator_interface.h>; GCC 12 ships the function, not the header. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));

static void on_malloc(const volatile void *ptr, size_t size)
{
    (void)ptr;
    (void)size;
    count_allocation();
}

static void on_free(const volatile void *ptr) { (void)ptr; }

static void install_counter(void)
{
    CHECK(__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free) != 0);
}
#else
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *ptr, size_t size);
void *__libc_memalign(size_t alignment, size_t size);
void __libc_free(void *ptr);

void *malloc(size_t size)
{
    count_allocation();
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    count_allocation();
    return __libc_calloc(n, size);
}

void *realloc(void *ptr, size_t size)
{
    count_allocation();
    return __libc_realloc(ptr, size);
}

void *aligned_alloc(size_t alignment, size_t size)
{
    count_allocation();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size)
{
    count_allocation();
    void *p = __libc_memalign(alignment, size);
    if (p == NULL)
        return 12; /* ENOMEM */
    *out = p;
    return 0;
}

void free(void *ptr) { __libc_free(ptr); }

static void install_counter(void) {}
#endif

#endif
