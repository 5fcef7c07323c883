"""Oracles for the elastic moduli, the in-process part: hand-computed B, G, E, nu from C matrices typed here."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.fast


def test_isotropic_c_from_e_and_nu_gives_them_back():
    """E = 70 GPa, nu = 0.25: lambda = E nu/((1+nu)(1-2nu)) = 28, mu = E/(2(1+nu)) = 28,
    C11 = lambda + 2 mu = 84, C12 = 28, C44 = 28; B = lambda + 2mu/3 = 46.667, G = 28."""
    from lammpskit.analysis import elasticity as elastic

    C = np.zeros((6, 6))
    C[:3, :3] = 28.0
    C[[0, 1, 2], [0, 1, 2]] = 84.0
    C[[3, 4, 5], [3, 4, 5]] = 28.0
    m = elastic.moduli(C)
    for key, want in {"B": 46.666667, "G": 28.0, "E": 70.0, "nu": 0.25, "B_voigt": 46.666667, "B_reuss": 46.666667,
                      "G_voigt": 28.0, "G_reuss": 28.0, "zener_ratio": 1.0}.items():
        assert m[key] == pytest.approx(want, abs=1e-5), (key, m[key])


def test_cubic_silicon_constants_give_the_hand_computed_hill_moduli():
    """Stillinger-Weber Si, C11 151.4, C12 76.4, C44 56.4 GPa. By hand (cubic closed forms):
    B = (C11 + 2 C12)/3 = 101.4 (Voigt = Reuss); G_V = (C11 - C12 + 3 C44)/5 = 48.84;
    G_R = 5 (C11 - C12) C44 / (4 C44 + 3 (C11 - C12)) = 21150/450.6 = 46.93742;
    G = (48.84 + 46.93742)/2 = 47.88871; E = 9 B G/(3 B + G) = 124.1256; nu = (3B - 2G)/(2(3B + G)) = 0.295980;
    Zener A = 2 C44/(C11 - C12) = 1.504."""
    from lammpskit.analysis import elasticity as elastic

    C = np.zeros((6, 6))
    C[:3, :3] = 76.4
    C[[0, 1, 2], [0, 1, 2]] = 151.4
    C[[3, 4, 5], [3, 4, 5]] = 56.4
    m = elastic.moduli(C)
    for key, want in {"B": 101.4, "B_voigt": 101.4, "B_reuss": 101.4, "G_voigt": 48.84, "G_reuss": 46.93742,
                      "G": 47.88871, "E": 124.1256, "nu": 0.295980, "zener_ratio": 1.504}.items():
        assert m[key] == pytest.approx(want, abs=1e-4), (key, m[key])


def test_orthotropic_compliance_gives_the_hand_computed_reuss_bounds():
    """An orthotropic solid from engineering constants (GPa): E1 50, E2 80, E3 120, nu12 0.2, nu13 0.3,
    nu23 0.25, G23 30, G13 25, G12 20. Compliance S11 = 1/E1 = 0.02, S22 = 0.0125, S33 = 1/120,
    S12 = -nu12/E1 = -0.004, S13 = -nu13/E1 = -0.006, S23 = -nu23/E2 = -0.003125, S44 = 1/30, S55 = 1/25,
    S66 = 1/20. Reuss: 1/B_R = S11+S22+S33 + 2(S12+S13+S23) = 0.0408333 - 0.02625 = 0.0145833 -> B_R = 68.5714;
    15/G_R = 4(0.0408333) - 4(-0.013125) + 3(0.0333333 + 0.04 + 0.05) = 0.215833 + 0.37 = 0.585833
    -> G_R = 25.6046. Every Voigt index differs here, so a swapped index changes a number."""
    from lammpskit.analysis import elasticity as elastic

    S = np.zeros((6, 6))
    S[0, 0], S[1, 1], S[2, 2] = 1 / 50, 1 / 80, 1 / 120
    S[0, 1] = S[1, 0] = -0.2 / 50
    S[0, 2] = S[2, 0] = -0.3 / 50
    S[1, 2] = S[2, 1] = -0.25 / 80
    S[3, 3], S[4, 4], S[5, 5] = 1 / 30, 1 / 25, 1 / 20
    C = np.linalg.inv(S)
    m = elastic.moduli(C)
    assert m["B_reuss"] == pytest.approx(68.5714, abs=1e-3)
    assert m["G_reuss"] == pytest.approx(25.6046, abs=1e-3)
    # Voigt bounds lie above Reuss bounds (Hill 1952), Hill is their mean
    assert m["B_voigt"] > m["B_reuss"] and m["G_voigt"] > m["G_reuss"]
    assert m["B"] == pytest.approx((m["B_voigt"] + m["B_reuss"]) / 2)
    # Voigt shear from the shear diagonal: C44 = 30, C55 = 25, C66 = 20 exactly for an orthotropic solid
    assert np.allclose(np.diag(C)[3:], [30, 25, 20])
