# Folio — `make run` serves the app, `make test` runs lint and the whole test suite.
# Only Python 3.11+ and make are needed: uv and every dependency are installed locally.

PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
PYTEST_ARGS ?=

export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never

.PHONY: install run worker test lint format migrate clean

install: $(VENV)/.installed

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.installed: pyproject.toml uv.lock $(UV)
	$(UV) sync --frozen --quiet
	@touch $@

migrate: install ## apply pending database migrations
	$(VENV)/bin/app database upgrade --no-prompt

run: migrate ## serve http://127.0.0.1:8000 (HOST and PORT change it) with a worker inside the web process
	SAQ_IN_PROCESS=true $(VENV)/bin/app run

worker: migrate ## run background workers as a separate process
	$(VENV)/bin/app workers run

lint: install
	$(VENV)/bin/ruff check src tests tools migrations
	$(VENV)/bin/ruff format --check src tests tools migrations
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

format: install
	$(VENV)/bin/ruff check --fix src tests tools migrations
	$(VENV)/bin/ruff format src tests tools migrations

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
