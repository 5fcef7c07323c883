"""Rendered run directories: stage step ranges, deck text, manifest; packaging of templates."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from lammpskit.workflows import protocol

from ..conftest import ROOT, cli


def test_stage_steps_follow_the_parameters():
    p = protocol.profile("paper")
    st = {s.name: s for s in protocol.stages(p)}
    assert p.dt == 1.0 and p.quench_rate == 10.0
    assert st["melt"].end - st["melt"].begin == 50_000  # 50 ps at 1 fs
    assert st["quench"].end - st["quench"].begin == 120_000  # 1200 K at 10 K/ps = 120 ps
    assert st["quench"].T0 == 1500 and st["quench"].T1 == 300
    assert [s.name for s in protocol.stages(p)] == ["minimize", "melt", "quench", "anneal", "production"]
    q = p.with_overrides(["t_anneal=0"])
    assert "anneal" not in [s.name for s in protocol.stages(q)]


def test_rendered_directory(tmp_path, user_pots):
    out = tmp_path / "r"
    r = cli("render", "--pot", "tiny-mace", "--x", "1", "--fu", "2", "--seed", "9", "--set", "quench_ensemble=npt",
            "--set", "dump_velocities=true", "--out", out, "--json")
    assert r.returncode == 0, r.stderr
    man = json.loads(r.stdout)
    assert man["state"] == "rendered" and man["seed"] == 9 and man["potential"]["mode"] == "bridge"
    assert len(man["potential"]["files"]["model"]["sha256"]) == 64
    files = {p.name for p in out.iterdir()}
    assert {"in.quench.lmp", "data.lmp", "potential.lmp", "run.json", "restart"} <= files
    deck = (out / "in.quench.lmp").read_text()
    for s in man["stages"]:
        assert f"include         {s['file']}" in deck
    quench = (out / "stage.3-quench.lmp").read_text()
    assert "fix             lk_md all npt temp 1500.0 300.0 0.1 iso 0.0 0.0 1.0" in quench
    prod = (out / "stage.5-production.lmp").read_text()
    assert "id element x y z vx vy vz" in prod and "dump_modify     lk_dump element Na P S O sort id" in prod
    pot = (out / "potential.lmp").read_text()
    assert "fix             lk_bridge all external pf/callback 1 1" in pot
    assert "# Na" in (out / "data.lmp").read_text()


def test_deck_is_accepted_by_lammps_up_to_the_first_run(tmp_path, user_pots):
    """Every line the deck and stage files hold, up to MD, parsed and executed by the real LAMMPS."""
    from lammpskit.lammps import env as lammps_env

    out = tmp_path / "d"
    assert cli("render", "--pot", "tiny-mace", "--fu", "2", "--set", "min_steps=0", "--out", out).returncode == 0
    lmp = lammps_env.new_lammps()
    import os

    cwd = os.getcwd()
    os.chdir(out)
    try:
        for line in (out / "in.quench.lmp").read_text().splitlines():
            if line.startswith("include") and "stage." in line:
                break
            if line.strip() and not line.startswith("#"):
                lmp.command(line)
        for line in (out / "stage.2-melt.lmp").read_text().splitlines():
            if line.startswith("run"):
                break
            if line.strip() and not line.startswith("#"):
                lmp.command(line)
    finally:
        os.chdir(cwd)
    assert lmp.get_natoms() == 26
    lmp.close()


@pytest.mark.slow
def test_wheel_ships_templates_and_potentials(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(tmp_path), str(ROOT)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    wheel = next(tmp_path.glob("lammpskit_glass-*.whl"))  # the distribution name (lammpskit is taken on PyPI)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "lammpskit/_data/templates/quench/deck.lmp.j2" in names
    assert "lammpskit/_data/templates/report/report.html.j2" in names and "lammpskit/reference/na4p2s7-xox.csv" in names
    assert "lammpskit/_data/potentials/chgnet.toml" in names
    assert "lammpskit/analysis/units.py" in names and "lammpskit/analysis/errors.py" in names
    assert not any(n.startswith("analysis/") for n in names)  # no generic top-level import name
