"""Python calculators for the bridge, built from a potential's ``[bridge]`` table.

Each builder takes (potential, files, device) and returns an ASE calculator;
``Evaluator`` wraps it into the one call the bridge needs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lammpskit.errors import UserError
from lammpskit.potentials import sevennet
from lammpskit.potentials.registry import Potential


def _chgnet(pot: Potential, files: dict, device: str):
    from chgnet.model import CHGNet
    from chgnet.model.dynamics import CHGNetCalculator

    model = CHGNet.from_file(str(files["model"]), verbose=False)
    return CHGNetCalculator(model=model, use_device=device)


def _mace(pot: Potential, files: dict, device: str):
    from mace.calculators import MACECalculator

    return MACECalculator(model_paths=str(files["model"]), device=device,
                          default_dtype=pot.bridge.dtype or pot.dtype, head=pot.bridge.head)


def _grace(pot: Potential, files: dict, device: str):
    from lammpskit.potentials import extras

    extras.enable("tensorpotential")  # before tensorflow is first imported
    from tensorpotential.calculator import TPCalculator

    model = files["model"]
    if (model / "saved_model" / "saved_model.pb").exists():
        model = model / "saved_model"
    return TPCalculator(str(model))


def e3nn_constants_allowed():
    """A context in which torch's weights-only loading also accepts the globals that e3nn's own constants file
    (e3nn/o3/constants.pt, read with torch.load at import) holds: ``slice``. deepmd-kit's PyTorch backend
    imports e3nn, and torch >= 2.6 loads weights-only by default; this allows exactly that global instead of
    turning weights-only loading off for the process."""
    import torch

    return torch.serialization.safe_globals([slice])


def _deepmd(pot: Potential, files: dict, device: str):
    from deepmd.calculator import DP

    with e3nn_constants_allowed():  # DP imports deepmd's PyTorch descriptors (and so e3nn) on first use
        return DP(model=str(files["model"]))


def _sevenn(pot: Potential, files: dict, device: str):
    return sevennet.calculator(pot, files, device)


BUILDERS: dict[str, Callable] = {"chgnet": _chgnet, "mace": _mace, "grace": _grace, "deepmd": _deepmd,
                                 "sevenn": _sevenn}
# the Python package each calculator needs (checked before a run is rendered)
PACKAGES = {"chgnet": "chgnet", "mace": "mace", "grace": "tensorpotential", "deepmd": "deepmd", "sevenn": "sevenn"}


def build(pot: Potential, device: str = "cpu"):
    """An ASE calculator for ``pot`` (files checked against their sha256)."""
    if not pot.bridge:
        raise UserError(f"potential {pot.name!r} has no [bridge] table: it runs only natively")
    kind = pot.bridge.calculator
    if kind not in BUILDERS:
        raise UserError(f"potential {pot.name!r}: unknown bridge calculator {kind!r} "
                        f"(known: {', '.join(BUILDERS)})")
    files = pot.resolve_files(pot.bridge_keys())
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # builders print banners
        return BUILDERS[kind](pot, files, device)


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
