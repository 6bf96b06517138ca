# pilotkit: `make demo` runs the main job, `make test` runs every test. Both install what is missing first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=
DEMO_ARGS ?=

.PHONY: setup system-deps demo test test-fast brownie-check benchmarks lint-contracts clean

setup: system-deps $(VENV)/.installed node_modules/.installed

## Debian packages the tests need (PostgreSQL); installs only what is missing.
system-deps:
	@bash tools/install_system_deps.sh

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20 (Debian: apt-get install nodejs npm)"; exit 1; }
	@# The lock lists Anvil's binary package for every platform, so `npm install` leaves it unchanged on any machine
	@# (tests/test_packaging.py checks it). Versions are exact in package.json.
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

## The main job: start a local Anvil, compile, deploy the core contracts, print them.
demo: setup
	$(BIN)/pilotkit demo --serve $(DEMO_ARGS)

## Every test (Anvil, Ganache, the Brownie check). PYTEST_ARGS="-m 'not brownie'" narrows it.
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Quick loop: skip the Ganache and Brownie tests.
test-fast: setup
	$(BIN)/python -m pytest -m "not ganache and not brownie" $(PYTEST_ARGS)

## Prove the repository is also a valid Brownie project (separate virtualenv, real Anvil).
brownie-check: setup
	bash tools/brownie_check.sh

## Slither over every contract (mocks, node_modules excluded): fails on a High or Medium finding not in
## slither-triage.json. The same check runs in `make test` (tests/contracts/test_slither_gate.py).
lint-contracts: setup
	$(BIN)/python -m pilotkit.analysis.slither_gate

## Speed figures: no-change compile, per-test isolation overhead, CLI start-up, gas table.
benchmarks: setup
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf build deployments/local .pytest_cache
