"""Gather the cases of a campaign: their values grouped per potential and x, replica mean and spread,
and the cases that are missing or failed (with the reason SLURM gives)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lammpskit._util import layout
from lammpskit.errors import RunError, UserError
from lammpskit.study import campaign as campaigns
from lammpskit.study import status as case_status
from lammpskit.study import sweep
from lammpskit.study.report.quantities import KEYS, case_values, unit_order


def replica_stats(vals: list[dict]) -> dict:
    """Mean and spread over replicas (each a ``quantities.values`` dict): ``<key>`` the mean of the replicas
    that have it, ``<key>_spread`` their sample standard deviation (ddof 1; None below two values); ``units``
    and ``units_spread`` likewise per unit (a unit a replica lacks counts as 0 there). Units as the quantity's."""
    row: dict = {}
    for key in KEYS:
        got = [v[key] for v in vals if v[key] is not None]
        row[key] = float(np.mean(got)) if got else None
        row[key + "_spread"] = float(np.std(got, ddof=1)) if len(got) > 1 else None
    have = [v["units"] for v in vals if v["units"]]
    names = sorted({u for h in have for u in h}, key=unit_order)
    row["units"] = {u: float(np.mean([h.get(u, 0.0) for h in have])) for u in names}
    row["units_spread"] = {u: float(np.std([h.get(u, 0.0) for h in have], ddof=1)) if len(have) > 1 else None
                           for u in names}
    return row


def collect(c: campaigns.Campaign) -> tuple[list[dict], list[dict]]:
    """(rows per potential, x and sweep point with mean/spread/n per quantity, ``sweep`` (key -> value),
    ``series`` (potential and sweep point, the figures' legend), problems: cases missing or failed and why)."""
    try:  # reasons for missing results come from SLURM when it answers
        status = {r["case"]: r for r in case_status.status(c)}
    except (RunError, UserError):
        status = {}
    groups: dict[tuple, list[dict]] = {}
    problems = []
    for case in c.cases:
        vals = case_values(c, case)
        st = status.get(case.index)
        if all(vals[k] is None for k in KEYS):
            why = _why(st) or "no results yet (not run, or every stage failed)"
            problems.append({"case": case.label, "dir": str(case.dir), "why": why})
            continue
        missing = [k for k in KEYS if vals[k] is None]
        if missing and st is not None and st["state"] != "done":
            problems.append({"case": case.label, "dir": str(case.dir), "why": _why(st)})
        elif vals.get("unstable") is not None:
            problems.append({"case": case.label, "dir": str(case.dir),
                             "why": f"elastic: mechanically unstable C (lowest eigenvalue {vals['unstable']:.3g} GPa; "
                                    "relax longer: [elastic] maxiter, ftol): no moduli"})
        groups.setdefault((case.pot, case.x, case.point), []).append(vals)
    points = {case.point: case.sweep for case in c.cases}
    rows = [{"potential": pot, "x": x, "sweep": points[k], "series": " ".join(filter(None, (pot, sweep.label(points[k])))),
             "replicas": len(vals), **replica_stats(vals)} for (pot, x, k), vals in sorted(groups.items())]
    return rows, problems


def analysed(c: campaigns.Campaign) -> dict[tuple[str, float], Path]:
    """(potential, x) -> run directory of the first replica with an analysis (``analysis/sq.csv``), at the last
    sweep point that has one (the most converged)."""
    first: dict[tuple[str, float], Path] = {}
    for case in sorted(c.cases, key=lambda k: -k.point):
        if (case.dir / layout.ANALYSIS_DIR / layout.SQ).exists():
            first.setdefault((case.pot, case.x), case.dir)
    return first


def _why(st: dict | None) -> str:
    if not st:
        return ""
    return "; ".join(f"{k} {s['state']}" + (f" ({s['reason']})" if s.get("reason") else "")
                     for k, s in st["stages"].items() if s["state"] != "done")
