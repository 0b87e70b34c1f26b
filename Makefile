# The two commands of the README. Each creates/updates .venv on its own, so a
# fresh machine needs only Python 3.11 (with its venv module) and make; `make test`
# also needs headless Chromium (the report's browser test), which it installs
# where it can (root with apt-get) and otherwise names, with the command that
# installs it, before anything else runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo-output

.PHONY: demo test lint venv clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,torch]"
	touch $@ $(VENV)/.installed-demo

venv: $(VENV)/.installed-demo

demo: $(VENV)/.installed-demo
	$(BIN)/ethostyle demo --out $(DEMO_DIR)

browser:
	@$(SHELL) .ci/need-chromium

test: browser $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q -n auto

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache build *.egg-info src/*.egg-info
