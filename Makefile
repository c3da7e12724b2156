# Two commands set everything up: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PIP_FLAGS := --quiet --disable-pip-version-check

.PHONY: run test install install-dev migrate seed lint format check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install $(PIP_FLAGS) -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install $(PIP_FLAGS) -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

## The portal, its Celery worker and beat scheduler, on SQLite + the filesystem broker by default.
run: seed
	@echo ""
	@echo "  Portal:    http://127.0.0.1:$(PORT)/   (API docs: /api/docs/, governance admin: /admin/)"
	@echo "  Logins (password demo-pass-2026): casemanager, casemanager2, supervisor, harbor, northside,"
	@echo "           safehaven, meals, governance, datasteward"
	@echo ""
	PORT=$(PORT) $(BIN)/honcho start -f Procfile

## The whole suite (PostgreSQL when DATABASE_URL is set, SQLite otherwise).
test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=coordination.settings.test
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

## Benchmarks in bench/ (PostgreSQL; not part of `make test`). BENCH_ARGS="--refill" fills their data again.
bench: install-dev
	@set -e; for script in bench/[a-z]*.py; do echo "== $$script"; $(BIN)/python $$script $(BENCH_ARGS); done

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var .pytest_cache .ruff_cache staticfiles
