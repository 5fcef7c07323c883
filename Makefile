# lammpskit front door. Every target creates .venv first when it is missing.
#   make quench                         CHGNet, x = 0, smoke profile (minutes on 2 cores)
#   make quench POT=chgnet-r2scan X=1.5 PROFILE=paper ATOMS=1040 OUT=runs/paper-x1.5
#   make quench POT=7net-mf-0-r2scan   (installs SevenNet's side folder on first use: make sevenn)
#   make test | make test-fast | make lint | make bench | make docs (the site, into site/)
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
CAMPAIGN ?= campaign.toml
WORKERS ?= 1
# Debian packages the tests need: a real SLURM cluster (slurm-wlm, munge), OVITO rendering (Vulkan),
# headless Chromium for the report test
DEBS := slurm-wlm munge libvulkan1 mesa-vulkan-drivers chromium cp2k cp2k-data
# values reach the command through the environment, quoted: never pasted into shell text
export POT X PROFILE SEED ATOMS OUT CAMPAIGN WORKERS

.PHONY: venv mlips sevenn system quench study submit status report test test-fast lint bench docs clean-venv

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,docs]'
	touch $@

venv: $(VENV)/.installed

# the optional MLIP packages the tests exercise: deepmd-kit (with its LAMMPS plugin) and GRACE
# GRACE goes to a side folder, off the default path (see lammpskit/extras.py)
$(VENV)/.mlips: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,docs,deepmd]'
	$(BIN)/pip install --quiet --upgrade --target $(VENV)/opt/grace 'tensorflow-cpu==2.20.*' 'scikit-learn>=1.5'
	$(BIN)/pip install --quiet --upgrade --no-deps --target $(VENV)/opt/grace 'tf_keras==2.20.*' 'tensorpotential==0.6.2.1'
	touch $@

# SevenNet: sevenn needs e3nn >= 0.5, mace-torch pins e3nn 0.4.4, so sevenn, e3nn 0.5 and what the venv lacks
# go to a side folder that the kit puts FIRST on sys.path in SevenNet's own processes (lammpskit/potentials/extras.py).
# torch_geometric's aiohttp requirement is left out: neither it nor sevenn imports aiohttp.
SEVENN_PKGS := sevenn==0.13.0 e3nn==0.5.9 torch_geometric==2.8.1 braceexpand==0.1.7 scikit-learn==1.9.1 \
	threadpoolctl==3.8.0 xxhash==4.1.0 psutil==7.2.2
$(VENV)/.sevenn: $(VENV)/.installed
	rm -rf $(VENV)/opt/sevenn
	$(BIN)/pip install --quiet --no-deps --target $(VENV)/opt/sevenn $(SEVENN_PKGS)
	touch $@

sevenn: $(VENV)/.sevenn

mlips: $(VENV)/.mlips sevenn

# a SevenNet entry (7net-*) installs its side folder first
quench: venv $(if $(filter 7net-%,$(POT)),sevenn)
	$(BIN)/lammpskit quench --pot "$$POT" --x "$$X" --profile "$$PROFILE" --seed "$$SEED" \
		$${ATOMS:+--atoms "$$ATOMS"} $${OUT:+--out "$$OUT"}

# as root, install the missing Debian packages (apt-get update only if the first try fails)
system:
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing $$missing"; export DEBIAN_FRONTEND=noninteractive; \
			apt-get install -y -q $$missing >/dev/null || \
			{ apt-get update -q >/dev/null && apt-get install -y -q $$missing >/dev/null; }; \
		else echo "warning: missing Debian packages $$missing (needed by the SLURM and rendering tests)"; fi; \
	fi

# a campaign on this machine, no SLURM: make study CAMPAIGN=study.toml WORKERS=2
study: venv
	$(BIN)/lammpskit campaign run "$$CAMPAIGN" --workers "$$WORKERS"

submit: venv
	$(BIN)/lammpskit campaign submit "$$CAMPAIGN"

status: venv
	$(BIN)/lammpskit campaign status "$$CAMPAIGN"

report: venv
	$(BIN)/lammpskit report "$$CAMPAIGN"

# the layer contract (import-linter, pyproject [tool.importlinter]) and ruff
lint: venv
	$(BIN)/lint-imports
	$(BIN)/ruff check lammpskit analysis tests bench docs

test: venv mlips system lint
	$(BIN)/python -m pytest -q

# pure functions in-process: seconds, no LAMMPS run, no MLIP, no SLURM
test-fast: venv lint
	$(BIN)/python -m pytest -q -m fast

bench: venv
	$(BIN)/pip install --quiet -e '.[test,docs,bench]'
	$(BIN)/python bench/bench_structure.py
	$(BIN)/python bench/bench_units.py
	$(BIN)/python bench/bench_transport.py
	$(BIN)/python bench/bench_bridge.py
	$(BIN)/python bench/bench_audit.py
	$(BIN)/python bench/bench_local.py

# the documentation site: mkdocs.yml + docs/ -> site/ (a broken link, a warning or a public API object
# without a docstring fails the build; tests/docs/test_site.py runs the same build in make test)
docs: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

clean-venv:
	rm -rf $(VENV)
