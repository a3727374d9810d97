# The two commands: `make run` (embedded platform) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test faults fuzz lint format bench install services browser clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	PYTHON="$(PYTHON)" bash scripts/make-venv.sh $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/python embedded.py

services:
	bash scripts/ensure-services.sh

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

bench: install services
	$(BIN)/python -m bench.run

clean:
	rm -rf var tmp .pytest_cache .ruff_cache
