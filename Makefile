# Kết Nối — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
PORT ?= 8000
PY := .venv/bin/python
UV := python3 -m uv
UV_VERSION := 0.13.8

.PHONY: help env messages run serve worker test e2e bench lint format clean

help:
	@echo "make run    set up, migrate, load demo data, serve http://127.0.0.1:$(PORT) with the task worker"
	@echo "make test   the test suite (make e2e: the browser tests in Chromium)"
	@echo "make bench  the benchmarks under bench/ (figures in var/bench/)"
	@echo "make lint   ruff, mypy and the migrations check"

# The environment: uv (bootstrapped with pip when missing) installs exactly
# what uv.lock pins, into .venv, with the Python that .python-version names.
.venv/.synced: pyproject.toml uv.lock
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --frozen
	@touch $@

env: .venv/.synced

messages: env
	@$(PY) manage.py compilemessages --ignore='.venv' --verbosity 0

run: env messages
	@$(PY) manage.py migrate --noinput
	@$(PY) manage.py learning_load
	@$(PY) manage.py seed_demo --if-empty
	@$(PY) manage.py demo_logins
	@echo "Serving http://127.0.0.1:$(PORT)/  (API docs: http://127.0.0.1:$(PORT)/api/v1/docs)  Ctrl-C stops."
	@$(PY) manage.py worker --no-startup-delay & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver --skip-checks 127.0.0.1:$(PORT)

test: env messages
	$(PY) -m pytest tests -n 2

e2e: env messages
	$(PY) -m pytest e2e -p no:xdist

bench: env
	@mkdir -p var/bench
	@set -e; for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b; done

lint: env
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	DJANGO_SETTINGS_MODULE=ketnoi.settings.test $(PY) manage.py makemigrations --check --dry-run

format: env
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf .venv var/static var/bench .pytest_cache .mypy_cache .ruff_cache
