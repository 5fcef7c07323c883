"""Everything the report needs from one finished quench run, in ``<run>/analysis/``.

Structural units over all production frames (units.json), partial and total g(r)
(rdf.csv), neutron and X-ray S(Q) (sq.csv), MSD per element over the production
stage (msd.csv) with D and the Nernst-Einstein conductivity at T_final, and the
anneal density. ``analysis/result.json`` is written last and atomically: its presence
means the analysis is complete.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from lammpskit._util import layout
from lammpskit.errors import InputError, UserError
from lammpskit.progress import Progress
from lammpskit.run import manifest
from lammpskit.run import result as results
from lammpskit.run.result_types import AnalysisResult, QuenchResult


def analyse(run_dir: Path, rmax: float = 6.0, qmax: float = 20.0, progress: Progress | None = None) -> AnalysisResult:
    """Run the analyses of ``run_dir`` (a finished quench); returns the summary written to
    ``analysis/result.json``.

    ``rmax`` (Å) is cut to just under half the box width for small cells; ``qmax`` in 1/Å; ``progress`` is told
    the frames of the structural-unit pass.
    """
    import numpy as np

    from lammpskit.analysis import reader, scattering, units
    from lammpskit.figures import plots
    from lammpskit.workflows.quench import anneal_density

    man = manifest.load(run_dir)
    if man.protocol != "quench" or not (Path(run_dir) / manifest.RESULT).exists():
        raise UserError(f"{run_dir} is not a finished quench run: run it first ('lammpskit run {run_dir}')")
    dump = Path(run_dir) / layout.PRODUCTION_DUMP
    if not dump.exists():
        raise UserError(f"{run_dir} has no production dump ({dump.name})")
    folder = Path(run_dir) / layout.ANALYSIS_DIR
    folder.mkdir(exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        (folder / manifest.RESULT).unlink()
    pipeline = reader.open_pipeline(dump)
    frames = reader.select_frames("all", pipeline.source.num_frames)
    unit_stats = units.analyse(pipeline, frames, None, progress)
    manifest.write_json(folder / layout.UNITS, unit_stats)
    rmax = min(rmax, 0.99 * scattering.half_width(np.asarray(pipeline.compute(frames[-1]).cell[:3, :3])))
    rdf = scattering.partial_rdf(pipeline, frames, rmax, 300)
    plots.write_csv(folder / layout.RDF, scattering.rdf_table(rdf))
    plots.write_csv(folder / layout.SQ, scattering.sq_table(rdf, np.linspace(0.3, qmax, 300)))
    diffusion = transport_of(Path(run_dir), man, folder)
    quench = QuenchResult.from_directory(run_dir)
    out = {
        "run_dir": str(run_dir),
        "potential": man.pot_name,
        "composition": man.composition_label,
        "frames": len(frames),
        "density_g_cm3": quench.density_stats or anneal_density(run_dir, man=man).to_dict(),
        "units": layout.UNITS, "rdf": layout.RDF, "sq": layout.SQ, "transport": diffusion,
        "cutoffs_proposed": scattering.propose_cutoffs(rdf),
    }
    return AnalysisResult.from_dict(results.save(folder / layout.RESULT, out), folder)


def transport_of(run_dir: Path, man: manifest.Manifest, folder: Path) -> dict:
    """MSD of the production stage (``folder/msd.csv``); D (cm^2/s) and sigma (S/cm) at T_final.

    ``{"error": why}`` when the unwrapped dump is missing or too short for the fit.
    """
    from lammpskit.analysis import transport
    from lammpskit.figures import plots

    dump = run_dir / layout.UNWRAPPED_DUMP
    if not dump.exists():
        return {"error": f"no {dump.name}"}
    try:
        res = transport.from_dump(dump, man.dt_ps, man.temperature_K())
    except InputError as e:
        return {"error": str(e)}
    plots.write_csv(folder / layout.MSD, transport.msd_table(res))
    return {**transport.summary(res), "msd": layout.MSD}
