"""Small helpers on LAMMPS text dumps (the analysis itself reads them with OVITO)."""

from __future__ import annotations

from pathlib import Path


def truncate(path: Path, before_step: int) -> int:
    """Cut a text dump so it keeps only frames with timestep < ``before_step``; returns frames kept."""
    if not path.exists():
        return 0
    kept = 0
    cut = None
    with open(path, "rb") as fh:
        while True:
            pos = fh.tell()
            line = fh.readline()
            if not line:
                break
            if line.startswith(b"ITEM: TIMESTEP"):
                step = int(fh.readline())
                if step >= before_step:
                    cut = pos
                    break
                kept += 1
    if cut is not None:
        with open(path, "r+b") as fh:
            fh.truncate(cut)
    return kept


def timesteps(path: Path) -> list[int]:
    """Timesteps of all frames in a text dump."""
    out = []
    with open(path, "rb") as fh:
        for line in fh:
            if line.startswith(b"ITEM: TIMESTEP"):
                out.append(int(fh.readline()))
    return out
