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
