# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := bash
# Both install from lock files (exact versions and hashes of every package, for Python 3.11
# to 3.13 on any platform); `make lock` refreshes them, `make test-latest` tries the newest.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCK      := requirements.lock
TEST_LOCK := requirements-test.lock
UV_VERSION := 0.13.10

.PHONY: run test check test-latest lock bench clean test-tools

run: $(VENV)/.installed
	$(BIN)/feedtool build
	$(BIN)/feedtool digest --latest

test: $(VENV)/.test-installed check test-tools
	$(BIN)/python -m pytest -q

# Lint, format and types over the code, the tests and the benchmarks (config in pyproject).
LINTED := feedtool tests bench
check: $(VENV)/.test-installed
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy $(LINTED)

# A regular (not editable) install, as users get it: an editable install's import hook
# costs every run. The stamps make re-runs instant; changed sources reinstall.
SOURCES := pyproject.toml $(wildcard feedtool/*.py feedtool/templates/*)

# A new lock gets a new venv, so nothing from an older lock stays behind.
$(VENV)/.created: $(LOCK) $(TEST_LOCK)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	touch $@

# The lock holds pip and setuptools too, so the project is built without fetching anything
# (--no-build-isolation) and every package in the venv is a locked one.
define install
	$(BIN)/python -m pip install --quiet --require-hashes -r $(1)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --no-index .
endef

$(VENV)/.installed: $(VENV)/.created $(SOURCES)
	$(call install,$(LOCK))
	touch $@

# The test lock is the run lock plus the test tools, at the same versions.
$(VENV)/.test-installed: $(VENV)/.created $(SOURCES)
	$(call install,$(TEST_LOCK))
	touch $@ $(VENV)/.installed

# Resolve anew for Python 3.11+ on every platform, with uv (see docs/dependencies.md): first the
# test lock, then the run lock constrained to it, so both hold the same versions.
BUILD_REQUIRES = $(PYTHON) -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], "pip", sep="\n")'
COMPILE = $(BUILD_REQUIRES) | .venv-lock/bin/uv pip compile pyproject.toml - --universal --python-version 3.11 \
	--generate-hashes --upgrade --quiet --custom-compile-command "make lock"
lock:
	test -x .venv-lock/bin/uv || { $(PYTHON) -m venv .venv-lock && .venv-lock/bin/python -m pip install --quiet uv==$(UV_VERSION); }
	$(COMPILE) --extra test -o $(TEST_LOCK)
	$(COMPILE) --constraint $(TEST_LOCK) -o $(LOCK)

# The suite against the newest release of every dependency, in a venv of its own, so that
# drift is found on purpose (before `make lock`), not on the day a new machine is set up.
test-latest:
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --quiet --upgrade pip
	.venv-latest/bin/python -m pip install --quiet --upgrade '.[test]'
	.venv-latest/bin/python tests/test_lock.py  # lists what differs from the lock
	bash tests/install-tools.sh
	.venv-latest/bin/python -m pytest -q --deselect tests/test_lock.py::test_the_venv_holds_the_locked_versions

# Side by side with Hugo on synthetic 1,000- and 10,000-post blogs; writes BENCHMARKS.md.
bench: $(VENV)/.installed
	$(BIN)/python bench/run.py

# What the tests use beside Python packages: the real Hugo, Jekyll (+ jekyll-feed) and Hexo
# (+ hexo-generator-feed) that tests/test_generators.py compares feeds with, and Chromium with CJK
# fonts for the browser tests: Debian's packages (as root or with sudo), Hexo from its npm lock.
test-tools:
	@bash tests/install-tools.sh

clean:
	rm -rf $(VENV) .venv-latest .venv-lock public .pytest_cache .hypothesis build *.egg-info bench/.work
