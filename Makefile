VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: install test test-fast lint format serve docs geonames screenshots

$(BIN)/impact:
	python3 -m venv $(VENV) && $(BIN)/pip install -e '.[test]'

install: $(BIN)/impact

# Everything, slow tests and doctests included (what CI runs).
test: install
	$(BIN)/python -m pytest

# The developer's loop: leaves out tests marked slow (each over 10 s); under 2 minutes.
test-fast: install
	$(BIN)/python -m pytest -m "not slow" -n 2

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

# The README's screenshots: the real page (impact serve, temporary IMPACT_HOME) driven in Chromium,
# on the seed and on 100,000 synthetic incidents, at 1400x1000 and 390x844, into docs/screenshots/.
screenshots: install
	$(BIN)/python docs/screenshots.py
