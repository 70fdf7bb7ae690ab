# reelstack: the two commands are `make demo` and `make test`.
# Each does its own set-up on a fresh machine: a pinned uv in .tools/, then the
# locked environment in .venv/ (uv.lock), then runs.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.8
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: setup system-packages test-packages web router-packages demo up down status check test engines-up engines-down lint typecheck unit bench bench-tools clean deploy-render demo-timing

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --python $(PYTHON)
	touch $@

# Bytecode, compiled here once (docs/adr/0009-light-cluster.md): where
# PYTHONDONTWRITEBYTECODE is set Python never writes it, and every process of
# the cluster compiles every module it imports, every time it starts.
# compileall writes it regardless and skips what is up to date; src/ (an
# editable install) is compiled again whenever a file there changes.
$(VENV)/.compiled: $(VENV)/.installed
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib >/dev/null
	touch $@

$(VENV)/.compiled-src: $(VENV)/.compiled $(shell find src -name '*.py' 2>/dev/null)
	$(BIN)/python -m compileall -q src >/dev/null
	touch $@

# The web app: locked front-end dependencies, then a production build that the
# gateway serves.
web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web/dist/index.html: web/node_modules/.installed $(shell find web/src web/index.html -type f 2>/dev/null)
	cd web && npm run --silent build

web: web/dist/index.html

# The federation router's Node side (docs/adr/0019-federation-router.md):
# Hive Gateway and the composition library, locked like the web app's.
router/node_modules/.installed: router/package.json router/package-lock.json
	cd router && npm ci --no-audit --no-fund --loglevel=error
	touch $@

router-packages: router/node_modules/.installed

# ffprobe (Debian's ffmpeg package): the bundled ffmpeg in imageio-ffmpeg has
# no ffprobe next to it.
system-packages:
	@command -v ffprobe >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null; }

setup: $(VENV)/.installed $(VENV)/.compiled $(VENV)/.compiled-src web router-packages system-packages

# Chromium (Debian's) for the browser tests: playwright drives it, never a
# browser of its own (no `playwright install`).
test-packages:
	@command -v /usr/bin/chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

## make demo: install, start the local cluster with demo content, print where it is
demo: setup
	$(BIN)/reelstack demo

up: setup
	$(BIN)/reelstack up

down: setup
	$(BIN)/reelstack down

status: setup
	$(BIN)/reelstack status

## make check: the inner loop, in under 2 minutes: lint, types, the unit tests and
## the contract suites on the embedded adapters only (no engine is used, even a
## running one), on every core (pytest-xdist). `make test` is the full suite.
check: $(VENV)/.installed
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy
	REELSTACK_TEST_EMBEDDED_ONLY=1 $(BIN)/pytest -q -p no:cacheprovider -n auto tests/unit tests/contract

## make test: install, then lint, type check and run every test, the contract
## suites against every real engine too (started here, stopped after, unless
## `make engines-up` started them before)
test: setup test-packages lint typecheck
	cd web && npm run --silent test
	REELSTACK_REQUIRE_ENGINES=1 $(BIN)/python -m tools.engines run -- $(BIN)/pytest -q

engines-up: setup
	$(BIN)/python -m tools.engines up

engines-down: setup
	$(BIN)/python -m tools.engines down

lint: setup
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	cd web && npm run --silent lint

typecheck: setup
	$(BIN)/mypy
	cd web && npm run --silent typecheck

## make deploy-render: write deploy/compose.yaml, deploy/k8s/services.yaml and
## the service table of docs/architecture.md from the service specs
deploy-render: $(VENV)/.installed
	$(BIN)/reelstack deploy render

## make bench: every benchmark, each printing its figure beside its anchor
bench-tools:
	@command -v wrk >/dev/null && command -v nginx >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk nginx-light >/dev/null; }

bench: setup bench-tools
	@PYTHONPATH=. $(BIN)/python -c "import bench.common as c; c.header()"
	@for b in bench/bench_*.py; do BENCH_NO_HEADER=1 PYTHONPATH=. $(BIN)/python $$b || exit 1; done

## make demo-timing: a fresh clone's `make setup` and `make demo` timed, with empty caches
demo-timing:
	$(PYTHON) tools/demo_timing.py $(ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) .engines .pytest_cache .mypy_cache .ruff_cache web/node_modules web/dist router/node_modules
