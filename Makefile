# The verbs of the course kit. Every target sets up .venv from the pinned requirements first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUBMISSIONS ?= submissions
LINTED := src tests tools notebooks solutions

.PHONY: venv book test lint lab assignments grade export experiments bench clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

book: $(STAMP)  ## Build the site strictly; print where it is.
	$(BIN)/jupyter-book build -W -n --keep-going .
	@echo "The site is at $(CURDIR)/_build/html/index.html"

test: $(STAMP) lint  ## The whole suite: package, notebooks, assignments, site, browser.
	$(BIN)/python -m pytest tests
	$(BIN)/python -m pytest --nbval notebooks solutions --nbval-sanitize-with tools/nbval-sanitize.cfg -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

export: $(STAMP)  ## Write the package modules taught in the notebooks (#| export cells).
	$(BIN)/python tools/export.py

lab: $(STAMP)  ## JupyterLab on the repository, offline (settings in tools/jupyter/).
	JUPYTER_CONFIG_DIR=$(CURDIR)/tools/jupyter $(BIN)/jupyter lab --allow-root

assignments: $(STAMP)  ## exercises/ from the solutions/ masters; autograder zips in _build/autograder/.
	$(BIN)/python tools/assign.py

grade: $(STAMP)  ## Grade every notebook in SUBMISSIONS=dir offline; writes grades.csv.
	$(BIN)/python tools/grade.py $(SUBMISSIONS) --output grades.csv

experiments: $(STAMP)  ## Full experiments (~35 min on one core); rewrite notebooks/results/.
	$(BIN)/python -m unrolled.experiments.adding
	$(BIN)/python -m unrolled.experiments.g2p

bench: $(STAMP)  ## Benchmarks and the time to run the book (minutes); rewrite notebooks/results/bench.json, book-cost.json.
	$(BIN)/python -m unrolled.benchmarks

clean:
	rm -rf _build .pytest_cache
