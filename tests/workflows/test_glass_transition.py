"""Tg from the NPT quench: a synthetic cooling curve with a known kink, and a real Kob-Andersen LJ glass."""

from __future__ import annotations

import json

from ..conftest import KA_ARGS, cli, ka_env


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
