"""Oracles for the elastic moduli: hand-computed B, G, E, nu from C matrices typed here.

Replaces the consistency checks that recompute E and nu from the kit's own B and G: the
expected numbers below are literals, worked out by hand from closed forms (isotropic Lamé
relations, the cubic Voigt/Reuss formulas, an orthotropic compliance written from engineering
constants), so a wrong index, factor or averaging in ``analysis/elasticity.py`` shows.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from ..conftest import cli, sw_si_registry


@pytest.fixture()
def sw_si(tmp_path):
    reg = sw_si_registry(tmp_path / "reg")
    a = 5.431
    basis = np.array([[0, 0, 0], [0, .5, .5], [.5, 0, .5], [.5, .5, 0], [.25, .25, .25], [.25, .75, .75],
                      [.75, .25, .75], [.75, .75, .25]])
    cells = np.array([[i, j, k] for i in range(3) for j in range(3) for k in range(3)])
    pos = ((cells[:, None, :] + basis[None]) * a).reshape(-1, 3)
    L = 3 * a
    lines = ["diamond Si, written by hand", "", f"{len(pos)} atoms", "1 atom types", "",
             f"0 {L} xlo xhi", f"0 {L} ylo yhi", f"0 {L} zlo zhi", "", "Masses", "", "1 28.0855 # Si", "",
             "Atoms # atomic", ""] + [f"{i + 1} 1 {x:.8f} {y:.8f} {z:.8f}" for i, (x, y, z) in enumerate(pos)]
    data = tmp_path / "si.data"
    data.write_text("\n".join(lines) + "\n")
    return data, {"LAMMPSKIT_POTENTIALS": str(reg)}


def test_elastic_cli_reports_the_hand_computed_moduli_of_sw_silicon(sw_si):
    """The whole path (strain, relax, C from stresses, averages) against the literals of test_oracle_elastic_pure.py, 2 %."""
    data, env = sw_si
    r = cli("elastic", data, "--pot", "sw-si", "--strain", "0.005", "--json", env=env)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    for key, want in {"B_GPa": 101.4, "G_GPa": 47.88871, "E_GPa": 124.1256, "nu": 0.295980}.items():
        assert res[key] == pytest.approx(want, rel=0.02), (key, res[key])
