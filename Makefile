# Aftersales: two commands on a fresh machine.
#   make run   set up, migrate, load the demo data and serve on http://$(HOST):$(PORT)/ (SQLite unless DATABASE_URL)
#   make test  the same set-up, then the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The test suite runs in this many processes (pytest-xdist), each with its own test database.
TEST_WORKERS ?= 2
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# Development and test set-up run with DEBUG on unless the environment says otherwise (no SECRET_KEY needed).
MANAGE := DEBUG=$${DEBUG:-1} $(BIN)/python manage.py

.PHONY: run test setup install migrate demo lint messages bench bench-stock bench-orders bench-pay bench-pay-formula bench-dispatch clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable

demo: migrate
	$(MANAGE) demo_seed

setup: demo

run: setup
	$(MANAGE) runserver $(HOST):$(PORT)

test: setup
	scripts/ensure-chromium
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist load

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

messages: install
	$(MANAGE) makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=bench --ignore=staticfiles
	$(MANAGE) compilemessages --ignore=.venv

bench: setup
	$(BIN)/python -m bench.run

# The stock ledger benchmark on PostgreSQL (BENCH_STOCK_PG, default postgres://postgres@127.0.0.1:5432): makes
# its own databases and Tryton's virtualenv under var/bench/ when missing; see docs/performance.md.
bench-stock: install
	$(BIN)/python -m bench.stock $(BENCH_STOCK_ARGS)

# The service-order benchmark on PostgreSQL (BENCH_ORDERS_PG, default postgres://postgres@127.0.0.1:5432): order
# list and order page at 10,000 and 1,000,000 orders against /healthz, and orders walked over the API by 4 clients.
# Makes and seeds its aftersales_bench_orders_* databases when missing; see docs/performance.md.
bench-orders: install
	$(BIN)/python -m bench.orders $(BENCH_ORDERS_ARGS)

# The pay-run benchmark on PostgreSQL (BENCH_PAY_PG, default postgres://postgres@127.0.0.1:5432): pay_run_create
# for a month of 5,000 and of 500 employees with their scores, inputs, inspection orders and audits (goal ≤ 3 s at
# 5,000, the same query count at both). Makes, migrates and seeds aftersales_bench_pay when missing; see
# docs/performance.md.
bench-pay: install
	$(BIN)/python -m bench.pay $(BENCH_PAY_ARGS)

# The compiled pay formula against the same arithmetic written by hand in Python (goal ≥ 0.5×); no database.
bench-pay-formula: install
	$(BIN)/python -m bench.pay_formula

# The day planner (aftersales/workshop/planner/) on generated days of 30, 100 and 300 jobs with 8, 25 and 60
# technicians: its finishing time against the issue's lower bound and a proven one, orders on time, CPU time
# (goals: ≤ 1.10 × the bound, 300 jobs in < 2 s). No database. See docs/performance.md.
bench-dispatch: install
	$(BIN)/python -m bench.dispatch $(BENCH_DISPATCH_ARGS)

clean:
	rm -rf $(VENV) var/*.sqlite3 staticfiles
