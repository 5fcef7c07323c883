"""The comparison report of a campaign: tables (CSV, Markdown, HTML) and figures per potential and x.

Each case contributes what its stages produced: the anneal density (quench
``result.json``), B, G, E, nu (``elastic-<method>/result.json``), the structural units
(``analysis/units.json``: P^n, PS(4-m)Om units, bridging anions, artefacts) and Na
transport over the production stage (``analysis/result.json``: D, Nernst-Einstein
sigma). Replicas (seeds) are averaged; the spread is their standard deviation.
Missing or failed cases are listed and left out. A campaign with a ``[sweep]`` has one row per potential, x
and sweep point; its scores use the last point of every axis (the most converged, see
``lammpskit.study.sweep``) and a convergence section (``convergence``) plots each quantity against each swept
parameter and says whether the last two points agree within their errors. Experimental values come
from a reference CSV (one value per row with source and DOI); quantities without one
stay empty.

Modules: ``convergence`` (quantities along the sweep axes, agreement of the last two points),
``quantities`` (what is read from a case), ``cases`` (cases -> rows, replica mean/spread, failures),
``experiment`` (the reference CSV), ``scoring`` (deviation, closest, artefacts, P1 check), ``audit`` (force
errors per structural class on the campaign's ``reference_set``, when it names one), ``writers``
(CSV, Markdown and HTML from templates/report/); the figures are ``lammpskit.figures.report``.
"""

from __future__ import annotations

from pathlib import Path

from lammpskit._util import files
from lammpskit.study import campaign as campaigns
from lammpskit.study import sweep
from lammpskit.study.report import audit, convergence
from lammpskit.study.report.cases import analysed, collect, replica_stats
from lammpskit.study.report.experiment import REF_COLUMNS, REFERENCE, reference
from lammpskit.study.report.quantities import ARTEFACTS, QUANTITIES, case_values, unit_order
from lammpskit.study.report.scoring import disproportionates, scores, summary
from lammpskit.study.report.writers import DISPRO, document, html, markdown, quantity_table, units_table, write_csv

__all__ = ["ARTEFACTS", "DISPRO", "QUANTITIES", "REFERENCE", "REF_COLUMNS", "case_values", "collect",
           "disproportionates", "reference", "replica_stats", "scores", "summary", "unit_order", "write"]


def write(c: campaigns.Campaign, folder: Path, ref_path: Path = REFERENCE) -> dict:
    """Write report.csv, units.csv, report.md, report.html (images embedded) and the PNGs into ``folder``.

    With a sweep, also ``convergence_<axis>.png`` per swept parameter and the convergence sentences.
    Returns {folder, rows (potential x composition (x sweep point) rows), problems (case, dir, why), figures
    (PNG paths), scores (per potential, see ``scoring.scores``), convergence (sentences)}.
    """
    from lammpskit.figures import report as figures

    ref = reference(ref_path)
    folder.mkdir(parents=True, exist_ok=True)
    rows, problems = collect(c)
    last = {k: v[-1] for k, v in c.axes.items()}
    score = scores([r for r in rows if r["sweep"] == last], ref)
    names = sorted({u for r in rows for u in r["units"]}, key=unit_order)
    quantities = [(k, label, unit) for k, label, unit, *_ in QUANTITIES]
    audited = audit.run(c, folder)
    figs = (figures.quantity_figures(rows, ref, quantities, folder)
            + figures.units_figure(rows, names, folder) + figures.structure_figures(analysed(c), folder))
    if audited is not None:
        figs += figures.audit_figure({p: {k: r.classes[k].force_rmse_eV_A for k in audit.classes(audited)}
                                      for p, r in audited.errors.items()}, Path(str(c.reference_set)).name,
                                     folder)
    conv = convergence.sentences(rows, c.axes, quantities)
    for axis in c.axes:
        panels = [(label.split(" (")[0], unit, ss) for key, label, unit in quantities
                  if (ss := [s for s in convergence.series(rows, c.axes, key) if s["axis"] == axis])]
        if panels:
            figs.append((f"convergence with {axis} (error bars: replica spread)", figures.convergence_figure(
                axis, sweep.UNITS.get(axis, ""), panels, folder / f"convergence_{axis}.png")))
    flat = [{**r, **r["sweep"], **r["units"], **{k + "_spread": v for k, v in r["units_spread"].items()}} for r in rows]
    for name, keys in (("report.csv", [q[0] for q in QUANTITIES]), ("units.csv", names)):
        write_csv(folder / name, ["potential", "x", *c.axes, "replicas"] + [k for key in keys for k in (key, key + "_spread")],
                  flat)
    tables = [("Per potential, x and sweep point" if c.axes else "Per potential and x", *quantity_table(rows)),
              ("PS(4-m)Om units (fraction of P)", *units_table(rows, names))]
    if audited is not None:
        tables.append((f"Errors on the reference set {c.reference_set} ({audited.frames} frames): force RMSE "
                       "per structural class (eV/Å, atoms in brackets) next to the artefacts",
                       *audit.table(audited, score)))
    doc = document(c, tables, problems, score, summary(score), ref, conv)
    files.write_text(folder / "report.md", markdown(doc, figs))
    files.write_text(folder / "report.html", html(doc, figs))
    return {"folder": str(folder), "rows": len(rows), "problems": problems, "figures": [str(p) for _, p in figs],
            "scores": score, "convergence": conv,
            "audit": None if audited is None else str(folder / "audit.json")}
