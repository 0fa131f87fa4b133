# Two commands on a fresh machine: `make run` and `make test`. Everything else is what they call.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export MAPWH_HOME ?= $(CURDIR)/var

.PHONY: install run test test-bench test-compose lock bench docs clean

$(BIN)/uv:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	@echo "make: creating $(VENV) with $(PYTHON)"
	@$(PYTHON) -m venv $(VENV)
	@PIP_DISABLE_PIP_VERSION_CHECK=1 $(BIN)/pip install -q uv

$(VENV)/.installed: requirements.lock requirements-dev.lock pyproject.toml | $(BIN)/uv
	@echo "make: installing the pinned requirements.lock, requirements-dev.lock and mapwh into $(VENV)"
	@# --compile-bytecode: Python never has to compile a dependency at import, even where
	@# PYTHONDONTWRITEBYTECODE=1 keeps it from caching what it compiles (about 3 s for
	@# Great Expectations alone, in every process that imports it)
	@$(BIN)/uv pip install -q --compile-bytecode -p $(BIN)/python -r requirements.lock -r requirements-dev.lock
	@$(BIN)/uv pip install -q -p $(BIN)/python --no-deps -e .
	@touch $@

install: $(VENV)/.installed

# The runtime lock (what the image installs), then the development tools constrained by it
# (requirements-dev.in says -c requirements.lock), so no runtime pin follows a dev tool.
lock: | $(BIN)/uv
	$(BIN)/uv pip compile requirements.in -p 3.11 -o requirements.lock
	$(BIN)/uv pip compile requirements-dev.in -p 3.11 -o requirements-dev.lock

run: install
	@bin/run-sample

test: install
	@bin/run-tests

# `make bench` at its smoke sizes, every step run and its report checked (tests/devdata/test_bench.py):
# a test of the benchmark tool, kept out of `make test`'s 20 minutes; `.ci/run` runs it
test-bench: install
	@bin/run-tests -n 0 -m bench

# docker-compose.yml for real: a Docker engine, local images, every service in containers, two months
# backfilled through the Celery worker (devdata/compose_e2e.py; README "Docker Compose"). Root needed
# the first time (apt-get, debootstrap, dockerd). MAPWH_COMPOSE_TIMEOUT: its budget in seconds.
test-compose: install
	@timeout --signal=TERM --kill-after=60 $${MAPWH_COMPOSE_TIMEOUT:-2400} $(BIN)/python -m devdata.compose_e2e

bench: install
	$(BIN)/python -m devdata.bench

docs: install
	$(BIN)/python -m warehouse.docs
	$(BIN)/python -m warehouse.docs --site

clean:
	rm -rf var .pytest_cache
