# StoreBridge — every target bootstraps its own tools from the lock file.
# `make demo` and `make test` work on a fresh machine with only python3 >= 3.11.

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
RUN := $(UV) run --frozen

.PHONY: demo test lint typecheck pytest bench bench-woo bench-scale bench-million bench-stores bench-sql bench-dashboard bench-tryton soak sandbox clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen
	touch $@

## demo: start the sandbox store, the demo POS, StoreBridge and its dashboard
## (POS=sql: the SQL connector on a sample POS database; POS=tryton: a real Tryton it starts)
POS ?= demo
demo: $(VENV)/.synced
	$(RUN) storebridge demo --pos $(POS)

## test: ruff, mypy --strict on src/, then the whole pytest suite
test: lint typecheck pytest

lint: $(VENV)/.synced
	$(RUN) ruff check src tests bench
	$(RUN) ruff format --check src tests bench

typecheck: $(VENV)/.synced
	$(RUN) mypy src

pytest: $(VENV)/.synced
	$(RUN) pytest $(PYTEST_ARGS)

## bench: run the benchmarks and rewrite docs/benchmarks.md (with WOO_URL/WOO_KEY/WOO_SECRET
## set, a real WooCommerce is measured too)
bench: $(VENV)/.synced
	$(RUN) python -m bench

## bench-woo: only the real-WooCommerce section (needs WOO_URL, WOO_KEY, WOO_SECRET)
bench-woo: $(VENV)/.synced
	$(RUN) python -m bench.real_store

## bench-scale: 100,000 items: peak RSS of the first sync, idle CPU, a till sale (its section of docs/benchmarks.md)
bench-scale: $(VENV)/.synced
	$(RUN) python -m bench.scale

## bench-million: the same at 1,000,000 items, without the read-back (hours on two shared cores)
bench-million: $(VENV)/.synced
	$(RUN) python -m bench.scale --items 1000000 --no-read-back

## bench-stores: 50 stores x 2,000 items, two workers on PostgreSQL (about 15 min); its section of docs/benchmarks.md
bench-stores: $(VENV)/.synced
	$(RUN) python -m bench.stores

## bench-sql: the SQL connector reading 100,000 items from PostgreSQL (its section of docs/benchmarks.md)
bench-sql: $(VENV)/.synced
	$(RUN) python -m bench.sql_read

## bench-dashboard: the dashboard's charts and filters over a week of history, SQLite and PostgreSQL (its section)
bench-dashboard: $(VENV)/.synced
	$(RUN) python -m bench.dashboard --url postgresql+psycopg://postgres@127.0.0.1:5432/test

## bench-tryton: read a 10,000-product catalogue from a real trytond; rewrites its section of docs/benchmarks.md
bench-tryton: $(VENV)/.synced
	$(RUN) python -m bench.tryton

## soak: chaos soak of `storebridge run` (MINUTES=10, STORAGE=sqlite|postgresql); writes docs/reliability.md
MINUTES ?= 10
STORAGE ?= sqlite
soak: $(VENV)/.synced
	$(RUN) python -m bench.soak --minutes $(MINUTES) --storage $(STORAGE)

sandbox: $(VENV)/.synced
	$(RUN) storebridge sandbox --port 8081

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .pytest_cache .ruff_cache
