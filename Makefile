# BehavioralCloning: every target installs what it needs on a fresh Debian machine with Swift.
# As root, missing system packages are installed with apt-get; otherwise the exact command is printed.

SWIFT        ?= swift
PYTHON       ?= python3
CONFIG       ?= release
APT_PACKAGES := libopenblas-dev libhdf5-dev libjpeg-dev libpng-dev pkg-config libopenmpi-dev openmpi-bin
TEST_APT     := ffmpeg chromium
BUILD_FLAGS  := -c $(CONFIG)
BIN          := bin
EXECUTABLES  := TrainNvidia Drive Predict Simulate Video Bench Report
TEST_VENV    := .venv-test
TEST_VENV4   := .venv-test-eio4
KERAS_VENV   := .venv-keras
BENCH_VENV   := .venv-bench
DEMO_SEED    ?= 1

# Honest builds: the test build (CI's only build) fails on any Swift warning in this package.
# -Xswiftc reaches every target, but SwiftPM's native build system drops -warnings-as-errors for
# remote packages and compiles them with -suppress-warnings, so swift-nio and the others are not
# held to it. Not in Package.swift: `.treatAllWarnings(as: .error)` needs tools 6.2 and breaks
# packages that depend on this one where dependencies get -suppress-warnings (Xcode, the swiftbuild
# system: "conflicting options"), and SwiftPM refuses unsafeFlags in dependencies. A newer
# compiler's new warnings: `make test WERROR=`.
WERROR       ?= -Xswiftc -warnings-as-errors
# Our C sources, checked by `make lint` with more warnings than the build enables.
C_SOURCES    := $(wildcard Sources/C*/*.c)

# Open MPI refuses to start as root unless both are set; CI runs as root (README, "More than one
# machine"). The tests that launch mpirun set them too, so a plain `swift test` works as well.
export OMPI_ALLOW_RUN_AS_ROOT := 1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM := 1

.PHONY: all deps test-deps build test test-sanitizers soak lint consumer docs demo bench clean fixtures fuzz

all: build

# System libraries the package links against.
deps:
	@Scripts/apt-ensure.sh $(APT_PACKAGES)

# Extra tools the tests use: ffmpeg (Video), Chromium (the report page renders), and a Python
# virtual environment with the peer clients the Drive conformance tests talk to.
test-deps: deps
	@Scripts/apt-ensure.sh $(TEST_APT)
	@Scripts/venv-ensure.sh $(TEST_VENV) Scripts/requirements-test.txt
	@Scripts/venv-ensure.sh $(TEST_VENV4) Scripts/requirements-test-eio4.txt
	@Scripts/venv-ensure.sh $(KERAS_VENV) Scripts/requirements-keras.txt

build: deps
	$(SWIFT) build $(BUILD_FLAGS)
	@mkdir -p $(BIN)
	@for e in $(EXECUTABLES); do ln -sf "$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/$${e}Command" $(BIN)/$$e; done
	@echo "executables: $(addprefix $(BIN)/,$(EXECUTABLES))"

# Tests run in release mode: the numeric code is too slow unoptimised. TEST_FLAGS go to swift test
# (`make test TEST_FLAGS="--filter ShuffledLoader"`); warnings are errors (WERROR above).
test: test-deps
	BC_TEST_PYTHON=$(CURDIR)/$(TEST_VENV)/bin/python BC_TEST_PYTHON_EIO4=$(CURDIR)/$(TEST_VENV4)/bin/python \
	  BC_KERAS_PYTHON=$(CURDIR)/$(KERAS_VENV)/bin/python \
	  $(SWIFT) test -c release -Xswiftc -enable-testing $(WERROR) $(TEST_FLAGS)

# The whole suite under ThreadSanitizer, then AddressSanitizer (+ LeakSanitizer), each built in its
# own scratch folder (.build-tsan, .build-asan). Slow: each build takes a quarter of an hour.
test-sanitizers: test-deps
	Scripts/sanitizers/run.sh thread
	Scripts/sanitizers/run.sh address

# `make test` SOAK_RUNS times in a row while two busy loops load the machine (docs/soak.md).
SOAK_RUNS ?= 20
soak: test-deps
	Scripts/soak.sh $(SOAK_RUNS)

# Style, every import declared by its target (SwiftPM's own check is a no-op on this toolchain),
# and C that compiles without warnings under -Wall -Wextra (the build passes neither).
lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Examples Tests Plugins
	$(PYTHON) Scripts/check-imports.py
	@for f in $(C_SOURCES); do clang -fsyntax-only -Wall -Wextra -Werror -I$$(dirname $$f)/include $$f || exit 1; done
	@echo "C: $(words $(C_SOURCES)) files without warnings"

# Another package that depends on this one by path and imports only ConvNet and DrivingData
# (Examples/Consumer): builds it, runs its tiny training, and fails if SwiftNIO or libhdf5 reach its link.
consumer: deps
	@SWIFT=$(SWIFT) PYTHON=$(PYTHON) Scripts/check-consumer.sh

# DocC archives for every library module into docs-build/<Module>.doccarchive; unresolved symbol
# links in the catalogs (Sources/<Module>/<Module>.docc) fail the build.
docs: deps
	@SWIFT=$(SWIFT) Scripts/build-docs.sh

# The main job: record laps with the simulator's expert, prepare, train, drive a lap, report.
demo: build
	@Scripts/demo.sh $(DEMO_SEED)

# Benchmarks next to the peers users would pick instead (numpy, PyTorch, Keras, h5py, OpenCV...).
# Every area, 3 rounds, each peer in its own process; results in Benchmarks/results/<time>-<sha>/.
# BENCH_ARGS go to run.sh (`make bench BENCH_ARGS="--rounds 1 --short train"`).
bench: build
	@Scripts/venv-ensure.sh $(BENCH_VENV) Benchmarks/requirements.txt
	@Benchmarks/run.sh $(BENCH_VENV) $(BENCH_ARGS)

# libFuzzer + ASan over every parser of outside input (docs/fuzzing.md): each target for FUZZ_SECONDS
# (default 60), or FUZZ_RUNS executions when set. FUZZ_TARGETS="JPEG PNG" runs only those.
fuzz: deps
	@FUZZ_SECONDS="$(FUZZ_SECONDS)" FUZZ_RUNS="$(FUZZ_RUNS)" Scripts/fuzz.sh $(FUZZ_TARGETS)

# Regenerates the committed numeric fixtures from independent frameworks: Keras 3 on JAX (ConvNet
# parity), OpenCV and Pillow (DrivingData), h5py (H5Store), tf-keras 2.21 and Keras 3 (model files),
# numpy alone (VisualBackProp).
fixtures:
	@Scripts/venv-ensure.sh .venv-fixtures Scripts/requirements-fixtures.txt
	@Scripts/venv-ensure.sh $(KERAS_VENV) Scripts/requirements-keras.txt
	@for s in convnet_keras_parity drivingdata_opencv visualbackprop_numpy; do echo "== $$s"; .venv-fixtures/bin/python Scripts/fixtures/$$s.py || exit 1; done
	@for s in h5store_h5py keras_models; do echo "== $$s"; $(KERAS_VENV)/bin/python Scripts/fixtures/$$s.py || exit 1; done

clean:
	rm -rf .build .build-tsan .build-asan $(BIN) Examples/Consumer/.build docs-build
