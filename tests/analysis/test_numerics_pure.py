"""Fast tier: the numerics of lammpskit.analysis against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lammpskit.analysis import checks, elasticity, statistics
from lammpskit.analysis.errors import InputError

pytestmark = pytest.mark.fast


def isotropic_c(lam: float, mu: float) -> np.ndarray:
    """C (GPa) of an isotropic solid with Lamé constants lam, mu."""
    C = np.zeros((6, 6))
    C[:3, :3] = lam
    C[np.arange(3), np.arange(3)] = lam + 2 * mu
    C[np.arange(3, 6), np.arange(3, 6)] = mu
    return C


def test_moduli_of_an_isotropic_tensor_match_the_lame_formulas():
    # lam = 20, mu = 10 GPa: B = lam + 2mu/3 = 26.667, G = 10, E = mu(3lam+2mu)/(lam+mu) = 26.667,
    # nu = lam / (2 (lam + mu)) = 1/3
    m = elasticity.moduli(isotropic_c(20.0, 10.0))
    assert m["B"] == pytest.approx(80 / 3) and m["B_voigt"] == pytest.approx(m["B_reuss"])
    assert m["G"] == pytest.approx(10.0) and m["G_voigt"] == pytest.approx(m["G_reuss"])
    assert m["E"] == pytest.approx(80 / 3)
    assert m["nu"] == pytest.approx(1 / 3)
    assert m["zener_ratio"] == pytest.approx(1.0)


def test_voigt_and_reuss_bounds_of_a_cubic_crystal():
    # cubic C11 = 165.7, C12 = 63.9, C44 = 79.6 GPa (silicon): B_V = B_R = (C11 + 2 C12)/3 = 97.833;
    # G_V = (C11 - C12 + 3 C44)/5 = 68.12; G_R = 5 (C11 - C12) C44 / (4 C44 + 3 (C11 - C12)) = 66.516
    C = np.zeros((6, 6))
    C[:3, :3] = 63.9
    C[np.arange(3), np.arange(3)] = 165.7
    C[np.arange(3, 6), np.arange(3, 6)] = 79.6
    m = elasticity.moduli(C)
    assert m["B_voigt"] == pytest.approx(97.8333, abs=1e-3) and m["B_reuss"] == pytest.approx(97.8333, abs=1e-3)
    assert m["G_voigt"] == pytest.approx(68.12, abs=1e-3)
    assert m["G_reuss"] == pytest.approx(5 * 101.8 * 79.6 / (4 * 79.6 + 3 * 101.8), abs=1e-3)
    assert m["zener_ratio"] == pytest.approx(2 * 79.6 / 101.8)


def test_isotropy_finds_the_anisotropic_entry():
    C = isotropic_c(20.0, 10.0)
    assert elasticity.isotropy(C, None)["max_dev_GPa"] == pytest.approx(0, abs=1e-12)
    C[3, 3] += 3.0   # C44 off by 3 GPa; the nearest isotropic tensor absorbs part of it
    iso = elasticity.isotropy(C, np.full((6, 6), 0.1))
    assert 1.0 < iso["max_dev_GPa"] <= 3.0
    assert iso["isotropic_within_error"] is False
    assert elasticity.isotropy(C, np.full((6, 6), 10.0))["isotropic_within_error"] is True


def test_moduli_errors_vanish_without_errors_and_grow_with_them():
    C = isotropic_c(20.0, 10.0)
    small = elasticity.moduli_errors(C, np.full((6, 6), 0.01))
    big = elasticity.moduli_errors(C, np.full((6, 6), 1.0))
    assert all(0 < small[k] < big[k] for k in ("B_err", "G_err", "E_err", "nu_err"))


def test_block_average_by_hand():
    # 10 values, 5 blocks of 2: block means 1.5, 3.5, 5.5, 7.5, 9.5; mean 5.5;
    # var of block means = sum((m - 5.5)^2) / 4 = (16+4+0+4+16)/4 = 10; err = sqrt(10/5)
    r = statistics.block_average([float(v) for v in range(1, 11)], 5)
    assert r["mean"] == pytest.approx(5.5) and r["blocks"] == 5 and r["n"] == 10
    assert r["err"] == pytest.approx(math.sqrt(2.0))
    short = statistics.block_average([1.0, 2.0, 3.0], 5)   # each value its own block: plain SEM
    assert short["blocks"] == 3 and short["err"] == pytest.approx(1 / math.sqrt(3))
    assert math.isnan(statistics.block_average([4.0])["err"])


@pytest.mark.parametrize("values, expected", [
    ({"P-S": 2.6}, {frozenset(("P", "S")): 2.6}),
    ({"Na-Na": 1.9, ("S", "O"): 1.5}, {frozenset(("Na",)): 1.9, frozenset(("S", "O")): 1.5}),
    ({frozenset(("S",)): 2}, {frozenset(("S",)): 2.0}),
    ({}, {}),
    (None, {}),
])
def test_pairs(values, expected):
    assert checks.pairs(values, "cutoffs", "{'P-S': 2.6}") == expected


@pytest.mark.parametrize("bad, needle", [
    ({"PS": 2}, "cutoffs['PS']: expected an element pair"), ({"P-Xx": 2}, "cutoffs['P-Xx']: 'Xx' is not an element"),
    ({"P-S": "abc"}, "cutoffs['P-S'] must be a number"), ({"P-S": -1}, "must be in (0, 10]"),
    ({"P-S": float("nan")}, "must be in (0, 10]"), ({"P-S-O": 2}, "expected an element pair"),
    ({"P-S": True}, "must be a distance"), (["P-S=2.6"], "cutoffs must be a dict"),
])
def test_pair_errors(bad, needle):
    with pytest.raises(InputError) as err:
        checks.pairs(bad, "cutoffs", "{'P-S': 2.6}")
    assert needle in str(err.value)


def test_first_minimum_of_a_noisy_g_is_after_the_peak_not_inside_it():
    """A Na-S-like first shell at 2.9 Å (minimum 3.6 Å) with a noise spike on its rising edge and noise on top:
    the proposal is the minimum after the peak, never a dip inside it; pure noise gets no proposal."""
    from lammpskit.analysis import scattering

    r = np.linspace(0.01, 6.0, 600)
    g = 2.5 * np.exp(-0.5 * ((r - 2.9) / 0.2) ** 2) + np.where(r > 3.5, 1 - 0.5 * np.exp(-(r - 3.6) ** 2 / 0.02), 0)
    g[r < 2.2] = 0
    g[np.searchsorted(r, 2.45)] += 3.0  # a spike on the rising edge (a small sample)
    g += np.random.default_rng(0).normal(0, 0.08, r.size) * (g > 0)
    value, why = scattering.first_minimum(r, g)
    assert why == "" and 3.3 < value < 3.9, (value, why)
    noise = np.abs(np.random.default_rng(1).normal(1, 0.4, r.size))
    value, why = scattering.first_minimum(r, noise)
    assert value is None and "too noisy" in why
    rdf = {"r": r, "partials": {"Na-S": g, "P-S": noise}}
    assert set(scattering.propose_cutoffs(rdf)) == {"Na-S"} and set(scattering.cutoff_notes(rdf)) == {"P-S"}


def test_q_below_half_the_box_is_not_resolved():
    from lammpskit.analysis import scattering

    rdf = {"r": np.linspace(0.01, 6, 10), "half_box_A": 6.0}
    assert scattering.q_resolved(rdf) == pytest.approx(2 * math.pi / 6.0)


def test_a_caged_msd_is_flagged_and_a_diffusive_one_is_not():
    from lammpskit.analysis import transport

    t = np.linspace(0.1, 100, 200)
    diffusive = transport.fit_d(t, 6 * 0.05 * t)   # D = 0.05 Å^2/ps
    assert diffusive["D_A2_ps"] == pytest.approx(0.05) and diffusive["msd_exponent"] == pytest.approx(1.0)
    assert diffusive["problems"] == []
    caged = transport.fit_d(t, 2.0 * t ** 0.2)     # a plateau: MSD ~ t^0.2
    assert caged["msd_exponent"] == pytest.approx(0.2, abs=0.01)
    assert any("not diffusive" in p for p in caged["problems"])
    assert any("not positive" in p for p in transport.fit_d(t, 5.0 - 0.001 * t)["problems"])
    rattling = transport.fit_d(t / 100, 6 * 0.05 * t / 100)  # linear, but 0.24 Å^2 after 0.8 ps: vibration
    assert rattling["msd_exponent"] == pytest.approx(1.0)
    assert [p for p in rattling["problems"] if "rattle in their sites" in p] == rattling["problems"] != []


def test_a_density_the_composition_does_not_allow_is_named():
    from lammpskit.structure import composition
    from lammpskit.workflows.quench import density_problems

    comp = composition.Composition.from_dict(composition.make(0, fu=8).as_dict())  # as run.json holds it
    est = composition.make(0, fu=8).density_estimate()
    assert comp == composition.make(0, fu=8)
    assert density_problems(est, comp) == []
    assert "outside what Na4P2S7 allows" in density_problems(0.3 * est, comp)[0]
    assert density_problems(2.0 * est, comp)


@pytest.mark.parametrize("bad", [{"label": "x"}, {"formula_unit": {"Na": "4"}, "formula_units": 2},
                                 {"formula_unit": {"Xx": 1}, "formula_units": 2},
                                 {"formula_unit": {"Na": 1}, "formula_units": 0}])
def test_a_shared_run_s_composition_is_checked(bad):
    from lammpskit.errors import UserError
    from lammpskit.structure import composition

    with pytest.raises(UserError):
        composition.Composition.from_dict(bad)
