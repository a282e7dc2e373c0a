# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test bench clean

run: $(VENV)/.installed
	$(BIN)/feedtool build
	$(BIN)/feedtool digest --latest

test: $(VENV)/.test-installed
	$(BIN)/python -m pytest -q

# A regular (not editable) install, as users get it: an editable install's import hook
# costs every run ~15 ms. The stamp makes re-runs instant; changed sources reinstall.
SOURCES := pyproject.toml $(wildcard feedtool/*.py feedtool/templates/*)

# The venv is made (and its pip upgraded) once; each stamp's own install follows.
define venv
	test -x $(BIN)/python || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet --upgrade pip; }
endef

$(VENV)/.installed: $(SOURCES)
	$(venv)
	$(BIN)/python -m pip install --quiet .
	touch $@

# '.[test]' installs the package too, so its stamp is renewed as well.
$(VENV)/.test-installed: $(SOURCES)
	$(venv)
	$(BIN)/python -m pip install --quiet '.[test]'
	touch $@ $(VENV)/.installed

# Side by side with Hugo on synthetic 1,000- and 10,000-post blogs; writes BENCHMARKS.md.
bench: $(VENV)/.installed
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) public .pytest_cache .hypothesis build *.egg-info bench/.work
