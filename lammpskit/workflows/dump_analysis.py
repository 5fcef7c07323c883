"""Analyses of a dump or data file written as CSV tables and PNG figures (the ``analyze`` commands).

Each function opens ``path`` (LAMMPS dump with an element or type column, or a data
file; ``types`` names numeric types 1..n), selects ``frames`` ("last" | "all" | an index | a slice | a list),
computes with ``lammpskit.analysis`` and writes its files to ``out`` (default:
``analysis/`` beside ``path``); it returns what the command's ``--json`` prints.
``progress`` (a ``lammpskit.progress.Progress`` or None) is told the frames as they are computed.
"""

from __future__ import annotations

from pathlib import Path

from lammpskit._util import layout, validate
from lammpskit.analysis import reader
from lammpskit.errors import param
from lammpskit.figures import plots
from lammpskit.progress import Progress
from lammpskit.run.result_types import AnglesResult, MsdResult, RdfResult, SqResult, UnitsResult


def _source(path) -> Path:
    """The frames: a dump or data file, or a run directory's production dump."""
    from lammpskit.run import manifest

    return manifest.frames_file(validate.path(path, param("path")))


def _open(path, frames, types: list[str] | None, **checks):
    pipeline = reader.open_pipeline(_source(path), types, **checks)
    return pipeline, reader.select_frames(frames, pipeline.source.num_frames)


def _folder(path, out) -> Path:
    """The output folder (checked to be creatable before any work)."""
    from lammpskit._util import outputs

    return outputs.out_dir(validate.path(out or _source(path).parent / layout.ANALYSIS_DIR, param("out")), param("out"))


def units(path: str | Path, frames: str | int | slice | list[int] = "last", types: list[str] | None = None,
          cutoffs: dict[str, float] | None = None, annotate: str | Path | None = None,
          progress: Progress | None = None) -> UnitsResult:
    """Structural units of a LAMMPS dump or data file: P^n, PS(4-m)Om units, anion classes, artefacts
    (``lk.analyze_units``).

    Args:
        path (str | Path): a LAMMPS dump (``element`` or ``type`` column) or data file, or a run directory
            (its production dump).
        frames (str | int | slice | list[int]): ``"last"`` (default), ``"all"``, one frame index (negative:
            from the end), a slice (``slice(-10, None)``: the last ten) or a list of indices.
        types (list[str] | None): element symbols of atom types 1, 2, ... (``["Na", "P", "S", "O"]``) when
            the file names none.
        cutoffs (dict[str, float] | None): bond cutoffs in Å by element pair over the defaults
            (``{"P-S": 2.6, "P-O": 2.0}``; ``analysis.cutoffs.DEFAULTS``).
        annotate (str | Path | None): also write the frames to this dump with per-atom class columns
            (``pn``, ``anion``, ``edge``, ``pp``, ``unit_o``) for OVITO's Color coding.
        progress (Progress | None): told the frames analysed.

    Returns:
        UnitsResult: means over the frames with their spread (``std``); ``to_dict()`` is
        ``lammpskit analyze units --json``.
    """
    from lammpskit._util import outputs
    from lammpskit.analysis import cutoffs as _cutoffs
    from lammpskit.analysis import units as _units

    cut = _cutoffs.with_defaults(cutoffs)
    path = _source(path)
    target = outputs.out_file(validate.path(annotate, param("annotate")), param("annotate")) if annotate is not None else None
    pipeline, selected = _open(path, frames, types)
    result = _units.analyse(pipeline, selected, cut, progress)
    if target is not None:
        from lammpskit.figures.annotate import annotate as write_annotated

        result["annotated"] = write_annotated(path, target, frames, types, cutoffs)["dump"]
    return UnitsResult.from_dict(result, where="units analysis")


def rdf(path, frames="all", types: list[str] | None = None, out=None, rmax: float = 6.0, bins: int = 300,
        progress: Progress | None = None) -> RdfResult:
    """Partial and total g(r) up to ``rmax`` Å (``rdf.csv``, ``rdf.png``) and cutoffs proposed from first minima."""
    from lammpskit.analysis import scattering

    validate.number(rmax, param("rmax"), 1, 50)
    validate.integer(bins, param("bins"), 10, 100000)
    folder = _folder(path, out)
    pipeline, selected = _open(path, frames, types)
    folder.mkdir(parents=True, exist_ok=True)
    g = scattering.partial_rdf(pipeline, selected, rmax, bins, progress)
    csv_path = plots.write_csv(folder / layout.RDF, scattering.rdf_table(g))
    png = plots.line_plot(folder / "rdf.png", g["r"], dict(g["partials"]), "r (Å)", "g(r)",
                          f"partial g(r), {len(selected)} frame(s)")
    return RdfResult.from_values({
        "frames": len(selected), "csv": str(csv_path), "png": str(png),
        "cutoffs_proposed": scattering.propose_cutoffs(g), "cutoffs_not_proposed": scattering.cutoff_notes(g),
        "density_atoms_per_A3": g["rho"], "concentrations": g["conc"]})


def sq(path, frames="all", types: list[str] | None = None, out=None, rmax: float = 6.0, qmax: float = 20.0,
       progress: Progress | None = None) -> SqResult:
    """Neutron and X-ray S(Q) up to ``qmax`` 1/Å and G(r) (``sq.csv``, ``Gr.csv`` and their PNGs)."""
    import numpy as np

    from lammpskit.analysis import scattering

    validate.number(rmax, param("rmax"), 1, 50)
    validate.number(qmax, param("qmax"), 1, 100)
    folder = _folder(path, out)
    pipeline, selected = _open(path, frames, types)
    folder.mkdir(parents=True, exist_ok=True)
    g = scattering.partial_rdf(pipeline, selected, rmax, 400, progress)
    q = np.linspace(0.3, qmax, 400)
    s = scattering.sq_table(g, q)
    gr = scattering.total_gr(g)
    sq_csv = plots.write_csv(folder / layout.SQ, s)
    gr_csv = plots.write_csv(folder / layout.GR, {"r_A": g["r"], **gr})
    sq_png = plots.line_plot(folder / "sq.png", q, {"neutron": s["S_neutron"], "X-ray": s["S_xray"]},
                             "Q (1/Å)", "S(Q)", "total structure factor")
    gr_png = plots.line_plot(folder / "Gr.png", g["r"], {"neutron": gr["G_neutron"], "X-ray": gr["G_xray"]},
                             "r (Å)", "G(r) (1/Å²)", "total pair distribution function")
    return SqResult.from_values({"frames": len(selected), "csv": [str(sq_csv), str(gr_csv)],
                                 "png": [str(sq_png), str(gr_png)], "q_resolved_invA": round(scattering.q_resolved(g), 4)})


def angles(path, frames="all", types: list[str] | None = None, out=None, cutoffs: dict | None = None,
           progress: Progress | None = None) -> AnglesResult:
    """Bond-angle distributions S-P-S, O-P-O, S-P-O, P-S-P, P-O-P in degrees (``angles.csv``, ``angles.png``)."""
    from lammpskit.analysis import angles as _angles
    from lammpskit.analysis import cutoffs as _cutoffs

    cut = _cutoffs.with_defaults(cutoffs)
    folder = _folder(path, out)
    pipeline, selected = _open(path, frames, types)
    folder.mkdir(parents=True, exist_ok=True)
    dist = _angles.distributions(pipeline, selected, cut, progress=progress)
    series = {t: dist[t] for t in _angles.DEFAULT_TRIPLETS}
    csv_path = plots.write_csv(folder / layout.ANGLES, {"angle_deg": dist["angle"], **series})
    png = plots.line_plot(folder / "angles.png", dist["angle"], {t: v for t, v in series.items() if dist["counts"][t]},
                          "angle (degrees)", "probability density", "bond-angle distributions")
    return AnglesResult.from_values({"frames": len(selected), "csv": str(csv_path), "png": str(png),
                                     "angles_per_frame": dist["counts"], "mean_deg": dist["mean"]})


def msd(path, frames="all", types: list[str] | None = None, out=None, dt: float | None = None,
        temperature: float | None = None, fit: tuple[float, float] = (0.2, 0.8),
        progress: Progress | None = None) -> MsdResult:
    """MSD per element, D (cm^2/s) and Nernst-Einstein conductivity (S/cm) (``msd.csv``, ``msd.png``).

    ``path``: a run directory (its ``dump.unwrapped.lammpstrj``, timestep and temperature) or a dump
    with xu yu zu, which then needs ``dt`` (fs) and ``temperature`` (K); ``fit``: the window (A, B) of the
    longest lag fitted with MSD = 6Dt, as fractions 0 <= A < B <= 1.
    """
    from lammpskit.analysis import transport
    from lammpskit.errors import UserError
    from lammpskit.run import manifest

    path = Path(path)
    if path.is_dir():
        man = manifest.load(path)
        dt = dt if dt is not None else man.params.dt
        temperature = temperature if temperature is not None else man.temperature_K()
        path = path / layout.UNWRAPPED_DUMP
    if dt is None or temperature is None:
        raise UserError(f"a dump file needs {param('dt')} (fs) and {param('temperature')} (K)")
    validate.number(dt, param("dt"), 0, 100, lo_open=True)
    validate.number(temperature, param("temperature"), 0, 1e5, lo_open=True)
    lo, hi = fit_window(fit)
    folder = _folder(path, out)
    # MSD follows each atom on its own: no overlap check (random-walk test data have overlapping points)
    pipeline, selected = _open(path, frames, types, overlap=None)
    folder.mkdir(parents=True, exist_ok=True)
    res = transport.analyse(pipeline, selected, manifest.fs_to_ps(dt), temperature, (lo, hi), progress)
    csv_path = plots.write_csv(folder / layout.MSD, transport.msd_table(res))
    png = plots.line_plot(folder / "msd.png", res["time_ps"], res["msd_A2"], "t (ps)", "MSD (Å²)",
                          "mean-square displacement")
    summary = {k: v for k, v in res.items() if k not in ("msd_A2", "time_ps")}
    summary.update(csv=str(csv_path), png=str(png))
    return MsdResult.from_values(summary)


def fit_window(fit) -> tuple[float, float]:
    """``(A, B)``: the MSD fit window as fractions of the longest lag, 0 <= A < B <= 1."""
    from lammpskit.errors import UserError

    try:
        lo, hi = (float(v) for v in fit)
        ok = 0 <= lo < hi <= 1
    except (TypeError, ValueError):
        ok = False
    if isinstance(fit, str) or not ok:
        raise UserError(f"{param('fit')} {fit!r:.60}: expected (A, B) with 0 <= A < B <= 1, e.g. (0.2, 0.8)")
    return lo, hi
