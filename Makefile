# The two Quickstart commands: `make run` and `make test`. Each sets everything up first.
#
# Installs are pinned by constraints.txt (every package, every extra, all platforms) and done
# by uv, bootstrapped into .venv/uv-tool (outside the venv's site-packages, so `make run`'s
# venv holds the runtime set only). `make lock` refreshes constraints.txt.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(VENV)/uv-tool/bin/uv
UV_INSTALL := $(UV) pip install --quiet --python $(BIN)/python --constraint constraints.txt

.PHONY: install install-runtime dev run test lint typecheck bench lock

# The runtime dependencies only (what `make run` and a deployment need).
$(VENV)/.runtime: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --target $(VENV)/uv-tool \
		"uv==$$(sed -n 's/^uv==\([^ ;]*\).*/\1/p' constraints.txt)"
	$(UV_INSTALL) -e .
	touch $@

# Plus what the tests, static checks and benchmarks need.
$(VENV)/.test: $(VENV)/.runtime
	$(UV_INSTALL) -e '.[test,lint,bench]'
	touch $@

install-runtime: $(VENV)/.runtime

install: $(VENV)/.test

# Everything a contributor uses (pre-commit too).
dev: $(VENV)/.test
	$(UV_INSTALL) -e '.[dev]'

## Start the bot: Slack (or Discord) when credentials are set, the local chat otherwise.
run: $(VENV)/.runtime
	$(BIN)/careerbot start

## Set up and run everything CI runs: lint, format check, type check, tests.
test: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(VENV)/.test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

typecheck: $(VENV)/.test
	$(BIN)/mypy

bench: $(VENV)/.test
	$(BIN)/python -m bench.all --quick

## Re-resolve constraints.txt from pyproject.toml (newest versions within its bounds).
## Commit the result with the test run that passed on it.
lock: $(VENV)/.runtime
	$(UV) pip compile pyproject.toml --all-extras --universal --python-version 3.11 \
		--no-annotate --quiet --output-file constraints.txt
