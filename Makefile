# `make demo` and `make test` set up .venv from scratch when needed.
PYTHON ?= python3
VENV ?= .venv
EXTRAS ?= jax,dev
BIN = $(VENV)/bin
comma := ,
# One stamp per set of extras, so `make test EXTRAS=torch,dev` reinstalls.
STAMP = $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

.PHONY: demo test lint bench clean

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
	$(BIN)/ruff check $(wildcard src tests bench examples)

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) out .jax_cache .pytest_cache
