"""Write the report: CSV tables, and Markdown and HTML from the Jinja2 templates in templates/report/."""

from __future__ import annotations

import base64
import csv
from pathlib import Path

from lammpskit._util import files, templates
from lammpskit.study import sweep
from lammpskit.study.report.quantities import QUANTITIES

DISPRO = {True: "yes", False: "no", None: "needs two or more x"}
CONVERGENCE = "Convergence: do the last two sweep points agree within their errors (replica spread)?"
BAD = "Missing or failed cases"  # the list the HTML shows in red when it names any case


def write_csv(path: Path, cols: list[str], rows: list[dict]) -> None:
    """``cols`` of ``rows`` (None as empty), written atomically; keys not in ``cols`` are left out."""
    with files.atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, cols, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r[k]) for k in cols})


def fmt(v, spread=None) -> str:
    """A value to 3 significant digits, ± spread to 2 where there is one; "–" for None."""
    if v is None:
        return "–"
    text = f"{v:.3g}"
    return text + (f" ± {spread:.2g}" if spread else "")


def quantity_table(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    """(header with units, one line of text cells per potential and x)."""
    head = ["potential", "x", *_sweep_head(rows), "n"] + [f"{label}" + (f" ({unit})" if unit else "")
                                                          for _, label, unit, *_ in QUANTITIES]
    body = [[r["potential"], f"{r['x']:g}", *_sweep_cells(r), str(r["replicas"])] + [fmt(r[k], r.get(k + "_spread"))
                                                                    for k, *_ in QUANTITIES] for r in rows]
    return head, body


def units_table(rows: list[dict], names: list[str]) -> tuple[list[str], list[list[str]]]:
    """(header, cells): PS(4-m)Om unit fractions of P per potential and x."""
    body = [[r["potential"], f"{r['x']:g}", *_sweep_cells(r), str(r["replicas"])]
            + [fmt(r["units"].get(u, 0.0) if r["units"] else None, r["units_spread"].get(u)) for u in names]
            for r in rows]
    return ["potential", "x", *_sweep_head(rows), "n"] + names, body


def _sweep_head(rows: list[dict]) -> list[str]:
    return list(rows[0].get("sweep", {})) if rows else []


def _sweep_cells(r: dict) -> list[str]:
    return [sweep.fmt(v) for v in r.get("sweep", {}).values()]


def document(c, tables, problems, score, summary: list[str], ref, convergence: list[str] | None = None) -> dict:
    """The report's text, shared by Markdown and HTML: title, intro, summary, tables (title, head, body),
    titled lists of lines (with a sweep: "Convergence", one line per quantity and series) and ``bad``,
    the title of the list of failures."""
    lines = {"Scores": [f"{s['potential']}: mean relative deviation from experiment {fmt(s['mean_rel_deviation'])} "
                        f"over {s['compared_values']} value(s)"
                        + "".join(f"; {q} {d:.1%}" for q, d in s["rel_deviation"].items())
                        + f"; artefacts {fmt(s['artefacts_per_100P'])} per 100 P; "
                        f"P1 -> P0 + P2 with x: {DISPRO[s['P1_disproportionates']]}"
                        + (" (closest to experiment)" if s["closest"] else "") for s in score],
             **({CONVERGENCE: convergence or ["no series with two sweep points and a value yet"]} if c.axes else {}),
             BAD: [f"{p['case']}: {p['why']}" for p in problems] or ["none"],
             "Experimental reference values": [f"x = {e['x']:g}: {e['quantity']} = {e['value']:g} {e['unit']} "
                                               f"({e['source']}, doi:{e['doi']})" for e in ref] or ["none"]}
    return {"title": f"Campaign {c.name}: potentials compared",
            "intro": f"{len(c.cases)} case(s) in {c.root}; replicas averaged (± standard deviation). D and sigma "
                     "are from the production stage at its temperature (MSD fit, Haven ratio 1)." + _swept(c),
            "summary": summary, "tables": tables, "lists": lines, "bad": BAD}


def _swept(c) -> str:
    if not c.axes:
        return ""
    axes = "; ".join(f"{k} = {', '.join(map(sweep.fmt, v))}" + (f" {sweep.unit(k)}" if sweep.unit(k) else "")
                     for k, v in c.axes.items())
    last = sweep.label({k: v[-1] for k, v in c.axes.items()})
    return (f" Swept: {axes}. Scores use the last sweep point ({last}); a simulated Tg depends on the cooling "
            "rate (it falls as the quench slows), which the convergence section shows.")


def markdown(doc: dict, figs: list[tuple[str, Path]]) -> str:
    """report.md: the document with the figures linked by file name (PNGs beside it)."""
    return templates.render("report/report.md.j2", trim=True, **doc, figures=[(label, p.name) for label, p in figs])


def html(doc: dict, figs: list[tuple[str, Path]]) -> str:
    """report.html: the document as one self-contained page, each PNG embedded as base64."""
    return templates.render("report/report.html.j2", trim=True, **doc,
                            figures=[(label, base64.b64encode(p.read_bytes()).decode()) for label, p in figs])
