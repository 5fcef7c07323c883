"""MSD and diffusion: recover a known D from a synthetic random walk; density from the log; Arrhenius."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from lammpskit.analysis import transport

from ..conftest import assert_user_error, cli


def random_walk_dump(path, d_a2_ps, dt_ps, frames=400, n=(200, 100), seed=0):
    """Gaussian random walk (variance 2 D dt per axis per frame) written with unwrapped xu yu zu."""
    rng = np.random.default_rng(seed)
    els = ["Na"] * n[0] + ["S"] * n[1]
    ds = np.array([d_a2_ps] * n[0] + [d_a2_ps / 10] * n[1])
    L = 20.0
    pos = rng.random((len(els), 3)) * L
    with open(path, "w") as fh:
        for f in range(frames):
            fh.write(f"ITEM: TIMESTEP\n{f * 10}\nITEM: NUMBER OF ATOMS\n{len(els)}\n"
                     f"ITEM: BOX BOUNDS pp pp pp\n0 {L}\n0 {L}\n0 {L}\nITEM: ATOMS id element xu yu zu\n")
            order = rng.permutation(len(els))  # unsorted ids
            fh.write("".join(f"{i + 1} {els[i]} {pos[i, 0]:.6f} {pos[i, 1]:.6f} {pos[i, 2]:.6f}\n" for i in order))
            pos += rng.normal(size=pos.shape) * np.sqrt(2 * ds * dt_ps)[:, None]
    return path


def test_recovers_the_diffusion_coefficient_of_a_random_walk(tmp_path):
    d = 0.05  # Å^2/ps
    dump = random_walk_dump(tmp_path / "rw.dump", d, dt_ps=0.01)  # 10 steps of 1 fs between frames
    r = cli("analyze", "msd", dump, "--dt", "1", "--temperature", "600", "--out", tmp_path / "o", "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["D"]["Na"]["D_A2_ps"] == pytest.approx(d, rel=0.1)
    assert res["D"]["S"]["D_A2_ps"] == pytest.approx(d / 10, rel=0.15)
    assert res["D"]["Na"]["D_cm2_s"] == pytest.approx(res["D"]["Na"]["D_A2_ps"] * 1e-4)
    # Nernst-Einstein by hand: n e^2 D / (kB T)
    n = 200 / (20.0**3 * 1e-24)
    sigma = n * (1.602176634e-19) ** 2 * res["D"]["Na"]["D_cm2_s"] / (1.380649e-23 * 600)
    assert res["conductivity_S_cm"]["Na"] == pytest.approx(sigma, rel=1e-6)
    assert (tmp_path / "o" / "msd.png").stat().st_size > 1000


@pytest.mark.parametrize("frames, atoms", [(2, 1), (3, 4), (257, 30)])
def test_fft_msd_equals_the_direct_average_over_origins(frames, atoms):
    """The O(T log T) MSD equals the direct loop over all lags and origins, far from the origin too."""
    rng = np.random.default_rng(frames)
    pos = 1e4 + np.cumsum(rng.normal(0, 0.3, (frames, atoms, 3)), axis=0)
    mask = np.arange(atoms) % 2 == 0
    assert transport.msd(pos, mask) == pytest.approx(transport.msd_direct(pos, mask), rel=1e-9, abs=1e-9)


def test_arrhenius_fit_recovers_the_activation_energy():
    ea, d0 = 0.35, 1e-3
    temps = [500, 600, 700, 800]
    ds = [d0 * math.exp(-ea / (8.617333262e-5 * t)) for t in temps]
    fit = transport.arrhenius(temps, ds)
    assert fit["Ea_eV"] == pytest.approx(ea, rel=1e-9) and fit["D0_cm2_s"] == pytest.approx(d0, rel=1e-9)


def test_msd_needs_dt_and_temperature_for_a_bare_dump(tmp_path):
    dump = random_walk_dump(tmp_path / "rw.dump", 0.05, 0.01, frames=5)
    r = cli("analyze", "msd", dump)
    assert r.returncode == 2 and r.stderr.startswith("error: a dump file needs --dt")


def test_density_from_the_log(tmp_path, user_pots):
    from ..conftest import FAST

    run = tmp_path / "r"
    assert cli("quench", "--pot", "tiny-mace", "--fu", "4", *FAST, "--out", run).returncode == 0
    res = json.loads(cli("density", run, "--json").stdout)["density_g_cm3"]
    assert res == json.loads((run / "result.json").read_text())["density_g_cm3"]
    assert 0.5 < res["mean"] < 6 and 0 < res["err"] < 0.5 * res["mean"] and res["n"] >= 2, res
    msd = cli("analyze", "msd", run, "--json")
    assert msd.returncode == 0, msd.stderr
    assert set(json.loads(msd.stdout)["D"]) == {"Na", "P", "S"}  # x = 0: no O
    log = run / "log.lammps"
    log.write_text(log.read_text().replace("Density", "Dens1ty"))
    assert_user_error(cli("density", run), "no Density thermo column")


def test_arrhenius_launches_runs_and_fits(tmp_path):
    """An LJ liquid heated to three temperatures: D grows with T and Ea > 0 (native runs launched by the kit)."""
    reg = tmp_path / "reg"
    reg.mkdir()
    (reg / "lj-test.toml").write_text('name = "lj-test"\nfamily = "classical"\n[native]\npair_style = "lj/cut 6.0"\n'
                                      'pair_coeff = "* * 0.01 2.6"\nstyles = ["lj/cut"]\n')
    env = {"LAMMPSKIT_POTENTIALS": str(reg)}
    from ..conftest import FAST

    run = tmp_path / "g"
    assert cli("quench", "--pot", "lj-test", "--fu", "8", *FAST, "--out", run, env=env).returncode == 0
    r = cli("arrhenius", run, "--temperatures", "150,300,600", "--ps", "4", "--equil", "1", "--every", "20",
            "--json", env=env)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["D_cm2_s"] == sorted(res["D_cm2_s"]) and res["Ea_eV"] > 0
    assert (run / "diffusion-300K" / "result.json").exists()
    bad = cli("arrhenius", run, "--temperatures", "300", env=env)
    assert bad.returncode == 2 and "at least two" in bad.stderr
