"""Compositions: formula parser, the Na4P2S7-xOx series, sizes and the density estimate."""

from __future__ import annotations

from fractions import Fraction

import pytest

from lammpskit.errors import UserError
from lammpskit.structure import composition

pytestmark = pytest.mark.fast


@pytest.mark.parametrize("text,expected", [
    ("Na3PS4", {"Na": 3, "P": 1, "S": 4}),
    ("NaPO3", {"Na": 1, "P": 1, "O": 3}),
    ("Li7P3S11", {"Li": 7, "P": 3, "S": 11}),
    ("75Na2S·25P2S5", {"Na": 3, "P": 1, "S": 4}),
    ("67Na2S*33P2S5", {"Na": 67, "P": 33, "S": 116}),
    ("0.7Li2S+0.3P2S5", {"Li": 7, "P": 3, "S": 11}),
    ("Ca(OH)2", {"Ca": 1, "O": 2, "H": 2}),
])
def test_parse_formula(text, expected):
    assert composition.parse_formula(text) == {k: Fraction(v) for k, v in expected.items()}


@pytest.mark.parametrize("bad", ["Xx2", "Na3PS4)", "(Na", "2", "na3ps4", ""])
def test_parse_formula_errors(bad):
    with pytest.raises(UserError):
        composition.parse_formula(bad)


@pytest.mark.parametrize("x", [0, 0.5, 1.5, 3.5, 7])
def test_series_counts(x):
    c = composition.make(x, fu=8)
    assert c.counts == {"Na": 32, "P": 16, "S": int(8 * (7 - x)), "O": int(8 * x)}
    assert c.natoms == 104


def test_non_integer_size_names_nearest_valid_sizes():
    with pytest.raises(UserError, match=r"multiple of 4.*fu=4 \(52 atoms\) or fu=8 \(104 atoms\)"):
        composition.make(0.25, fu=6)


def test_atoms_picks_nearest_valid_size():
    c = composition.make(1.5, atoms=1000)
    assert c.fu % 2 == 0 and abs(c.natoms - 1000) <= 13
    assert composition.make(0, atoms=1).fu == 1


@pytest.mark.parametrize("x", [-0.1, 7.5])
def test_x_out_of_range(x):
    with pytest.raises(UserError, match="^x must be"):
        composition.make(x, fu=2)


def test_density_estimate_is_overridable_and_monotonic():
    rho = [composition.make(x, fu=4).density_estimate() for x in composition.SERIES_X]
    assert all(1.8 < r < 2.6 for r in rho) and rho == sorted(rho)  # O is lighter per volume than S
    c = composition.make(0, fu=4)
    assert c.density_estimate({"S": 40.0}) < c.density_estimate()
    # Na4P2O7 crystal is one of the fitted references (2.534 g/cm^3)
    assert composition.make(7, fu=1).density_estimate() == pytest.approx(2.534, rel=0.05)
    L = c.box_length(2.0)
    assert c.mass / (composition.AVOGADRO * L**3) == pytest.approx(2.0)
