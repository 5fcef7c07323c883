"""Placement in a LAMMPS box, the in-process part: any ASE cell becomes the same crystal in a restricted triclinic box."""

from __future__ import annotations

import numpy as np
import pytest

from lammpskit.errors import UserError
from lammpskit.structure import builder as structure

pytestmark = pytest.mark.fast


def test_any_ase_cell_becomes_the_same_crystal_in_a_lammps_box(tmp_path):
    """from_atoms rotates a general triclinic cell into LAMMPS's restricted form without changing the structure."""
    from ase import Atoms
    from ase.geometry import cell_to_cellpar

    rng = np.random.default_rng(3)
    cell = np.array([[7.0, 1.2, -0.8], [0.9, 8.1, 1.5], [-1.1, 0.7, 9.3]])  # not lower triangular
    atoms = Atoms(["Na", "P", "S", "S", "O", "Na"], scaled_positions=rng.random((6, 3)) * 1.6 - 0.3, cell=cell,
                  pbc=True)
    s = structure.from_atoms(atoms, ["Na", "P", "S", "O"])
    assert np.allclose(np.triu(s.cell, 1), 0) and np.all(np.diag(s.cell) > 0)
    assert list(s.types) == [1, 2, 3, 3, 4, 1]
    back = Atoms([s.elements[t - 1] for t in s.types], positions=s.positions, cell=s.cell, pbc=True)
    assert np.allclose(cell_to_cellpar(back.cell), cell_to_cellpar(atoms.cell))
    assert np.allclose(back.get_all_distances(mic=True), atoms.get_all_distances(mic=True))
    frac = back.get_scaled_positions(wrap=False)
    assert np.all((frac >= -1e-9) & (frac < 1 + 1e-9))  # inside the box LAMMPS reads
    structure.write_data(tmp_path / "d.lmp", s, "t")
    assert structure.read_data_elements(tmp_path / "d.lmp") == ["Na", "P", "S", "O"]
    assert "xy xz yz" in (tmp_path / "d.lmp").read_text()
    with pytest.raises(UserError, match="Li"):
        structure.from_atoms(Atoms("Li", cell=cell, pbc=True), ["Na"])
