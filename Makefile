# The course in two commands:  make book   and   make test
# Each works on a fresh clone with only Python 3.11+ and make installed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: book test lint lab release check-content browser-deps sandbox-deps bench handouts bundle hub hub-deps bench-hub lock clean help

help:
	@echo "make book   - install, regenerate the assessments and build the book into _build/html"
	@echo "make test   - run the whole test suite"
	@echo "make lab    - open the lessons in JupyterLab"
	@echo "make bench  - time grading, the book and (as root) the shared server (prints figures; not a test)"
	@echo "make hub    - run the course on this server with JupyterHub (as root; HUB_FLAGS=--lan opens it to the network)"
	@echo "make handouts - print one PDF handout per module from the built book into _build/handouts"
	@echo "make bundle - write the offline USB bundle _build/toolkit-course-offline.zip from the built book"
	@echo "make lint   - check the Python code with ruff (part of make test)"

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=23"
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

venv: $(STAMP)

check-content: $(STAMP)
	$(PY) -m toolkit_course check-content

release: $(STAMP)
	$(PY) -m toolkit_course release

book: release
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going --builder html
	@echo
	@echo "The book is ready. Open this file in a web browser (no internet needed):"
	@echo "    $(CURDIR)/_build/html/index.html"

browser-deps:
	bash scripts/install-browser-deps.sh

# Grading runs learners' code (computed items only) in a bubblewrap sandbox.
sandbox-deps: $(STAMP)
	bash scripts/install-sandbox-deps.sh $(PY)

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts nbgrader_config.py

test: $(STAMP) browser-deps sandbox-deps hub-deps lint
	$(BIN)/pytest

lab: $(STAMP)
	@$(if $(filter 0,$(shell id -u)),echo "warning: running as root: code in any notebook you open could change anything on this computer; an ordinary account is safer. Continuing with --allow-root." >&2)
	$(BIN)/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks/00-orientation.ipynb $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(STAMP) hub-deps
	$(PY) -m toolkit_course.bench $(if $(LEARNERS),--learners $(LEARNERS))

# The shared server (JupyterHub + nbgrader's exchange; see book/facilitator/run-on-a-server.md). Needs root.
hub-deps: $(STAMP)
	bash scripts/install-hub-deps.sh $(PY)

hub: hub-deps
	$(PY) -m toolkit_course.hub.launch $(HUB_FLAGS)

# Load figures for the hub (not a test): 20 and 50 simulated learners at once. Needs root.
bench-hub: hub-deps
	$(PY) -m toolkit_course.bench_hub $(if $(LEARNERS),--learners $(LEARNERS))

# Both read the book that `make book` built in _build/html, and say so if it is missing.
handouts: $(STAMP)
	$(PY) -m toolkit_course.handouts

bundle: $(STAMP)
	$(PY) -m toolkit_course.bundle

lock:
	(head -n 2 requirements.lock; $(PY) -m pip freeze --exclude-editable) > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf _build grading-workspace
