"""Python calculators for the bridge, built from a potential's ``[bridge]`` table.

``build(pot)`` calls the builder of the family the table names (``lammpskit.potentials.families``) after
its side folder is enabled; ``Evaluator`` wraps the calculator into the one call the bridge needs.
"""

from __future__ import annotations

import numpy as np

from lammpskit.errors import Error, ModelError, UserError
from lammpskit.potentials import extras, families
from lammpskit.potentials.builders import e3nn_constants_allowed
from lammpskit.potentials.registry import Potential

__all__ = ["Evaluator", "build", "e3nn_constants_allowed"]


def build(pot: Potential, device: str = "cpu"):
    """An ASE calculator for ``pot`` (files checked against their sha256); ``device``: cpu | cuda.

    A model that its package cannot load (a corrupt or incompatible checkpoint, a package missing from this
    environment) raises ``ModelError`` naming the potential, the file and the package's reason."""
    if not pot.bridge:
        raise UserError(f"potential {pot.name!r} has no [bridge] table: it runs only natively")
    kind = pot.bridge.calculator
    fam = families.get(kind)
    if fam is None or fam.builder is None:
        raise UserError(f"potential {pot.name!r}: unknown bridge calculator {kind!r} "
                        f"(known: {', '.join(f.name for f in families.FAMILIES.values() if f.builder)})")
    files = pot.resolve_files(pot.bridge_keys())
    extras.enable(fam.name)  # its side folder and environment, before its packages are first imported
    import contextlib
    import io

    try:
        with contextlib.redirect_stdout(io.StringIO()):  # builders print banners
            return fam.builder(pot, files, device)
    except Error:
        raise
    except Exception as exc:  # noqa: BLE001 - each package fails in its own way; its message says why
        why = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        where = ", ".join(str(p) for p in files.values())
        raise ModelError(f"cannot load the {fam.name} model of potential {pot.name!r} ({where}): "
                         f"{type(exc).__name__}: {why}") from exc


class Evaluator:
    """Energy (eV), forces (eV/Å) and LAMMPS-ordered virial (eV) of one configuration."""

    def __init__(self, calc, elements: list[str]):
        from ase.data import atomic_numbers

        self.calc = calc
        self.z_of_type = np.array([0] + [atomic_numbers[e] for e in elements])

    def __call__(self, types: np.ndarray, positions: np.ndarray, cell: np.ndarray):
        """``types`` 1-based LAMMPS types; ``cell`` rows a, b, c in Å."""
        from ase import Atoms

        atoms = Atoms(numbers=self.z_of_type[types], positions=positions, cell=cell, pbc=True)
        self.calc.calculate(atoms, ["energy", "forces", "stress"], ["positions", "numbers", "cell"])
        res = self.calc.results
        stress = np.asarray(res["stress"], dtype=float)
        if stress.shape == (6,):  # ASE Voigt xx yy zz yz xz xy
            xx, yy, zz, yz, xz, xy = stress
        else:
            s = stress.reshape(3, 3)
            xx, yy, zz, yz, xz, xy = s[0, 0], s[1, 1], s[2, 2], s[1, 2], s[0, 2], s[0, 1]
        vol = abs(np.linalg.det(cell))
        # virial W = -stress * V (ASE stress is dE/dstrain / V); LAMMPS order xx yy zz xy xz yz
        virial = -vol * np.array([xx, yy, zz, xy, xz, yz])
        return float(res["energy"]), np.asarray(res["forces"], dtype=float), virial
