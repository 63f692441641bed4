# The verbs a newcomer types. Both targets install what they need (a virtualenv in .venv).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run federation-demo test lint typecheck clean

$(STAMP): pyproject.toml
	bash scripts/bootstrap.sh "$(PYTHON)" "$(VENV)"
	touch $(STAMP)

## run: install, then the main job on demo data: check codes, generate department files, build the library
run: $(STAMP)
	@$(BIN)/python scripts/demo.py

## federation-demo: three nodes (Beijing, Tianjin, Hebei) on one machine, each with its database and server,
## sharing their changes through NATS JetStream (JJJCREDIT_NATS_URL) until their states agree
federation-demo: $(STAMP)
	@$(BIN)/python scripts/federation_demo.py

## test: install, lint, type-check, and run the suite on SQLite and on PostgreSQL
test: $(STAMP)
	bash scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
