# lammpskit front door. Every target creates .venv first when it is missing.
#   make quench                         CHGNet, x = 0, smoke profile (minutes on 2 cores)
#   make quench POT=chgnet-r2scan X=1.5 PROFILE=paper ATOMS=1040 OUT=runs/paper-x1.5
#   make test | make bench
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
POT ?= chgnet
X ?= 0
PROFILE ?= smoke
SEED ?= 1
ATOMS ?=
OUT ?=
# values reach the command through the environment, quoted: never pasted into shell text
export POT X PROFILE SEED ATOMS OUT

.PHONY: venv quench test bench clean-venv

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

quench: venv
	$(BIN)/lammpskit quench --pot "$$POT" --x "$$X" --profile "$$PROFILE" --seed "$$SEED" \
		$${ATOMS:+--atoms "$$ATOMS"} $${OUT:+--out "$$OUT"}

test: venv
	$(BIN)/python -m pytest -q

bench: venv
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/bench_structure.py
	$(BIN)/python bench/bench_units.py
	$(BIN)/python bench/bench_bridge.py

clean-venv:
	rm -rf $(VENV)
