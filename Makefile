# The two commands of the README: `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# What WeasyPrint needs from Debian to render certificates (harfbuzz-subset makes it ~10x faster).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
export FLASK_APP := lms

.PHONY: run test install system-packages translations lint clean

run: install system-packages translations
	$(BIN)/flask db upgrade
	$(BIN)/flask lms seed-demo --if-empty
	@# The outbox worker runs beside the server, so sign-up and reset links reach the log.
	trap 'kill 0' EXIT; $(BIN)/flask lms outbox --watch --interval 2 & $(BIN)/flask run --host $(HOST) --port $(PORT)

test: install system-packages translations lint
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

install: $(VENV)/.installed

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

system-packages:
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
	  echo "Not a Debian system: make sure pango, harfbuzz (with hb-subset) and a TrueType font are installed."; \
	  exit 0; \
	fi; \
	missing=""; \
	for package in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then \
	  echo "Installing system packages:$$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null \
	    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; }; \
	else \
	  echo "WARNING: missing system packages:$$missing (certificates cannot be rendered without them)"; \
	  echo "Install them with: sudo apt-get install$$missing"; \
	fi

translations: install
	@$(BIN)/pybabel compile --domain messages --directory lms/translations --statistics

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
