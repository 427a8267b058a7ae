# Two commands set everything up on a fresh clone:
#   make run    creates .venv if missing, installs sim, runs the baseline into results/baseline/
#   make test   creates .venv if missing, installs sim with the test extras, runs ruff, mypy and every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/sim run scenarios/baseline.toml --out results/baseline --force --workers 2

test: $(STAMP_TEST)
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 tests
	$(BIN)/python -m benchmarks --quick --out benchmarks/out/quick.json

bench: $(STAMP_TEST)
	$(BIN)/python -m benchmarks --out benchmarks/out/full.json

clean:
	rm -rf $(VENV) results benchmarks/out
