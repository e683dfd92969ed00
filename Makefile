# Two entry points, the same ones the README opens with:
#   make release   set up .venv, build the release (dist/<version>/), print chairs-by-theme
#   make test      set up .venv and the test servers, run the whole test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup release test generated lint typecheck
setup: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[all]"
	touch $@

release: setup
	$(BIN)/mmdgraph build --out dist
	$(BIN)/mmdgraph query chairs-by-theme --format csv

test: setup
	./scripts/test

# Ruff (rules and line length in pyproject.toml) over the code, tests, benchmarks and scripts.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy over mmdgraph/ (not yet clean: see CHANGELOG.md; not part of CI until it is).
typecheck: setup
	$(BIN)/mypy

# Every generated file, rebuilt from the hand-edited sources (graph/, queries/, curation/):
# French state names, expected query results and README counts, docs/coverage.md, figures.
generated: setup
	$(BIN)/python scripts/french-names
	$(BIN)/python tests/update_golden.py
	$(BIN)/python scripts/coverage
	./scripts/figures
