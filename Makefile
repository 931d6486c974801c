# Aftersales: two commands on a fresh machine.
#   make run   set up, migrate, load the demo data and serve on http://$(HOST):$(PORT)/ (SQLite unless DATABASE_URL)
#   make test  the same set-up, then the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test setup install migrate demo lint messages bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable

demo: migrate
	$(BIN)/python manage.py demo_seed

setup: demo

run: setup
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: setup
	scripts/ensure-chromium
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore=.venv --ignore=bench
	$(BIN)/python manage.py compilemessages --ignore=.venv

bench: setup
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var/*.sqlite3 staticfiles
