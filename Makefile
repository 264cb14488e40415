# The two commands: `make run` and `make test`. Each installs what is missing first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install admin run test lint services-up services-down run-distributed bench clean

$(STAMP): pyproject.toml deploy/constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c deploy/constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)
	@echo "installed into $(VENV)/ (start with: make run)"

# The first administrator of the data `make run` uses (./var here, or ANGELI_DATA_DIR); asks for the password.
admin: $(STAMP)
	@test -n "$(EMAIL)" || { echo "usage: make admin EMAIL=you@charity.org"; exit 2; }
	$(BIN)/angeli admin create --email "$(EMAIL)"

run: $(STAMP)
	@# An empty ./var/ gets the demo centre first (its administrator's password is printed once).
	@test -n "$$(ls -A var 2>/dev/null)" || $(BIN)/angeli demo
	$(BIN)/angeli run

services-up:
	PYTHON=$(abspath $(BIN)/python) bash deploy/postgres/start.sh
	PYTHON=$(abspath $(BIN)/python) bash deploy/kafka/start.sh

services-down:
	-bash deploy/kafka/stop.sh
	-bash deploy/postgres/stop.sh

lint: $(STAMP)
	$(BIN)/ruff check services tests bench
	$(BIN)/mypy

test: $(STAMP) services-up lint
	bash deploy/browser.sh
	bash deploy/pdftools.sh
	bash deploy/telephony/install.sh
	$(BIN)/pytest

run-distributed: $(STAMP)
	bash deploy/distributed/run.sh

bench: $(STAMP) services-up
	$(BIN)/python -m bench.distributed
	$(BIN)/python -m bench.ledger_verify --entries 200000
	$(BIN)/python -m bench.dialer
	$(BIN)/python -m bench.projection_lag
	$(BIN)/python -m bench.telephony
	$(BIN)/python -m bench.mail

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
