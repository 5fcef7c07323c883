"""MACE fine-tuning with ``mace_run_train`` (mace-torch 0.3.16): the command, the run, the errors per epoch.

The standard naive fine-tuning of a foundation model on one's own data: the foundation's
weights as the start (``--foundation_model`` is always a file: model *names* make MACE
download), E0s fitted to the data (``average``) or taken from the foundation, energy/force/stress
loss (``--loss=stress``), float64, no SWA. With ``replay`` (an extxyz of the foundation's own
kind of data, REF_* keys) it is MACE's multihead fine-tuning instead: a ``pt_head`` keeps
fitting the replay frames while the ``Default`` head learns the new data, so the model forgets
less of what it knew; MACE then takes the foundation's E0s, lr 1e-4 and EMA (unless ``lr`` is
given), and the universal loss. The result has the heads ``Default`` and ``pt_head``; LAMMPS
runs ``Default`` (``HEAD``).
``mace_run_train`` has no thread option: it runs with OMP_NUM_THREADS=``threads`` (1 is fastest
for small models on CPU).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from lammpskit.errors import RunError

HEAD, PT_HEAD = "Default", "pt_head"  # the heads mace_run_train gives the user's data and the replay
NAIVE_LR, REPLAY_LR = 0.01, 1e-4  # MACE's defaults for naive and multihead fine-tuning


def learning_rate(lr: float | None, replay: Path | None) -> float:
    """The learning rate a run uses: ``lr``, else MACE's default for naive or multihead fine-tuning."""
    return lr or (REPLAY_LR if replay else NAIVE_LR)


def command(foundation: Path, train: Path, valid: Path | None, work: Path, epochs: int, lr: float | None = None,
            batch: int = 4, dtype: str = "float64", device: str = "cpu", e0s: str = "average",
            weights: tuple[float, float, float] = (10.0, 10.0, 100.0), seed: int = 1,
            replay: Path | None = None) -> list[str]:
    """The ``mace_run_train`` argument list (energy, forces, stress weights; lr; epochs; replay frames)."""
    if replay is None:
        heads = ["--multiheads_finetuning=False", f"--lr={learning_rate(lr, None)}"]
    else:
        heads = ["--multiheads_finetuning=True", f"--pt_train_file={replay}"]
        heads += [f"--lr={lr}", "--force_mh_ft_lr=True"] if lr else []
    cmd = [sys.executable, "-m", "lammpskit.lammps.tool", "mace.cli.run_train",
           "--name=ft", f"--foundation_model={foundation}", *heads,
           f"--train_file={train}", "--energy_key=REF_energy", "--forces_key=REF_forces", "--stress_key=REF_stress",
           f"--E0s={e0s}", "--loss=stress", f"--energy_weight={weights[0]}", f"--forces_weight={weights[1]}",
           f"--stress_weight={weights[2]}", f"--default_dtype={dtype}", f"--device={device}",
           f"--batch_size={batch}", f"--valid_batch_size={batch}", f"--max_num_epochs={epochs}",
           "--eval_interval=1", f"--seed={seed}", "--plot=False", "--skip_evaluate_heads=train",
           f"--work_dir={work}", f"--model_dir={work / 'models'}", f"--results_dir={work / 'results'}",
           f"--checkpoints_dir={work / 'checkpoints'}", f"--log_dir={work / 'logs'}"]
    cmd.append(f"--valid_file={valid}" if valid else "--valid_fraction=0.1")
    return cmd


def epochs(work: Path, head: str = HEAD) -> list[dict]:
    """Validation errors of one head per epoch (epoch None: before training): epoch, rmse_e_per_atom (eV),
    rmse_f (eV/Å), rmse_stress (eV/Å³), loss. ``PT_HEAD``: how well a multihead model still fits the replay."""
    rows = []
    for f in sorted((Path(work) / "results").glob("*_train.txt")):
        for line in f.read_text().splitlines():
            rec = json.loads(line)
            if rec.get("mode") == "eval" and rec.get("head", HEAD) == head:
                rows.append({k: rec.get(k) for k in ("epoch", "rmse_e_per_atom", "rmse_f", "rmse_stress", "loss")})
    return rows


def train(cmd: list[str], work: Path, n_epochs: int, threads: int = 1, progress=None, timeout: float = 86400) -> Path:
    """Run ``cmd`` (from ``command``) in ``work``; ``progress(done_epochs, n_epochs)``; returns the model file."""
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    with open(work / "mace_run_train.log", "w") as log:
        proc = subprocess.Popen(cmd, cwd=work, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env=env)
        start = time.monotonic()
        while proc.poll() is None:
            if progress:
                progress(max(0, len(epochs(work)) - 1), n_epochs)
            if time.monotonic() - start > timeout:
                proc.kill()
                raise RunError(f"mace_run_train ran longer than {timeout:.0f} s")
            time.sleep(1)
    if proc.returncode != 0:
        tail = (work / "mace_run_train.log").read_text().strip().splitlines()[-3:]
        raise RunError("mace_run_train failed: " + " | ".join(tail) + f" (log: {work / 'mace_run_train.log'})")
    model = work / "models" / "ft.model"
    if not model.exists():
        raise RunError(f"mace_run_train finished without {model}")
    return model
