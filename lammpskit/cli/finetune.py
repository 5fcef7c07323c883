"""``lammpskit finetune``: sample -> label -> train (MACE or SevenNet fine-tuning, DeePMD) -> register -> rerun."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from lammpskit.cli.common import Json
from lammpskit.cli.common import echo_json as _echo_json
from lammpskit.cli.common import options as cli_options
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
    from lammpskit.structure import frames as xyz

    validate.integer(n, "--n", 1, 10**6)
    validate.integer(every, "--every", 1, 10**6)
    if max_atoms is not None:
        validate.integer(max_atoms, "--max-atoms", 1, 10**7)
    frames = finetune.sample([validate.path(r, "run directory") for r in run_dirs], n, max_atoms, every, seed)
    xyz.write(_out(out), frames)
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
    from lammpskit.structure import frames as xyz

    validate.choice(device, ("cpu", "cuda"), "--device")
    labelled = finetune.label(xyz.read(frames), pot, device)
    xyz.write(_out(out), labelled)
    if as_json:
        return _echo_json({"frames": len(labelled), "out": str(out), "label_source": pot})
    typer.echo(f"labelled {len(labelled)} frames with {pot}: {out}")


Cutoff = Annotated[Optional[float], typer.Option("--cutoff", help="CP2K plane-wave CUTOFF in Ry (default: the "
                   "measured one, see 'finetune converge').")]
RelCutoff = Annotated[Optional[float], typer.Option("--rel-cutoff", help="CP2K REL_CUTOFF in Ry (default: measured).")]
D3 = Annotated[bool, typer.Option("--d3/--no-d3", help="Grimme D3(BJ) dispersion (CP2K).")]
XcSmooth = Annotated[Optional[bool], typer.Option("--xc-smooth/--no-xc-smooth", help="Smoothed density and "
                     "derivatives for the XC on the grid (CP2K XC_SMOOTH_RHO/XC_DERIV NN10): removes the grid's "
                     "egg-box forces but shifts energies by a cutoff-dependent amount (off by default; docs/finetune.md "
                     "'Label frames with CP2K').")]

Valence = Annotated[Optional[list[str]], typer.Option("--valence", help="EL=Q: another valence for an element's "
                    "GTH pseudopotential, e.g. Na=1 (no semicore: no egg-box forces, ~3x cheaper; docs/finetune.md 'Label "
                    "frames with CP2K'). Repeatable.")]


def _valence(items: list[str] | None) -> dict[str, int]:
    """``--valence Na=1`` options as ``{"Na": 1}`` (checked by ``cp2k.Settings``)."""
    out = {}
    for item in items or []:
        el, sep, q = item.partition("=")
        if not sep or not q.strip().isdigit():
            raise UserError(f"--valence {item!r}: expected ELEMENT=VALENCE, e.g. Na=1")
        out[el.strip()] = int(q)
    return out


def _cp2k_settings(functional: str, d3: bool, cutoff: float | None, rel_cutoff: float | None,
                   xc_smooth: bool | None = None, valence: list[str] | None = None):
    """Checked CP2K settings from the command line (defaults from ``finetune.cp2k.Settings``)."""
    from lammpskit.finetune import cp2k

    given = {"cutoff": cutoff, "rel_cutoff": rel_cutoff, "xc_smooth": xc_smooth}
    return cp2k.Settings(functional=functional, d3=d3, valence=_valence(valence),
                         **{k: v for k, v in given.items() if v is not None}).check()


def _only_cp2k(code: str) -> None:
    if code != "cp2k":
        raise UserError(f"--code {code!r}: only cp2k runs here (for Quantum ESPRESSO, write the inputs with "
                        "'finetune export-dft --code qe')")


@finetune_app.command("export-dft")
def export_dft_cmd(
    frames: Annotated[Path, typer.Argument(help="extxyz frames to compute.")],
    code: Annotated[str, typer.Option("--code", help="DFT code: qe (Quantum ESPRESSO pw.x) or cp2k.")] = "qe",
    functional: Annotated[str, typer.Option("--functional", help="pbe or r2scan.")] = "pbe",
    pseudo_dir: Annotated[str, typer.Option("--pseudo-dir", help="Folder with <El>.upf files on the DFT machine "
                          "(qe).")] = "./pseudo",
    kspacing: Annotated[float, typer.Option("--kspacing", help="k-point spacing in 1/Å (2π included; qe).")] = 0.25,
    cutoff: Cutoff = None, rel_cutoff: RelCutoff = None, d3: D3 = True, xc_smooth: XcSmooth = None,
    valence: Valence = None, out: Out = Path("dft"), as_json: Json = False,
):
    """One SCF input per frame (forces and stress on) in OUT/NNNN/; run them, then 'finetune collect'.

    Example: lammpskit finetune export-dft frames.xyz --code cp2k --out dft/
    """
    from lammpskit._util import validate
    from lammpskit.finetune import frames as finetune
    from lammpskit.structure import frames as xyz

    validate.choice(code, ("qe", "cp2k"), "--code")
    if code == "cp2k":
        from lammpskit.finetune import cp2k

        settings = _cp2k_settings(functional, d3, cutoff, rel_cutoff, xc_smooth, valence)
        dirs = cp2k.prepare_all(xyz.read(frames), _out(out), settings)
        if as_json:
            return _echo_json({"inputs": [str(d / cp2k.INPUT) for d in dirs], "settings": settings.__dict__})
        typer.echo(f"wrote {len(dirs)} CP2K inputs under {out} (run in each folder: cp2k.psmp -i {cp2k.INPUT} "
                   f"-o {cp2k.OUTPUT}; data files from CP2K's data folder, e.g. CP2K_DATA_DIR=/usr/share/cp2k)")
        return None
    if cutoff is not None or rel_cutoff is not None or not d3 or xc_smooth is not None or valence:
        raise UserError("--cutoff, --rel-cutoff, --no-d3, --xc-smooth and --valence are CP2K options: add --code cp2k")
    validate.number(kspacing, "--kspacing", 0.01, 2)
    validate.path(pseudo_dir, "--pseudo-dir")
    dirs = finetune.export_qe(xyz.read(frames), _out(out), functional, pseudo_dir, kspacing)
    if as_json:
        return _echo_json({"inputs": [str(d / "pw.in") for d in dirs]})
    typer.echo(f"wrote {len(dirs)} pw.x inputs under {out} (run: pw.x -in pw.in > pw.out in each folder)")


@finetune_app.command("dft")
def dft_cmd(
    frames: Annotated[Path, typer.Argument(help="extxyz frames to label (from 'finetune sample').")],
    code: Annotated[str, typer.Option("--code", help="DFT code that runs here (cp2k).")] = "cp2k",
    functional: Annotated[str, typer.Option("--functional", help="pbe or r2scan (libxc MGGA_X/C_R2SCAN).")] = "pbe",
    cutoff: Cutoff = None, rel_cutoff: RelCutoff = None, d3: D3 = True, xc_smooth: XcSmooth = None,
    valence: Valence = None,
    workers: Annotated[int, typer.Option("--workers", help="CP2K runs at once.")] = 1,
    threads: Annotated[int, typer.Option("--threads", help="OpenMP threads per CP2K run (one MPI rank).")] = 1,
    folder: Annotated[Optional[Path], typer.Option("--folder", help="Frame folders (default: <out>-cp2k/ beside "
                      "--out).")] = None,
    slurm_site: Annotated[Optional[Path], typer.Option("--slurm", help="Submit the unfinished frames as one SLURM "
                          "array with this site file (TOML); run the command again afterwards to read the labels.")] = None,
    out: Out = Path("labelled.xyz"), as_json: Json = False,
):
    """Label frames with CP2K (PBE-D3(BJ) by default): energy, forces, stress as REF_* in extxyz, each frame
    with its frame_index. Every frame keeps its folder (input, output); a rerun skips finished frames;
    frames whose SCF did not converge are reported and left out.

    Example: lammpskit finetune dft frames.xyz --code cp2k --workers 2 --out labelled.xyz
    """
    from lammpskit.cli.progress import Cp2kBar
    from lammpskit.study import dft

    _only_cp2k(code)
    settings = _cp2k_settings(functional, d3, cutoff, rel_cutoff, xc_smooth, valence)
    if slurm_site is not None:
        info = dft.label_dft(frames, _out(out), code, slurm=slurm_site, folder=folder, settings=settings)
        if as_json:
            return _echo_json(info.to_dict())
        if info.job is None:
            typer.echo(f"all {info.frames} frames have finished: run the command again without --slurm")
        else:
            typer.echo(f"submitted array job {info.job} ({info.tasks} frames): {info.script}; "
                       "when it has run, repeat the command without --slurm to collect the labels")
        return None
    info = dft.label_dft(frames, _out(out), code, workers=workers, threads=threads, folder=folder,
                         settings=settings, progress=Cp2kBar(quiet=as_json))
    if as_json:
        return _echo_json(info.to_dict())
    for fail in info.failures:
        typer.echo(f"warning: frame {fail.frame_index} left out: {fail.reason}", err=True)
    per = f", {info.s_per_frame} s per frame" if info.s_per_frame else ""
    typer.echo(f"labelled {info.labelled} of {info.frames} frames ({info.ran} run, {info.skipped} "
               f"already done{per}): {info.out}; frame folders in {info.folder}")
    if not info.labelled:
        raise UserError("no frame was labelled: see the warnings above") from None
    return None


@finetune_app.command("converge")
def converge_cmd(
    frame: Annotated[Path, typer.Argument(help="extxyz file with one frame.")],
    code: Annotated[str, typer.Option("--code", help="DFT code (cp2k).")] = "cp2k",
    cutoffs: Annotated[str, typer.Option("--cutoffs", help="CUTOFF values in Ry, comma-separated.")] = "300,400,600,800",
    rel_cutoffs: Annotated[str, typer.Option("--rel-cutoffs", help="REL_CUTOFF values in Ry.")] = "40,60,80",
    functional: Annotated[str, typer.Option("--functional", help="pbe or r2scan.")] = "pbe",
    d3: D3 = True, xc_smooth: XcSmooth = None, valence: Valence = None,
    threads: Annotated[int, typer.Option("--threads", help="OpenMP threads per CP2K run.")] = 1,
    out: Out = Path("cp2k-converge"), as_json: Json = False,
):
    """Scan CUTOFF and REL_CUTOFF on one frame: energy/atom, max |ΔF|, stress against the tightest setting,
    and the smallest setting within 1 meV/atom, 10 meV/Å and 0.05 GPa.

    Example: lammpskit finetune converge frame.xyz --code cp2k --cutoffs 300,400,600,800 --rel-cutoffs 40,60,80
    """
    from lammpskit.cli import types
    from lammpskit.cli.progress import Cp2kBar
    from lammpskit.finetune import cp2k_converge

    _only_cp2k(code)
    values = types.numbers(cutoffs, "--cutoffs"), types.numbers(rel_cutoffs, "--rel-cutoffs")
    with cli_options(cutoffs="--cutoffs", folder="--out"):
        res = cp2k_converge.converge(frame, *values, _out(out), threads, functional=functional, d3=d3,
                                     progress=Cp2kBar(quiet=as_json), valence=_valence(valence),
                                     **({} if xc_smooth is None else {"xc_smooth": xc_smooth}))
    if as_json:
        return _echo_json(res.to_dict())
    ref, rows = res.reference_setting, res.settings
    typer.echo(f"against {ref.cutoff:g}/{ref.rel_cutoff:g} Ry ({res.frame_atoms} atoms):")
    typer.echo(f"{'cutoff':>7} {'rel':>5} {'dE meV/at':>10} {'max|dF| meV/A':>14} {'dS GPa':>8} "
               f"{'|sum F| eV/A':>13} {'wall s':>7}")
    for row in rows:
        if row.failed is not None:
            typer.echo(f"{row.cutoff:7g} {row.rel_cutoff:5g}  failed: {row.failed}")
            continue
        typer.echo(f"{row.cutoff:7g} {row.rel_cutoff:5g} {row.energy_meV_atom:10.3f} "
                   f"{row.force_meV_A:14.2f} {row.stress_GPa:8.4f} {row.force_sum_eV_A:13.3f} "
                   f"{row.wall_s or float('nan'):7.1f}{'' if row.within else '  *'}")
    tol, rec = res.tolerance, res.recommended_setting
    typer.echo(f"recommended: --cutoff {rec.cutoff:g} --rel-cutoff {rec.rel_cutoff:g} (within "
               f"{tol.energy_meV_atom:g} meV/atom, {tol.force_meV_A:g} meV/Å, {tol.stress_GPa:g} GPa; "
               "* = outside)")
    for axis, edge in (res.at_edge or {}).items():
        if edge:
            typer.echo(f"warning: only the largest {axis} scanned is within the tolerances: scan higher", err=True)
    return None


@finetune_app.command("collect")
def collect_cmd(
    paths: Annotated[list[Path], typer.Argument(help="DFT output folders/files (pw.out, OUTCAR, vasprun.xml, "
                     "CP2K frame folders with cp2k.out) "
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
    from lammpskit.structure import frames as xyz

    validate.number(valid_fraction, "--valid-fraction", 0, 0.9, lo_open=True)
    left_out: list[str] = []
    tr, va = finetune.collect(paths, valid_fraction, left_out=left_out)
    for why in left_out:
        typer.echo(f"warning: {why}", err=True)
    xyz.write(_out(train), tr)
    xyz.write(_out(valid), va)
    if as_json:
        return _echo_json({"train": len(tr), "valid": len(va), **({"left_out": left_out} if left_out else {})})
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
        return _echo_json(info.to_dict())
    val = info.validation  # the learning curve's force RMSE, first and last step (None: not in lcurve.out)
    forces = [v.force_eV_A for v in val] if val and val[0].force_eV_A is not None else None
    typer.echo(f"trained {len(info.models)} model(s); validation force RMSE {forces} eV/Å; registered {name}")


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
    from lammpskit.cli.progress import EpochBar
    from lammpskit.finetune import mace

    options = dict(foundation=foundation, valid=valid, epochs=epochs, lr=lr, batch=batch, e0s=e0s, replay=replay,
                   device=device, threads=threads, name=name)
    if slurm_site is not None:  # check everything here, then run this same command on a node
        options["e0s"] = mace.check_options(train, **options)["e0s"]
        return _submit_self(slurm_site, "mace", out, as_json, train=train, **options)
    info = mace.finetune_mace(train, out=out, progress=EpochBar(quiet=as_json), **options)
    if as_json:
        return _echo_json(info.to_dict())
    if info.validation:
        _echo_validation(*info.validation)
    _echo_registered(name, info)


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
    from lammpskit.cli.progress import EpochBar
    from lammpskit.finetune import sevennet

    options = dict(foundation=foundation, valid=valid, epochs=epochs, lr=lr, batch=batch, device=device,
                   threads=threads, name=name)
    if slurm_site is not None:  # check everything here, then run this same command on a node
        from lammpskit._util import validate

        with cli_options(train="TRAIN"):
            sevennet.check_options(train, **options)
        return _submit_self(slurm_site, "sevenn", out, as_json,
                            args=[str(validate.path(Path(train).resolve(), "TRAIN"))], **options)
    with cli_options(train="TRAIN"):
        info = sevennet.finetune_sevenn(train, out=out, progress=EpochBar(quiet=as_json), **options)
    if as_json:
        return _echo_json(info.to_dict())
    offsets = ", ".join(f"{el} {v:+.2f}" for el, v in (info.offsets_eV or {}).items())
    typer.echo(f"reference offsets absorbed (eV per atom): {offsets}")
    _echo_validation(*info.validation)
    _echo_registered(name, info)


def _echo_validation(first, last) -> None:
    """The validation RMSE (``finetune.results.Validation``) of the first and the last epoch (energy eV/atom,
    force eV/Å)."""
    typer.echo(f"validation RMSE: E {first.energy_eV_atom:.4f} -> {last.energy_eV_atom:.4f}"
               f" eV/atom, F {first.force_eV_A:.4f} -> {last.force_eV_A:.4f} eV/Å")


def _echo_registered(name: str, info) -> None:
    """Where a ``TrainingResult``'s model was registered, and how to run it."""
    typer.echo(f"registered {name} ({info.registered_file}); run it: lammpskit quench --pot {name}")


def _submit_self(site_file: Path, command: str, out: Path, as_json: bool, args: list[str] | None = None,
                 **options) -> None:
    """Submit ``lammpskit finetune COMMAND [ARGS]`` with ``options`` (all checked first) as one SLURM job."""
    from lammpskit.study import slurm

    info = slurm.submit_kit_command(site_file, ["finetune", command], options, _out(out), args)
    if as_json:
        return _echo_json(info)
    typer.echo(f"submitted job {info['job']}: {info['script']} (log {info['log']})")
