# Yiwang (一网通办). `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
# Python threads per worker: more only add GIL contention (measured: p99 of search 18 ms with 1-2, 26-56 ms with more).
# 1 takes ~30 % more submissions a second (bench/README.md); 2 keeps a node serving while a request waits.
THREADS ?= 2
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
export PYTHONPATH := src
# The platform's public base URL (OIDC issuer, demo client redirect) follows where `make run` serves.
export YIWANG_SITE_URL ?= http://$(HOST):$(PORT)
# The demo's departmental systems receive webhooks on loopback; production leaves this off (SSRF guard).
export YIWANG_WEBHOOK_ALLOW_LOOPBACK ?= 1

.DEFAULT_GOAL := help
.PHONY: help install system-deps bench-deps run demo serve worker test test-fast test-sqlite test-pg test-e2e lint openapi bench bench-quick durability clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed ## create the virtualenv and install the platform

system-deps: ## install the system packages the tests need (Chromium, CJK fonts, OpenSSL, gettext, jq)
	@if command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi 'Noto.*CJK' && command -v openssl >/dev/null && command -v msgfmt >/dev/null && command -v jq >/dev/null; then \
		echo "system packages present"; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk openssl gettext jq >/dev/null; \
	else \
		echo "run as root, or: sudo apt-get install -y chromium fonts-noto-cjk openssl gettext jq"; exit 1; \
	fi

demo: install ## migrate and load the demo data set (idempotent)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py check --database default

serve: ## start the platform with granian (WSGI, $(WORKERS) workers)
	$(PY) manage.py collectstatic --noinput -v 0
	@$(PY) manage.py demo_banner --url http://$(HOST):$(PORT)
	@# the audit sealer, the webhook deliverer, the overdue-request escalator, the daily quality checks, the workflow timers, supervision (cards, reminders, figures) and the halls' booking reminders run beside the web server (one process each; stopped with it)
	@# granian through yiwang.prefork: the application and the search dictionaries load once, before the fork, and the workers share them
	$(PY) manage.py seal_audit_log --loop >/dev/null & sealer=$$!; \
	$(PY) manage.py deliver_webhooks --loop >/dev/null & deliverer=$$!; \
	$(PY) manage.py escalate_overdue_requests --loop >/dev/null & escalator=$$!; \
	$(PY) manage.py run_quality_checks --loop >/dev/null & checker=$$!; \
	$(PY) manage.py fire_timers --loop >/dev/null & timers=$$!; \
	$(PY) manage.py supervise --loop >/dev/null & supervisor=$$!; \
	$(PY) manage.py remind_bookings --loop >/dev/null & reminder=$$!; \
	$(PY) manage.py follow_search_index --loop >/dev/null & follower=$$!; \
	trap 'kill $$sealer $$deliverer $$escalator $$checker $$timers $$supervisor $$reminder $$follower 2>/dev/null' EXIT INT TERM; \
	$(PY) -m yiwang.prefork --interface wsgi --host $(HOST) --port $(PORT) --workers $(WORKERS) --blocking-threads $(THREADS) \
		--no-ws --log-level warning yiwang.wsgi:application

run: demo serve ## install, load the demo data and run the platform on http://127.0.0.1:8000

worker: install ## run a background task worker (production: YIWANG_TASKS=database)
	$(PY) manage.py seal_audit_log --schedule
	$(PY) manage.py deliver_webhooks --schedule
	$(PY) manage.py run_quality_checks --schedule
	$(PY) manage.py escalate_overdue_requests --schedule
	$(PY) manage.py fire_timers --schedule
	$(PY) manage.py supervise --schedule
	$(PY) manage.py remind_bookings --schedule
	@# this node's search index follows the change log (ADR 0013) while the worker runs
	$(PY) manage.py follow_search_index --loop >/dev/null & follower=$$!; trap 'kill $$follower 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py db_worker

lint: install ## ruff, import contracts, mypy (services, selectors, audit), migrations and OpenAPI drift
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	DJANGO_SETTINGS_MODULE=yiwang.settings.test $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=yiwang.settings.test $(PY) manage.py export_openapi --check docs/openapi.json

openapi: install ## regenerate the committed OpenAPI schema
	DJANGO_SETTINGS_MODULE=yiwang.settings.test $(PY) manage.py export_openapi docs/openapi.json

test-sqlite: install ## the suite on SQLite (browser tests included)
	$(VENV)/bin/pytest --ds=yiwang.settings.test -q -p no:cacheprovider --durations=15

test-pg: install ## the suite on PostgreSQL ($(PG_URL)); browser tests run in the SQLite pass
	@if $(PY) -c "import psycopg,sys; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest --ds=yiwang.settings.test -q -p no:cacheprovider --durations=15 -m 'not e2e'; \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "PostgreSQL at $(PG_URL) is unreachable: failing (CI=true)"; exit 1; \
	else \
		echo "WARNING: PostgreSQL at $(PG_URL) is unreachable; PostgreSQL pass not run"; \
	fi

# The two passes and the quick benchmark run side by side (one pytest process each, on a 2-core machine;
# the benchmark judges CPU a request relative to the bare endpoint, which the passes' load does not move);
# each output is printed whole when it ends (--output-sync), and the target fails if any does.
# A test that touches no database runs in the SQLite pass only; `pg` tests in the PostgreSQL pass only.
test: install system-deps bench-deps lint ## install everything, run the whole suite on SQLite and PostgreSQL and the quick benchmark
	$(MAKE) --no-print-directory --output-sync=target -j3 test-sqlite test-pg bench-quick

test-fast: install ## the quick tests only (no slow, no browser), SQLite
	$(VENV)/bin/pytest --ds=yiwang.settings.test -q -p no:cacheprovider -m 'not slow and not e2e'

test-e2e: install system-deps ## the browser tests only
	$(VENV)/bin/pytest --ds=yiwang.settings.test -q -p no:cacheprovider -m e2e

# The benchmarks need wrk (Debian package wrk, the HTTP load generator) and nothing else outside the virtualenv:
# the profilers are not needed to run them, memory is read from /proc.
WRK ?= wrk
bench-deps: ## install what the benchmarks need: wrk (apt-get as root, or sudo without a password)
	@if command -v $(WRK) >/dev/null; then echo "wrk present: $$(command -v $(WRK))"; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing wrk (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null && command -v wrk >/dev/null; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then \
		echo "installing wrk (sudo apt-get)"; \
		sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null && command -v wrk >/dev/null; \
	else \
		echo "the benchmarks need wrk, the HTTP load generator: run 'make bench-deps' as root, or: sudo apt-get install -y wrk"; \
		exit 1; \
	fi

bench: install bench-deps ## benchmarks: calibration, every figure beside its target and the bare endpoint (long: 1M catalog)
	$(PY) bench/run.py

bench-quick: install bench-deps ## the quick CI benchmark (~40 s): fails if an endpoint's speed relative to the bare one halves
	$(PY) bench/quick.py

durability: install ## kill -9 the web server and workers under submissions; fails on a lost or duplicated case
	$(PY) bench/durability.py

clean: ## remove the local database, index and static files
	rm -rf var
