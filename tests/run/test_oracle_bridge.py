"""Oracle: the bridge's forces and full virial in a strongly triclinic cell against finite differences.

The numbers LAMMPS reports through the bridge (per-atom forces, and the six components of
``compute pressure NULL virial``: pxx pyy pzz pxy pxz pyz, in bar) are compared with finite
differences of the model's energy, taken outside the kit: the model's own ASE calculator
(``MACECalculator`` on the tiny MACE file, chgnet's ``CHGNetCalculator``) built here, with
ASE's ``calculate_numerical_stress`` / ``calculate_numerical_forces`` on an ``Atoms`` built here
from the same positions and cell. The LAMMPS data file is written here too, so nothing of the
kit's structure or stress conventions (Voigt order, sign, units) enters the expected values.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

# the six LAMMPS pressure components and where each sits in ASE's Voigt stress (xx yy zz yz xz xy)
LAMMPS_ORDER = ("pxx", "pyy", "pzz", "pxy", "pxz", "pyz")
ASE_VOIGT_INDEX = {"pxx": 0, "pyy": 1, "pzz": 2, "pyz": 3, "pxz": 4, "pxy": 5}
EV_PER_A3_IN_BAR = 1.602176634e-19 / 1e-30 / 1e5  # 1 eV/Å^3 = 1.602176634e6 bar
ELEMENTS = ["Na", "P", "S", "O"]
MASSES = {"Na": 22.98976928, "P": 30.973762, "S": 32.06, "O": 15.999}
# restricted triclinic cell (rows a, b, c): all three tilts non-zero, different, of both signs
CELL = np.array([[9.0, 0.0, 0.0], [2.9, 8.4, 0.0], [-2.1, 1.6, 8.8]])
SYMBOLS = ["Na"] * 8 + ["P"] * 4 + ["S"] * 9 + ["O"] * 3


def placed_fractions(seed: int = 1, dmin: float = 2.1) -> np.ndarray:
    """Random fractional coordinates with every periodic distance at least ``dmin`` Å."""
    rng = np.random.default_rng(seed)
    frac: list[np.ndarray] = []
    while len(frac) < len(SYMBOLS):
        f = rng.random(3)
        shifts = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)])
        if all(np.min(np.linalg.norm((f - g + shifts) @ CELL, axis=1)) >= dmin for g in frac):
            frac.append(f)
    return np.array(frac)


def write_data(path, positions) -> None:
    """A LAMMPS data file written by hand (atom_style atomic, types in ELEMENTS order)."""
    (lx, _, _), (xy, ly, _), (xz, yz, lz) = CELL
    lines = ["hand-written triclinic cell", "", f"{len(SYMBOLS)} atoms", f"{len(ELEMENTS)} atom types", "",
             f"0.0 {lx:.12f} xlo xhi", f"0.0 {ly:.12f} ylo yhi", f"0.0 {lz:.12f} zlo zhi",
             f"{xy:.12f} {xz:.12f} {yz:.12f} xy xz yz", "", "Masses", ""]
    lines += [f"{k + 1} {MASSES[e]}" for k, e in enumerate(ELEMENTS)]
    lines += ["", "Atoms # atomic", ""]
    lines += [f"{i + 1} {ELEMENTS.index(s) + 1} {x:.12f} {y:.12f} {z:.12f}"
              for i, (s, (x, y, z)) in enumerate(zip(SYMBOLS, positions))]
    path.write_text("\n".join(lines) + "\n")


class Recorder:
    """Wraps the kit's evaluator and keeps what the bridge handed the model."""

    def __init__(self, inner):
        self.inner = inner
        self.seen = []

    def __call__(self, types, positions, cell):
        self.seen.append((np.array(types), np.array(positions), np.array(cell)))
        return self.inner(types, positions, cell)


def bridge_numbers(tmp_path, pot_name: str):
    """LAMMPS + the kit's bridge on the hand-written cell: forces by id, pressure (bar), what the model saw."""
    from lammpskit.lammps import env as lammps_env
    from lammpskit.potentials import calculators
    from lammpskit.potentials import registry as potentials
    from lammpskit.run.bridge import Bridge

    positions = placed_fractions() @ CELL
    write_data(tmp_path / "cell.data", positions)
    rec = Recorder(calculators.Evaluator(calculators.build(potentials.get(pot_name)), ELEMENTS))
    lmp = lammps_env.new_lammps()
    try:
        lmp.commands_string(f"""
            units metal
            atom_style atomic
            boundary p p p
            atom_modify map array sort 0 0.0
            read_data {tmp_path / 'cell.data'}
            pair_style zero 1.0
            pair_coeff * *
            fix lk_bridge all external pf/callback 1 1
            fix_modify lk_bridge energy yes virial yes
            compute pv all pressure NULL virial
            thermo_style custom step pe c_pv[*]
        """)
        bridge = Bridge(lmp, rec)
        bridge.attach()
        lmp.command("run 0")
        assert bridge.error is None, bridge.error
        n = lmp.get_natoms()
        tags = np.array(lmp.numpy.extract_atom("id", nelem=n))
        forces = np.array(lmp.numpy.extract_atom("f", nelem=n))[np.argsort(tags)]
        pressure = dict(zip(LAMMPS_ORDER, [lmp.extract_compute("pv", 0, 1)[i] for i in range(6)]))
        pe = lmp.get_thermo("pe")
    finally:
        lmp.close()
    return positions, forces, pressure, pe, rec.seen


def oracle_atoms(positions, calc):
    from ase import Atoms

    at = Atoms(SYMBOLS, positions=positions, cell=CELL, pbc=True)
    at.calc = calc
    return at


def check(positions, forces, pressure, pe, seen, calc, eps_strain, eps_pos, stress_tol, force_tol, force_atoms):
    from ase.calculators.fd import calculate_numerical_forces, calculate_numerical_stress

    # 1. the cell and positions the bridge handed the model are the ones written here
    assert seen, "the bridge never called the model"
    types, x, cell = seen[-1]
    assert np.allclose(cell, CELL, atol=1e-9), cell
    assert len(types) == len(SYMBOLS)
    frac_seen = np.linalg.solve(CELL.T, x.T).T
    frac_mine = np.linalg.solve(CELL.T, positions.T).T
    # local order may differ from id order: match each seen atom to a written one (same type, same site mod cell)
    for t, f in zip(types, frac_seen):
        d = frac_mine - f
        d -= np.round(d)
        k = int(np.argmin(np.linalg.norm(d @ CELL, axis=1)))
        assert np.linalg.norm(d[k] @ CELL) < 1e-8 and ELEMENTS.index(SYMBOLS[k]) + 1 == t

    at = oracle_atoms(positions, calc)
    assert pe == pytest.approx(at.get_potential_energy(), abs=1e-5 * len(at))

    # 2. all six virial components: P_ab(virial part) = -sigma_ab, sigma = (1/V) dE/d(strain) by finite differences
    sigma = calculate_numerical_stress(at, eps_strain, voigt=True, force_consistent=False)
    expected = {k: -sigma[ASE_VOIGT_INDEX[k]] * EV_PER_A3_IN_BAR for k in LAMMPS_ORDER}
    tol_bar = stress_tol * EV_PER_A3_IN_BAR
    print({k: (round(pressure[k], 2), round(expected[k], 2)) for k in LAMMPS_ORDER})
    # a swap of two diagonal or two off-diagonal components, or a sign flip, must show: here they differ
    # pairwise, and from zero, by well over the tolerance
    for group in (("pxx", "pyy", "pzz"), ("pxy", "pxz", "pyz")):
        vals = np.sort([expected[k] for k in group])
        assert min(np.diff(vals)) > 3 * tol_bar and min(abs(vals)) > 3 * tol_bar, expected
    for k in LAMMPS_ORDER:
        assert pressure[k] == pytest.approx(expected[k], abs=tol_bar), (k, pressure, expected)

    # 3. forces = -dE/dx by finite differences on the oracle's calculator
    f_num = calculate_numerical_forces(at, eps_pos, iatoms=force_atoms)
    assert np.max(np.abs(forces[force_atoms] - f_num)) < force_tol, np.max(np.abs(forces[force_atoms] - f_num))
    assert np.max(np.abs(forces[force_atoms])) > 20 * force_tol


def test_tiny_mace_triclinic_virial_and_forces_against_finite_differences(tmp_path, user_pots):
    from mace.calculators import MACECalculator

    positions, forces, pressure, pe, seen = bridge_numbers(tmp_path, "tiny-mace")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calc = MACECalculator(model_paths=str(user_pots / "tiny.model"), device="cpu", default_dtype="float64")
    check(positions, forces, pressure, pe, seen, calc, eps_strain=1e-5, eps_pos=1e-5,
          stress_tol=1e-7, force_tol=1e-6, force_atoms=list(range(len(SYMBOLS))))


def test_chgnet_triclinic_virial_and_forces_against_finite_differences(tmp_path):
    """CHGNet is float32: larger steps and tolerances (FD noise ~1e-5 eV/Å^3, ~1e-3 eV/Å)."""
    from chgnet.model import CHGNet
    from chgnet.model.dynamics import CHGNetCalculator

    positions, forces, pressure, pe, seen = bridge_numbers(tmp_path, "chgnet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calc = CHGNetCalculator(model=CHGNet.load(model_name="0.3.0", verbose=False), use_device="cpu")
    check(positions, forces, pressure, pe, seen, calc, eps_strain=1e-3, eps_pos=2e-3,
          stress_tol=5e-5, force_tol=5e-3, force_atoms=[0, 8, 12, 21])
