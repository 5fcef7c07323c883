"""The fine-tuning loop from the CLI alone: quench -> sample -> label (CHGNet) -> train -> register -> quench."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ..conftest import FAST, assert_user_error, cli


@pytest.fixture(scope="module")
def labelled(tmp_path_factory, user_pots):
    """Two quenched glasses (x = 0, 1.5) with tiny-mace; 24 diverse frames labelled by CHGNet; train/valid."""
    wd = tmp_path_factory.mktemp("ft")
    home = wd / "home"
    os.environ["LAMMPSKIT_HOME"] = str(home)
    runs = []
    for x in ("0", "1.5"):
        run = wd / f"glass-x{x}"
        r = cli("quench", "--pot", "tiny-mace", "--x", x, "--fu", "4", *FAST, "--out", run)
        assert r.returncode == 0, r.stderr
        runs.append(run)
    r = cli("finetune", "sample", *runs, "--n", "24", "--max-atoms", "80", "--out", wd / "frames.xyz", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["frames"] == 24
    r = cli("finetune", "label", wd / "frames.xyz", "--pot", "chgnet", "--out", wd / "labelled.xyz")
    assert r.returncode == 0, r.stderr
    r = cli("finetune", "collect", wd / "labelled.xyz", "--valid-fraction", "0.25", "--train", wd / "train.xyz",
            "--valid", wd / "valid.xyz", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"train": 18, "valid": 6}
    yield wd, runs
    os.environ.pop("LAMMPSKIT_HOME", None)


def test_sampled_frames_span_both_compositions_and_dft_inputs(labelled):
    from ase.io import read

    wd, runs = labelled
    frames = read(wd / "labelled.xyz", index=":")
    assert {len(f) for f in frames} == {52}
    sampled = read(wd / "frames.xyz", index=":")
    assert {Path(f.info["source"]).name for f in sampled} == {"dump.production.lammpstrj"}  # not the unwrapped copy
    assert len({(f.info["source"], f.info["frame"]) for f in sampled}) == 24
    assert {f.get_chemical_formula() for f in frames} == {"Na16P8S28", "Na16O6P8S22"}
    assert all("REF_energy" in f.info and f.arrays["REF_forces"].shape == (52, 3) for f in frames)
    r = cli("finetune", "export-dft", wd / "train.xyz", "--functional", "pbe", "--out", wd / "dft", "--json")
    assert r.returncode == 0, r.stderr
    inputs = json.loads(r.stdout)["inputs"]
    assert len(inputs) == 18
    text = open(inputs[0]).read()
    assert "tprnfor          = .true." in text and "input_dft        = 'pbe'" in text and "K_POINTS" in text


def test_deepmd_chain_trains_registers_quenches_and_flags_uncertain_frames(labelled):
    wd, runs = labelled
    r = cli("finetune", "deepmd", "--train", wd / "train.xyz", "--valid", wd / "valid.xyz", "--steps", "400",
            "--ensemble", "2", "--rcut", "5.0", "--name", "dp-glass", "--out", wd / "dp", "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    # the force error drops (the energy term only weighs in late: start_pref_e 0.02 vs start_pref_f 1000)
    first, last = info["validation_first_last"]["rmse_f_val"]
    assert last < 0.5 * first, info["validation_first_last"]
    placed = info["files"][0]["path"]
    prov = json.loads(open(placed + ".provenance.json").read())
    assert prov["steps"] == 400 and prov["train"].endswith("train.xyz")
    run = wd / "dp-run"
    r = cli("quench", "--pot", "dp-glass", "--x", "1.5", "--fu", "4", *FAST, "--out", run, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["mode"] == "native"
    r = cli("finetune", "deviation", run / "dump.production.lammpstrj", "--model", info["models"][0],
            "--model", info["models"][1], "--threshold", "1e-6", "--out", wd / "uncertain.xyz", "--json")
    assert r.returncode == 0, r.stderr
    dev = json.loads(r.stdout)
    assert dev["frames"] == 21 and dev["flagged"] == 21 and all(d > 0 for d in dev["max_devi_f"])


def test_mace_finetune_of_a_small_foundation_registers_and_quenches(labelled, user_pots):
    """'finetune mace' on a random-init MACE 'foundation' (built by the test): errors drop, ft-mp0 is filled."""
    wd, runs = labelled
    r = cli("finetune", "mace", "--foundation", user_pots / "tiny.model", "--train", wd / "train.xyz",
            "--valid", wd / "valid.xyz", "--epochs", "12", "--name", "ft-mp0", "--out", wd / "mace", "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    before, after = info["validation_first_last"]
    # the training objective (forces dominate: CHGNet's forces on these fast-quenched cells are large) drops;
    # the energy per atom, a small part of it, falls below its start too but wanders from epoch to epoch
    assert after["loss"] < 0.5 * before["loss"], (before, after)
    assert after["rmse_f"] < 0.7 * before["rmse_f"], (before, after)
    assert after["rmse_stress"] < before["rmse_stress"], (before, after)
    history = json.loads(open(info["files"][0]["path"] + ".provenance.json").read())["validation"]
    assert min(h["rmse_e_per_atom"] for h in history[1:]) < 0.5 * before["rmse_e_per_atom"], history
    assert info["files"][0]["path"].endswith("models/ft-mp0/ft-mp0.model")
    assert info["converted"] and info["converted"][0].endswith("ft-mp0.model-lammps.pt")
    prov = json.loads(open(info["files"][0]["path"] + ".provenance.json").read())
    assert prov["foundation"].endswith("tiny.model") and prov["epochs"] == 12 and len(prov["validation"]) >= 12
    r = cli("potentials", "list", "--json")
    assert {p["name"]: p for p in json.loads(r.stdout)}["ft-mp0"]["status"] == "ready"
    r = cli("quench", "--pot", "ft-mp0", "--x", "1.5", "--fu", "4", *FAST, "--out", wd / "ft-run", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["potential"] == "ft-mp0"


@pytest.mark.slow
def test_mace_multihead_replay_keeps_two_heads_and_lammps_runs_the_new_one(labelled, user_pots):
    """'finetune mace --replay': MACE's multihead fine-tuning (a pt_head refits the replay frames meanwhile).

    The replay frames stand in for the foundation's own data (MPtrj for mp0): here the same frames labelled
    by the foundation itself. The model keeps both heads; LAMMPS gets the Default head (the glass one).
    """
    import torch

    wd, runs = labelled
    r = cli("finetune", "label", wd / "frames.xyz", "--pot", "tiny-mace", "--out", wd / "replay.xyz")
    assert r.returncode == 0, r.stderr
    assert_user_error(cli("finetune", "mace", "--foundation", user_pots / "tiny.model", "--train", wd / "train.xyz",
                          "--replay", wd / "replay.xyz", "--e0s", "average"), "--replay", "E0s")
    r = cli("finetune", "mace", "--foundation", user_pots / "tiny.model", "--train", wd / "train.xyz",
            "--valid", wd / "valid.xyz", "--replay", wd / "replay.xyz", "--epochs", "6", "--lr", "0.01",
            "--name", "ft-mp0", "--out", wd / "mace-mh", "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    before, after = info["validation_first_last"]
    assert after["rmse_f"] < before["rmse_f"], (before, after)
    model = info["files"][0]["path"]
    assert before["epoch"] is None and after["epoch"] == 5  # the Default head's errors, before and after
    assert set(torch.load(model, weights_only=False).heads) == {"Default", "pt_head"}
    prov = json.loads(open(model + ".provenance.json").read())
    assert prov["replay"].endswith("replay.xyz") and prov["heads"] == ["Default", "pt_head"] and prov["lr"] == 0.01
    # the replay head starts exact (the foundation labelled those frames) and is still fitted at the end
    replay = prov["validation_replay"]
    assert len(replay) == 7 and replay[0]["rmse_f"] < 1e-6 and replay[-1]["rmse_f"] < 0.1 * after["rmse_f"]
    assert info["converted"] and info["converted"][0].endswith("ft-mp0.model-lammps.pt")
    # converting again needs the head named (mace_create_lammps_model would prompt for it)
    assert_user_error(cli("potentials", "convert", "ft-mp0", "--file", "libtorch"), "several heads", "pt_head",
                      "--head")
    assert_user_error(cli("potentials", "convert", "ft-mp0", "--head", "Default;ls"), "--head")
    r = cli("potentials", "convert", "ft-mp0", "--file", "libtorch", "--head", "Default", "--json")
    assert r.returncode == 0, r.stderr
    r = cli("quench", "--pot", "ft-mp0", "--x", "0", "--fu", "4", *FAST, "--out", wd / "mh-run", "--json")
    assert r.returncode == 0, r.stderr


def test_mace_finetune_as_a_slurm_job(labelled, user_pots, tmp_path):
    """'finetune mace --slurm site.toml' submits the same command to a real SLURM cluster; the job registers the model."""
    from ..slurm_cluster import Cluster, available, wait_for_job

    if available():
        pytest.fail(f"cannot start the test SLURM cluster: {available()}")
    wd, _ = labelled
    site = tmp_path / "site.toml"
    site.write_text('time = "00:10:00"\ncpus = 1\nsetup = ["export OMP_NUM_THREADS=1"]\n')
    with Cluster(tmp_path / "slurm"):
        r = cli("finetune", "mace", "--foundation", user_pots / "tiny.model", "--train", wd / "train.xyz",
                "--valid", wd / "valid.xyz", "--epochs", "3", "--name", "ft-slurm", "--slurm", site,
                "--out", tmp_path / "job", "--json")
        assert r.returncode == 0, r.stderr
        job = json.loads(r.stdout)["job"]
        script = (tmp_path / "job" / "job.sh").read_text()
        assert "#SBATCH --time=00:10:00" in script and "finetune mace" in script and "--slurm" not in script
        state = wait_for_job(job, timeout=300)
        log = (tmp_path / "job" / f"slurm-{job}.out").read_text()
        assert state == "COMPLETED", log[-3000:]
    r = cli("potentials", "show", "ft-slurm", "--json")
    info = json.loads(r.stdout)
    assert info["status"] == "ready", info
    assert Path(info["files"][0]["resolved"] + ".provenance.json").exists()
