"""The fix-external bridge: LAMMPS integrates, a Python calculator gives E, F and virial.

The deck declares ``fix lk_bridge all external pf/callback 1 1`` with
``fix_modify lk_bridge energy yes virial yes``; ``Bridge.attach`` registers the
callback. Each call maps the local atoms (any order: atom sorting is on) to
elements by their LAMMPS type, builds the cell from the (possibly triclinic)
box, and writes forces back in the same local order, so atoms never need
reordering by tag. Energy (eV) and virial (eV, -stress x volume) go to the fix.
"""

from __future__ import annotations

import time

import numpy as np

FIX_ID = "lk_bridge"


def lammps_cell(lmp) -> np.ndarray:
    """Cell rows a, b, c (Å) of the LAMMPS box (restricted triclinic)."""
    boxlo, boxhi, xy, yz, xz, _periodic, _changed = lmp.extract_box()
    lx, ly, lz = (boxhi[i] - boxlo[i] for i in range(3))
    return np.array([[lx, 0.0, 0.0], [xy, ly, 0.0], [xz, yz, lz]])


class Bridge:
    """Calls ``evaluator(types, positions, cell) -> (E, F, virial6)`` from LAMMPS."""

    def __init__(self, lmp, evaluator, fix_id: str = FIX_ID):
        self.lmp = lmp
        self.evaluator = evaluator
        self.fix_id = fix_id
        self.error: BaseException | None = None
        self.calls = 0
        self.model_seconds = 0.0

    def attach(self) -> None:
        self.lmp.set_fix_external_callback(self.fix_id, self._callback)

    def _callback(self, _caller, _step, nlocal, _tag, x, f):
        # exceptions cannot cross the C boundary: keep them and stop the run
        try:
            if self.error is not None:
                f[:] = 0.0
                self.lmp.force_timeout()
                return
            types = self.lmp.numpy.extract_atom("type", nelem=nlocal)
            t0 = time.perf_counter()
            energy, forces, virial = self.evaluator(np.asarray(types), np.asarray(x), lammps_cell(self.lmp))
            self.model_seconds += time.perf_counter() - t0
            f[:] = forces
            self.lmp.fix_external_set_energy_global(self.fix_id, energy)
            self.lmp.fix_external_set_virial_global(self.fix_id, list(virial))
            self.calls += 1
        except BaseException as exc:  # noqa: BLE001 - re-raised by the engine
            self.error = exc
            f[:] = 0.0
            self.lmp.force_timeout()
