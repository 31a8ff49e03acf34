# kt — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 25
LISTEN     ?= 127.0.0.1:41002
MOCK_PORT  ?= 41080
MOCK_STREAM_PORT ?= 41081
CMAKE_FLAGS ?=

.PHONY: all bootstrap build build-asan run test unit unit-asan e2e fuzz fuzz-build fuzz-smoke soak bench bench-build clean

all: build

bootstrap:
	@scripts/bootstrap

$(BUILD)/build.ninja:
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: bootstrap $(BUILD)/build.ninja
	@cmake --build $(BUILD)

# The test build: everything (kt, kt-mock, unit tests) under AddressSanitizer + UBSan, so the
# unit tests and the end-to-end suites both run on instrumented code.
$(ASAN_BUILD)/build.ninja:
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKT_SANITIZE=ON \
	  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" >/dev/null

build-asan: bootstrap $(ASAN_BUILD)/build.ninja
	@cmake --build $(ASAN_BUILD)

# Starts the bundled simulator (kt-mock) and the gateway on the demo config; Ctrl-C stops both.
run: build
	@scripts/run-demo "$(BUILD)" "$(LISTEN)" "$(MOCK_PORT)" "$(MOCK_STREAM_PORT)"

# Unit tests on the release build (quick local check).
unit: build
	@cd $(BUILD) && ctest --output-on-failure --timeout 600

unit-asan: build-asan
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure --timeout 900

# End-to-end suites (official openai/replicate clients, chromium) against the instrumented kt.
e2e: build-asan
	@KT_BIN=$(abspath $(ASAN_BUILD))/kt KT_MOCK_BIN=$(abspath $(ASAN_BUILD))/kt-mock \
	  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  node --test --test-concurrency=1 tests/e2e/

# The libFuzzer targets (tests/fuzz): clang-14, ASan + UBSan, only the libraries they need.
$(FUZZ_BUILD)/build.ninja:
	@cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DKT_FUZZ=ON -DKT_ONLY_UNIT=ON >/dev/null

fuzz-build: bootstrap $(FUZZ_BUILD)/build.ninja
	@cmake --build $(FUZZ_BUILD) --target fuzz

# Every fuzz target for FUZZ_SECONDS each; crashes go to $(FUZZ_BUILD)/artifacts/<target>/.
fuzz: fuzz-build
	@tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_SECONDS)

# The short run `make test` does: each target FUZZ_SMOKE_SECONDS, failing on any finding.
fuzz-smoke: fuzz-build
	@tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_SMOKE_SECONDS)

# Every test: unit tests and end-to-end suites, all on the ASan+UBSan build, then a short fuzz run.
test: unit-asan e2e fuzz-smoke

# A 10-minute soak (not part of `make test`): steady mixed load through kt on the release build,
# sampling its RSS and open descriptors; fails on memory growth after warm-up or a descriptor leak.
# SOAK_SECONDS shortens or lengthens it.
soak: build
	@KT_BIN=$(abspath $(BUILD))/kt KT_MOCK_BIN=$(abspath $(BUILD))/kt-mock node tests/soak/soak.mjs

# Micro benchmarks and detection-quality programs (not part of the default build).
bench-build: build
	@cmake --build $(BUILD) --target $$(cmake --build $(BUILD) --target help | sed -n 's/^\(bench_[a-z_]*\|[a-z]*_eval\):.*/\1/p' | tr '\n' ' ')

# The load and streaming benchmarks against direct, nginx and Portkey (bench/run).
bench: build
	@bench/run

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
