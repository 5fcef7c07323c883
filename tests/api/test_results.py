"""Typed results: lk.elastic and lk.run give the dataclasses whose to_dict() is the CLI's --json."""

from __future__ import annotations

import json

import pytest

import lammpskit as lk

from ..conftest import FAST, LJ, cli, sw_si_registry
from ..workflows.test_elastic import si_data


@pytest.fixture()
def registry(tmp_path, monkeypatch):
    reg = sw_si_registry(tmp_path / "reg")
    (reg / "lj-test.toml").write_text(LJ.format(name="lj-test", eps=0.05))
    monkeypatch.setenv("LAMMPSKIT_POTENTIALS", str(reg))
    return {"LAMMPSKIT_POTENTIALS": str(reg)}


def test_lk_elastic_and_lk_run_return_typed_results_equal_to_the_cli_json(tmp_path, registry):
    data = si_data(tmp_path / "si.data")
    res = lk.elastic(data, pot="sw-si", out=tmp_path / "el")
    assert isinstance(res, lk.ElasticResult)
    # Stillinger-Weber Si, relaxed at 0 K: B = (C11 + 2 C12) / 3 with C11 151.4, C12 76.4 GPa (LAMMPS examples/ELASTIC)
    assert res.B_GPa == pytest.approx((151.4 + 2 * 76.4) / 3, rel=0.02) and res.C_GPa[3][3] == pytest.approx(56.4, rel=0.02)
    assert res.to_dict()["B_GPa"] == res.B_GPa and "B" not in res.to_dict()

    r = cli("elastic", data, "--pot", "sw-si", "--out", tmp_path / "el", "--json", env=registry)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == res.to_dict()

    again = lk.run(tmp_path / "el")  # finished: the recorded result, typed by the run's protocol
    assert isinstance(again, lk.ElasticResult) and again.to_dict() == res.to_dict()
    r = cli("run", tmp_path / "el", "--json", env=registry)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == again.to_dict() == lk.ElasticResult.from_directory(tmp_path / "el").to_dict()


def test_lk_run_of_a_quench_is_a_quench_result_equal_to_the_cli_json(tmp_path, registry):
    run = tmp_path / "glass"
    r = cli("quench", "--pot", "lj-test", "--x", "1", "--fu", "4", *FAST, "--out", run, "--json", env=registry)
    assert r.returncode == 0, r.stderr
    printed = json.loads(r.stdout)
    res = lk.run(run)
    assert isinstance(res, lk.QuenchResult) and res.to_dict() == printed
    assert res.atoms == printed["atoms"] and res.density_g_cm3 == printed["density_g_cm3"]["mean"]
    assert res.glass_data == run / "glass.data" and res.glass_data.is_file()


def test_an_equilibration_names_its_unit_and_the_old_name_still_works(tmp_path):
    """lk.elastic's equilibration is equil_steps (MD steps), lk.arrhenius's equil_ps (ps); the CLI keeps --equil."""
    with pytest.raises(lk.UserError, match=r"^equil_steps must be >= 0") as err:
        lk.elastic(tmp_path / "glass", method="dynamic", equil_steps=-1)
    assert "--" not in str(err.value)
    r = cli("elastic", tmp_path / "glass", "--method", "dynamic", "--equil", "-1")
    assert r.returncode == 2 and "--equil must be >= 0" in r.stderr, r.stderr
    with pytest.warns(DeprecationWarning, match="equil_steps"), pytest.raises(lk.UserError, match="equil_steps"):
        lk.elastic(tmp_path / "glass", equil=-1)
    with pytest.warns(DeprecationWarning, match="equil_ps"), pytest.raises(lk.UserError):
        lk.arrhenius(tmp_path / "glass", [600, 700], equil=5.0)
    with pytest.raises(TypeError, match="equilibrate"):
        lk.arrhenius(tmp_path / "glass", [600, 700], equilibrate=5.0)
