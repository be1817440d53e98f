# Grid Governance: `make run` starts everything on the embedded default; `make test` tests it.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: install run test lint messages vendor check-deploy backup restore-check clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## Web server, Celery worker and beat on SQLite and the embedded broker, with demo data.
run: install
	PORT=$(PORT) HOST=$(HOST) PY=$(PY) VENV=$(VENV) bash scripts/run.sh

## The whole test suite (DATABASE_URL / REDIS_URL when set, SQLite otherwise) in
## PYTEST_WORKERS processes (0: in this one), then the 25 slowest tests.
## PYTEST_ARGS passes arguments on, e.g. PYTEST_ARGS="-k scope --reuse-db".
PYTEST_WORKERS ?= 2
test: install
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist load --durations=25 $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

## Re-extract the translation catalogue and compile it (needs GNU gettext).
messages: install
	DEBUG=true $(PY) manage.py makemessages --locale zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'var/*' --ignore 'static/vendor/*'
	DEBUG=true $(PY) manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

## Refresh static/vendor/ from package.json (needs npm; the result is committed).
vendor:
	npm ci --no-audit --no-fund
	$(PY) scripts/vendor_static.py

check-deploy: install
	DEBUG=false SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(60))') \
	FIELD_ENCRYPTION_KEYS=$$($(PY) -c 'import base64, os; print("ci:" + base64.b64encode(os.urandom(32)).decode())') \
	FIELD_HASH_KEYS=$$($(PY) -c 'import base64, os; print("ci:" + base64.b64encode(os.urandom(32)).decode())') \
	ALLOWED_HOSTS=grid.example.gov.cn PUBLIC_BASE_URL=https://grid.example.gov.cn $(PY) manage.py check --deploy --fail-level WARNING

## Back up the database (DATABASE_URL, postgres://) and the media into BACKUP_DIR, then prune
## to 14 daily and 8 weekly (README, "Backups and restore").
BACKUP_DIR ?= var/backups
backup: install
	$(PY) scripts/backup.py $(BACKUP_DIR)

## Restore the latest backup in BACKUP_DIR into RESTORE_DB (replaced if it exists) and
## var/restore-check/media, and check it against its manifest; exits non-zero on a mismatch.
RESTORE_DB ?= grid_restore_check
restore-check: install
	$(PY) scripts/restore_check.py $(BACKUP_DIR) --database $(RESTORE_DB) \
		--media-dir var/restore-check/media --replace

clean:
	rm -rf var/db.sqlite3* var/celery var/static var/test
