"""Random placement: minimum distances, reproducibility, data files, a clear error when full."""

from __future__ import annotations

import numpy as np
import pytest

from lammpskit.errors import UserError
from lammpskit.structure import builder as structure
from lammpskit.structure import composition


def pair_distances(s):
    L = s.cell[0, 0]
    d = s.positions[:, None, :] - s.positions[None, :, :]
    d -= L * np.round(d / L)
    return np.sqrt((d**2).sum(-1))


@pytest.mark.parametrize("x", [0, 1.5, 3.5])
def test_minimum_distances_hold_by_brute_force(x):
    comp = composition.make(x, atoms=500)
    s = structure.build(comp, comp.density_estimate(), seed=11)
    assert np.bincount(s.types, minlength=len(comp.elements) + 1)[1:].tolist() == list(comp.counts.values())
    dmat = structure.min_distance_matrix(comp.elements)
    r = pair_distances(s)
    need = dmat[s.types[:, None] - 1, s.types[None, :] - 1]
    np.fill_diagonal(r, np.inf)
    assert np.all(r >= need - 1e-9)
    assert np.all((s.positions >= 0) & (s.positions < s.cell[0, 0]))


def test_reproducible_by_seed():
    comp = composition.make(1.5, fu=8)
    a = structure.build(comp, 2.1, 5)
    b = structure.build(comp, 2.1, 5)
    c = structure.build(comp, 2.1, 6)
    assert np.array_equal(a.positions, b.positions) and not np.array_equal(a.positions, c.positions)


def test_overrides_apply():
    comp = composition.make(0, fu=8)
    s = structure.build(comp, 1.5, 1, {frozenset(["S"]): 2.9})
    r = pair_distances(s)
    S = s.types == 3
    rs = r[np.ix_(S, S)]
    np.fill_diagonal(rs, np.inf)
    assert rs.min() >= 2.9


def test_full_box_is_a_clear_error():
    comp = composition.make(0, fu=20)
    with pytest.raises(UserError, match="cannot be filled.*lower density"):
        structure.build(comp, 8.0, 1)


def test_data_file_has_element_comments_and_lammps_reads_it(tmp_path):
    from lammpskit.lammps import env as lammps_env

    comp = composition.make(1.5, fu=2)
    s = structure.build(comp, 2.0, 1)
    structure.write_data(tmp_path / "d.lmp", s, "t")
    assert structure.read_data_elements(tmp_path / "d.lmp") == ["Na", "P", "S", "O"]
    lmp = lammps_env.new_lammps()
    lmp.commands_string(f"units metal\natom_style atomic\nread_data {tmp_path / 'd.lmp'}")
    assert lmp.get_natoms() == comp.natoms
    lmp.close()
