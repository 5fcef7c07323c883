"""SevenNet fine-tuning with sevenn's own trainer (sevenn 0.13.0: ``sevenn train``, train_v2, the settings of
its ``fine_tune`` preset), in a child process with the kit's SevenNet side folder first on the path.

What the kit does around sevenn's trainer:

- **Labels.** The kit's labelled frames carry ``REF_energy`` (eV), ``REF_forces`` (eV/Å) and ``REF_stress``
  (eV/Å³, 3x3, ASE's sign: positive = tensile). sevenn reads energy, forces and stress from an extxyz's
  calculator results (``atoms.get_stress()``, eV/Å³, ASE's sign and Voigt order; it flips the sign and
  reorders them itself, and trains stress in kbar), so the kit writes ``train.extxyz`` / ``valid.extxyz``
  with the labels as calculator results and nothing else. sevenn's ``*_key`` path would need 6-vectors.
- **Architecture.** The model section of ``input.yaml`` comes from the foundation checkpoint itself
  (``SevenNetCheckpoint.yaml_dict('continue')``, what ``sevenn cp --get_yaml continue`` prints), so any
  single-fidelity SevenNet (7net-0, 7net-0-mpf, 7net-l3i5, a user's checkpoint) is rebuilt as it was; the
  train section is the ``fine_tune`` preset's (Huber loss delta 0.01, Adam lr 0.004, exponential decay 0.99,
  force weight 1, stress weight 0.01, shift/scale/denominators not trained) with the user's epochs, lr, batch
  and device.
- **Reference energies.** DFT total energies (e.g. CP2K with GTH pseudopotentials, hundreds of eV per atom
  below MPtrj's VASP/PAW reference) differ from the foundation's by a constant per element. sevenn's
  train_v2 always starts from the checkpoint's per-element ``shift`` (atomic energy = scale_Z * out + shift_Z)
  and does not train it (``train_shift_scale: False``; trained by gradient it would take ~10^5 steps to move
  hundreds of eV). So before training the kit evaluates the foundation on the training frames, fits
  per-element offsets to the residual E_label - E_foundation by least squares (n_frames x n_elements
  composition matrix, minimum-norm solution: elements whose counts are collinear, as in one glass
  stoichiometry, share the offset arbitrarily but every training composition is fitted alike) and adds them
  to the checkpoint's shift: the starting model predicts energies in the labels' reference and forces exactly
  as the foundation does, the same job MACE's fitted E0s do. The trainer then only sees the small residual
  errors, and the fine-tuned model keeps predicting in the labels' reference. The offsets are in the
  provenance.
- **Untrusted files.** The foundation checkpoint is read with torch's weights-only unpickler
  (``lammpskit.potentials.sevennet.weights_only``) after its sha256 (registered entries); the checkpoint
  sevenn writes is read back the same way before it is registered.
- **Multi-fidelity** checkpoints (7net-mf-0-*: a shift per modality) are refused: fine-tuning one modality
  needs a new modality in sevenn's multi-modal training, which the kit does not set up.

The result (``checkpoint_best.pth``: lowest validation loss) is registered as a bridge entry of family sevenn
with provenance (foundation name and sha256, training data sha256, settings, reference offsets, errors).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from lammpskit._util.tools import supervise
from lammpskit.errors import RunError, UserError, param
from lammpskit.finetune.results import TrainingResult
from lammpskit.progress import Progress, counting

PRESET = {  # the train section of sevenn's fine_tune preset (sevenn/presets/fine_tune.yaml, 0.13.0)
    "random_seed": 1, "is_train_stress": True, "loss": "Huber", "loss_param": {"delta": 0.01},
    "optimizer": "adam", "optim_param": {"lr": 0.004}, "scheduler": "exponentiallr",
    "scheduler_param": {"gamma": 0.99}, "force_loss_weight": 1.0, "stress_loss_weight": 0.01,
    "error_record": [["Energy", "RMSE"], ["Force", "RMSE"], ["Stress", "RMSE"], ["TotalLoss", "None"]],
}
DEFAULT_LR = PRESET["optim_param"]["lr"]
CHILD = ("import sys; from lammpskit.potentials import extras; extras.enable('sevenn'); "
         "from lammpskit.finetune.sevennet import child; child(sys.argv[1])")


# -- the parent: options, data, the child, registration ---------------------------------------------

def check_options(train: Path, foundation: str = "7net-0", valid: Path | None = None, epochs: int = 50,
                  lr: float | None = None, batch: int = 4, device: str = "cpu", threads: int = 1,
                  name: str = "ft-7net") -> dict:
    """Check every option of ``finetune_sevenn`` and read the frames; returns the foundation checkpoint
    (``base``), its name, and the training and validation frames."""
    from lammpskit._util import validate
    from lammpskit.finetune import options
    from lammpskit.potentials import modelfiles
    from lammpskit.potentials import registry as potentials
    from lammpskit.structure import frames as xyz

    options.check_training(epochs, lr, batch, threads, name)
    validate.choice(device, ("cpu", "cuda"), param("device"))
    path = Path(foundation)
    if path.is_file():
        base = validate.path(path.resolve(), param("foundation"))
        modelfiles.check(base, "sevenn", param("foundation"))
    else:
        if path.suffix in (".pth", ".pt") or "/" in str(foundation):
            raise UserError(f"{param('foundation')} {foundation}: no such file")
        pot = potentials.get(foundation)
        if pot.family != "sevenn":
            raise UserError(f"{param('foundation')} {foundation} is a {pot.family} potential, not SevenNet: give a registered "
                            "SevenNet entry (7net-0, 7net-0-mpf, 7net-l3i5) or a sevenn checkpoint file")
        if pot.bridge and pot.bridge.modal:
            raise UserError(f"{param('foundation')} {foundation} is a multi-fidelity SevenNet (modality {pot.bridge.modal}): "
                            "fine-tuning it needs a new modality, which the kit does not set up; use 7net-0, "
                            "7net-0-mpf or 7net-l3i5")
        base = pot.resolve_files(["model"])["model"]  # sha256-checked
    _check_checkpoint(base, foundation)  # a file: before anything runs; an entry: its facts, as the file says
    frames = _labelled(xyz.read(validate.path(train, param("train"))), str(train))
    valid_frames = _labelled(xyz.read(validate.path(valid, param("valid"))), str(valid)) if valid else None
    if valid_frames is None:
        if len(frames) < 2:
            raise UserError(f"{train} holds {len(frames)} frame: give {param('valid')} or at least 2 frames (10 % are kept "
                            "for validation)")
        n_valid = max(1, round(0.1 * len(frames)))
        frames, valid_frames = frames[n_valid:], frames[:n_valid]
    return {"base": base, "foundation": foundation, "frames": frames, "valid_frames": valid_frames}


def _check_checkpoint(base: Path, foundation: str) -> None:
    """Refuse a checkpoint the kit cannot fine-tune: unreadable weights-only, multi-fidelity, no per-element shift
    (read here, without sevenn: the raw dict of tensors, numbers and numeric arrays)."""
    from lammpskit.potentials.sevennet import load_weights_only

    try:
        raw = load_weights_only(str(base), map_location="cpu")
        config, state = raw["config"], raw["model_state_dict"]
    except Exception as exc:  # noqa: BLE001 - a file we cannot read safely is refused, not run
        raise UserError(f"{param('foundation')} {foundation}: cannot read {base} as a sevenn checkpoint with torch's "
                        f"weights-only loader ({type(exc).__name__})") from None
    if config.get("use_modality"):
        raise UserError(f"{param('foundation')} {foundation} is a multi-fidelity SevenNet checkpoint (modalities "
                        f"{', '.join(config.get('_modal_map', {}))}): fine-tuning it needs a new modality, which the kit "
                        "does not set up; use a single-fidelity one (7net-0, 7net-0-mpf, 7net-l3i5)")
    shifts = [v for k, v in state.items() if "rescale" in k and k.endswith(".shift")]
    if len(shifts) != 1 or shifts[0].dim() != 1 or shifts[0].numel() < 2:
        raise UserError(f"{param('foundation')} {foundation}: {base} has no per-element energy shift, which the kit moves to "
                        "the labels' reference energies")


def _labelled(frames: list, where: str) -> list:
    """The frames' labels as plain arrays: (Atoms, energy eV, forces eV/Å (N, 3), stress eV/Å³ (3, 3), ASE sign)."""
    import numpy as np
    from ase.stress import voigt_6_to_full_3x3_stress

    from lammpskit.structure.frames import KEYS

    out = []
    for k, at in enumerate(frames):
        results = at.calc.results if at.calc is not None else {}
        energy = at.info.get(KEYS["energy"], results.get("energy"))
        forces = at.arrays.get(KEYS["forces"], results.get("forces"))
        stress = at.info.get(KEYS["stress"], results.get("stress"))
        missing = [w for w, v in (("energy", energy), ("forces", forces), ("stress", stress)) if v is None]
        if missing:
            raise UserError(f"{where} frame {k} has no {' or '.join(missing)} label (REF_energy, REF_forces, "
                            "REF_stress: 'lammpskit finetune collect' or 'finetune label' writes them)")
        if not at.pbc.all():
            raise UserError(f"{where} frame {k} is not periodic in x, y and z: stress needs a periodic cell")
        stress = np.asarray(stress, float)
        stress = voigt_6_to_full_3x3_stress(stress) if stress.shape == (6,) else stress.reshape(3, 3)
        out.append((at, float(energy), np.asarray(forces, float), stress))
    return out


def write_frames(path: Path, labelled: list) -> Path:
    """The frames as sevenn reads them: extxyz with energy, forces, stress as calculator results only."""
    from ase import Atoms
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.io import write
    from ase.stress import full_3x3_to_voigt_6_stress

    frames = []
    for at, energy, forces, stress in labelled:
        bare = Atoms(numbers=at.numbers, positions=at.positions, cell=at.cell, pbc=True)
        bare.calc = SinglePointCalculator(bare, energy=energy, forces=forces,
                                          stress=full_3x3_to_voigt_6_stress(stress))
        frames.append(bare)
    write(path, frames, format="extxyz")
    return path


def epoch_errors(work: Path) -> list[dict]:
    """Errors per epoch from sevenn's ``lc.csv``: epoch, lr, and for the train and valid sets the energy RMSE
    (eV/atom), force RMSE (eV/Å), stress RMSE (kbar) and total loss."""
    csv = Path(work) / "lc.csv"
    if not csv.is_file():
        return []
    lines = [ln.split(",") for ln in csv.read_text().splitlines() if ln.strip()]
    if len(lines) < 2:
        return []
    names = {"Energy_RMSE": "rmse_e_per_atom", "Force_RMSE": "rmse_f", "Stress_RMSE": "rmse_stress_kbar",
             "TotalLoss": "loss"}
    rows = []
    for row in lines[1:]:
        rec = {}
        for key, value in zip(lines[0], row):
            key = key.strip()
            if key in ("epoch", "lr"):
                rec[key] = int(value) if key == "epoch" else float(value)
                continue
            subset, _, metric = key.partition("_")
            if metric in names and subset in ("trainset", "validset"):
                rec[f"{subset[:-3]}_{names[metric]}"] = float(value)
        rows.append(rec)
    return rows


def run_training(work: Path, n_epochs: int, threads: int = 1, progress: Progress | None = None,
                 timeout: float = 86400) -> dict:
    """Run the child (``child``) on ``work/job.json``; ``progress`` is told the epochs done; returns its
    ``result.json``. A user error in the child (e.g. a multi-fidelity checkpoint file) is a UserError here."""
    import lammpskit

    root = str(Path(lammpskit.__file__).resolve().parents[1])  # this kit, wherever the child's cwd is
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
           "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "0", "PYTHONIOENCODING": "utf-8",  # marked parameters in error lines
           "PYTHONPATH": os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])])}
    log_path = work / "finetune-sevenn.log"
    with counting(progress, n_epochs, unit="epoch") as report:
        code = supervise([sys.executable, "-c", CHILD, str(work / "job.json")], "sevenn train", log_path, cwd=work,
                         env=env, tick=(lambda: report.advance(len(epoch_errors(work)))) if progress else None,
                         timeout=timeout)
    text = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    if code == 2 and text and text[-1].startswith("error: "):
        raise UserError(text[-1][len("error: "):])
    if code != 0:
        raise RunError("sevenn fine-tuning failed: " + " | ".join(text[-3:]) + f" (log: {log_path})")
    return json.loads((work / "result.json").read_text())


def _clean(work: Path) -> None:
    """Remove what an earlier run left in ``work`` (sevenn numbers its logs and reuses cached graphs)."""
    for pattern in ("lc*.csv", "log*.sevenn", "checkpoint_*.pth", "start.pth", "result.json", "input.yaml"):
        for f in work.glob(pattern):
            f.unlink()
    shutil.rmtree(work / "sevenn_data", ignore_errors=True)


def _sha256_frames(labelled: list) -> str:
    """sha256 of the frames as trained (the extxyz the kit wrote for sevenn)."""
    import hashlib

    h = hashlib.sha256()
    for at, energy, forces, stress in labelled:
        for arr in (at.numbers, at.positions, at.cell.array, forces, stress):
            h.update(arr.astype(float).tobytes())
        h.update(repr(energy).encode())
    return h.hexdigest()


def finetune_sevenn(train: Path, foundation: str = "7net-0", valid: Path | None = None, epochs: int = 50,
                    lr: float | None = None, batch: int = 4, device: str = "cpu", threads: int = 1,
                    name: str = "ft-7net", out: Path = Path("sevenn-finetune"),
                    progress: Progress | None = None) -> TrainingResult:
    """Fine-tune a SevenNet foundation model with sevenn's trainer and register it as ``name`` with provenance
    (``lk.finetune_sevenn``). The labels' energy reference is absorbed into the per-element shift first (see the
    module's docstring).

    Args:
        train (str | Path): labelled training frames (extxyz, REF_* keys).
        foundation (str): a registered single-fidelity SevenNet entry (``7net-0``, ``7net-0-mpf``,
            ``7net-l3i5``) or a sevenn checkpoint file.
        valid (str | Path | None): labelled validation frames (default: 10 % of ``train``).
        epochs (int): training epochs.
        lr (float | None): learning rate (default 0.004, sevenn's fine_tune preset).
        batch (int): batch size in frames.
        device (str): ``cpu`` or ``cuda``.
        threads (int): CPU threads for training.
        name (str): the registry name of the result.
        out (str | Path): the training folder.
        progress (Progress | None): told the epochs (``lk.Progress``, unit ``epoch``).

    Returns:
        TrainingResult: ``model``, ``registered``, the registry entry, ``offsets_eV`` (per element, eV) and
        ``validation_first_last``: RMSE of the starting model (foundation + offsets) and of the fine-tuned one
        (energy eV/atom, forces eV/Å, stress eV/Å³).
    """
    from lammpskit._util import validate
    from lammpskit.potentials import registration
    from lammpskit.potentials import registry as potentials

    opts = check_options(train, foundation, valid, epochs, lr, batch, device, threads, name)
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise UserError(f"{param('device', 'cuda')}: torch sees no CUDA device on this machine (use "
                            f"{param('device', 'cpu')}, or {param('slurm')} a site with GPUs)")
    work = validate.path(out, param("out")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    _clean(work)
    write_frames(work / "train.extxyz", opts["frames"])
    write_frames(work / "valid.extxyz", opts["valid_frames"])
    job = {"foundation": str(opts["base"]), "train": str(work / "train.extxyz"), "valid": str(work / "valid.extxyz"),
           "epochs": epochs, "lr": lr or DEFAULT_LR, "batch": batch, "device": device, "threads": threads}
    (work / "job.json").write_text(json.dumps(job, indent=1))
    result = run_training(work, epochs, threads, progress)
    elements = sorted({s for at, *_ in opts["frames"] for s in at.get_chemical_symbols()})
    provenance = {"trainer": "sevenn train (train_v2), fine_tune preset", "sevenn": result.get("sevenn"),
                  "foundation": str(opts["base"]), "foundation_name": foundation,
                  "foundation_sha256": potentials.sha256(opts["base"]),
                  "train": str(train), "train_sha256": _sha256_frames(opts["frames"]), "train_frames": len(opts["frames"]),
                  "valid": str(valid) if valid else "10 % of train", "valid_sha256": _sha256_frames(opts["valid_frames"]),
                  "epochs": epochs, "lr": job["lr"], "batch": batch, "device": device,
                  "loss": "Huber (delta 0.01), force weight 1, stress weight 0.01 (kbar)", "dtype": "float32",
                  "reference_offsets_eV": result["offsets"],
                  "reference_fit_rmse_eV_per_atom": result["offset_fit_rmse_eV_per_atom"],
                  "validation_start": result["before"], "validation_end": result["after"],
                  "epoch_seconds": result["epoch_seconds"],
                  "history": epoch_errors(work)}
    model = work / f"{name}.pth"  # the registered file: a later run in this folder replaces sevenn's, not this
    shutil.copyfile(result["model"], model)
    reg = registration.register_trained(name, model, "sevenn", elements, provenance, dtype="float32")
    return TrainingResult.from_values({
        "model": str(model), "registered": name, **reg, "offsets_eV": result["offsets"],
        "validation_first_last": [result["before"], result["after"]], "epoch_seconds": result["epoch_seconds"],
        "train_seconds": result["train_seconds"]})


# -- the child: runs with the side folder first on sys.path --------------------------------------------

def _errors(calc, frames) -> dict:
    """RMSE of energy per atom (eV), forces (eV/Å) and stress (eV/Å³) of ``calc`` against ``frames``' labels."""
    import numpy as np

    de, df, ds = [], [], []
    for at in frames:
        ref_e, ref_f, ref_s = at.get_potential_energy(), at.get_forces(), at.get_stress()
        probe = at.copy()
        probe.calc = calc
        de.append((probe.get_potential_energy() - ref_e) / len(at))
        df.append((probe.get_forces() - ref_f).ravel())
        ds.append(probe.get_stress() - ref_s)
    rms = lambda v: float(np.sqrt(np.mean(np.square(np.concatenate([np.atleast_1d(x) for x in v])))))
    return {"rmse_e_per_atom": rms(de), "rmse_f": rms(df), "rmse_stress": rms(ds)}


def _fail(message: str) -> None:
    """A user error in the child: one ``error:`` line (parameters still marked, see ``errors.param``), exit 2."""
    print(f"error: {message}", flush=True)
    sys.exit(2)


def _start_checkpoint(base: Path, train, dest: Path, device: str) -> dict:
    """Fit per-element offsets to E_label - E_foundation on ``train`` and write the foundation with its shift
    moved by them to ``dest``; returns {offsets (eV per element), fit rmse (eV/atom)}."""
    import numpy as np
    import sevenn.checkpoint as checkpoint
    import torch
    from sevenn.calculator import SevenNetCalculator

    ckpt = checkpoint.SevenNetCheckpoint(str(base))
    if ckpt.config.get("use_modality"):
        _fail(f"{param('foundation')} {base} is a multi-fidelity SevenNet checkpoint: fine-tuning it needs a new modality, "
              "which the kit does not set up; use a single-fidelity one (7net-0, 7net-0-mpf, 7net-l3i5)")
    calc = SevenNetCalculator(model=str(base), device=device)
    elements = sorted({s for at in train for s in at.get_chemical_symbols()})
    counts = np.array([[at.get_chemical_symbols().count(e) for e in elements] for at in train], float)
    residual = []
    for at in train:
        probe = at.copy()
        probe.calc = calc
        residual.append(at.get_potential_energy() - probe.get_potential_energy())
    residual = np.array(residual)
    offsets = np.linalg.lstsq(counts, residual, rcond=None)[0]
    fit_rmse = float(np.sqrt(np.mean(((counts @ offsets - residual) / counts.sum(1)) ** 2)))
    raw = checkpoint.torch_load(str(base), map_location="cpu")  # weights-only (lammpskit.potentials.sevennet)
    state = raw["model_state_dict"]
    keys = [k for k in state if "rescale" in k and k.endswith(".shift")]
    if len(keys) != 1 or state[keys[0]].dim() != 1:
        _fail(f"{param('foundation')} {base}: expected one per-element energy shift in the checkpoint, found "
              f"{[(k, tuple(state[k].shape)) for k in keys]}")
    shift = state[keys[0]].clone()
    type_map = ckpt.config["_type_map"]  # atomic number -> index
    from ase.data import atomic_numbers

    for el, off in zip(elements, offsets):
        z = atomic_numbers[el]
        if z not in type_map:
            _fail(f"{param('foundation')} {base} does not know element {el}")
        if shift.numel() > 1:
            shift[type_map[z]] += float(off)
    if shift.numel() == 1:
        _fail(f"{param('foundation')} {base} has one energy shift for all elements: per-element reference energies need "
              "a species-wise shift")
    state[keys[0]] = shift
    torch.save(raw, dest)
    return {"offsets": {e: float(o) for e, o in zip(elements, offsets)}, "offset_fit_rmse_eV_per_atom": fit_rmse}


def _input_yaml(base: Path, start: Path, job: dict) -> dict:
    """sevenn's input: the checkpoint's own model section, the fine_tune preset's train section, our data."""
    import sevenn.checkpoint as checkpoint

    cfg = checkpoint.SevenNetCheckpoint(str(base)).yaml_dict("continue")
    model = {**cfg["model"], "train_shift_scale": False, "train_denominator": False}
    train = {**PRESET, "epoch": job["epochs"], "optim_param": {"lr": job["lr"]}, "device": job["device"],
             "per_epoch": job["epochs"],
             "continue": {"checkpoint": str(start), "reset_optimizer": True, "reset_scheduler": True,
                          "reset_epoch": True}}
    data = {"batch_size": job["batch"], "data_format_args": {"index": ":"}, "load_trainset_path": [job["train"]],
            "load_validset_path": [job["valid"]]}
    return {"model": model, "train": train, "data": data}


def child(job_file: str) -> None:
    """Prepare the start checkpoint, run ``sevenn train`` and check the result: ``result.json`` next to
    ``job_file``. A user error is one ``error:`` line on stdout and exit 2."""
    import warnings

    import torch
    import yaml
    from ase.io import read

    warnings.filterwarnings("ignore", category=UserWarning)
    job = json.loads(Path(job_file).read_text())
    work = Path(job_file).parent
    torch.set_num_threads(int(job["threads"]))
    if job["device"] == "cuda" and not torch.cuda.is_available():
        _fail(f"{param('device', 'cuda')}: torch sees no CUDA device here")
    from lammpskit.potentials.sevennet import weights_only

    weights_only()
    import sevenn
    from sevenn.calculator import SevenNetCalculator

    base, start = Path(job["foundation"]), work / "start.pth"
    train, valid = read(job["train"], index=":"), read(job["valid"], index=":")
    ref = _start_checkpoint(base, train, start, job["device"])
    before = _errors(SevenNetCalculator(model=str(start), device=job["device"]), valid)
    (work / "input.yaml").write_text(yaml.safe_dump(_input_yaml(base, start, job), sort_keys=False))
    from lammpskit.potentials.sevennet import main as sevenn_main

    t0 = time.monotonic()
    try:
        sevenn_main(["train", str(work / "input.yaml"), "-w", str(work), "-s"])
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    seconds = time.monotonic() - t0
    model = work / "checkpoint_best.pth"
    if not model.exists():
        model = work / f"checkpoint_{job['epochs']}.pth"
    if not model.exists():
        raise RuntimeError(f"sevenn train finished without {model}")
    after = _errors(SevenNetCalculator(model=str(model), device=job["device"]), valid)  # read back weights-only
    epochs = _epoch_seconds(work / "log.sevenn")
    (work / "result.json").write_text(json.dumps({
        "model": str(model), "sevenn": sevenn.__version__, **ref, "before": before, "after": after,
        "epoch_seconds": epochs or [seconds / max(1, job["epochs"])], "train_seconds": seconds}, indent=1))


def _epoch_seconds(log: Path) -> list[float]:
    """Wall seconds of each epoch from sevenn's log ('Epoch 2 elapsed: 0:00:06.61')."""
    import re

    if not log.is_file():
        return []
    out = []
    for h, m, sec in re.findall(r"Epoch \d+ elapsed: (\d+):(\d+):([\d.]+)", log.read_text(errors="replace")):
        out.append(3600 * int(h) + 60 * int(m) + float(sec))
    return out
