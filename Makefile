# Two entry points, the same ones the README opens with:
#   make release   set up .venv, build the release (dist/<version>/), print chairs-by-theme
#   make test      set up .venv and the test servers, run the whole test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup release test generated
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

# Every generated file, rebuilt from the hand-edited sources (graph/, queries/, curation/):
# French state names, expected query results and README counts, docs/coverage.md, figures.
generated: setup
	$(BIN)/python scripts/french-names
	$(BIN)/python tests/update_golden.py
	$(BIN)/python scripts/coverage
	./scripts/figures
