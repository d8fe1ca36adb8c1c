# Everything runs from .venv, made here from nothing but Python 3.11 and the package registry.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: run test bench gate lint audit lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/claimwatch run

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-dev
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

# Re-measure the extractor on the labelled corpus and pin the figures (tests/data/accuracy_gate.yaml).
gate: $(VENV)/.installed-dev
	$(BIN)/python tests/support/gate.py --update

audit: $(VENV)/.installed-dev
	.ci/audit

# Rewrite the lock from a clean venv after changing pinned dependencies in pyproject.toml.
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/pip install --quiet -e '.[dev]'
	.lockvenv/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) build *.egg-info
