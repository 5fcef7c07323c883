"""The fix-external bridge against direct calculator calls (real LAMMPS, real MACE model)."""

from __future__ import annotations

import numpy as np
import pytest

from lammpskit.lammps import env as lammps_env
from lammpskit.potentials import calculators
from lammpskit.potentials import registry as potentials
from lammpskit.run.bridge import Bridge
from lammpskit.structure import builder as structure
from lammpskit.structure import composition

EV_A3_TO_BAR = 1.602176634e6


def triclinic_glass(seed=3, density=2.2) -> structure.Structure:
    """A random Na4P2S5.5O1.5 cell sheared into a triclinic box (tilts xy, xz, yz != 0)."""
    comp = composition.make(1.5, fu=4)
    s = structure.build(comp, density, seed)
    L = s.cell[0, 0]
    frac = s.positions / L
    s.cell = np.array([[L, 0, 0], [0.12 * L, L, 0], [-0.08 * L, 0.1 * L, L]])
    s.positions = frac @ s.cell
    return s


def start_lammps(tmp_path, s, evaluator, sort_every=1):
    """LAMMPS with the structure, bridge potential block and sorting every step."""
    structure.write_data(tmp_path / "data.lmp", s, "test")
    lmp = lammps_env.new_lammps()
    lmp.commands_string(f"""
        units metal
        atom_style atomic
        boundary p p p
        atom_modify map array sort {sort_every} 2.0
        read_data {tmp_path / 'data.lmp'}
        pair_style zero 1.0
        pair_coeff * *
        fix lk_bridge all external pf/callback 1 1
        fix_modify lk_bridge energy yes virial yes
        neighbor 1.0 bin
        timestep 0.0005
        thermo_style custom step temp pe etotal press vol
    """)
    bridge = Bridge(lmp, evaluator)
    bridge.attach()
    return lmp, bridge


def by_tag(lmp, name):
    n = lmp.get_natoms()
    tags = lmp.numpy.extract_atom("id", nelem=n)
    arr = np.array(lmp.numpy.extract_atom(name, nelem=n))
    return arr[np.argsort(tags)]


@pytest.fixture(scope="module")
def evaluator(user_pots):
    return calculators.Evaluator(calculators.build(potentials.get("tiny-mace")), ["Na", "P", "S", "O"])


def test_forces_energy_virial_match_direct_call(tmp_path, evaluator):
    s = triclinic_glass()
    lmp, bridge = start_lammps(tmp_path, s, evaluator)
    lmp.command("velocity all create 600 5 mom yes rot yes")
    lmp.command("fix nve all nve")
    lmp.command("run 30")  # atoms move, get wrapped and re-sorted every step
    lmp.command("compute pvir all pressure NULL virial")
    lmp.command("thermo_style custom step pe c_pvir[*]")
    lmp.command("run 0")
    assert bridge.error is None and bridge.calls > 30
    f_lmp = by_tag(lmp, "f")
    x = by_tag(lmp, "x")
    types = by_tag(lmp, "type")
    local_tags = np.array(lmp.numpy.extract_atom("id", nelem=lmp.get_natoms()))
    assert not np.all(local_tags == np.sort(local_tags)), "atom sorting should have reordered local atoms"
    from lammpskit.run.bridge import lammps_cell

    cell = lammps_cell(lmp)
    assert min(abs(cell[1, 0]), abs(cell[2, 0]), abs(cell[2, 1])) > 0.5
    energy, forces, virial = evaluator(types, x, cell)
    assert np.max(np.abs(f_lmp - forces)) < 1e-6
    assert abs(lmp.get_thermo("pe") - energy) < 1e-6 * max(1, abs(energy))
    # pressure tensor from the virial alone: P_ab = W_ab / V, in bar
    vol = abs(np.linalg.det(cell))
    p_lmp = [lmp.extract_compute("pvir", 0, 1)[i] for i in range(6)]
    assert np.allclose(p_lmp, virial / vol * EV_A3_TO_BAR, rtol=1e-6, atol=1e-3)
    lmp.close()


def test_virial_is_minus_strain_derivative_of_energy(evaluator):
    """W = -V σ with σ = (1/V) dE/dε: compare the xx component with a finite difference."""
    s = triclinic_glass(seed=4)
    e0, _, w = evaluator(s.types, s.positions, s.cell)
    h = 1e-5
    energies = []
    for sign in (1, -1):
        strain = np.eye(3)
        strain[0, 0] += sign * h
        energies.append(evaluator(s.types, s.positions @ strain, s.cell @ strain)[0])
    dE = (energies[0] - energies[1]) / (2 * h)
    assert abs(-dE - w[0]) < 1e-4 * max(1.0, abs(w[0]))


def test_nve_conserves_energy(tmp_path, evaluator):
    s = triclinic_glass(seed=5)
    lmp, bridge = start_lammps(tmp_path, s, evaluator, sort_every=10)
    lmp.command("minimize 0 0.05 200 2000")
    lmp.command("reset_timestep 0")
    lmp.command("velocity all create 300 7 mom yes rot yes")
    lmp.command("fix nve all nve")
    lmp.command("timestep 0.0005")
    lmp.command("run 0")
    e0 = lmp.get_thermo("etotal")
    energies = []
    for _ in range(10):
        lmp.command("run 20 post no")
        energies.append(lmp.get_thermo("etotal"))
    n = lmp.get_natoms()
    drift = (energies[-1] - e0) / n
    spread = (max(energies) - min(energies)) / n
    ke = lmp.get_thermo("ke") / n
    print(f"NVE 200 steps x 0.5 fs, {n} atoms: drift {drift:.2e} eV/atom, spread {spread:.2e} eV/atom, KE {ke:.3f} eV/atom")
    assert bridge.error is None
    assert abs(drift) < 1e-4 and spread < 1e-3 * max(ke, 1e-3) * 100
    lmp.close()


@pytest.mark.parametrize("offset_bar", [+2000.0, -2000.0])
def test_npt_moves_volume_the_way_the_stress_says(tmp_path, evaluator, offset_bar):
    """Target the model's own pressure ± 2 kbar: the box must shrink for +, grow for -."""
    s = triclinic_glass(seed=6)
    lmp, bridge = start_lammps(tmp_path, s, evaluator, sort_every=10)
    lmp.command("minimize 0 0.05 100 1000")
    lmp.command("change_box all triclinic")
    _, _, w = evaluator(by_tag(lmp, "type"), by_tag(lmp, "x"), __import__("lammpskit.run.bridge").run.bridge.lammps_cell(lmp))
    v0 = lmp.get_thermo("vol")
    p_model = w[:3].sum() / 3 / v0 * EV_A3_TO_BAR  # static pressure (bar)
    target = p_model + offset_bar
    lmp.command("velocity all create 10 3 mom yes rot yes")
    lmp.command(f"fix npt all npt temp 10 10 0.05 iso {target} {target} 0.5")
    lmp.command("timestep 0.0005")
    lmp.command("run 40")
    v1 = lmp.get_thermo("vol")
    print(f"model pressure {p_model:.0f} bar, target {target:.0f} bar: V {v0:.1f} -> {v1:.1f} Å^3")
    assert bridge.error is None
    assert (v1 < v0) if offset_bar > 0 else (v1 > v0)
    lmp.close()
