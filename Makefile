# Ai: `make run` sets everything up and serves the demo; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
# Without DATABASE_URL, the project-local cluster (scripts/devdb.sh) is used.
DB_START := $(if $(DATABASE_URL),@true,@scripts/devdb.sh start)

.PHONY: run worker test stop bench setup db migrate seed lint fmt lock browsers clean

$(STAMP): requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 (apt-get install python3.11 python3.11-venv)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	@touch $(STAMP)

setup: $(STAMP)

db:
	$(DB_START)

migrate: setup db
	$(PY) manage.py migrate_all --verbosity 0

seed: migrate
	$(PY) manage.py seed_demo

# A development server on loopback only (never on the network): browsers resolve
# *.localhost to 127.0.0.1 by themselves, so every demo host works from this machine.
run: seed
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@$(PY) manage.py demo_logins --port $(PORT)
	@# The job worker runs beside the server. Ctrl-C reaches both (one process group) and the
	@# worker finishes or hands back its jobs; if the server stops by itself, the worker is
	@# told to stop (TERM) and waited for.
	@$(PY) manage.py procrastinate worker & worker=$$!; \
	trap 'wait $$worker' INT; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# One more worker (on this machine or another one pointed at the same DATABASE_URL).
worker: migrate
	$(PY) manage.py procrastinate worker

test: setup db
	$(PY) -m pytest $(PYTEST_ARGS)

# Every benchmark (BENCH_ARGS="NAME [its options] ..." for some; "--smoke" at their smallest size).
bench: migrate
	$(PY) -m bench.run $(BENCH_ARGS)

stop:
	@scripts/devdb.sh stop

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

fmt: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Regenerate the lock file after changing pyproject.toml (needs `pip install uv`).
lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

clean: stop
	rm -rf $(VENV) .pgdata staticfiles artifacts
