# kt — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
BUILD      ?= build
ASAN_BUILD ?= build-asan
LISTEN     ?= 127.0.0.1:41002
MOCK_PORT  ?= 41080
MOCK_STREAM_PORT ?= 41081
CMAKE_FLAGS ?=

.PHONY: all bootstrap build build-asan run test unit unit-asan e2e fuzz soak bench clean

all: build

bootstrap:
	@scripts/bootstrap

$(BUILD)/build.ninja:
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: bootstrap $(BUILD)/build.ninja
	@cmake --build $(BUILD)

$(ASAN_BUILD)/build.ninja:
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKT_SANITIZE=ON -DKT_ONLY_UNIT=ON \
	  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" >/dev/null

build-asan: bootstrap $(ASAN_BUILD)/build.ninja
	@cmake --build $(ASAN_BUILD)

# Starts the bundled simulator (kt-mock) and the gateway on the demo config; Ctrl-C stops both.
run: build
	@scripts/run-demo "$(BUILD)" "$(LISTEN)" "$(MOCK_PORT)" "$(MOCK_STREAM_PORT)"

unit: build
	@cd $(BUILD) && ctest --output-on-failure --timeout 600

unit-asan: build-asan
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure --timeout 900

e2e: build
	@KT_BIN=$(abspath $(BUILD))/kt KT_MOCK_BIN=$(abspath $(BUILD))/kt-mock \
	  node --test --test-concurrency=1 tests/e2e/

# Every test: unit tests (normal and ASan+UBSan builds) and the end-to-end suites.
test: unit unit-asan e2e

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
