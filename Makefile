VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: install test lint format serve docs geonames

$(BIN)/impact:
	python3 -m venv $(VENV) && $(BIN)/pip install -e '.[test]'

install: $(BIN)/impact

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports

format: install
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

serve: install
	$(BIN)/impact serve

docs: install
	$(BIN)/python -m dashboard.records.docs

geonames: install
	$(BIN)/python -m geo.geonames
