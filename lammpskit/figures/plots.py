"""CSV tables and PNG figures for the analysis commands (matplotlib, no display needed)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


def write_csv(path: Path, columns: dict[str, np.ndarray]) -> Path:
    """One column per key; rows written atomically."""
    tmp = path.with_name(path.name + ".tmp")
    keys = list(columns)
    with open(tmp, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(keys)
        for row in zip(*(np.asarray(columns[k]) for k in keys)):
            w.writerow([f"{x:.6g}" for x in row])
    tmp.replace(path)
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
    tmp = path.with_name(path.name + ".tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)
    return path
