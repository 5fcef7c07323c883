"""Tg from the NPT quench: a synthetic cooling curve with a known kink, and a real Kob-Andersen LJ glass."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lammpskit.analysis import glass_transition as gt
from lammpskit.analysis.errors import InputError

from ..conftest import KA_ARGS, cli, ka_env


@pytest.mark.fast
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


@pytest.mark.fast
def test_fit_error_grows_with_noise_and_refuses_too_few_points():
    T = np.linspace(1500, 300, 300)
    clean = 100 + np.where(T < 900, 0.002, 0.006) * (T - 900)
    errs = [gt.fit(T, clean + np.random.default_rng(0).normal(0, s, T.size))["Tg_err"] for s in (0.01, 0.3)]
    assert errs[0] < errs[1]
    with pytest.raises(InputError, match="at least 8 points"):
        gt.fit([1, 2, 3], [1, 2, 3])


def test_npt_quench_of_a_lj_glass_reports_tg(tmp_path):
    """A Kob-Andersen glass (eps_AA = 0.5 eV) quenched at 1 eps/sigma^3 (75 kbar): liquid and glass lines, Tg between."""
    env = ka_env(tmp_path)
    run = tmp_path / "ka"
    r = cli("quench", *KA_ARGS, "--fu", "50", "--set", "dt=1",
            "--set", "T_melt=6000", "--set", "t_melt=2", "--set", "quench_rate=1500",
            "--set", "quench_ensemble=npt", "--set", "P=75000", "--set", "Pdamp=0.2", "--set", "t_anneal=1",
            "--set", "t_production=0.5",
            "--set", "thermo_every=10", "--set", "restart_every=1000", "--json", "--out", run, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads((run / "result.json").read_text())
    assert 800 < res["Tg_K"] < 5500 and 0 < res["Tg_err_K"] < 1500, res
    assert 800 < res["Tg_enthalpy_K"] < 5500
    fit = res["Tg_fit"]
    # a liquid expands faster with T than its glass
    assert fit["slope_liquid"] > fit["slope_glass"] > 0, fit
    png = run / "tg.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10000
