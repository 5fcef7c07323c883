"""Figures of the comparison report (PNG, matplotlib without a display; glass pictures by OVITO).

Inputs are plain report data: rows per potential and x (value ``<key>``, replica spread ``<key>_spread``,
``units``/``units_spread``), experimental rows (x, quantity, value, uncertainty) and run directories
holding ``analysis/sq.csv``, ``analysis/rdf.csv`` and ``dump.production.lammpstrj``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lammpskit._util import layout

X_LABEL = "x in Na4P2S7-xOx"
PARTIALS = ("P-S", "P-O", "P-P", "Na-S", "Na-O", "S-S")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path)
    _pyplot().close(fig)
    return path


def _table_csv(path: Path) -> np.ndarray:
    """A CSV written by the analysis (rdf.csv, sq.csv) as a structured array; names kept as written (g_P-S)."""
    return np.genfromtxt(path, delimiter=",", names=True, deletechars="")


def quantity_figures(rows: list[dict], ref: list[dict], quantities: list[tuple[str, str, str]],
                     folder: Path) -> list[tuple[str, Path]]:
    """``<key>.png`` per (key, label, unit) with data: value vs x, one line per potential (error bars = replica
    spread), experiment as black squares (error bars = its uncertainty). Returns (caption, path) pairs."""
    plt = _pyplot()
    out = []
    for key, label, unit in quantities:
        series = {}
        for r in rows:
            if r.get(key) is not None:
                series.setdefault(r.get("series", r["potential"]), []).append((r["x"], r[key], r.get(key + "_spread") or 0.0))
        exp = [(e["x"], e["value"], float(e["uncertainty"] or 0)) for e in ref if e["quantity"] == key]
        if not series and not exp:
            continue
        fig, ax = plt.subplots(figsize=(5, 3.4), dpi=100)
        for pot, pts in sorted(series.items()):
            x, y, s = np.array(sorted(pts)).T
            ax.errorbar(x, y, yerr=s, marker="o", capsize=3, label=pot)
        if exp:
            x, y, s = np.array(exp).T
            ax.errorbar(x, y, yerr=s, fmt="ks", label="experiment")
        ax.set_xlabel(X_LABEL)
        ax.set_ylabel(f"{label}" + (f" ({unit})" if unit else ""))
        ax.legend(fontsize=8)
        out.append((label, _save(fig, folder / f"{key}.png")))
    return out


def units_figure(rows: list[dict], names: list[str], folder: Path) -> list[tuple[str, Path]]:
    """``units.png``: PS(4-m)Om unit fractions of P vs x, one panel per potential, one line per unit (error
    bars = spread); [] if no row has units."""
    pots = sorted({r.get("series", r["potential"]) for r in rows if r["units"]})
    if not pots:
        return []
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(pots), figsize=(4 * len(pots), 3.4), dpi=100, squeeze=False, sharey=True)
    for ax, pot in zip(axes[0], pots):
        mine = sorted((r for r in rows if r.get("series", r["potential"]) == pot and r["units"]), key=lambda r: r["x"])
        x = [r["x"] for r in mine]
        for unit in names:
            y = [r["units"].get(unit, 0.0) for r in mine]
            err = [r["units_spread"].get(unit) or 0.0 for r in mine]
            ax.errorbar(x, y, yerr=err, marker="o", capsize=3, label=unit)
        ax.set_title(pot)
        ax.set_xlabel(X_LABEL)
    axes[0][0].set_ylabel("fraction of P")
    axes[0][-1].legend(fontsize=7)
    return [("PS(4-m)Om units", _save(fig, folder / "units.png"))]


def convergence_figure(axis: str, unit: str, panels: list[tuple[str, str, list[dict]]], path: Path) -> Path:
    """Quantities along one sweep axis, one panel per (label, unit, series) with data, one line per series
    (``convergence.series``: name, points (value, mean, spread, n)); error bars = replica spread. The x axis
    is logarithmic for rates (``*_rate``, K/ps), 1/N for sizes (``atoms``, ``fu``) and linear otherwise."""
    plt = _pyplot()
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), dpi=100, squeeze=False)
    size = axis in ("atoms", "fu")
    for ax, (label, qunit, series) in zip(axes.flat, panels):
        for s in series:
            v, y, e, _ = zip(*s["points"])
            xs = [1.0 / k for k in v] if size else list(v)
            ax.errorbar(xs, y, yerr=[err or 0.0 for err in e], marker="o", capsize=3, label=s["name"])
        if axis.endswith("_rate"):
            ax.set_xscale("log")
            vals = sorted({k for s in series for k, *_ in s["points"]})
            ax.set_xticks(vals, [f"{k:g}" for k in vals], fontsize=7)
            ax.minorticks_off()
        if size:
            vals = sorted({k for s in series for k, *_ in s["points"]})
            ax.set_xticks([0.0] + [1.0 / k for k in vals], ["0"] + [f"1/{k}" for k in vals], fontsize=7)
            ax.set_xlim(left=0.0)  # 1/N -> 0 is the infinite system
        ax.set_xlabel(f"1/N, N = {unit}" if size else f"{axis}" + (f" ({unit})" if unit else ""))
        ax.set_ylabel(label + (f" ({qunit})" if qunit else ""), fontsize=8)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"convergence with {axis}")
    return _save(fig, path)


def partial_figure(tables: dict[str, np.ndarray], title: str, path: Path) -> Path:
    """Partial g(r) (r in Å) of the P and Na pairs (PARTIALS), one panel per pair, one line per potential
    (rdf.csv tables)."""
    fig, axes = _pyplot().subplots(2, 3, figsize=(10, 5.6), dpi=100, sharex=True)
    for ax, pair in zip(axes.flat, PARTIALS):
        a, b = pair.split("-")
        for pot, t in tables.items():
            col = next((k for k in (f"g_{a}-{b}", f"g_{b}-{a}") if k in t.dtype.names), None)
            if col is not None:
                ax.plot(t["r_A"], t[col], label=pot)
        ax.set_title(pair, fontsize=9)
        ax.set_xlabel("r (Å)")
    axes[0, 0].set_ylabel("g(r)")
    axes[1, 0].set_ylabel("g(r)")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"partial g(r), {title}")
    return _save(fig, path)


def structure_figures(runs: dict[tuple[str, float], Path], folder: Path) -> list[tuple[str, Path]]:
    """From one analysed run directory per (potential, x): per x the neutron S(Q) (Q in 1/Å, ``S_x<x>.png``),
    total neutron G(r) (r in Å, ``G_x<x>.png``) and partial g(r) (``partials_x<x>.png``), one line per
    potential; per potential and x an OVITO picture of the glass (``glass_<pot>_x<x>.png``: P coloured by n,
    artefacts highlighted) where the run has a production dump."""
    from lammpskit.figures import snapshot

    plt = _pyplot()
    out = []
    for x in sorted({x for _, x in runs}):
        tables = {pot: {name: _table_csv(run / layout.ANALYSIS_DIR / name) for name in (layout.SQ, layout.RDF)}
                  for (pot, xx), run in sorted(runs.items()) if xx == x}
        for name, csv_name, xcol, ycol, xlabel in (("S(Q)", layout.SQ, "Q_invA", "S_neutron", "Q (1/Å)"),
                                                   ("G(r)", layout.RDF, "r_A", "G_neutron", "r (Å)")):
            fig, ax = plt.subplots(figsize=(5, 3.4), dpi=100)
            for pot, t in tables.items():
                if ycol in t[csv_name].dtype.names:
                    ax.plot(t[csv_name][xcol], t[csv_name][ycol], label=pot)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(f"neutron {name}")
            ax.set_title(f"x = {x:g}")
            ax.legend(fontsize=8)
            out.append((f"neutron {name}, x = {x:g}", _save(fig, folder / f"{name[0]}_x{x:g}.png")))
        out.append((f"partial g(r), x = {x:g}", partial_figure({pot: t[layout.RDF] for pot, t in tables.items()},
                                                               f"x = {x:g}", folder / f"partials_x{x:g}.png")))
    for (pot, x), run in sorted(runs.items()):
        dump = run / layout.PRODUCTION_DUMP
        if dump.exists():
            out.append((f"{pot}, x = {x:g} (P0 blue, P1 green, P2 orange, P3 red; P-P magenta, edge-sharing cyan)",
                        snapshot.render(dump, folder / f"glass_{pot}_x{x:g}.png")))
    return out


def audit_figure(errors: dict[str, dict[str, float | None]], reference: str, folder: Path) -> list[tuple[str, Path]]:
    """``audit.png``: force RMSE (eV/Å) per structural class, one bar per potential (``errors``: potential ->
    class -> RMSE, classes in order)."""
    plt = _pyplot()
    pots = list(errors)
    classes = list(next(iter(errors.values()))) if errors else []
    if not classes:
        return []
    fig, ax = plt.subplots(figsize=(max(5, 0.6 * len(classes) + 2), 3.6), dpi=100)
    width = 0.8 / len(pots)
    for k, pot in enumerate(pots):
        y = [np.nan if errors[pot][c] is None else errors[pot][c] for c in classes]
        ax.bar(np.arange(len(classes)) + (k - (len(pots) - 1) / 2) * width, y, width, label=pot)
    ax.set_xticks(np.arange(len(classes)), classes, rotation=45, ha="right")
    ax.set_ylabel("force RMSE (eV/Å)")
    ax.set_title(f"force error per structural class on {reference}")
    ax.legend(fontsize=8)
    return [("force error per structural class (reference set)", _save(fig, folder / "audit.png"))]
