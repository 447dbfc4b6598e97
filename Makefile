# Two entry points, both self-contained on a fresh machine with Python 3.11:
#   make demo   set up, then compare five providers' models (simulated when API keys are missing)
#   make test   set up, then lint and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BROWSER_STAMP := .browser/.installed

.PHONY: demo test test-jupyterlab lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Browser tests drive the system's Chromium with Playwright (no browser download), render the
# ipywidgets embed offline with the widget manager vendored in multimodel/data, and run notebook 01 in a
# throwaway JupyterLab (requirements-browser.txt pins Playwright and JupyterLab).
$(BROWSER_STAMP): requirements-browser.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-browser.txt
	mkdir -p .browser
	touch $(BROWSER_STAMP)

demo: $(STAMP)
	$(BIN)/multimodel demo --out out/demo_cost_vs_latency.png

lint: $(STAMP)
	$(BIN)/ruff check multimodel tests benchmarks

# --durations lists the slowest tests, to keep an eye on CI's 20-minute budget.
test: $(STAMP) $(BROWSER_STAMP) lint
	$(BIN)/python -m pytest --durations=12

# Only the real-JupyterLab check (part of `make test`): notebook 01 run from the Run menu in Chromium (~40 s).
test-jupyterlab: $(STAMP) $(BROWSER_STAMP)
	$(BIN)/python -m pytest tests/test_jupyterlab.py

# Benchmarks against the raw openai SDK and LiteLLM (installs benchmarks/requirements.txt; ~5 minutes).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .browser out .pytest_cache
