# The two quick-start commands are `make run` and `make test`; each sets up what it needs.
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
DEPS_STAMP := $(VENV)/.deps-installed
CC ?= cc
CWARN := -std=gnu99 -Wall -Wextra -Werror
# libsrtp2 over OpenSSL, static, built by scripts/build-libsrtp2-openssl.sh (Debian's shared
# libsrtp2 runs over NSS, which allocates per packet); the C tests and benchmarks/cref link the
# same archive as uc_media._core. Deferred (=) so a fresh clone's system-deps run first.
SRTP_DIR := build/libsrtp2-openssl
SRTP_LIB := $(SRTP_DIR)/lib/libsrtp2.a
CLIBS = $(SRTP_LIB) $(shell pkg-config --libs opus libcrypto zlib spandsp speexdsp 2>/dev/null) -lm
CINC = -Icsrc -I$(SRTP_DIR)/include $(shell pkg-config --cflags opus libcrypto zlib spandsp speexdsp 2>/dev/null)
CSRC := $(wildcard csrc/*.c)
CTESTS := $(patsubst csrc/tests/%.c,build/ctest/%,$(wildcard csrc/tests/test_*.c))
CTESTS_ASAN := $(patsubst csrc/tests/%.c,build/ctest-asan/%,$(wildcard csrc/tests/test_*.c))
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

.PHONY: setup system-deps libsrtp2-openssl build run test test-c test-asan test-py fuzz-short bench clean \
	ctest-programs ctest-asan-programs

system-deps:
	@scripts/system-deps.sh

# Idempotent: returns at once when the archive is already built.
libsrtp2-openssl: system-deps
	@scripts/build-libsrtp2-openssl.sh

$(SRTP_LIB): | libsrtp2-openssl

$(VPY):
	$(PYTHON) -m venv $(VENV)

$(DEPS_STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install -q --upgrade pip 'setuptools>=77' wheel 'Cython>=3.0'
	$(VPY) -m pip install -q -e '.[test]' --no-build-isolation
	touch $@

build: system-deps libsrtp2-openssl $(DEPS_STAMP)
	$(VPY) setup.py -q build_ext --inplace

setup: build

run: setup
	$(VENV)/bin/ucd

# pytest runs on every core (pytest-xdist, one worker per CPU). --dist loadgroup balances
# test by test, except the tests marked xdist_group(...) (tests/conftest.py): each group
# runs on one worker, one test after another. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= auto
PYTEST_ARGS := -q -n $(PYTEST_WORKERS) --dist loadgroup

test: setup test-c fuzz-short
	$(VPY) -m pytest $(PYTEST_ARGS)

test-py: build
	$(VPY) -m pytest $(PYTEST_ARGS)

# C-level tests of csrc/, compiled with the strict warning set, in two flavours (plain;
# AddressSanitizer + UBSan). Each csrc/*.c is compiled once per flavour into an archive
# (build/ctest*/libcsrc.a) that every test program links, instead of each of the 12
# programs compiling all of csrc/ again; test-c and test-asan build with one job per core
# (CTEST_JOBS; a `make -jN` around them keeps its own jobserver), then run the tests one
# after another. An object depends on every csrc/*.h, as each program did before.
CTEST_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
ctest_make = $(MAKE) --no-print-directory $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(CTEST_JOBS))
CTEST_CFLAGS := $(CWARN) -O1 -g
CTEST_OBJS := $(patsubst csrc/%.c,build/ctest/obj/%.o,$(CSRC))
CTEST_ASAN_OBJS := $(patsubst csrc/%.c,build/ctest-asan/obj/%.o,$(CSRC))

build/ctest/obj/%.o: csrc/%.c csrc/*.h $(SRTP_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CTEST_CFLAGS) $(CINC) -c -o $@ $<

build/ctest-asan/obj/%.o: csrc/%.c csrc/*.h $(SRTP_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CTEST_CFLAGS) $(SANITIZE) $(CINC) -c -o $@ $<

# `rm` first: ar would keep the member of a source file that has since been deleted.
build/ctest/libcsrc.a: $(CTEST_OBJS)
	rm -f $@ && ar rcs $@ $^

build/ctest-asan/libcsrc.a: $(CTEST_ASAN_OBJS)
	rm -f $@ && ar rcs $@ $^

build/ctest/%: csrc/tests/%.c csrc/tests/check.h csrc/tests/loopback.h csrc/*.h build/ctest/libcsrc.a $(SRTP_LIB)
	$(CC) $(CTEST_CFLAGS) $(CINC) -o $@ $< build/ctest/libcsrc.a $(CLIBS)

build/ctest-asan/%: csrc/tests/%.c csrc/tests/check.h csrc/tests/loopback.h csrc/*.h build/ctest-asan/libcsrc.a \
		$(SRTP_LIB)
	$(CC) $(CTEST_CFLAGS) $(SANITIZE) $(CINC) -o $@ $< build/ctest-asan/libcsrc.a $(CLIBS)

# The programs of each flavour as one goal of the parallel sub-make (`@:`: quiet when all
# are up to date).
ctest-programs: $(CTESTS)
	@:

ctest-asan-programs: $(CTESTS_ASAN)
	@:

test-c: system-deps libsrtp2-openssl
	@+$(ctest_make) ctest-programs
	@set -e; for t in $(CTESTS); do $$t; done

test-asan: system-deps libsrtp2-openssl
	@+$(ctest_make) ctest-asan-programs
	@set -e; for t in $(CTESTS_ASAN); do ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; done

# A short run of every fuzz harness (fuzz/fuzz_*.py, atheris), from a fixed seed so main
# stays green on a rerun; long, randomly seeded runs find new inputs (commands in each harness).
# 20,000 runs each, fewer for the harnesses whose runs cost the most, so that the whole
# stays near two minutes; FUZZ_RUNS_<harness> sets one harness's count. Each line's
# reason is the CPU seconds of 20,000 runs (libFuzzer's run phase, start-up apart) measured
# on this project's 2-core machine (docs/architecture.md, "As built: the test run").
FUZZ_RUNS := 20000
FUZZ_RUNS_fuzz_sdp := 8000
FUZZ_RUNS_fuzz_im := 10000
FUZZ_RUNS_fuzz_proxy_core := 10000
FUZZ_RUNS_fuzz_jitter := 10000
FUZZ_RUNS_fuzz_sip_transport := 10000
fuzz_runs = $(or $(FUZZ_RUNS_$(basename $(notdir $(1)))),$(FUZZ_RUNS))
fuzz-short: build
	@mkdir -p build; set -e; $(foreach f,$(wildcard fuzz/fuzz_*.py),start=$$(date +%s); \
	$(VPY) $(f) -atheris_runs=$(call fuzz_runs,$(f)) -seed=1 >/dev/null 2>build/fuzz.log || { cat build/fuzz.log; exit 1; }; \
	echo "fuzz: $(f) ok ($(call fuzz_runs,$(f)) runs, $$(($$(date +%s) - start)) s)";)

# Every benchmark in --quick mode; each ends with its JSON line (docs/benchmarks.md).
BENCHMARKS := media_kernels kernel_stun rtp_parse jitter_traces mcu_capacity sdp_offer_answer \
	sip_parse bench_sip_transaction sip_transport sip_proxy_cpu ucd_overhead sip_vs_kamailio \
	conference_events playback_prompts im_vs_kamailio presence_fanout meeting_joins
bench: build
	@mkdir -p build; set -e; for b in $(BENCHMARKS); do echo "== $$b"; $(VPY) benchmarks/$$b.py --quick | tail -n 1 | tee build/bench-$$b.json; done

clean:
	rm -rf build uc_media/_core.c uc_media/_core*.so uc_signal/_sipscan.c uc_signal/_sipscan*.so uc_signal/_sipfront.c uc_signal/_sipfront*.so
