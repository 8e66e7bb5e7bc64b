# secrecy — quick start on a fresh Debian machine (as root):
#
#     make run     # installs what is missing, migrates, seeds the demo, serves http://127.0.0.1:8000/
#     make test    # installs what is missing, runs the whole test suite
#
# Everything is non-interactive. Re-runs are fast: Debian packages are only installed when
# dpkg says one is missing, and pip only runs again when requirements.txt changes.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Where the SQLite file, the filesystem Celery broker and other runtime files live (settings.py).
VAR_DIR := $(or $(SECRECY_VAR_DIR),$(CURDIR)/var)
# PostgreSQL used by `make test-postgres` (pytest-django creates and drops test_<name>).
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

# Processes started by honcho find python, celery and honcho in the virtualenv.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

# Runtime and test needs: WeasyPrint (pango, harfbuzz), Cairo with Pango for big register tables
# (registers/pdftable.py), a CJK font for PDFs, pdftotext for the PDF tests, and the system Chromium
# for the browser tests (Playwright never downloads a browser here).
DEBIAN_PACKAGES := python3 python3-venv python3-dev fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 \
	libharfbuzz0b libcairo2 libpangocairo-1.0-0 poppler-utils chromium
REQ_STAMP := $(VENV)/.requirements.stamp

# `make run` serves the way production does — DEBUG off, so real users get the Chinese error pages
# and never Django's debug page, and WhiteNoise serves the collected static files — but over plain
# http on 127.0.0.1: no secure-only cookies, no redirect to https, no HSTS. Developers who want the
# debug pages run `SECRECY_DEBUG=1 make run`. The secret key is generated once into var/secret.key
# (mode 0600) unless SECRECY_SECRET_KEY is set; any of these can be overridden from the environment.
SECRET_KEY_FILE := $(VAR_DIR)/secret.key
RUN_ENV := SECRECY_DEBUG="$${SECRECY_DEBUG:-0}" \
	SECRECY_SECRET_KEY_FILE="$${SECRECY_SECRET_KEY_FILE:-$(SECRET_KEY_FILE)}" \
	SECRECY_SSL_REDIRECT="$${SECRECY_SSL_REDIRECT:-0}" \
	SECRECY_SECURE_COOKIES="$${SECRECY_SECURE_COOKIES:-0}" \
	SECRECY_HSTS_SECONDS="$${SECRECY_HSTS_SECONDS:-0}"

.PHONY: help run test setup system-packages dirs audit-key migrate static seed test-postgres services clean-venv deploy-check

help:
	@echo "make run            install, migrate, seed demo data, start web + worker + beat on http://127.0.0.1:8000/ (DEBUG off; SECRECY_DEBUG=1 for debug pages)"
	@echo "make test           install, then run the whole test suite (pytest; PYTEST_WORKERS=2 processes)"
	@echo "make seed           migrate and (re)run the idempotent demo data command"
	@echo "make migrate        apply database migrations"
	@echo "make test-postgres  run the suite against the local PostgreSQL ($(PG_URL))"
	@echo "make setup          only install and prepare (packages, .venv, migrate, collectstatic)"
	@echo "make deploy-check   check deploy/: gunicorn config, nginx site (nginx -t; needs nginx), shell scripts"

# ---------------------------------------------------------------------------------------------- setup

setup: system-packages $(REQ_STAMP) dirs audit-key migrate static

system-packages:
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
		echo ">>> not a Debian system: make sure these are installed: $(DEBIAN_PACKAGES)"; exit 0; \
	fi; \
	missing=""; \
	for package in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q "install ok installed" \
			|| missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo ">>> installing Debian packages:$$missing"; \
		$(call apt_install,$$missing); \
	fi

# apt-get as root, through sudo otherwise; never prompts.
define apt_install
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; \
	else echo "!!! need root to run: apt-get install $(1)" >&2; exit 1; fi; \
	$$sudo apt-get update -q; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(1)
endef

$(PY): | system-packages
	@echo ">>> creating $(VENV) with $$(command -v $(PYTHON))"
	$(PYTHON) -m venv $(VENV)

# Re-run pip when requirements.txt changes. Every package ships wheels for Debian's Python, so a
# compiler is only installed if pip had to build something and failed without one.
$(REQ_STAMP): requirements.txt | $(PY)
	@echo ">>> installing Python packages"
	$(PY) -m pip install --disable-pip-version-check -q --upgrade pip
	@if ! $(PY) -m pip install --disable-pip-version-check -r requirements.txt; then \
		echo ">>> pip failed; installing build-essential and retrying"; \
		$(call apt_install,build-essential python3-dev); \
		$(PY) -m pip install --disable-pip-version-check -r requirements.txt; \
	fi
	touch $@

# The filesystem Celery broker and result backend need their folders before the first task.
dirs:
	@mkdir -p "$(VAR_DIR)/celery/queue" "$(VAR_DIR)/celery/processed" "$(VAR_DIR)/celery/results"

# The audit chain's HMAC key (issue 11 §4; SECRECY_AUDIT_KEY_FILE, default var/audit.key): created
# with mode 0600 when missing, never replaced. Back it up separately from the database.
audit-key: $(REQ_STAMP) dirs
	$(PY) manage.py audit_key --create-if-missing

migrate: $(REQ_STAMP) dirs audit-key
	$(PY) manage.py migrate --noinput -v 1

# Collected with the settings `make run` serves with: with DEBUG off that is WhiteNoise's
# compressed manifest storage, whose manifest the pages need to name their static files.
static: $(REQ_STAMP) dirs $(SECRET_KEY_FILE)
	$(RUN_ENV) $(PY) manage.py collectstatic --noinput -v 0

# Generated once, readable by its owner only; never in the repository (var/ is not tracked).
$(SECRET_KEY_FILE): | dirs
	@echo ">>> generating the secret key of this installation: $@"
	@umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > "$@.tmp" && mv "$@.tmp" "$@"

# ------------------------------------------------------------------------------------ run and seed

seed: setup
	$(PY) manage.py seed_demo

run: seed
	@echo ">>> starting web, worker and beat: open http://127.0.0.1:8000/ (demo password Secrecy#2026); Ctrl-C stops all"
	$(RUN_ENV) $(VENV)/bin/honcho start -f Procfile

# ----------------------------------------------------------------------------------------------- test

# The suite runs on PYTEST_WORKERS processes (pytest-xdist), each test file whole on one of them
# (--dist loadfile), since conftest.py builds the demo cast once per file; PYTEST_WORKERS=0 runs
# it in this process, as does a virtualenv without pytest-xdist. Each worker has its own test
# database (test_<name>_gw0…), temporary directory (audit key and heads, MEDIA_ROOT) and live
# server port. --no-loadscope-reorder keeps the order conftest.py gives the files (the heavy ones
# first); xdist's own reorder would hand out the files with the fewest tests, the slowest among them, last.
PYTEST_WORKERS ?= 2

# pytest exits 5 when it collected no test: that is a failure, not a pass.
define run_pytest
	parallel=""; \
	if [ "$(PYTEST_WORKERS)" != 0 ] && $(PY) -c "import xdist" 2>/dev/null; then \
		parallel="-n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder"; \
	fi; \
	status=0; $(1) $(PY) -m pytest $$parallel $(2) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "!!! pytest collected no tests" >&2; exit 1; fi; \
	exit $$status
endef

test: setup
	@$(call run_pytest,,$(PYTEST_ARGS))

services:
	bash .ci/ensure-services postgres redis

test-postgres: setup
	bash .ci/ensure-services postgres
	@$(call run_pytest,SECRECY_DATABASE_URL=$(PG_URL),$(PYTEST_ARGS))

clean-venv:
	rm -rf $(VENV)

# --------------------------------------------------------------------------------------------- deploy

# The production files in deploy/ (RUNBOOK.md): gunicorn reads its config, nginx -t checks the site
# rendered with throw-away certificates in a temporary prefix. Only this target needs nginx; it
# says so rather than installing it.
deploy-check: $(REQ_STAMP)
	$(VENV)/bin/gunicorn --check-config -c deploy/gunicorn.conf.py secrecy.wsgi
	sh -n deploy/secrecy-manage
	bash -n deploy/secrecy-backup
	@command -v nginx >/dev/null || { echo "!!! nginx is not installed: apt-get install -y nginx" >&2; exit 1; }
	@dir="$$(mktemp -d)"; trap 'rm -rf "$$dir"' EXIT; \
		bash deploy/nginx/render-local.sh "$$dir" --static "$$dir/static"
