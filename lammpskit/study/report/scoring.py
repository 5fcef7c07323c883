"""Scores per potential: deviation from experiment, the closest potential, the fewest artefacts and the
P1 -> P0 + P2 disproportionation check. Pure functions of the report rows."""

from __future__ import annotations

import numpy as np

from lammpskit.study.report.quantities import ARTEFACTS


def slope(rows: list[dict], key: str) -> float | None:
    """Least-squares slope of ``key`` against x (per unit x) over the rows that have it; None below two points."""
    pts = [(r["x"], r[key]) for r in rows if r.get(key) is not None]
    if len(pts) < 2:
        return None
    x, y = np.array(pts).T
    return float(np.polyfit(x, y, 1)[0])


def disproportionates(slopes: dict[str, float | None]) -> bool | None:
    """P1 -> P0 + P2 with x: True if the P1 slope is negative while the P0 and P2 slopes are positive,
    None if any slope is unknown (fewer than two x)."""
    if None in slopes.values():
        return None
    return bool(slopes["P1"] < 0 < slopes["P0"] and slopes["P2"] > 0)


def scores(rows: list[dict], ref: list[dict]) -> list[dict]:
    """Per potential: relative deviation |sim - exp| / |exp| per quantity (mean over the x with a value) and
    their mean over quantities, artefacts per 100 P, and whether P1 disproportionates (P1 falls while P0 and
    P2 rise with x). ``closest``: the smallest mean deviation among potentials compared at all."""
    out = []
    for pot in sorted({r["potential"] for r in rows}):
        mine = sorted((r for r in rows if r["potential"] == pot), key=lambda r: r["x"])
        devs: dict[str, list[float]] = {}
        for e in ref:
            match = next((r for r in mine if abs(r["x"] - e["x"]) < 1e-6 and r.get(e["quantity"]) is not None), None)
            if match and e["value"]:
                devs.setdefault(e["quantity"], []).append(abs(match[e["quantity"]] - e["value"]) / abs(e["value"]))
        per_q = {q: float(np.mean(d)) for q, d in devs.items()}
        art = [r[k] for r in mine for k in ARTEFACTS if r.get(k) is not None]
        slopes = {k: slope(mine, k) for k in ("P0", "P1", "P2")}
        out.append({"potential": pot, "compared_values": sum(map(len, devs.values())),
                    "rel_deviation": per_q, "mean_rel_deviation": float(np.mean(list(per_q.values()))) if per_q else None,
                    "artefacts_per_100P": float(np.mean(art)) if art else None,
                    "P1_disproportionates": disproportionates(slopes), "slopes_per_x": slopes})
    ranked = [s for s in out if s["mean_rel_deviation"] is not None]
    for s in out:
        s["closest"] = bool(ranked) and s is min(ranked, key=lambda t: t["mean_rel_deviation"])
    return out


def summary(score: list[dict]) -> list[str]:
    """Plain sentences: the potential closest to experiment overall and the one with the fewest artefacts."""
    lines = []
    best = next((s for s in score if s["closest"]), None)
    lines.append(f"closest to experiment overall: {best['potential']} (mean relative deviation "
                 f"{best['mean_rel_deviation']:.1%} over {len(best['rel_deviation'])} quantities, "
                 f"{best['compared_values']} values)" if best else
                 "no potential could be compared with experiment: the reference has no value at these x")
    clean = [s for s in score if s["artefacts_per_100P"] is not None]
    if clean:
        low = min(clean, key=lambda s: s["artefacts_per_100P"])
        lines.append(f"fewest artefacts: {low['potential']} ({low['artefacts_per_100P']:.3g} edge-sharing pairs "
                     "and P-P bonds per 100 P, averaged over x)")
    return lines
