# Two commands for users (see README): `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9

.PHONY: run test env ui lock clean

$(BIN)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

env: $(BIN)/.installed

run: env
	$(BIN)/grensverkeer run

test: env
	$(BIN)/python -m pytest

ui: env
	$(BIN)/grensverkeer ui

# Re-resolve the pinned dependency set after changing pyproject.toml.
lock: env
	$(BIN)/uv pip compile --quiet pyproject.toml --extra test -o requirements.lock --python-version 3.11

clean:
	rm -rf $(VENV) build .dagster_home
