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
import sys
from pathlib import Path

from lammpskit._util.tools import supervise
from lammpskit.errors import RunError, param
from lammpskit.finetune.results import TrainingResult
from lammpskit.progress import Progress, counting

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


def epoch_errors(work: Path, head: str = HEAD) -> list[dict]:
    """Validation errors of one head per epoch (epoch None: before training): epoch, rmse_e_per_atom (eV),
    rmse_f (eV/Å), rmse_stress (eV/Å³), loss. ``PT_HEAD``: how well a multihead model still fits the replay."""
    rows = []
    for f in sorted((Path(work) / "results").glob("*_train.txt")):
        for line in f.read_text().splitlines():
            rec = json.loads(line)
            if rec.get("mode") == "eval" and rec.get("head", HEAD) == head:
                rows.append({k: rec.get(k) for k in ("epoch", "rmse_e_per_atom", "rmse_f", "rmse_stress", "loss")})
    return rows


def run_training(cmd: list[str], work: Path, n_epochs: int, threads: int = 1, progress: Progress | None = None,
                 timeout: float = 86400) -> Path:
    """Run ``cmd`` (from ``command``) in ``work``; ``progress`` is told the epochs done; returns the model file."""
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    with counting(progress, n_epochs, unit="epoch") as report:
        code = supervise(cmd, "mace_run_train", work / "mace_run_train.log", cwd=work, env=env,
                         tick=(lambda: report.advance(max(0, len(epoch_errors(work)) - 1))) if progress else None,
                         timeout=timeout)
    if code != 0:
        tail = (work / "mace_run_train.log").read_text().strip().splitlines()[-3:]
        raise RunError("mace_run_train failed: " + " | ".join(tail) + f" (log: {work / 'mace_run_train.log'})")
    model = work / "models" / "ft.model"
    if not model.exists():
        raise RunError(f"mace_run_train finished without {model}")
    return model


def check_options(train: Path, foundation: str = "mp0", valid: Path | None = None, epochs: int = 50,
                  lr: float | None = None, batch: int = 4, e0s: str | None = None, replay: Path | None = None,
                  device: str = "cpu", threads: int = 1, name: str = "ft-mp0") -> dict:
    """Check every option of ``finetune_mace`` and read the frames; returns the settings it will use
    (``base``: the foundation model file, ``e0s``, ``frames``: the training frames)."""
    from lammpskit._util import validate
    from lammpskit.errors import UserError
    from lammpskit.finetune import options
    from lammpskit.potentials import modelfiles
    from lammpskit.potentials import registry as potentials
    from lammpskit.structure import frames as xyz

    options.check_training(epochs, lr, batch, threads, name)
    e0s = e0s or ("foundation" if replay else "average")
    validate.choice(e0s, ("average", "foundation"), param("e0s"))
    if replay is not None and e0s != "foundation":
        raise UserError(f"{param('replay')} (multihead fine-tuning) keeps the foundation's E0s: drop "
                        f"{param('e0s', 'average')}")
    validate.choice(device, ("cpu", "cuda"), param("device"))
    path = Path(foundation)
    if path.exists():
        base = validate.path(path.resolve(), param("foundation"))
    else:
        pot = potentials.get(foundation)
        if pot.family != "mace":
            raise UserError(f"{param('foundation')} {foundation} is a {pot.family} potential, not MACE")
        base = pot.resolve_files(["model"])["model"]
    modelfiles.check(base, "mace", param("foundation"))
    frames = xyz.read(validate.path(train, param("train")))
    if valid is not None:
        xyz.read(validate.path(valid, param("valid")))
    if replay is not None:
        xyz.read(validate.path(replay, param("replay")))
    return {"base": base, "e0s": e0s, "frames": frames}


def finetune_mace(train: Path, foundation: str = "mp0", valid: Path | None = None, epochs: int = 50,
                  lr: float | None = None, batch: int = 4, e0s: str | None = None, replay: Path | None = None,
                  device: str = "cpu", threads: int = 1, name: str = "ft-mp0", out: Path = Path("mace-finetune"),
                  progress: Progress | None = None) -> TrainingResult:
    """Fine-tune a MACE foundation model (mace_run_train), convert it for LAMMPS and register it as ``name``
    with provenance (``lk.finetune_mace``).

    Args:
        train (str | Path): labelled training frames (extxyz, REF_* keys).
        foundation (str): a registered MACE potential (``mp0``, ...) or a ``.model`` file.
        valid (str | Path | None): labelled validation frames (default: 10 % of ``train``).
        epochs (int): training epochs.
        lr (float | None): learning rate (default 0.01; 1e-4 with ``replay``, MACE's multihead setting).
        batch (int): batch size in frames.
        e0s (str | None): ``average`` (fitted to the data) or ``foundation`` (default: average; foundation
            with ``replay``).
        replay (str | Path | None): multihead replay: frames of the foundation's own kind (extxyz, REF_* keys)
            fitted by a second head meanwhile.
        device (str): ``cpu`` or ``cuda``.
        threads (int): CPU threads for training.
        name (str): the registry name of the result.
        out (str | Path): the training folder.
        progress (Progress | None): told the epochs (``lk.Progress``, unit ``epoch``).

    Returns:
        TrainingResult: ``model``, ``registered``, the registry entry, ``converted`` (LAMMPS files) and
        ``validation_first_last`` (RMSE energy eV/atom, forces eV/Å of the first and last epoch).
    """
    from lammpskit._util import validate
    from lammpskit.potentials import conversions, registration
    from lammpskit.potentials import registry as potentials

    opts = check_options(train, foundation, valid, epochs, lr, batch, e0s, replay, device, threads, name)
    base, e0s = opts["base"], opts["e0s"]
    elements = sorted({s for f in opts["frames"] for s in f.get_chemical_symbols()})
    work = validate.path(out, param("out")).resolve()
    cmd = command(base, Path(train).resolve(), Path(valid).resolve() if valid else None, work, epochs,
                  lr, batch, e0s=e0s, device=device, replay=Path(replay).resolve() if replay else None)
    model = run_training(cmd, work, epochs, threads, progress)
    history = epoch_errors(work)
    provenance = {"trainer": "mace_run_train (mace-torch)", "foundation": str(base), "foundation_name": foundation,
                  "train": str(train), "valid": str(valid) if valid else "10 % of train", "epochs": epochs,
                  "lr": learning_rate(lr, replay), "batch": batch, "e0s": e0s,
                  "loss": "universal (multihead)" if replay else "stress (weights E 10, F 10, S 100)",
                  "replay": str(replay) if replay else None,
                  "heads": [HEAD, PT_HEAD] if replay else None,
                  "dtype": "float64", "validation": history,
                  "validation_replay": epoch_errors(work, PT_HEAD) if replay else None}
    reg = registration.register_trained(name, model, "mace", elements, provenance)
    converted = []
    pot = potentials.get(name)
    for spec in pot.files:
        if spec.derive == "mace-libtorch":
            converted.append(str(conversions.convert(pot, spec.key, head=HEAD if replay else None)))
    return TrainingResult.from_values({"model": str(model), "registered": name, **reg, "converted": converted,
                                       "validation_first_last": [history[0], history[-1]] if history else []})
