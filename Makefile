# The front door: each target is a thin, visible wrapper.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8080
FUZZ_EXAMPLES ?= 10000
SOAK_SECONDS ?= 60
SOAK_CLUSTERS ?= 10

.PHONY: venv run test test-deps check fmt fuzz soak bench bench-quick migrate clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# Start the service on an embedded SQLite database (no external server needed).
run: venv
	$(BIN)/python -m app.serve --host $(HOST) --port $(PORT)

# System packages the tests use: Debian's ganeti-htools (hail, for differential tests),
# postgresql (store tests) and the extracted ganeti-3.0 package (Ganeti's own validators).
test-deps:
	bash tests/support/install-deps.sh

check: venv
	$(BIN)/ruff check app tests bench shim
	$(BIN)/ruff format --check app tests bench shim
	$(BIN)/mypy app

fmt: venv
	$(BIN)/ruff format app tests bench shim
	$(BIN)/ruff check --fix app tests bench shim

test: venv test-deps check
	$(BIN)/python -m pytest

# The protocol fuzz campaign: FUZZ_EXAMPLES documents through app.cli's main and as many through
# POST /allocate (the suite runs 40 of each), a hundredth of them through `python -m app.cli`.
fuzz: venv
	IALLOCD_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/fuzz -q -p no:cacheprovider \
		--hypothesis-show-statistics

# Faults under load (the suite runs 16 s, 6 clusters): three replicas behind HAProxy on one
# PostgreSQL (a replica SIGKILLed mid-request, PostgreSQL restarted) and one service on SQLite
# (SIGKILLed), clusters calling the real shim; prints the figures docs/reliability.md quotes.
soak: venv test-deps
	IALLOCD_SOAK_SECONDS=$(SOAK_SECONDS) IALLOCD_SOAK_CLUSTERS=$(SOAK_CLUSTERS) \
		$(BIN)/python -m pytest tests/reliability -q -p no:cacheprovider

migrate: venv
	$(BIN)/alembic upgrade head

# hail and iallocd side by side, a load run, then hbal and iallocd's balancing (bench/results/).
bench: venv test-deps
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.balance

bench-quick: venv test-deps
	$(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) .cache .mypy_cache .ruff_cache .pytest_cache
