# The two commands a person needs: `make run` and `make test`.
# Both create .venv on first use with nothing but Python 3.11+ installed.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run demo test lint bench format clean screenshots

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "superbot needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/superbot run

# The shipped plan with a year of 示例 progress, in demo/ (its own database, 通报 and outbox).
demo: $(STAMP)
	$(BIN)/superbot demo

# Four workers on any machine: the suite mostly waits (real servers, processes, Chromium),
# so even two cores finish it in about a third of the time. PYTEST_ARGS=-n0 runs it in one.
test: $(STAMP)
	$(BIN)/python -m pytest -n 4 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# The web view's screenshots in docs/ (README "The web view"), taken in Chromium.
screenshots: $(STAMP)
	SUPERBOT_SCREENSHOTS=docs $(BIN)/python -m pytest tests/web/test_web_browser.py -q

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
