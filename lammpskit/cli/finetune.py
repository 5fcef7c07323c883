"""``lammpskit finetune``: sample -> label -> train (MACE or SevenNet fine-tuning, DeePMD) -> register -> rerun."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from lammpskit.cli.common import Json
from lammpskit.cli.common import echo_json as _echo_json
from lammpskit.errors import UserError

finetune_app = typer.Typer(no_args_is_help=True, help="Fine-tune MLIPs on the glasses: sample frames, label "
                           "them (DFT or a registered potential), train, register.")
Out = Annotated[Path, typer.Option("--out", help="File (or folder) to write.")]


def _out(path: Path) -> Path:
    from lammpskit._util import validate

    return validate.path(path, "--out")


@finetune_app.command("sample")
def sample_cmd(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run directories (their *.lammpstrj dumps are read).")],
    n: Annotated[int, typer.Option("--n", help="Frames to pick.")] = 50,
    max_atoms: Annotated[Optional[int], typer.Option("--max-atoms", help="Only cells this small (for DFT).")] = None,
    every: Annotated[int, typer.Option("--every", help="Use every k-th dump frame.")] = 1,
    seed: Annotated[int, typer.Option("--seed", help="Start of the farthest-point sampling.")] = 0,
    out: Out = Path("frames.xyz"), as_json: Json = False,
):
    """Pick diverse frames (farthest-point sampling on partial-g(r) shells, T and composition) as extxyz.

    Example: lammpskit finetune sample runs/mos/*/x*/s1 --n 100 --max-atoms 200 --out frames.xyz
    """
    from lammpskit._util import validate
    from lammpskit.finetune import frames as finetune

    validate.integer(n, "--n", 1, 10**6)
    validate.integer(every, "--every", 1, 10**6)
    if max_atoms is not None:
        validate.integer(max_atoms, "--max-atoms", 1, 10**7)
    frames = finetune.sample([validate.path(r, "run directory") for r in run_dirs], n, max_atoms, every, seed)
    finetune.write(_out(out), frames)
    info = {"frames": len(frames), "out": str(out), "atoms": sorted({len(f) for f in frames})}
    if as_json:
        return _echo_json(info)
    typer.echo(f"wrote {len(frames)} frames to {out}")


@finetune_app.command("label")
def label_cmd(
    frames: Annotated[Path, typer.Argument(help="extxyz frames (from 'finetune sample').")],
    pot: Annotated[str, typer.Option("--pot", help="Registered potential whose calculator labels them.")],
    device: Annotated[str, typer.Option("--device", help="cpu or cuda.")] = "cpu",
    out: Out = Path("labelled.xyz"), as_json: Json = False,
):
    """Energy, forces and stress from a registered potential (tests, distillation into a faster model).

    Example: lammpskit finetune label frames.xyz --pot chgnet --out labelled.xyz
    """
    from lammpskit._util import validate
    from lammpskit.finetune import frames as finetune

    validate.choice(device, ("cpu", "cuda"), "--device")
    labelled = finetune.label(finetune.read(frames), pot, device)
    finetune.write(_out(out), labelled)
    if as_json:
        return _echo_json({"frames": len(labelled), "out": str(out), "label_source": pot})
    typer.echo(f"labelled {len(labelled)} frames with {pot}: {out}")


@finetune_app.command("export-dft")
def export_dft_cmd(
    frames: Annotated[Path, typer.Argument(help="extxyz frames to compute.")],
    code: Annotated[str, typer.Option("--code", help="DFT code (qe: Quantum ESPRESSO pw.x).")] = "qe",
    functional: Annotated[str, typer.Option("--functional", help="pbe or r2scan.")] = "pbe",
    pseudo_dir: Annotated[str, typer.Option("--pseudo-dir", help="Folder with <El>.upf files on the DFT machine.")] = "./pseudo",
    kspacing: Annotated[float, typer.Option("--kspacing", help="k-point spacing in 1/Å (2π included).")] = 0.25,
    out: Out = Path("dft"), as_json: Json = False,
):
    """One SCF input per frame (forces and stress on); run them, then 'finetune collect'.

    Example: lammpskit finetune export-dft frames.xyz --code qe --functional r2scan --out dft/
    """
    from lammpskit._util import validate
    from lammpskit.finetune import frames as finetune

    if code != "qe":
        raise UserError("--code: only qe (Quantum ESPRESSO) is supported")
    validate.number(kspacing, "--kspacing", 0.01, 2)
    validate.path(pseudo_dir, "--pseudo-dir")
    dirs = finetune.export_qe(finetune.read(frames), _out(out), functional, pseudo_dir, kspacing)
    if as_json:
        return _echo_json({"inputs": [str(d / "pw.in") for d in dirs]})
    typer.echo(f"wrote {len(dirs)} pw.x inputs under {out} (run: pw.x -in pw.in > pw.out in each folder)")


@finetune_app.command("collect")
def collect_cmd(
    paths: Annotated[list[Path], typer.Argument(help="DFT output folders/files (pw.out, OUTCAR, vasprun.xml) "
                     "or labelled extxyz.")],
    valid_fraction: Annotated[float, typer.Option("--valid-fraction", help="Share kept for validation.")] = 0.1,
    train: Annotated[Path, typer.Option("--train", help="Training set to write.")] = Path("train.xyz"),
    valid: Annotated[Path, typer.Option("--valid", help="Validation set to write.")] = Path("valid.xyz"),
    as_json: Json = False,
):
    """Read labelled results back into train/valid extxyz (REF_energy, REF_forces, REF_stress).

    Example: lammpskit finetune collect dft/ --train train.xyz --valid valid.xyz
    """
    from lammpskit._util import validate
    from lammpskit.finetune import frames as finetune

    validate.number(valid_fraction, "--valid-fraction", 0, 0.9, lo_open=True)
    tr, va = finetune.collect(paths, valid_fraction)
    finetune.write(_out(train), tr)
    finetune.write(_out(valid), va)
    if as_json:
        return _echo_json({"train": len(tr), "valid": len(va)})
    typer.echo(f"{len(tr)} training and {len(va)} validation frames: {train}, {valid}")


@finetune_app.command("deepmd")
def deepmd_cmd(
    train: Annotated[Path, typer.Option("--train", help="Labelled training frames (extxyz).")],
    valid: Annotated[Path, typer.Option("--valid", help="Labelled validation frames (extxyz).")],
    steps: Annotated[int, typer.Option("--steps", help="Training steps.")] = 100000,
    ensemble: Annotated[int, typer.Option("--ensemble", help="Models with different seeds (model deviation).")] = 1,
    rcut: Annotated[float, typer.Option("--rcut", help="Cutoff in Å.")] = 6.0,
    compress: Annotated[bool, typer.Option("--compress", help="Also write dp --pt compress output.")] = False,
    name: Annotated[str, typer.Option("--name", help="Register the first model under this name.")] = "deepmd",
    out: Out = Path("deepmd-train"), as_json: Json = False,
):
    """Train DeePMD (se_e2_a, PyTorch backend), freeze (and compress), register with provenance.

    Example: lammpskit finetune deepmd --train train.xyz --valid valid.xyz --steps 200000 --ensemble 4
    """
    from lammpskit.finetune import deepmd

    info = deepmd.train_deepmd(train, valid, steps=steps, ensemble=ensemble, rcut=rcut, compress=compress, name=name,
                               out=out)
    if as_json:
        return _echo_json(info)
    typer.echo(f"trained {len(info['models'])} model(s); validation force RMSE "
               f"{info['validation_first_last'].get('rmse_f_val')} eV/Å; "
               f"registered {name}")


@finetune_app.command("deviation")
def deviation_cmd(
    dump: Annotated[Path, typer.Argument(help="A LAMMPS dump (element column) to re-evaluate.")],
    models: Annotated[list[Path], typer.Option("--model", help="DeePMD models of the ensemble (repeat, >= 2).")],
    threshold: Annotated[float, typer.Option("--threshold", help="Flag frames with max force deviation above "
                         "this (eV/Å).")] = 0.2,
    out: Out = Path("uncertain.xyz"), as_json: Json = False,
):
    """Model deviation of a DeePMD ensemble over a trajectory (pair_style deepmd m1 m2 ... out_file);
    frames above the threshold are written for the next labelling round.

    Example: lammpskit finetune deviation runs/g1/dump.production.lammpstrj --model m0.pth --model m1.pth
    """
    from lammpskit._util import validate
    from lammpskit.finetune import deviation

    if len(models) < 2:
        raise UserError("give at least two --model files")
    validate.number(threshold, "--threshold", 0, 100, lo_open=True)
    res = deviation.run(validate.path(dump, "dump"), [validate.path(m, "--model") for m in models], threshold,
                        _out(out))
    if as_json:
        return _echo_json(res)
    typer.echo(f"{res['flagged']} of {res['frames']} frames above {threshold} eV/Å: {out}")


@finetune_app.command("mace")
def mace_cmd(
    train: Annotated[Path, typer.Option("--train", help="Labelled training frames (extxyz, REF_* keys).")],
    foundation: Annotated[str, typer.Option("--foundation", help="A registered MACE potential (mp0, ...) or a "
                          ".model file.")] = "mp0",
    valid: Annotated[Optional[Path], typer.Option("--valid", help="Validation frames (default: 10 % of --train).")] = None,
    epochs: Annotated[int, typer.Option("--epochs", help="Training epochs.")] = 50,
    lr: Annotated[Optional[float], typer.Option("--lr", help="Learning rate (default 0.01; 1e-4 with --replay, "
                  "MACE's multihead setting).")] = None,
    batch: Annotated[int, typer.Option("--batch", help="Batch size (frames).")] = 4,
    e0s: Annotated[Optional[str], typer.Option("--e0s", help="average (fit to the data) or foundation "
                   "(default: average; foundation with --replay).")] = None,
    replay: Annotated[Optional[Path], typer.Option("--replay", help="Multihead replay: frames of the foundation's own "
                      "kind (extxyz, REF_* keys, e.g. an MPtrj subset for mp0) fitted by a second head meanwhile.")] = None,
    device: Annotated[str, typer.Option("--device", help="cpu or cuda.")] = "cpu",
    threads: Annotated[int, typer.Option("--threads", help="CPU threads for training.")] = 1,
    name: Annotated[str, typer.Option("--name", help="Register the result under this name.")] = "ft-mp0",
    slurm_site: Annotated[Optional[Path], typer.Option("--slurm", help="Submit this command as a SLURM job with the "
                          "settings of this site file (TOML, the [slurm] keys of a campaign).")] = None,
    out: Out = Path("mace-finetune"), as_json: Json = False,
):
    """Fine-tune a MACE foundation model (mace_run_train), convert it for LAMMPS, register it with provenance.

    Example: lammpskit finetune mace --foundation mp0 --train train.xyz --valid valid.xyz --epochs 100
    """
    from rich.progress import BarColumn, Progress, TextColumn

    from lammpskit.finetune import mace

    options = dict(foundation=foundation, valid=valid, epochs=epochs, lr=lr, batch=batch, e0s=e0s, replay=replay,
                   device=device, threads=threads, name=name)
    if slurm_site is not None:  # check everything here, then run this same command on a node
        options["e0s"] = mace.check_options(train, **options)["e0s"]
        return _submit_self(slurm_site, "mace", out, as_json, train=train, **options)
    with Progress(TextColumn("fine-tuning"), BarColumn(), TextColumn("epoch {task.completed}/{task.total}"),
                  disable=as_json, transient=True) as bar:
        task = bar.add_task("mace", total=epochs)
        info = mace.finetune_mace(train, out=out, progress=lambda d, n: bar.update(task, completed=d), **options)
    if as_json:
        return _echo_json(info)
    first_last = info["validation_first_last"]
    if first_last:
        a, b = first_last
        typer.echo(f"validation RMSE: E {a['rmse_e_per_atom']:.4f} -> {b['rmse_e_per_atom']:.4f}"
                   f" eV/atom, F {a['rmse_f']:.4f} -> {b['rmse_f']:.4f} eV/Å")
    typer.echo(f"registered {name} ({info['files'][0]['path']}); run it: lammpskit quench --pot {name}")


@finetune_app.command("sevenn")
def sevenn_cmd(
    train: Annotated[Path, typer.Argument(help="Labelled training frames (extxyz, REF_* keys).")],
    foundation: Annotated[str, typer.Option("--foundation", help="A registered SevenNet potential (7net-0, 7net-0-mpf, "
                          "7net-l3i5) or a sevenn checkpoint file.")] = "7net-0",
    valid: Annotated[Optional[Path], typer.Option("--valid", help="Validation frames (default: 10 % of TRAIN).")] = None,
    epochs: Annotated[int, typer.Option("--epochs", help="Training epochs.")] = 50,
    lr: Annotated[Optional[float], typer.Option("--lr", help="Learning rate (default 0.004, sevenn's fine_tune "
                  "preset).")] = None,
    batch: Annotated[int, typer.Option("--batch", help="Batch size (frames).")] = 4,
    device: Annotated[str, typer.Option("--device", help="cpu or cuda.")] = "cpu",
    threads: Annotated[int, typer.Option("--threads", help="CPU threads for training.")] = 1,
    name: Annotated[str, typer.Option("--name", help="Register the result under this name.")] = "ft-7net",
    slurm_site: Annotated[Optional[Path], typer.Option("--slurm", help="Submit this command as a SLURM job with the "
                          "settings of this site file (TOML, the [slurm] keys of a campaign).")] = None,
    out: Out = Path("sevenn-finetune"), as_json: Json = False,
):
    """Fine-tune a SevenNet foundation model (sevenn's trainer, its fine_tune preset), register it with provenance.

    The labels' energy reference (e.g. CP2K/GTH total energies) is absorbed first into per-element energy
    offsets fitted to the training set, so the forces start from the foundation's.

    Example: lammpskit finetune sevenn train.xyz --foundation 7net-0 --valid valid.xyz --epochs 50 --name ft-7net
    """
    from rich.progress import BarColumn, Progress, TextColumn

    from lammpskit.finetune import sevennet

    options = dict(foundation=foundation, valid=valid, epochs=epochs, lr=lr, batch=batch, device=device,
                   threads=threads, name=name)
    if slurm_site is not None:  # check everything here, then run this same command on a node
        from lammpskit._util import validate

        sevennet.check_options(train, **options)
        return _submit_self(slurm_site, "sevenn", out, as_json,
                            args=[str(validate.path(Path(train).resolve(), "TRAIN"))], **options)
    with Progress(TextColumn("fine-tuning"), BarColumn(), TextColumn("epoch {task.completed}/{task.total}"),
                  disable=as_json, transient=True) as bar:
        task = bar.add_task("sevenn", total=epochs)
        info = sevennet.finetune_sevenn(train, out=out, progress=lambda d, n: bar.update(task, completed=d), **options)
    if as_json:
        return _echo_json(info)
    a, b = info["validation_first_last"]
    offsets = ", ".join(f"{el} {v:+.2f}" for el, v in info["offsets_eV"].items())
    typer.echo(f"reference offsets absorbed (eV per atom): {offsets}")
    typer.echo(f"validation RMSE: E {a['rmse_e_per_atom']:.4f} -> {b['rmse_e_per_atom']:.4f}"
               f" eV/atom, F {a['rmse_f']:.4f} -> {b['rmse_f']:.4f} eV/Å")
    typer.echo(f"registered {name} ({info['files'][0]['path']}); run it: lammpskit quench --pot {name}")


def _submit_self(site_file: Path, command: str, out: Path, as_json: bool, args: list[str] | None = None,
                 **options) -> None:
    """Submit ``lammpskit finetune COMMAND [ARGS]`` with ``options`` (all checked first) as one SLURM job."""
    from lammpskit.study import slurm

    info = slurm.submit_kit_command(site_file, ["finetune", command], options, _out(out), args)
    if as_json:
        return _echo_json(info)
    typer.echo(f"submitted job {info['job']}: {info['script']} (log {info['log']})")
