"""``lammpskit analyze``: structural analysis of dumps and data files (OVITO pipelines in analysis/)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from lammpskit._util import layout
from lammpskit.cli import types as cli_types
from lammpskit.cli.common import Json, options
from lammpskit.cli.common import echo_json as _echo_json

analyze_app = typer.Typer(no_args_is_help=True, help="Structural analysis of dumps and data files (OVITO).")

Path_ = Annotated[Path, typer.Argument(help="LAMMPS dump (element or type column) or data file.")]
Frames = Annotated[str, typer.Option("--frames", help="last | all | A:B (frame indices).")]
Types = Annotated[Optional[str], typer.Option("--types", help="Elements of types 1..n, e.g. Na,P,S,O.")]
Cutoff = Annotated[Optional[list[str]], typer.Option("--cutoff", help="Bond cutoff A-B=r in Å (repeatable); "
                   "defaults P-S=2.6 P-O=2.0 P-P=2.5 S-S=2.5 Na-S=3.6 Na-O=3.1.")]
OutDir = Annotated[Optional[str], typer.Option("--out", help="Folder for CSV and PNG (default: beside PATH).")]


def _bar(as_json: bool):
    """A per-frame progress bar (none with --json)."""
    from lammpskit.cli.progress import FramesBar

    return FramesBar(quiet=as_json)


@analyze_app.command("units")
def analyze_units(
    path: Path_, frames: Frames = "last", types: Types = None, cutoff: Cutoff = None,
    annotate: Annotated[Optional[Path], typer.Option("--annotate", help="Also write the frames to this dump with "
                        "per-atom columns pn, anion, edge, pp, unit_o (for OVITO's Color coding).")] = None,
    as_json: Json = False,
):
    """P^n units, PS(4-m)Om units, bridging/non-bridging/free S and O, edge sharing, P-P and S-S bonds.

    Example: lammpskit analyze units runs/glass1/dump.production.lammpstrj --frames all --annotate units.dump
    """
    from lammpskit.workflows import dump_analysis

    elements = cli_types.element_list(types)
    cut = cli_types.pairs(cutoff, "--cutoff", "P-S=2.6")
    with options(**cli_types.frames_names(frames)):
        result = dump_analysis.units(path, cli_types.frames(frames), elements, cut, annotate, _bar(as_json))
    if as_json:
        return _echo_json(result.to_dict())
    from lammpskit.cli.summary import show_units

    show_units(path, result)
    if annotate is not None:
        typer.echo(f"wrote {annotate}: per-atom pn, anion, edge, pp, unit_o (open it in OVITO)")


@analyze_app.command("run")
def analyze_run(
    run_dir: Annotated[Path, typer.Argument(help="A finished quench run directory.")],
    as_json: Json = False,
):
    """All analyses of a finished quench (units, g(r), S(Q), Na transport, density) into RUN_DIR/analysis/.

    Example: lammpskit analyze run runs/glass1 --json
    """
    from lammpskit._util import validate
    from lammpskit.workflows import run_analysis

    result = run_analysis.analyse(validate.path(run_dir, "run directory"))
    if as_json:
        return _echo_json(result.to_dict())
    msd = f"{result.msd_table}, " if result.msd_table else ""
    typer.echo(f"wrote {Path(run_dir) / layout.ANALYSIS_DIR}: {layout.UNITS}, {layout.RDF}, {layout.SQ}, {msd}"
               f"{layout.RESULT} "
               f"({result.frames} frames)")


@analyze_app.command("rdf")
def analyze_rdf(
    path: Path_, frames: Frames = "all", types: Types = None, out: OutDir = None,
    rmax: Annotated[float, typer.Option("--rmax", help="Largest r in Å (at most half the box).")] = 6.0,
    bins: Annotated[int, typer.Option("--bins", help="Histogram bins.")] = 300,
    as_json: Json = False,
):
    """Partial and total (neutron, X-ray) g(r) averaged over frames, and cutoffs proposed from first minima.

    Example: lammpskit analyze rdf runs/glass1/dump.production.lammpstrj --rmax 8 --out runs/glass1/analysis
    """
    from lammpskit.workflows import dump_analysis

    with options(**cli_types.frames_names(frames)):
        info = dump_analysis.rdf(path, cli_types.frames(frames), cli_types.element_list(types), out, rmax, bins,
                                 _bar(as_json))
    if as_json:
        return _echo_json(info.to_dict())
    typer.echo(f"wrote {info.csv} and {info.png}")
    typer.echo("proposed cutoffs (first minimum of g_ab): "
               + " ".join(f"--cutoff {k}={v}" for k, v in (info.cutoffs_proposed or {}).items()))
    for pair, why in (info.cutoffs_not_proposed or {}).items():
        typer.echo(f"  no cutoff for {pair}: {why}")


@analyze_app.command("sq")
def analyze_sq(
    path: Path_, frames: Frames = "all", types: Types = None, out: OutDir = None,
    rmax: Annotated[float, typer.Option("--rmax", help="Largest r in Å of the g(r) transformed.")] = 6.0,
    qmax: Annotated[float, typer.Option("--qmax", help="Largest Q in 1/Å.")] = 20.0,
    as_json: Json = False,
):
    """Neutron and X-ray total S(Q) and G(r) (Faber-Ziman, tabulated b and f(Q)).

    Example: lammpskit analyze sq runs/glass1/dump.production.lammpstrj --qmax 25
    """
    from lammpskit.workflows import dump_analysis

    with options(**cli_types.frames_names(frames)):
        info = dump_analysis.sq(path, cli_types.frames(frames), cli_types.element_list(types), out, rmax, qmax,
                                _bar(as_json))
    if as_json:
        return _echo_json(info.to_dict())
    typer.echo(f"wrote {', '.join(info.csv + info.png)}")
    typer.echo(f"S(Q) below {info.q_resolved_invA:.2f} 1/Å is not resolved by this box (column 'resolved' = 0)")


@analyze_app.command("angles")
def analyze_angles(
    path: Path_, frames: Frames = "all", types: Types = None, out: OutDir = None,
    cutoff: Cutoff = None,
    as_json: Json = False,
):
    """Bond-angle distributions S-P-S, O-P-O, S-P-O, P-S-P, P-O-P (degrees).

    Example: lammpskit analyze angles runs/glass1/dump.production.lammpstrj --frames -10:
    """
    from lammpskit.analysis.angles import DEFAULT_TRIPLETS
    from lammpskit.workflows import dump_analysis

    elements = cli_types.element_list(types)
    cut = cli_types.pairs(cutoff, "--cutoff", "P-S=2.6")
    with options(**cli_types.frames_names(frames)):
        info = dump_analysis.angles(path, cli_types.frames(frames), elements, out, cut, _bar(as_json))
    if as_json:
        return _echo_json(info.to_dict())
    typer.echo(f"wrote {info.csv} and {info.png}")
    counts, means = info.angles_per_frame or {}, info.mean_deg or {}
    for t in DEFAULT_TRIPLETS:
        if counts.get(t):
            typer.echo(f"  {t}: mean {means[t]:.1f}°, {counts[t]:.1f} per frame")


@analyze_app.command("msd")
def analyze_msd(
    path: Annotated[Path, typer.Argument(help="Run directory (uses dump.unwrapped.lammpstrj) or a dump with xu yu zu.")],
    frames: Frames = "all", types: Types = None, out: OutDir = None,
    dt: Annotated[Optional[float], typer.Option("--dt", help="MD timestep in fs (default: the run's).")] = None,
    temperature: Annotated[Optional[float], typer.Option("--temperature", help="T in K (default: the run's T_final).")] = None,
    fit: Annotated[str, typer.Option("--fit", help="Fit window as fractions of the longest lag, A:B.")] = "0.2:0.8",
    as_json: Json = False,
):
    """MSD per element, diffusion coefficients (cm^2/s) and Nernst-Einstein conductivity (S/cm).

    Example: lammpskit analyze msd runs/glass1 --fit 0.2:0.8 --json
    """
    from lammpskit.workflows import dump_analysis

    with options(**cli_types.frames_names(frames)):
        res = dump_analysis.msd(path, cli_types.frames(frames), cli_types.element_list(types), out, dt, temperature,
                                cli_types.fit_window(fit), _bar(as_json))
    if as_json:
        return _echo_json(res.to_dict())
    for el, d in res.diffusivities.items():
        sigma = (res.conductivity_S_cm or {}).get(el)
        extra = f", Nernst-Einstein sigma {sigma:.3g} S/cm" if sigma is not None else ""
        typer.echo(f"{el}: D = {d.D_cm2_s:.3g} cm²/s (fit {d.fit_ps[0]:.2f}-{d.fit_ps[1]:.2f} ps){extra}")
        for problem in d.problems:
            typer.echo(f"  warning: {el}: {problem}")
    typer.echo(f"wrote {res.csv} and {res.png}")
