"""Frames: ASE Atoms read, written and checked as extended XYZ.

Labels use MACE's keys: ``REF_energy`` (eV), ``REF_forces`` (eV/Å), ``REF_stress`` (eV/Å³, 3x3,
positive = tensile, ASE's sign).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lammpskit._util import files
from lammpskit.errors import UserError

KEYS = {"energy": "REF_energy", "forces": "REF_forces", "stress": "REF_stress"}


def store(at, energy: float, forces, stress) -> None:
    at.info[KEYS["energy"]] = float(energy)
    at.arrays[KEYS["forces"]] = np.asarray(forces, float)
    at.info[KEYS["stress"]] = np.asarray(stress, float).reshape(3, 3)


def write(path: Path, frames: list) -> Path:
    from ase.io import write as ase_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with files.atomic_path(path) as tmp:
        ase_write(tmp, frames, format="extxyz")
    return path


def read(path: Path) -> list:
    from ase.io import read as ase_read

    if not Path(path).is_file():
        raise UserError(f"{path}: no such file")
    try:
        frames = ase_read(path, index=":", format="extxyz")
    except Exception as exc:  # noqa: BLE001
        raise UserError(f"cannot read {path} as extended XYZ: {exc}") from None
    if not frames:
        raise UserError(f"{path} holds no frames")
    for i, at in enumerate(frames):
        check_frame(at, f"{path} frame {i}")
    return frames


def check_frame(at, where: str) -> None:
    """Refuse a frame with no atoms, non-finite or overlapping positions (closer than the analysis's
    floor, 0.5 Å), a degenerate periodic cell, or labels (REF_* keys, or the energy/forces/stress an
    extxyz stores as calculator results) of the wrong shape or not finite."""
    import numpy as np
    from ase.neighborlist import neighbor_list

    from lammpskit.analysis.checks import OVERLAP_FLOOR, element, finite_positions, overlap_message

    n = len(at)
    if n == 0:
        raise UserError(f"{where} has no atoms")
    for symbol in set(at.get_chemical_symbols()):
        element(symbol)
    finite_positions(at.get_positions(), where)
    cell = np.asarray(at.cell)
    if at.pbc.any() and (not np.isfinite(cell).all() or abs(np.linalg.det(cell)) < 1e-6):
        raise UserError(f"{where}: a periodic frame needs a finite, non-degenerate cell")
    i, j = neighbor_list("ij", at, OVERLAP_FLOOR)  # cell lists: linear in the number of atoms
    if len(i):
        raise UserError(overlap_message(where, int(i[0]), int(j[0]), OVERLAP_FLOOR))
    shapes = {"energy": (), "forces": (n, 3), "stress": (3, 3)}
    results = at.calc.results if at.calc is not None else {}
    labels = [(KEYS[k], at.arrays.get(KEYS[k], at.info.get(KEYS[k])), shape) for k, shape in shapes.items()]
    labels += [(k, results.get(k), shape) for k, shape in shapes.items()]
    for key, value, shape in labels:
        if value is None:
            continue
        arr = np.asarray(value, dtype=float) if not isinstance(value, str) else None
        if arr is None or not np.isfinite(arr).all():
            raise UserError(f"{where}: {key} is not a finite number or array")
        if shape == (3, 3) and arr.shape in ((6,), (9,)):
            continue
        if arr.shape != shape:
            raise UserError(f"{where}: {key} has shape {arr.shape}, expected {shape or 'a number'}")
