"""'finetune sevenn': a real SevenNet fine-tune (sevenn's trainer, in its own process) of 7net-0 on frames it has
not seen (labelled by CHGNet), with an energy reference hundreds of eV per atom away from MPtrj's (as CP2K/GTH
total energies are): the reference is absorbed into per-element offsets, the held-out force error drops (the
kit's audit, both models evaluated in their own processes), the model is registered with provenance and runs
through the bridge. Bad input: one error line, nothing registered."""

from __future__ import annotations

import json
import os
import sys

import pytest

from ..conftest import ROOT, assert_user_error, cli, processes_naming

# a made-up DFT reference, per atom (eV): CHGNet's energies moved by these, ~ -570 eV/atom on the glasses
OFFSETS = {"Na": -1310.0, "P": -190.0, "S": -290.0, "O": -430.0}
NAME = "ft-7net-test"


def _frames(n: int, x: float, seed: int) -> list:
    """``n`` random Na4P2S7-xOx cells of one formula unit (13 atoms), labelled by CHGNet, reference moved."""
    from lammpskit.structure import frames as xyz
    from tests import models as testing

    out = []
    for at in testing.labelled_frames("chgnet", n, fu=1, x=x, seed=seed):
        e, f, s = at.get_potential_energy(), at.get_forces(), at.get_stress(voigt=False)
        at = at.copy()
        at.calc = None
        xyz.store(at, e + sum(OFFSETS[el] for el in at.get_chemical_symbols()), f, s)
        out.append(at)
    return out


@pytest.fixture(scope="module")
def finetuned(home, tmp_path_factory):
    """Train: 8 frames (x = 0, 1, 2: the S and O offsets are told apart); valid: 1; held out: 3 at x = 3, a
    composition the training never saw. 'finetune sevenn' from 7net-0, 3 epochs."""
    import torch

    from lammpskit.structure import frames as xyz

    torch.set_num_threads(1)
    wd = tmp_path_factory.mktemp("ft7")
    train = _frames(3, 0.0, 0) + _frames(3, 1.0, 10) + _frames(3, 2.0, 20)
    xyz.write(wd / "train.xyz", train[:4] + train[5:])
    xyz.write(wd / "valid.xyz", [train[4]])
    xyz.write(wd / "held.xyz", _frames(3, 3.0, 30))
    r = cli("finetune", "sevenn", wd / "train.xyz", "--foundation", "7net-0", "--valid", wd / "valid.xyz",
            "--epochs", "3", "--batch", "2", "--name", NAME, "--out", wd / "run", "--json",
            env={"OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-3000:]
    return wd, json.loads(r.stdout)


def test_finetune_absorbs_the_reference_and_registers_with_provenance(finetuned, home):
    from lammpskit.potentials import registry as potentials

    wd, info = finetuned
    # the offsets (eV per atom) absorb the reference up to CHGNet's and 7net-0's own difference (well under
    # 1 eV/atom). Na4P2S7-xOx fixes Na:P:(S+O) = 4:2:7, so two combinations are determined: the sum over a
    # formula unit of Na4P2S7, and the O-for-S swap; the least-squares fit (minimum norm) spreads the rest
    off = info["offsets_eV"]
    assert set(off) == {"Na", "P", "S", "O"}
    fu = lambda o: 4 * o["Na"] + 2 * o["P"] + 7 * o["S"]
    assert abs(fu(off) - fu(OFFSETS)) < 13 * 1.0, (off, OFFSETS)
    assert abs((off["O"] - off["S"]) - (OFFSETS["O"] - OFFSETS["S"])) < 1.0, (off, OFFSETS)
    before, after = info["validation_first_last"]  # the starting model (7net-0 + offsets) and the fine-tuned one
    assert before["rmse_e_per_atom"] < 1.0 and after["rmse_e_per_atom"] < 1.0
    assert after["rmse_f"] < before["rmse_f"], (before, after)
    assert info["model"].endswith(f"run/{NAME}.pth") and info["files"][0]["path"] == info["model"]
    assert len(info["epoch_seconds"]) == 3 and all(t > 0 for t in info["epoch_seconds"])
    print(f"epoch seconds (8 frames of 13 atoms): {info['epoch_seconds']}; before {before}, after {after}")
    prov = json.loads(open(info["files"][0]["path"] + ".provenance.json").read())
    base = potentials.get("7net-0")
    assert prov["foundation_name"] == "7net-0"
    assert prov["foundation_sha256"] == base.spec("model").sha256
    assert len(prov["train_sha256"]) == 64 and prov["train_frames"] == 8 and prov["epochs"] == 3
    assert prov["reference_offsets_eV"] == off and len(prov["history"]) == 3
    pot = potentials.get(NAME)
    assert pot.family == "sevenn" and pot.bridge.calculator == "sevenn" and sorted(pot.elements) == sorted(OFFSETS)
    rows = {p["name"]: p for p in json.loads(cli("potentials", "list", "--json").stdout)}
    assert rows[NAME]["status"] == "ready" and rows[NAME]["how"] == "bridge", rows[NAME]


def test_held_out_force_error_drops_in_the_kits_audit(finetuned):
    """7net-0 and the fine-tuned model on 3 held-out frames of an unseen composition, against the labels."""
    wd, _ = finetuned
    r = cli("audit", wd / "held.xyz", "--pot", "7net-0", "--pot", NAME, "--reference", wd / "held.xyz", "--json",
            env={"OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout)["potentials"]
    base, ft = res["7net-0"], res[NAME]
    assert base["energy_rmse_eV_atom"] > 100  # the foundation knows nothing of the labels' reference
    assert ft["energy_rmse_eV_atom"] < 1.0  # absorbed, on a composition outside the training set too
    assert ft["force_rmse_eV_A"] < base["force_rmse_eV_A"], (base["force_rmse_eV_A"], ft["force_rmse_eV_A"])
    print(f"held-out force RMSE 7net-0 {base['force_rmse_eV_A']:.3f} -> {NAME} {ft['force_rmse_eV_A']:.3f} eV/Å; "
          f"energy {base['energy_rmse_eV_atom']:.1f} -> {ft['energy_rmse_eV_atom']:.3f} eV/atom")


def test_bad_input_is_one_error_line_and_registers_nothing(finetuned, home, tmp_path):
    from lammpskit.potentials import registry as potentials

    wd, _ = finetuned
    train = wd / "train.xyz"
    out = ["--out", tmp_path / "bad"]
    assert_user_error(cli("finetune", "sevenn", tmp_path / "none.xyz", "--name", "bad1", *out), "none.xyz")
    assert_user_error(cli("finetune", "sevenn", train, "--foundation", "no-such-pot", "--name", "bad2", *out),
                      "no-such-pot")
    assert_user_error(cli("finetune", "sevenn", train, "--epochs", "0", "--name", "bad3", *out), "--epochs")
    assert_user_error(cli("finetune", "sevenn", train, "--foundation", "chgnet", "--name", "bad4", *out),
                      "chgnet", "not SevenNet")
    assert_user_error(cli("finetune", "sevenn", train, "--foundation", "7net-mf-0-pbe", "--name", "bad5", *out),
                      "multi-fidelity")
    mf = potentials.get("7net-mf-0-r2scan").resolve_files(["model"])["model"]  # the same, as a checkpoint file
    assert_user_error(cli("finetune", "sevenn", train, "--foundation", mf, "--name", "bad6", *out), "multi-fidelity")
    assert_user_error(cli("finetune", "sevenn", train, "--foundation", train, "--name", "bad7", *out),
                      "not a sevenn model file")
    unlabelled = tmp_path / "bare.xyz"
    from ase.io import read, write

    bare = read(train, index=":2")
    for at in bare:
        at.info.pop("REF_stress")
    write(unlabelled, bare, format="extxyz")
    assert_user_error(cli("finetune", "sevenn", unlabelled, "--name", "bad8", *out), "stress")
    if not __import__("torch").cuda.is_available():
        assert_user_error(cli("finetune", "sevenn", train, "--device", "cuda", "--name", "bad9", *out), "cuda")
    names = {p["name"] for p in json.loads(cli("potentials", "list", "--json").stdout)}
    assert not names & {f"bad{k}" for k in range(1, 10)}


def test_a_killed_finetune_stops_its_training_and_registers_nothing(finetuned, home, tmp_path):
    """SIGTERM to 'finetune sevenn' (kill, a scheduler) stops the training child too: one error line, exit 1."""
    import signal
    import subprocess
    import time

    wd, _ = finetuned
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "lammpskit", "finetune", "sevenn", str(wd / "train.xyz"),
                             "--valid", str(wd / "valid.xyz"), "--epochs", "50", "--name", "killed", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    job = out.resolve() / "job.json"
    end = time.monotonic() + 240
    while not processes_naming(str(job)) and proc.poll() is None and time.monotonic() < end:
        time.sleep(0.5)
    assert processes_naming(str(job)), "the training child never started"
    time.sleep(3)  # well inside its training
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err[-2000:]
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error: ") and "stopped by SIGTERM" in lines[-1] and "Traceback" not in err, err
    end = time.monotonic() + 20
    while processes_naming(str(job)) and time.monotonic() < end:
        time.sleep(0.5)
    assert not processes_naming(str(job)), "the training child outlived its command"
    names = {p["name"] for p in json.loads(cli("potentials", "list", "--json").stdout)}
    assert "killed" not in names


def test_python_api_is_exported():
    import lammpskit as lk

    assert "finetune_sevenn" in lk.__all__ and callable(lk.finetune_sevenn)


@pytest.mark.slow  # a bridged SevenNet melt-quench of 26 atoms
def test_registered_model_quenches_through_the_bridge(finetuned, tmp_path):
    r = cli("quench", "--pot", NAME, "--x", "1", "--fu", "2", "--profile", "smoke",
            "--set", "t_melt=0.02", "--set", "quench_rate=100000", "--set", "t_anneal=0",
            "--set", "t_production=0.02", "--set", "min_steps=5", "--out", tmp_path / "q", "--json")
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout)
    assert res["potential"] == NAME and res["mode"] == "bridge" and res["bridge"]["calls"] > 20


@pytest.mark.slow  # the same fine-tune again, as a job of a real single-node SLURM cluster
def test_finetune_sevenn_as_a_slurm_job(finetuned, tmp_path):
    from ..slurm_cluster import Cluster, available, wait_for_job

    if available():
        pytest.fail(f"cannot start the test SLURM cluster: {available()}")
    wd, _ = finetuned
    site = tmp_path / "site.toml"
    # the job imports this checkout's kit, whichever checkout the venv's console script was installed from
    site.write_text(f'time = "00:20:00"\ncpus = 1\nsetup = ["export OMP_NUM_THREADS=1", "export PYTHONPATH={ROOT}"]\n')
    with Cluster(tmp_path / "slurm"):
        r = cli("finetune", "sevenn", wd / "train.xyz", "--valid", wd / "valid.xyz", "--epochs", "1", "--batch", "4",
                "--name", "ft-7net-slurm", "--slurm", site, "--out", tmp_path / "job", "--json")
        assert r.returncode == 0, r.stderr
        job = json.loads(r.stdout)["job"]
        script = (tmp_path / "job" / "job.sh").read_text()
        assert f"finetune sevenn {wd / 'train.xyz'}" in script and "--slurm" not in script
        state = wait_for_job(job, timeout=600)
        log = (tmp_path / "job" / f"slurm-{job}.out").read_text()
        assert state == "COMPLETED", log[-3000:]
    info = json.loads(cli("potentials", "show", "ft-7net-slurm", "--json").stdout)
    assert info["status"] == "ready", info
