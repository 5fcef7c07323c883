"""Convergence with the swept parameters: each quantity along each sweep axis, per potential, x and the
values of the other axes, and whether the last two points agree within their errors. Pure functions of the
report rows (``cases.collect``: ``potential``, ``x``, ``sweep``, ``<key>``, ``<key>_spread``, ``replicas``).

The error of a point is the replica spread the report shows (sample standard deviation over seeds); two
points agree when |a - b| <= sqrt(err_a² + err_b²). "Last two" follows the order of the ``[sweep]`` list
(cheapest to most converged, see ``lammpskit.study.sweep``).
"""

from __future__ import annotations

import math

from lammpskit.study import sweep


def agree(a: float, err_a: float | None, b: float, err_b: float | None) -> dict:
    """Do ``a`` ± ``err_a`` and ``b`` ± ``err_b`` (same unit) agree? ``{"agree": True/False, or None when an
    error is missing (one replica), "delta": |a - b|, "error": sqrt(err_a² + err_b²) or None}``."""
    delta = abs(a - b)
    if err_a is None or err_b is None:
        return {"agree": None, "delta": delta, "error": None}
    error = math.hypot(err_a, err_b)
    return {"agree": bool(delta <= error), "delta": delta, "error": error}


def series(rows: list[dict], axes: dict[str, list], key: str) -> list[dict]:
    """``key`` along each axis: ``{"axis", "name" (potential, x and the other axes' values), "points":
    [(axis value, mean, spread or None, replicas)] in the axis's order}``; only series with two or more points."""
    out = []
    for axis, values in axes.items():
        groups: dict[tuple, list] = {}
        for r in rows:
            if r.get(key) is None or axis not in r.get("sweep", {}):
                continue
            others = {k: v for k, v in r["sweep"].items() if k != axis}
            name = " ".join(filter(None, (f"{r['potential']} x={r['x']:g}", sweep.label(others))))
            groups.setdefault(name, []).append((r["sweep"][axis], r[key], r.get(key + "_spread"), r["replicas"]))
        for name, pts in groups.items():
            if len(pts) > 1:
                out.append({"axis": axis, "name": name, "points": sorted(pts, key=lambda p: values.index(p[0]))})
    return out


def sentence(label: str, unit: str, s: dict) -> str:
    """One line on a series: whether its last two points agree within their errors."""
    (v1, y1, e1, _), (v2, y2, e2, _) = s["points"][-2:]
    axis = s["axis"]
    u = sweep.unit(axis)
    head = f"{label}, {s['name']}: at {axis} = {sweep.fmt(v1)} and {sweep.fmt(v2)}{' ' + u if u else ''}"
    res = agree(y1, e1, y2, e2)
    qu = f" {unit}" if unit else ""
    if res["agree"] is None:
        return (f"{head} the values differ by {res['delta']:.3g}{qu}; no error is available (a single replica): "
                "run more seeds to judge")
    if res["agree"]:
        return f"{head} agree within their errors (Δ = {res['delta']:.3g} ≤ {res['error']:.3g}{qu})"
    return f"{head} do not agree (Δ = {res['delta']:.3g} > {res['error']:.3g}{qu}): not converged in {axis}"


def sentences(rows: list[dict], axes: dict[str, list], quantities: list[tuple[str, str, str]]) -> list[str]:
    """The convergence lines of the report, for every (key, label, unit) and series with two points or more."""
    return [sentence(label.split(" (")[0], unit, s) for key, label, unit in quantities for s in series(rows, axes, key)]
