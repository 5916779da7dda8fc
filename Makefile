# Two commands for a fresh clone on a machine with Python 3.11: `make demo`, `make test`.
PYTHON ?= python3
VENV := .venv
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9

.PHONY: install demo test lint typecheck format benchmark messages clean

install: $(VENV)/.installed

# uv is bootstrapped into the venv from the package index, so nothing but Python
# is needed; `--inexact` keeps that bootstrapped uv, which the lock does not list.
# Bytecode is compiled at install: with PYTHONDONTWRITEBYTECODE set, every run
# would otherwise compile NumPy and OR-Tools from source again (0.2 s).
$(VENV)/.installed: pyproject.toml uv.lock
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(VENV)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --inexact --compile-bytecode --python $(VENV)/bin/python
	$(VENV)/bin/python -m compileall -q src
	touch $@

demo: install
	$(VENV)/bin/tahator demo

test: install
	scripts/ensure-postgres.sh
	scripts/ensure-chromium.sh
	$(VENV)/bin/pytest
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	if [ "$${CI:-}" = "true" ]; then scripts/audit-dependencies.sh; fi

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Extract every marked string and merge it into the Persian and Urdu catalogues; then
# translate what `tests/test_catalogues.py` reports missing.
messages: install
	mkdir -p var
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ --no-location --sort-output -o var/messages.pot .
	for lang in fa ur; do \
	  $(VENV)/bin/pybabel update --no-fuzzy-matching --ignore-obsolete -i var/messages.pot \
	    -d src/tahator/locale -l $$lang; \
	done

# The quick benchmarks (about 10 minutes); each prints the peer's figure beside Tahator's
# from the same run and the ratio.  Bytecode first: with PYTHONDONTWRITEBYTECODE set, a
# module changed since install would be compiled again in every measured process.
benchmark: install
	$(VENV)/bin/python -m compileall -q src
	$(VENV)/bin/python benchmarks/bench_clear.py
	$(VENV)/bin/python benchmarks/bench_matching.py --quick
	$(VENV)/bin/python benchmarks/bench_run.py --only network-01 --runs 1
	$(VENV)/bin/python benchmarks/bench_ledger.py --seconds 10

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
