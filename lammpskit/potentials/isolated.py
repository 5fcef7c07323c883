"""Evaluate a potential in a process of its own: for families whose side folder must come first on
``sys.path`` (``Family.isolated``: SevenNet's e3nn 0.5 against mace's 0.4.4), so that one ``audit`` can hold
a SevenNet, a MACE, a CHGNet and a GRACE model.

The parent writes the frames (numbers, positions Å, cell Å, pbc: nothing else) to an extxyz file in a
private temporary folder and runs ``python -m lammpskit.potentials.evaluate POT FRAMES OUT BATCH DEVICE``;
the child writes OUT as an ``.npz`` of plain float arrays, read back with ``allow_pickle=False`` (no
unpickling of anything a child wrote): energy (n,) eV, forces (sum of atoms, 3) eV/Å, stress (n, 3, 3) eV/Å³.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from lammpskit.errors import RunError
from lammpskit.potentials import families
from lammpskit.potentials.registry import Potential

CHILD_ENV = "LAMMPSKIT_EVALUATING"  # set in the child: it evaluates there and then


def needed(pot: Potential) -> bool:
    """Whether ``pot``'s calculator must run in a process of its own (not when this process is that one)."""
    if not pot.bridge or os.environ.get(CHILD_ENV) == pot.name:
        return False
    fam = families.get(pot.bridge.calculator)
    return bool(fam and fam.isolated)


def run(pot: Potential, frames: list, batch: int, device: str) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """(energy eV, forces eV/Å (N, 3), stress eV/Å³ (3, 3)) of each frame, from a child process."""
    from ase import Atoms
    from ase.io import write

    from lammpskit._util.tools import run_tool

    with tempfile.TemporaryDirectory(prefix="lk-eval-") as tmp:
        src, out = Path(tmp) / "frames.extxyz", Path(tmp) / "labels.npz"
        bare = [Atoms(numbers=at.numbers, positions=at.positions, cell=at.cell, pbc=at.pbc) for at in frames]
        write(src, bare, format="extxyz")
        env = {CHILD_ENV: pot.name, "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "0"}
        run_tool([sys.executable, "-m", "lammpskit.potentials.evaluate", pot.name, str(src), str(out), str(batch),
                  device], f"evaluating {pot.name} in its own process", timeout=None, env=env)
        return read(out, [len(at) for at in frames])


def write_npz(path: Path, labels: list) -> None:
    """The child's answer: ``labels`` (objects with energy, forces, stress) as plain float arrays."""
    np.savez(path, energy=np.array([lb.energy for lb in labels], dtype=float),
             forces=np.concatenate([np.asarray(lb.forces, float).reshape(-1, 3) for lb in labels]),
             stress=np.array([np.asarray(lb.stress, float).reshape(3, 3) for lb in labels]))


def read(path: Path, natoms: list[int]) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """The child's npz, checked against the frames' sizes."""
    with np.load(path, allow_pickle=False) as data:
        energy, forces, stress = (np.asarray(data[k], dtype=float) for k in ("energy", "forces", "stress"))
    n = len(natoms)
    if energy.shape != (n,) or stress.shape != (n, 3, 3) or forces.shape != (sum(natoms), 3):
        raise RunError(f"the evaluating process returned arrays of the wrong shape ({energy.shape}, "
                       f"{forces.shape}, {stress.shape}) for {n} frames")
    ends = np.cumsum(natoms)
    return [(float(energy[k]), forces[ends[k] - natoms[k]:ends[k]], stress[k]) for k in range(n)]
