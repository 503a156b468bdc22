# Two commands for users (see README): `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9

.PHONY: run test test-fast lint env ui lock clean

$(BIN)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

env: $(BIN)/.installed

run: env
	$(BIN)/grensverkeer run

# Two pytest-xdist workers; each test module runs in one of them, longest first (tests/conftest.py).
XDIST := -n 2 --dist loadfile --no-loadscope-reorder

test: env
	$(BIN)/python -m pytest $(XDIST)

# For every change: unit tests and one small pipeline run (no bundled build, no browser).
test-fast: env
	$(BIN)/python -m pytest -m "not slow" -q

# ruff check + ruff format --check, configured in pyproject.toml.
lint: env
	$(BIN)/ruff check pipelines tests benchmarks
	$(BIN)/ruff format --check pipelines tests benchmarks

ui: env
	$(BIN)/grensverkeer ui

# Re-resolve the pinned dependency set after changing pyproject.toml.
lock: env
	$(BIN)/uv pip compile --quiet pyproject.toml --extra test -o requirements.lock --python-version 3.11

clean:
	rm -rf $(VENV) build .dagster_home
