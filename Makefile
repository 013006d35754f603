# Quickstart: `make run` (pipeline on the bundled wave) and `make test` (full test suite).
# Both create .venv from the pinned lock file on first use; later calls reuse it.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 4

.PHONY: run test test-slurm verify lint lock help

help:
	@echo "make run    - set up .venv from requirements.lock and run snakemake --cores $(CORES)"
	@echo "make test   - set up .venv and run the full test suite"
	@echo "make test-slurm - run the pipeline through profiles/slurm on a throwaway single-node"
	@echo "              Slurm cluster and compare its bundles with a local run (root; installs"
	@echo "              slurm-wlm and munge with apt-get if missing)"
	@echo "make verify - re-execute the pipeline in a clean copy and check the bundle(s)"
	@echo "              (BUNDLE=results/bundles/<name> for one bundle)"
	@echo "make lint   - ruff and snakemake --lint"
	@echo "make lock   - re-resolve requirements.lock from pyproject.toml (needs network)"
	@echo "make diff   - compare two bundles' tables cell by cell: A=<bundle dir> B=<bundle dir>"
	@echo "              [TOL=1e-12] [CSV=<path for the long table of changes>]"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the lock or the project metadata changes.
$(STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES)

test: $(STAMP)
	$(BIN)/python -m pytest

# profiles/slurm on a throwaway Slurm cluster; see tools/slurm/test_slurm.sh
test-slurm: $(STAMP)
	VENV_PYTHON=$(BIN)/python tools/slurm/test_slurm.sh

verify: $(STAMP)
	$(BIN)/councilsurvey verify --cores $(CORES) $(if $(BUNDLE),--bundle $(BUNDLE))

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakemake --lint

lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

.PHONY: diff
diff: $(STAMP)
	@if [ -z "$(A)" ] || [ -z "$(B)" ]; then \
		echo "usage: make diff A=<bundle dir> B=<bundle dir> [TOL=1e-12] [CSV=<path>]" >&2; exit 2; fi
	$(BIN)/councilsurvey diff "$(A)" "$(B)" $(if $(TOL),--tol $(TOL)) $(if $(CSV),--csv "$(CSV)")
