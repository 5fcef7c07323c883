"""The child process of ``test_oracle_sevenn``: SevenNet needs e3nn 0.5 from its side folder, which a pytest
process that already imported mace (e3nn 0.4.4) cannot load, so the comparison runs here, in a fresh process.

``python -m tests.run.sevenn_oracle OUT NAME...``: for each registry entry NAME, the hand-written triclinic cell
of ``test_oracle_bridge`` through LAMMPS ``run 0`` with the kit's bridge, and sevenn's own
``SevenNetCalculator`` built here from sevenn's pretrained-model name (not the kit's entry), written to
``OUT/NAME.npz``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

# registry entry -> (sevenn's own pretrained name, modality)
DIRECT = {"7net-0": ("7net-0", None), "7net-0-mpf": ("7net-0_22May2024", None), "7net-l3i5": ("7net-l3i5", None),
          "7net-mf-0-pbe": ("7net-mf-0", "PBE"), "7net-mf-0-r2scan": ("7net-mf-0", "R2SCAN")}


def main(out: Path, names: list[str]) -> None:
    from lammpskit.potentials import extras

    extras.enable("sevenn")  # the side folder first, before anything imports e3nn
    import e3nn
    from sevenn.calculator import SevenNetCalculator

    from .test_oracle_bridge import LAMMPS_ORDER, bridge_numbers, oracle_atoms

    assert int(e3nn.__version__.split(".")[1]) >= 5, e3nn.__version__
    for name in names:
        model, modal = DIRECT[name]
        # the oracle first, while sevenn's checkpoint reader is still its own (the bridge's is weights-only)
        direct = SevenNetCalculator(model, modal=modal, device="cpu")
        tmp = out / name
        tmp.mkdir()
        t0 = time.perf_counter()
        positions, forces, pressure, pe, _seen = bridge_numbers(tmp, name)
        seconds = time.perf_counter() - t0
        at = oracle_atoms(positions, direct)
        np.savez(out / f"{name}.npz", positions=positions, forces=forces, pe=pe, seconds=seconds,
                 pressure=np.array([pressure[k] for k in LAMMPS_ORDER]), e3nn=e3nn.__version__,
                 energy=at.get_potential_energy(), direct_forces=at.get_forces(),
                 stress=at.get_stress(voigt=False))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
