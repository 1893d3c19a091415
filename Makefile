# Helix Consent: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SUBJECTS ?= 300
SEED ?= 7

.PHONY: install run test lint worker beat bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --subjects $(SUBJECTS) --seed $(SEED) --manifest var/demo/manifest.json
	@echo ""
	@echo "Helix Consent is starting on http://$(HOST):$(PORT)/"
	@echo "  log in:        http://$(HOST):$(PORT)/accounts/login/"
	@echo "  API docs:      http://$(HOST):$(PORT)/api/docs/   (log in first)"
	@echo "  health:        http://$(HOST):$(PORT)/healthz"
	@echo "  demo manifest: var/demo/manifest.json"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

worker: install
	$(BIN)/celery -A config worker --loglevel=INFO

beat: install
	$(BIN)/celery -A config beat --loglevel=INFO

bench: install
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf var/ .pytest_cache
