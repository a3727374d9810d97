# The two commands: `make run` (embedded platform) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test faults fuzz lint format bench install lock services browser up down status shell clean

# What the platform needs to run (make run), and on top of it what the suite and the linters need (make test):
# both from lock files that pin and hash every package (make lock rewrites them from requirements*.txt).
$(BIN)/.runtime: requirements.lock
	@echo "Installing the platform's packages into $(VENV) (the first time takes a few minutes)..."
	PYTHON="$(PYTHON)" bash scripts/make-venv.sh $(VENV)
	$(BIN)/pip install --disable-pip-version-check --progress-bar on --require-hashes -r requirements.lock
	touch $@

$(BIN)/.installed: $(BIN)/.runtime requirements-dev.lock
	@echo "Installing the test and lint tools into $(VENV)..."
	$(BIN)/pip install -q --disable-pip-version-check --require-hashes -r requirements-dev.lock
	touch $@

# `nameko shell` on config.yaml's default, embedded mode's in-process broker, stops at once with how to reach a
# platform instead of waiting for ever (common/shell_guard.py: one line in the venv's site-packages).
$(BIN)/.shell-guard: $(BIN)/.runtime common/shell_guard.py
	$(BIN)/python -m common.shell_guard install
	touch $@

install: $(BIN)/.installed $(BIN)/.shell-guard

run: $(BIN)/.runtime $(BIN)/.shell-guard
	$(BIN)/python embedded.py

# Rewrites the locks after a change to requirements.txt or requirements-dev.txt (needs PyPI).
lock: $(BIN)/.runtime
	$(BIN)/pip install -q --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip compile requirements.txt --generate-hashes --universal --python-version 3.11 \
		--no-header --no-annotate -q -o requirements.lock
	$(BIN)/uv pip compile requirements-dev.txt --generate-hashes --universal --python-version 3.11 \
		--constraint requirements.lock --no-header --no-annotate -q -o requirements-dev.lock

services:
	bash scripts/ensure-services.sh

# The platform on the local RabbitMQ and PostgreSQL, one process per service (scripts/local_platform.py).
up: $(BIN)/.runtime $(BIN)/.shell-guard services
	$(BIN)/python scripts/local_platform.py up

down: $(BIN)/.runtime
	$(BIN)/python scripts/local_platform.py down

status: $(BIN)/.runtime
	$(BIN)/python scripts/local_platform.py status

shell: $(BIN)/.runtime $(BIN)/.shell-guard
	$(BIN)/python scripts/local_platform.py shell

browser:
	bash scripts/ensure-browser.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install services browser lint
	$(BIN)/python -m pytest -m "not faults_full"

# The whole fault suite (`make test` runs its short part): a private RabbitMQ node stopped and started,
# services killed, counts printed and written to var/fault-suite.md (docs/reliability.md).
faults: install services
	$(BIN)/python -m pytest tests/faults -p no:randomly

# Schema fuzzing of every route at length (the suite runs the same test with a few examples per operation).
FUZZ_EXAMPLES ?= 50
fuzz: install services
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_TIMEOUT=3600 $(BIN)/python -m pytest tests/e2e/test_fuzz.py -s

# Every target's requests/s, p50, p99 and share of a bare Nameko endpoint, measured with wrk (bench/README.md).
bench: install services
	bash scripts/ensure-wrk.sh
	$(BIN)/python -m bench.run

clean:
	rm -rf var tmp .pytest_cache .ruff_cache
