# The forum's commands. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help run test test-fast lint fmt migrate browser-deps bench clean distclean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "forum needs Python 3.11 or newer (set PYTHON=python3.12, for example)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	@touch $(STAMP)

run: $(STAMP) ## install, migrate, seed the demo groups and serve on http://127.0.0.1:8080
	$(BIN)/forum migrate
	$(BIN)/forum seed-demo
	$(BIN)/forum serve

browser-deps: ## make sure Debian's Chromium and axe-core are there for the browser tests
	@bash scripts/ensure-chromium
	@bash scripts/ensure-axe

test: $(STAMP) browser-deps ## run the whole test suite against a real PostgreSQL and Chromium
	$(BIN)/pytest -n 2 --dist loadfile

test-fast: $(STAMP) ## the suite without the browser tests
	$(BIN)/pytest -n 2 --dist loadfile -m "not browser"

lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check forum tests
	$(BIN)/mypy

fmt: $(STAMP) ## format and sort imports
	$(BIN)/ruff check --fix --select I forum tests
	$(BIN)/ruff format forum tests

bench: $(STAMP) ## load-test the forum beside a same-bytes aiohttp baseline at 10k and 1M posts (slow; see bench/README.md)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

migrate: $(STAMP) ## apply pending migrations
	$(BIN)/forum migrate

clean: ## remove the virtualenv and benchmark data; keeps var/ (the embedded database and secret)
	rm -rf $(VENV) bench/.data

distclean: clean ## also delete var/: the embedded database, its posts and the secret (asks first)
	@if [ -d var ]; then \
		printf 'This deletes var/: the embedded database with every member, post and draft, and the secret.\nBack it up first with: forum backup PATH\nType "delete" to go on: '; \
		read answer; \
		if [ "$$answer" = delete ]; then rm -rf var; echo "var/ deleted"; else echo "kept var/"; exit 1; fi; \
	fi
