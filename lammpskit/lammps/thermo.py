"""Reading thermo output from ``log.lammps`` (also logs appended by resumed runs)."""

from __future__ import annotations

import io
import math
from pathlib import Path

from lammpskit._util import reading
from lammpskit.analysis.statistics import block_average


def last_row(path: Path, tail_bytes: int = 65536) -> dict[str, float] | None:
    """The newest thermo row of a (growing) log, read from its last ``tail_bytes``; None if there is none."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, path.stat().st_size - tail_bytes))
            lines = fh.read().decode(errors="replace").splitlines()
    except OSError:
        return None
    header = None
    last = None
    for line in lines:
        words = line.split()
        if words and words[0] == "Step":
            header = words
        elif header and len(words) == len(header):
            try:
                last = dict(zip(header, map(float, words)))
            except ValueError:
                header = None
    return last


def read_log(path: Path) -> list[dict[str, float]]:
    """Thermo rows (one dict per step, keys as in the header); later rows of a step win."""
    rows: dict[int, dict[str, float]] = {}
    header: list[str] | None = None
    with reading.open_regular(path, "LAMMPS log") as raw, io.TextIOWrapper(raw, errors="replace") as fh:
        for line in fh:
            words = line.split()
            if not words:
                continue
            if words[0] == "Step":
                header = words
                continue
            if header is None:
                continue
            if len(words) != len(header):
                header = None if words[0] in ("Loop", "ERROR:", "WARNING:") else header
                continue
            try:
                values = [float(w) for w in words]
            except ValueError:
                header = None
                continue
            row = dict(zip(header, values))
            step = row.get("Step", float("nan"))
            if not (math.isfinite(step) and step == int(step) and step >= 0):
                continue  # not a thermo row (a damaged or foreign line that happens to have the header's width)
            rows[int(step)] = row
    return [rows[k] for k in sorted(rows)]


def anneal_density(log: Path, begin: int, end: int, nblocks: int = 5) -> dict[str, float]:
    """Density (g/cm^3) of ``log``'s thermo rows over the second half of the steps ``begin``-``end`` (the NPT
    anneal), block-averaged error."""
    from lammpskit.errors import UserError

    log = Path(log)
    if not log.exists():
        raise UserError(f"{log.parent} has no log.lammps yet: run it first")
    rows = read_log(log)
    if rows and "Density" not in rows[0]:
        raise UserError(f"{log} has no Density thermo column (thermo_style custom ... density)")
    half = (begin + end) / 2
    values = [r["Density"] for r in rows if half <= r["Step"] <= end and "Density" in r]
    if not values:
        raise UserError(f"{log} has no thermo rows in the second half of the anneal (steps {half:.0f}-{end})")
    return block_average(values, nblocks)
