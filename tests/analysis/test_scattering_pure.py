"""g(r), S(Q), G(r), bond angles and cutoff proposals on structures with known answers, the in-process part."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lammpskit.analysis import angles, cutoffs, reader, scattering
from lammpskit.lammps import dumps as dumpfile

from .. import known_units

pytestmark = pytest.mark.fast


def dump(tmp_path, els, pos, cell, name="s.dump"):
    path = tmp_path / name
    dumpfile.write(path, [(0, np.arange(1, len(els) + 1), els, pos, cell, np.zeros(3))])
    return path


def cubic_lattice(a=3.0, n=8, el="Na"):
    g = np.arange(n) * a
    pos = np.array(np.meshgrid(g, g, g, indexing="ij")).reshape(3, -1).T + 0.1
    return [el] * len(pos), pos, np.diag([a * n] * 3)


def test_form_factors_start_at_the_atomic_number():
    for el, z in (("Li", 3), ("O", 8), ("Na", 11), ("P", 15), ("S", 16)):
        assert scattering.form_factor(el, np.zeros(1))[0] == pytest.approx(z, abs=0.01)
        assert scattering.form_factor(el, np.array([10.0]))[0] < z / 2


def test_rdf_of_a_simple_cubic_lattice(tmp_path):
    els, pos, cell = cubic_lattice()
    p = reader.open_pipeline(dump(tmp_path, els, pos, cell))
    rdf = scattering.partial_rdf(p, [0], cutoff=6.0, bins=600)
    r, g = rdf["r"], rdf["partials"]["Na-Na"]
    dr = r[1] - r[0]
    first = r < 3.5
    cn = 4 * math.pi * rdf["rho"] * np.sum(r[first] ** 2 * g[first]) * dr
    assert cn == pytest.approx(6.0, rel=0.01)  # six nearest neighbours at a
    assert r[np.argmax(g > 0)] == pytest.approx(3.0, abs=0.02)  # nothing closer than a
    assert 3.0 < scattering.propose_cutoffs(rdf, pairs=("Na-Na",))["Na-Na"] < 3.0 * math.sqrt(2)
    # one element: neutron and X-ray totals are the partial itself
    q = np.linspace(1, 15, 50)
    sq = scattering.total_sq(rdf, q)
    assert np.allclose(sq["neutron"], scattering.partial_sq(rdf, q)["Na-Na"])
    assert np.allclose(sq["neutron"], sq["xray"])


def test_sq_of_an_ideal_gas_is_one(tmp_path):
    rng = np.random.default_rng(0)
    L = 30.0
    els = ["Na"] * 1500 + ["S"] * 1500
    # an ideal gas has overlapping points by design: no overlap check (real structures get one)
    p = reader.open_pipeline(dump(tmp_path, els, rng.random((3000, 3)) * L, np.diag([L] * 3)), overlap=None)
    rdf = scattering.partial_rdf(p, [0], cutoff=10.0, bins=200)
    q = np.linspace(2, 20, 100)
    for total in scattering.total_sq(rdf, q).values():
        assert np.all(np.abs(total - 1) < 0.05)
    gr = scattering.total_gr(rdf)
    assert np.abs(gr["g_neutron"][rdf["r"] > 2] - 1).mean() < 0.05


def test_angles_of_known_units(tmp_path):
    els, pos, cell = known_units.assemble([known_units.ps4(), known_units.dimer("S"), known_units.dimer("O")])
    p = reader.open_pipeline(dump(tmp_path, els, pos, cell))
    d = angles.distributions(p, [0], cutoffs.DEFAULTS)
    assert d["counts"]["S-P-S"] == 6 + 2 * 6 + 2 * 3  # PS4: 6; each P of P2S7: 6; each P of P2S6O: 3
    assert d["counts"]["S-P-O"] == 6 and d["counts"]["P-S-P"] == 1 and d["counts"]["P-O-P"] == 1
    data = p.compute(0)
    from lammpskit.analysis.units import frame_bonds

    a = angles.frame_angles(data, frame_bonds(data, cutoffs.DEFAULTS, {}), reader.type_names(data))
    assert np.allclose(a["P-S-P"], 120.0, atol=1e-6) and np.allclose(a["P-O-P"], 120.0, atol=1e-6)
    assert np.allclose(np.sort(a["S-P-S"])[:6], 109.47, atol=0.05)
