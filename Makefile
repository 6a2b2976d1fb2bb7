# HessianKit: `make demo` (install what is missing, build, run the main job) and `make test`.

SWIFT ?= swift
APT_PACKAGES := libopenblas-dev liblapacke-dev zlib1g-dev libopenmpi-dev openmpi-bin
# The tests also run MPI between network namespaces (ip netns).
TEST_APT_PACKAGES := iproute2

.PHONY: deps build test demo bench fixtures fuzz clean

# OpenBLAS, LAPACKE, zlib and Open MPI are the only native dependencies (Debian packages);
# Open MPI only for the command line and the HessianKitMPI product.
deps:
	@if dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "installing $(APT_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	else \
	  echo "HessianKit needs OpenBLAS, LAPACKE, zlib and Open MPI. Run:"; \
	  echo "  sudo apt-get update && sudo apt-get install -y $(APT_PACKAGES)"; \
	  exit 1; \
	fi

build: deps
	$(SWIFT) build -c release

# The whole suite (unit, PyTorch fixtures, end to end, MPI).
test: deps
	@dpkg -s $(TEST_APT_PACKAGES) >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_APT_PACKAGES) >/dev/null
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The main job on the built-in default: train a small MLP on built-in spirals, analyze its
# Hessian and write hessian-report/ (report.html, report.json and the plots).
demo: deps
	$(SWIFT) build -c release --product hessian
	$(SWIFT) run -c release --skip-build hessian report --out hessian-report

# Our engine against PyTorch on the same model and batch (creates a Python venv once).
bench: deps
	bash bench/compare-pytorch.sh

# Fuzzes every loader with libFuzzer and AddressSanitizer, FUZZ_SECONDS (default 60) each.
fuzz: deps
	bash Scripts/fuzz.sh

# Regenerates Tests/Fixtures (and its onnx/ exports) from PyTorch (needs the Python venv; never
# needed by the tests).
fixtures:
	. bench/venv.sh && "$$HESSIANKIT_PYTHON" Scripts/generate_fixtures.py
	. bench/venv.sh && "$$HESSIANKIT_PYTHON" Scripts/generate_onnx_fixtures.py

clean:
	$(SWIFT) package clean
