"""Tg from the NPT quench, the in-process part: the fit on a synthetic cooling curve with a known kink."""

from __future__ import annotations

import numpy as np
import pytest

from lammpskit.analysis import glass_transition as gt
from lammpskit.analysis.errors import InputError

pytestmark = pytest.mark.fast


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fit_finds_the_known_kink_within_its_error(seed):
    """V = 100 + 0.002 (T - 700) below, 100 + 0.008 (T - 700) above, plus noise: Tg = 700 K within its error."""
    rng = np.random.default_rng(seed)
    T = np.linspace(1500, 300, 300)
    V = 100 + np.where(T < 700, 0.002, 0.008) * (T - 700) + rng.normal(0, 0.08, T.size)
    res = gt.fit(T, V)
    assert abs(res["Tg"] - 700) <= 2 * res["Tg_err"], res
    assert 1 < res["Tg_err"] < 60
    assert res["slope_glass"] == pytest.approx(0.002, abs=5e-4)
    assert res["slope_liquid"] == pytest.approx(0.008, abs=5e-4)
    assert np.allclose(gt.lines(res, [res["Tg"]]), res["a"])  # the lines meet at Tg


def test_fit_error_grows_with_noise_and_refuses_too_few_points():
    T = np.linspace(1500, 300, 300)
    clean = 100 + np.where(T < 900, 0.002, 0.006) * (T - 900)
    errs = [gt.fit(T, clean + np.random.default_rng(0).normal(0, s, T.size))["Tg_err"] for s in (0.01, 0.3)]
    assert errs[0] < errs[1]
    with pytest.raises(InputError, match="at least 8 points"):
        gt.fit([1, 2, 3], [1, 2, 3])
