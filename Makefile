# Two entry points, both self-contained on a fresh machine with Python 3.11:
#   make demo   set up, then compare five providers' models (simulated when API keys are missing)
#   make test   set up, then lint and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/multimodel demo --out out/demo_cost_vs_latency.png

lint: $(STAMP)
	$(BIN)/ruff check multimodel tests benchmarks

test: $(STAMP) lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) out .pytest_cache
