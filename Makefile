# Seller Center: the quick start is `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test bench lint format loadtest install keys migrate

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

# The secrets make run needs on a fresh machine; settings read them from var/ when the
# environment does not set them.
keys: var/secret_key var/credentials_key

var/secret_key: | $(VENV)/.installed
	mkdir -p var
	$(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	chmod 600 $@

var/credentials_key: | $(VENV)/.installed
	mkdir -p var
	$(PY) -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" > $@
	chmod 600 $@

migrate: install keys
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py seed_demo
	$(VENV)/bin/honcho -f Procfile start

test: install keys
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: migrate
	$(PY) -m benchmarks

loadtest: migrate
	$(PY) -m benchmarks.loadtest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
