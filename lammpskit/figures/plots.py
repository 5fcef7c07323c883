"""CSV tables and PNG figures for the analysis commands (matplotlib, no display needed)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from lammpskit._util import files


def write_csv(path: Path, columns: dict[str, np.ndarray]) -> Path:
    """One column per key; rows written atomically."""
    keys = list(columns)
    with files.atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(keys)
        for row in zip(*(np.asarray(columns[k]) for k in keys)):
            w.writerow([f"{x:.6g}" for x in row])
    return path


def line_plot(path: Path, x: np.ndarray, series: dict[str, np.ndarray], xlabel: str, ylabel: str,
              title: str = "") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for name, y in series.items():
        ax.plot(x, y, label=name, lw=1.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if len(series) > 1:
        ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    with files.atomic_path(path, ".png") as tmp:
        fig.savefig(tmp)
    plt.close(fig)
    return path


def tg_plot(path: Path, T: np.ndarray, y: np.ndarray, fit: dict, ylabel: str, title: str = "") -> Path:
    """A cooling curve y(T) with the glass and liquid lines of a Tg fit (``analysis.glass_transition``),
    each drawn solid on its side of Tg and dashed beyond, and Tg ± its error shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tg, a = fit["Tg"], fit["a"]
    grid = np.linspace(min(T), max(T), 200)
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    ax.plot(T, y, ".", ms=3, color="0.55", label="quench (NPT)")
    for slope, side, color, name in ((fit["slope_glass"], grid <= tg, "tab:blue", "glass"),
                                     (fit["slope_liquid"], grid >= tg, "tab:red", "liquid")):
        line = a + slope * (grid - tg)
        ax.plot(grid[side], line[side], color=color, lw=1.8, label=f"{name}: {slope:.3g} per K")
        ax.plot(grid[~side], line[~side], color=color, lw=1.0, ls="--")
    ax.axvspan(tg - fit["Tg_err"], tg + fit["Tg_err"], color="0.85", zorder=0)
    ax.axvline(tg, color="k", lw=1, label=f"Tg = {tg:.0f} ± {fit['Tg_err']:.0f} K")
    ax.set_xlabel("set-point temperature (K)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    with files.atomic_path(path, ".png") as tmp:
        fig.savefig(tmp)
    plt.close(fig)
    return path
