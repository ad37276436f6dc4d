# FlexMeasures developer tasks. `make help` lists them.
PYTHON ?= python3
PIP := $(PYTHON) -m pip
export PIP_ROOT_USER_ACTION := ignore
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install install-for-test install-for-dev run test test-fast services lint bench \
        upgrade-db show-data-model freeze-deps

help:  ## List the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

install:  ## Install FlexMeasures (editable) with its dependencies at the tested versions
	$(PIP) install -q -c requirements/app.txt -e .

install-for-test: install  ## Also install what the tests need
	$(PIP) install -q -r requirements/test.txt
	bash ci/install-solvers.sh
	bash ci/install-chromium.sh
	bash ci/vendor-frontend.sh --check

install-for-dev: install-for-test  ## Also install development tools
	$(PIP) install -q -r requirements/dev.txt

run:  ## Run the web app on http://localhost:5000 (embedded SQLite unless configured)
	flexmeasures run

services:  ## Start PostgreSQL and Redis (if not running) and create the test database
	bash ci/start-services.sh

TEST_WORKERS ?= 2

test: install-for-test services  ## Run the whole test suite against PostgreSQL and Redis
	$(PYTHON) -m pytest -n $(TEST_WORKERS) --dist loadfile

test-fast: services  ## Run the tests without reinstalling and without the slow ones
	$(PYTHON) -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not slow"

lint:  ## Check style and complexity with ruff
	$(PYTHON) -m ruff check flexmeasures tests benchmarks
	$(PYTHON) -m ruff format --check flexmeasures tests benchmarks

bench: install-for-test services  ## Run every benchmark script (results in benchmarks/README.md)
	$(PIP) install -q --no-deps -r requirements/benchmark-data.txt  # data files only
	@for script in benchmarks/bench_*.py; do \
		echo "== $$script"; $(PYTHON) $$script || exit 1; \
	done

upgrade-db:  ## Bring the configured database up to the latest migration
	flexmeasures db upgrade

show-data-model:  ## Print the tables and columns of the data model
	$(PYTHON) -m flexmeasures.data.show_data_model

freeze-deps:  ## Re-pin requirements/*.txt from pyproject.toml and requirements/*.in (pip-tools)
	pip-compile -q --strip-extras -o requirements/app.txt pyproject.toml
	pip-compile -q --strip-extras -o requirements/test.txt requirements/test.in
	pip-compile -q --strip-extras -o requirements/dev.txt requirements/dev.in
