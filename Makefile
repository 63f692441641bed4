# The verbs a newcomer types. Both targets install what they need (a virtualenv in .venv).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= var/demo-codes.txt

.PHONY: run test lint typecheck clean

$(STAMP): pyproject.toml
	bash scripts/bootstrap.sh "$(PYTHON)" "$(VENV)"
	touch $(STAMP)

## run: install, then check a generated demo file of codes (with a few realistic mistakes)
run: $(STAMP)
	@mkdir -p var
	@$(BIN)/python scripts/demo_codes.py > $(DEMO)
	@echo "Checking $(DEMO) (10,000 generated codes, some mistyped) ..." >&2
	-@$(BIN)/jjjcredit codes check $(DEMO) > var/demo-report.csv
	@echo "Report: var/demo-report.csv. Rows that need attention:" >&2
	@grep -v ',valid,,,,$$' var/demo-report.csv | head -8
	@echo "Explain one code:  $(BIN)/jjjcredit codes explain 91350100M000100Y43" >&2

## test: install, lint, type-check, and run the suite on SQLite and on PostgreSQL
test: $(STAMP)
	bash scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
