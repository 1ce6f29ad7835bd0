# Seller Center: the quick start is `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
PORT ?= 8000
DEMO_OMS_PORT ?= 8001
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

# Web, worker, beat and the demo OMS under one process runner. honcho hands PORT to the first
# entry of the Procfile (web); the demo OMS is told where Seller Center listens.
run: migrate
	$(PY) manage.py seed_demo --oms-url http://127.0.0.1:$(DEMO_OMS_PORT)/
	@echo
	@echo "Seller Center runs at http://127.0.0.1:$(PORT)/"
	@echo "  sellers log in at http://127.0.0.1:$(PORT)/ as acme / acme-demo or bolt / bolt-demo"
	@echo "  the service desk logs in at http://127.0.0.1:$(PORT)/admin/ as servicedesk / servicedesk-demo"
	@echo "  the demo OMS (http://127.0.0.1:$(DEMO_OMS_PORT)/) pushes a day of events; stop with Ctrl-C"
	@echo
	SELLER_CENTER_URL=http://127.0.0.1:$(PORT)/ DEMO_OMS_PORT=$(DEMO_OMS_PORT) \
		$(VENV)/bin/honcho -f Procfile start -p $(PORT)

test: install keys
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: install keys
	$(PY) -m benchmarks

loadtest: install keys
	$(PY) -m benchmarks.loadtest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
