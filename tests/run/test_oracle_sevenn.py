"""Oracle: each SevenNet entry through LAMMPS ``run 0`` and the kit's bridge (pair_style zero + fix external)
gives the energy, every force and all six virial components of sevenn's own ``SevenNetCalculator``, built
from sevenn's pretrained-model name and modality (both of SevenNet-MF-0's), on the strongly triclinic
24-atom cell of ``test_oracle_bridge``. Runs in a child process (``sevenn_oracle``): e3nn 0.5 must be the
first e3nn that process imports.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from ..conftest import ROOT
from .sevenn_oracle import DIRECT
from .test_oracle_bridge import LAMMPS_ORDER, assert_matches_direct

pytestmark = pytest.mark.slow  # one process: sevenn import (~6 s), five models, five LAMMPS single points


@pytest.fixture(scope="module")
def sevenn_runs(tmp_path_factory):
    """NAME -> the child's arrays, for every SevenNet entry (one child process for all five)."""
    out = tmp_path_factory.mktemp("sevenn-oracle")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    env.pop("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", None)  # set by 'import mace' in this process
    r = subprocess.run([sys.executable, "-m", "tests.run.sevenn_oracle", str(out), *DIRECT], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return {name: dict(np.load(out / f"{name}.npz", allow_pickle=False)) for name in DIRECT}


@pytest.mark.parametrize("name", list(DIRECT))
def test_sevenn_bridge_against_sevennet_calculator(sevenn_runs, name):
    run = sevenn_runs[name]
    assert str(run["e3nn"]).startswith("0.5.")
    pressure = dict(zip(LAMMPS_ORDER, run["pressure"]))
    lammps = (run["positions"], run["forces"], pressure, float(run["pe"]))
    # float32 models evaluated twice on the same graph: agreement to float32 round-off of the numbers' size
    assert_matches_direct(lammps, float(run["energy"]), run["direct_forces"], run["stress"],
                          e_tol=1e-4, f_tol=1e-4, s_tol=1e-6)


def test_sevenn_mf0_modalities_differ(sevenn_runs):
    """The two SevenNet-MF-0 modalities give different numbers, so a swap of them cannot pass the oracle."""
    pbe, r2scan = sevenn_runs["7net-mf-0-pbe"], sevenn_runs["7net-mf-0-r2scan"]
    assert abs(float(pbe["energy"]) - float(r2scan["energy"])) > 1.0  # eV, 24 atoms
    assert np.max(np.abs(pbe["direct_forces"] - r2scan["direct_forces"])) > 0.05
