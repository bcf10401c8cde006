# `make demo` and `make test` set up .venv from scratch when needed.
PYTHON ?= python3
VENV ?= .venv
EXTRAS ?= jax,dev
BIN = $(VENV)/bin
comma := ,
# One stamp per set of extras, so `make test EXTRAS=torch,dev` reinstalls.
STAMP = $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

.PHONY: demo test lint docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

demo: $(STAMP)
	$(BIN)/python -m kerasnip demo --out out

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

lint: $(STAMP)
	$(BIN)/ruff check $(wildcard src tests bench examples docs)
	$(BIN)/mypy

# The HTML site in docs/_build/html (the stamp pattern above, with the docs extra):
# warnings are errors, cross-references nitpicky, the gallery's examples run. No network:
# intersphinx reads the inventories shipped in docs/_intersphinx.
DOCS_STAMP = $(VENV)/.installed-jax-dev-docs

$(DOCS_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[jax,dev,docs]"
	touch $@

docs: $(DOCS_STAMP)
	$(BIN)/python -m sphinx -b html -W --keep-going -n -q docs docs/_build/html

# The tuning benchmark also runs on torch, from its own venv (torch==2.13.0 only:
# any other torch spec downloads GBs of CUDA).
TORCH_VENV ?= .venv-torch

$(TORCH_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(TORCH_VENV)
	$(TORCH_VENV)/bin/pip install --quiet torch==2.13.0
	$(TORCH_VENV)/bin/pip install --quiet -e ".[bench]"
	touch $@

bench: $(STAMP) $(TORCH_VENV)/.installed
	$(BIN)/pip install --quiet -e ".[bench]"
	KERASNIP_BENCH_TORCH_PYTHON=$(CURDIR)/$(TORCH_VENV)/bin/python $(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(TORCH_VENV) out .jax_cache .pytest_cache docs/_build docs/auto_examples docs/api/generated
