"""``lammpskit analyze``: structural analysis of dumps and data files (OVITO pipelines in analysis/)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from lammpskit.cli.common import Json
from lammpskit.cli.common import echo_json as _echo_json

analyze_app = typer.Typer(no_args_is_help=True, help="Structural analysis of dumps and data files (OVITO).")

Path_ = Annotated[Path, typer.Argument(help="LAMMPS dump (element or type column) or data file.")]
Frames = Annotated[str, typer.Option("--frames", help="last | all | A:B (frame indices).")]
Types = Annotated[Optional[str], typer.Option("--types", help="Elements of types 1..n, e.g. Na,P,S,O.")]
Cutoff = Annotated[Optional[list[str]], typer.Option("--cutoff", help="Bond cutoff A-B=r in Å (repeatable); "
                   "defaults P-S=2.6 P-O=2.0 P-P=2.5 S-S=2.5 Na-S=3.6 Na-O=3.1.")]
OutDir = Annotated[Optional[str], typer.Option("--out", help="Folder for CSV and PNG (default: beside PATH).")]


@analyze_app.command("units")
def analyze_units(
    path: Path_, frames: Frames = "last", types: Types = None, cutoff: Cutoff = None,
    as_json: Json = False,
):
    """P^n units, PS(4-m)Om units, bridging/non-bridging/free S and O, edge sharing, P-P and S-S bonds.

    Example: lammpskit analyze units runs/glass1/dump.production.lammpstrj --frames all --json
    """
    from lammpskit.analysis import cutoffs, units

    cut = cutoffs.parse(cutoff)
    pipeline, selected, progress = _open(path, frames, types, as_json)
    with progress as tick:
        result = units.analyse(pipeline, selected, cut, tick)
    if as_json:
        return _echo_json(result)
    from lammpskit.run.summary import show_units

    show_units(path, result)


def _open(path, frames, types, as_json, **checks):
    """Pipeline, selected frames and a progress context (a bar over frames) for PATH."""
    from lammpskit.analysis import reader
    from lammpskit.run.progress import frame_progress

    pipeline = reader.open_pipeline(path, reader.parse_types(types), **checks)
    selected = reader.select_frames(frames, pipeline.source.num_frames)
    return pipeline, selected, frame_progress(len(selected), quiet=as_json)


def _analysis_input(path, frames, types, out, as_json, **checks):
    """``_open`` plus the output folder for CSV and PNG files."""
    from lammpskit._util import outputs, validate

    folder = outputs.out_dir(validate.path(out or Path(path).parent / "analysis", "--out"), "--out")
    pipeline, selected, progress = _open(path, frames, types, as_json, **checks)
    folder.mkdir(parents=True, exist_ok=True)
    return pipeline, selected, folder, progress


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
        return _echo_json(result)
    msd = "msd.csv, " if "msd" in result["transport"] else ""
    typer.echo(f"wrote {Path(run_dir) / 'analysis'}: units.json, rdf.csv, sq.csv, {msd}result.json "
               f"({result['frames']} frames)")


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
    from lammpskit._util import validate
    from lammpskit.analysis import scattering
    from lammpskit.figures import plots

    validate.number(rmax, "--rmax", 1, 50)
    validate.integer(bins, "--bins", 10, 100000)
    pipeline, selected, folder, progress = _analysis_input(path, frames, types, out, as_json)
    with progress as tick:
        rdf = scattering.partial_rdf(pipeline, selected, rmax, bins, tick)
    csv_path = plots.write_csv(folder / "rdf.csv", scattering.rdf_table(rdf))
    png = plots.line_plot(folder / "rdf.png", rdf["r"], {k: v for k, v in rdf["partials"].items()},
                          "r (Å)", "g(r)", f"partial g(r), {len(selected)} frame(s)")
    proposed = scattering.propose_cutoffs(rdf)
    info = {"frames": len(selected), "csv": str(csv_path), "png": str(png), "cutoffs_proposed": proposed,
            "density_atoms_per_A3": rdf["rho"], "concentrations": rdf["conc"]}
    if as_json:
        return _echo_json(info)
    typer.echo(f"wrote {csv_path} and {png}")
    typer.echo("proposed cutoffs (first minimum of g_ab): " + " ".join(f"--cutoff {k}={v}" for k, v in proposed.items()))


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
    import numpy as np

    from lammpskit._util import validate
    from lammpskit.analysis import scattering
    from lammpskit.figures import plots

    validate.number(rmax, "--rmax", 1, 50)
    validate.number(qmax, "--qmax", 1, 100)
    pipeline, selected, folder, progress = _analysis_input(path, frames, types, out, as_json)
    with progress as tick:
        rdf = scattering.partial_rdf(pipeline, selected, rmax, 400, tick)
    q = np.linspace(0.3, qmax, 400)
    sq = scattering.sq_table(rdf, q)
    gr = scattering.total_gr(rdf)
    sq_csv = plots.write_csv(folder / "sq.csv", sq)
    gr_csv = plots.write_csv(folder / "Gr.csv", {"r_A": rdf["r"], **gr})
    sq_png = plots.line_plot(folder / "sq.png", q, {"neutron": sq["S_neutron"], "X-ray": sq["S_xray"]},
                             "Q (1/Å)", "S(Q)", "total structure factor")
    gr_png = plots.line_plot(folder / "Gr.png", rdf["r"], {"neutron": gr["G_neutron"], "X-ray": gr["G_xray"]},
                             "r (Å)", "G(r) (1/Å²)", "total pair distribution function")
    info = {"frames": len(selected), "csv": [str(sq_csv), str(gr_csv)], "png": [str(sq_png), str(gr_png)]}
    if as_json:
        return _echo_json(info)
    typer.echo(f"wrote {sq_csv}, {gr_csv}, {sq_png}, {gr_png}")


@analyze_app.command("angles")
def analyze_angles(
    path: Path_, frames: Frames = "all", types: Types = None, out: OutDir = None,
    cutoff: Cutoff = None,
    as_json: Json = False,
):
    """Bond-angle distributions S-P-S, O-P-O, S-P-O, P-S-P, P-O-P (degrees).

    Example: lammpskit analyze angles runs/glass1/dump.production.lammpstrj --frames -10:
    """
    from lammpskit.analysis import angles, cutoffs
    from lammpskit.figures import plots

    cut = cutoffs.parse(cutoff)
    pipeline, selected, folder, progress = _analysis_input(path, frames, types, out, as_json)
    with progress as tick:
        dist = angles.distributions(pipeline, selected, cut, progress=tick)
    series = {t: dist[t] for t in angles.DEFAULT_TRIPLETS}
    csv_path = plots.write_csv(folder / "angles.csv", {"angle_deg": dist["angle"], **series})
    png = plots.line_plot(folder / "angles.png", dist["angle"], {t: v for t, v in series.items() if dist["counts"][t]},
                          "angle (degrees)", "probability density", "bond-angle distributions")
    info = {"frames": len(selected), "csv": str(csv_path), "png": str(png), "angles_per_frame": dist["counts"],
            "mean_deg": dist["mean"]}
    if as_json:
        return _echo_json(info)
    typer.echo(f"wrote {csv_path} and {png}")
    for t in angles.DEFAULT_TRIPLETS:
        if dist["counts"][t]:
            typer.echo(f"  {t}: mean {dist['mean'][t]:.1f}°, {dist['counts'][t]:.1f} per frame")


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
    from lammpskit._util import validate
    from lammpskit.analysis import transport
    from lammpskit.errors import UserError
    from lammpskit.figures import plots
    from lammpskit.run import manifest

    path = Path(path)
    if path.is_dir():
        man = manifest.load(path)
        dt = dt if dt is not None else man["params"]["dt"]
        temperature = temperature if temperature is not None else man["params"]["T_final"]
        path = path / "dump.unwrapped.lammpstrj"
    if dt is None or temperature is None:
        raise UserError("a dump file needs --dt (fs) and --temperature (K)")
    validate.number(dt, "--dt", 0, 100, lo_open=True)
    validate.number(temperature, "--temperature", 0, 1e5, lo_open=True)
    try:
        lo, hi = (float(v) for v in fit.split(":"))
        assert 0 <= lo < hi <= 1
    except (ValueError, AssertionError):
        raise UserError(f"--fit {fit!r}: expected A:B with 0 <= A < B <= 1, e.g. 0.2:0.8") from None
    # MSD follows each atom on its own: no overlap check (random-walk test data have overlapping points)
    pipeline, selected, folder, progress = _analysis_input(path, frames, types, out, as_json, overlap=None)
    with progress as tick:
        res = transport.analyse(pipeline, selected, dt / 1000.0, temperature, (lo, hi), tick)
    t = res["time_ps"]
    csv_path = plots.write_csv(folder / "msd.csv", transport.msd_table(res))
    png = plots.line_plot(folder / "msd.png", t, res["msd_A2"], "t (ps)", "MSD (Å²)", "mean-square displacement")
    summary = {k: v for k, v in res.items() if k not in ("msd_A2", "time_ps")}
    summary.update(csv=str(csv_path), png=str(png))
    if as_json:
        return _echo_json(summary)
    for el, d in res["D"].items():
        sigma = res["conductivity_S_cm"].get(el)
        extra = f", Nernst-Einstein sigma {sigma:.3g} S/cm" if sigma is not None else ""
        typer.echo(f"{el}: D = {d['D_cm2_s']:.3g} cm²/s (fit {d['fit_ps'][0]:.2f}-{d['fit_ps'][1]:.2f} ps){extra}")
    typer.echo(f"wrote {csv_path} and {png}")
