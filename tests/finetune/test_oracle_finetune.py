"""Oracles for the fine-tuning data steps: sampling, DFT labels read back, DFT input settings.

* ``finetune sample``: a set built with a known answer (a tight cluster of near-identical frames
  plus a few structurally distinct ones): farthest-point sampling must pick every distinct frame
  and spread wider on the descriptor than random picks;
* ``finetune collect``: a pw.x output and a vasprun.xml written here with known numbers in the
  codes' own units (Ry, Ry/bohr, Ry/bohr^3; eV, eV/Å, kB) read back as REF_energy (eV),
  REF_forces (eV/Å), REF_stress (eV/Å^3, positive = tensile), converted here with CODATA
  constants typed in the test;
* ``finetune export-dft``: the pw.x input checked line by line against the documented settings,
  the k-point grid computed here from the cell.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from ..conftest import cli

RY_EV = 13.605693122990  # CODATA 2022
BOHR_A = 0.529177210544  # CODATA 2022
EV_A3_GPA = 160.21766339999996  # 1 eV/Å^3 in GPa


# -- sampling ----------------------------------------------------------------------------------------

def write_frames_dump(path, frames):
    """A multi-frame LAMMPS text dump written by hand: frames = [(symbols, positions, box_length)]."""
    out = []
    for step, (els, pos, box) in enumerate(frames):
        out += ["ITEM: TIMESTEP", str(step * 10), "ITEM: NUMBER OF ATOMS", str(len(els)), "ITEM: BOX BOUNDS pp pp pp"]
        out += [f"0.0 {box:.8f}"] * 3 + ["ITEM: ATOMS id element x y z"]
        out += [f"{i + 1} {e} {x:.8f} {y:.8f} {z:.8f}" for i, (e, (x, y, z)) in enumerate(zip(els, pos % box))]
    path.write_text("\n".join(out) + "\n")


def random_cell(rng, els, box, dmin=1.9):
    pos = []
    while len(pos) < len(els):
        p = rng.random(3) * box
        if all(np.linalg.norm((p - q) - box * np.round((p - q) / box)) >= dmin for q in pos):
            pos.append(p)
    return np.array(pos)


def test_farthest_point_sampling_picks_the_distinct_frames_and_beats_random(tmp_path):
    from lammpskit.finetune import frames as finetune
    from lammpskit.structure import sampling

    rng = np.random.default_rng(4)
    els = ["Na"] * 12 + ["P"] * 4 + ["S"] * 12 + ["O"] * 4
    base = random_cell(rng, els, 11.0)
    cluster = [(els, base + rng.normal(0, 0.01, base.shape), 11.0) for _ in range(36)]
    distinct = [(els, random_cell(rng, els, box, dmin), box) for box, dmin in ((8.6, 1.6), (9.6, 1.8), (13.0, 2.2),
                                                                            (15.0, 2.5))]
    order = list(range(40))
    rng.shuffle(order)  # distinct frames somewhere in the middle of the trajectory
    all_frames = cluster + distinct
    frames = [all_frames[k] for k in order]
    distinct_idx = {i for i, k in enumerate(order) if k >= 36}
    run = tmp_path / "run"
    run.mkdir()
    write_frames_dump(run / "dump.production.lammpstrj", frames)

    picked = finetune.sample([run], n=5, seed=0)
    got = [at.info["frame"] for at in picked]
    assert len(set(got)) == 5
    assert distinct_idx <= set(got), (sorted(distinct_idx), got)  # the oracle: all four distinct frames

    # spread on the standardised descriptor (sum of pairwise distances): FPS against 200 random 5-subsets
    atoms = finetune.trajectory_frames([run])
    x = np.array([sampling.descriptor(a, sorted(set(els))) for a in atoms])
    z = (x - x.mean(0)) / np.where(x.std(0) > 0, x.std(0), 1)

    def spread(idx):
        p = z[list(idx)]
        return sum(np.linalg.norm(p[i] - p[j]) for i in range(len(p)) for j in range(i + 1, len(p)))

    rand = [spread(rng.choice(len(z), 5, replace=False)) for _ in range(200)]
    assert spread(got) > np.percentile(rand, 99), (spread(got), np.percentile(rand, [50, 99]))


def test_arrhenius_runs_are_sampled_from_their_unwrapped_dumps_and_a_quench_once(tmp_path):
    """A quench folder's unwrapped dump repeats its production frames (skipped); an arrhenius NVT run below it
    has only its unwrapped dump, which is its trajectory (sampled, wrapped back into the cell)."""
    from lammpskit.finetune import frames as finetune

    rng = np.random.default_rng(5)
    els = ["Na"] * 4 + ["P"] * 2 + ["S"] * 7
    run = tmp_path / "run"
    (run / "diffusion-900K").mkdir(parents=True)
    quench = [(els, random_cell(rng, els, 9.0), 9.0) for _ in range(3)]
    write_frames_dump(run / "dump.production.lammpstrj", quench)
    write_frames_dump(run / "dump.unwrapped.lammpstrj", quench)
    hot = [(els, random_cell(rng, els, 9.0) + 9.0, 9.0) for _ in range(2)]  # unwrapped: one box outside
    text = []
    for step, (e, pos, box) in enumerate(hot):
        text += ["ITEM: TIMESTEP", str(step), "ITEM: NUMBER OF ATOMS", str(len(e)), "ITEM: BOX BOUNDS pp pp pp",
                 *[f"0.0 {box}"] * 3, "ITEM: ATOMS id element xu yu zu",
                 *[f"{i + 1} {a} {x:.6f} {y:.6f} {z:.6f}" for i, (a, (x, y, z)) in enumerate(zip(e, pos))]]
    (run / "diffusion-900K" / "dump.unwrapped.lammpstrj").write_text("\n".join(text) + "\n")
    got = finetune.trajectory_frames([run])
    assert sorted(Path(a.info["source"]).relative_to(run).as_posix() for a in got) == \
        ["diffusion-900K/dump.unwrapped.lammpstrj"] * 2 + ["dump.production.lammpstrj"] * 3
    for at in got[-2:] if "diffusion" in got[-1].info["source"] else got[:2]:
        assert (at.get_scaled_positions(wrap=False) >= 0).all() and (at.get_scaled_positions(wrap=False) < 1).all()


# -- DFT labels read back ------------------------------------------------------------------------------

PW_OUT = """
     Program PWSCF v.7.2 starts on  2Dec2026 at  3: 0: 0

     bravais-lattice index     =            0
     lattice parameter (alat)  =      12.0000  au = 6.35012653 Angstrom
     unit-cell volume          =    1728.0000 (a.u.)^3
     number of atoms/cell      =            3
     number of atomic types    =            2
     number of electrons       =        25.00

     celldm(1)=  12.000000  celldm(2)=   0.000000  celldm(3)=   0.000000
     celldm(4)=   0.000000  celldm(5)=   0.000000  celldm(6)=   0.000000

     crystal axes: (cart. coord. in units of alat)
               a(1) = (   1.000000   0.000000   0.000000 )
               a(2) = (   0.000000   1.000000   0.000000 )
               a(3) = (   0.000000   0.000000   1.000000 )

     site n.     atom                  positions (alat units)
         1           Na  tau(   1) = (   0.0000000   0.0000000   0.0000000  )
         2           Na  tau(   2) = (   0.5000000   0.5000000   0.0000000  )
         3           S   tau(   3) = (   0.2500000   0.2500000   0.2500000  )

!    total energy              =    -150.12345678 Ry
     estimated scf accuracy    <       0.00000001 Ry

     Forces acting on atoms (cartesian axes, Ry/au):

     atom    1 type  1   force =     0.01000000    0.02000000   -0.03000000
     atom    2 type  1   force =    -0.00400000    0.00500000    0.00600000
     atom    3 type  2   force =    -0.00600000   -0.02500000    0.02400000

     Total force =     0.050000     Total SCF correction =     0.000000


     Computing stress (Cartesian axis) and pressure

          total   stress  (Ry/bohr**3)                   (kbar)     P=        4.41
   0.00010000   0.00002000  -0.00003000           14.71        2.94       -4.41
   0.00002000   0.00005000   0.00001000            2.94        7.36        1.47
  -0.00003000   0.00001000  -0.00006000           -4.41        1.47       -8.83

"""

VASPRUN = """<?xml version="1.0" encoding="ISO-8859-1"?>
<modeling>
 <kpoints>
  <varray name="kpointlist" >
   <v>       0.00000000       0.00000000       0.00000000 </v>
  </varray>
  <varray name="weights" >
   <v>       1.00000000 </v>
  </varray>
 </kpoints>
 <atominfo>
  <atoms>       3 </atoms>
  <types>       2 </types>
  <array name="atoms" >
   <dimension dim="1">ion</dimension>
   <field type="string">element</field>
   <field type="int">atomtype</field>
   <set>
    <rc><c>P </c><c>   1</c></rc>
    <rc><c>O </c><c>   2</c></rc>
    <rc><c>O </c><c>   2</c></rc>
   </set>
  </array>
 </atominfo>
 <structure name="initialpos" >
  <crystal>
   <varray name="basis" >
    <v>       7.00000000       0.00000000       0.00000000 </v>
    <v>       1.00000000       8.00000000       0.00000000 </v>
    <v>       0.00000000       0.00000000       9.00000000 </v>
   </varray>
  </crystal>
  <varray name="positions" >
   <v>       0.10000000       0.10000000       0.10000000 </v>
   <v>       0.30000000       0.10000000       0.10000000 </v>
   <v>       0.10000000       0.30000000       0.10000000 </v>
  </varray>
 </structure>
 <calculation>
  <scstep>
   <energy>
    <i name="e_fr_energy">    -20.50000000 </i>
    <i name="e_wo_entrp">     -20.50000000 </i>
    <i name="e_0_energy">     -20.50000000 </i>
   </energy>
  </scstep>
  <structure>
   <crystal>
    <varray name="basis" >
     <v>       7.00000000       0.00000000       0.00000000 </v>
     <v>       1.00000000       8.00000000       0.00000000 </v>
     <v>       0.00000000       0.00000000       9.00000000 </v>
    </varray>
   </crystal>
   <varray name="positions" >
    <v>       0.10000000       0.10000000       0.10000000 </v>
    <v>       0.30000000       0.10000000       0.10000000 </v>
    <v>       0.10000000       0.30000000       0.10000000 </v>
   </varray>
  </structure>
  <varray name="forces" >
   <v>       0.10000000      -0.20000000       0.30000000 </v>
   <v>      -0.40000000       0.50000000      -0.60000000 </v>
   <v>       0.30000000      -0.30000000       0.30000000 </v>
  </varray>
  <varray name="stress" >
   <v>      12.00000000       3.00000000      -2.00000000 </v>
   <v>       3.00000000      -5.00000000       1.50000000 </v>
   <v>      -2.00000000       1.50000000       7.00000000 </v>
  </varray>
  <energy>
   <i name="e_fr_energy">    -20.50000000 </i>
   <i name="e_wo_entrp">     -20.50000000 </i>
   <i name="e_0_energy">     -20.50000000 </i>
  </energy>
 </calculation>
</modeling>
"""


OUTCAR = """ vasp.6.4.2 18Apr23 (build Jan 01 2024) complex
 POTCAR:    PAW_PBE Na_pv 19Sep2006
 POTCAR:    PAW_PBE O 08Apr2002
 POTCAR:    PAW_PBE Na_pv 19Sep2006
 POTCAR:    PAW_PBE O 08Apr2002
   ISPIN  =      1    spin polarized calculation?
   ions per type =               1   2
--------------------------------------- Iteration      1(   1)  ---------------------------------------
  FORCE on cell =-STRESS in cart. coord.  units (eV):
  Direction    XX          YY          ZZ          XY          YZ          ZX
  --------------------------------------------------------------------------------------
  Total         1.00000     2.00000     3.00000     0.40000     0.50000     0.60000
  in kB        10.00000    -4.00000     6.00000     2.50000    -1.50000     3.50000

  direct lattice vectors                 reciprocal lattice vectors
     6.000000000  0.000000000  0.000000000     0.166666667  0.000000000  0.000000000
     0.000000000  7.000000000  0.000000000     0.000000000  0.142857143  0.000000000
     1.000000000  0.000000000  8.000000000    -0.020833333  0.000000000  0.125000000

 POSITION                                       TOTAL-FORCE (eV/Angst)
 -----------------------------------------------------------------------------------
      0.50000      0.60000      0.70000         0.110000     -0.220000      0.330000
      2.00000      1.00000      1.50000        -0.440000      0.550000     -0.660000
      3.00000      4.00000      5.00000         0.330000     -0.330000      0.330000
 -----------------------------------------------------------------------------------
    total drift:                                0.000000      0.000000      0.000000

  FREE ENERGIE OF THE ION-ELECTRON SYSTEM (eV)
  ---------------------------------------------------
  free  energy   TOTEN  =       -15.25000000 eV

  energy  without entropy=      -15.25000000  energy(sigma->0) =      -15.25000000
"""


def test_collect_reads_pwx_outcar_and_vasprun_with_known_numbers(tmp_path):
    from ase.io import read

    d = tmp_path / "dft"
    (d / "0000").mkdir(parents=True)
    (d / "0001").mkdir(parents=True)
    (d / "0000" / "pw.out").write_text(PW_OUT)
    (d / "0001" / "vasprun.xml").write_text(VASPRUN)
    (d / "0002").mkdir()
    (d / "0002" / "OUTCAR").write_text(OUTCAR)
    r = cli("finetune", "collect", d, "--valid-fraction", "0.34", "--train", tmp_path / "train.xyz",
            "--valid", tmp_path / "valid.xyz", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"train": 2, "valid": 1}
    frames = read(tmp_path / "train.xyz", index=":") + read(tmp_path / "valid.xyz", index=":")
    qe = next(f for f in frames if f.get_chemical_symbols() == ["Na", "Na", "S"])
    vasp = next(f for f in frames if f.get_chemical_symbols() == ["P", "O", "O"])
    outcar = next(f for f in frames if f.get_chemical_symbols() == ["Na", "O", "O"])

    # pw.x: Ry -> eV, Ry/bohr -> eV/Å; QE prints the stress with the opposite sign (positive = compressive)
    assert qe.info["REF_energy"] == pytest.approx(-150.12345678 * RY_EV, rel=2e-7)  # ASE uses CODATA 2014 units: 9e-8 apart
    f_ry = np.array([[0.01, 0.02, -0.03], [-0.004, 0.005, 0.006], [-0.006, -0.025, 0.024]])
    assert np.allclose(qe.arrays["REF_forces"], f_ry * RY_EV / BOHR_A, rtol=1e-6, atol=0)
    s_ry = np.array([[1e-4, 2e-5, -3e-5], [2e-5, 5e-5, 1e-5], [-3e-5, 1e-5, -6e-5]])
    stress = np.asarray(qe.info["REF_stress"], float).reshape(3, 3)
    assert np.allclose(stress, -s_ry * RY_EV / BOHR_A**3, rtol=1e-6, atol=0)
    # the same tensor from the kbar columns QE prints (2 decimals): 1 kbar = 0.1 GPa
    kbar = np.array([[14.71, 2.94, -4.41], [2.94, 7.36, 1.47], [-4.41, 1.47, -8.83]])
    assert np.allclose(stress, -kbar * 0.1 / EV_A3_GPA, rtol=0, atol=0.006 * 0.1 / EV_A3_GPA)
    assert np.allclose(qe.cell, np.eye(3) * 12.0 * BOHR_A, rtol=1e-6)
    assert np.allclose(qe.positions[2], [3.0 * BOHR_A] * 3, rtol=1e-6)

    # VASP: eV, eV/Å, stress in kB with VASP's sign (positive = compressive)
    assert vasp.info["REF_energy"] == pytest.approx(-20.5, abs=1e-9)
    assert np.allclose(vasp.arrays["REF_forces"], [[0.1, -0.2, 0.3], [-0.4, 0.5, -0.6], [0.3, -0.3, 0.3]])
    kb = np.array([[12.0, 3.0, -2.0], [3.0, -5.0, 1.5], [-2.0, 1.5, 7.0]])
    assert np.allclose(np.asarray(vasp.info["REF_stress"], float).reshape(3, 3), -kb * 0.1 / EV_A3_GPA, rtol=1e-6)
    assert np.allclose(vasp.cell, [[7, 0, 0], [1, 8, 0], [0, 0, 9]])
    assert np.allclose(vasp.positions[1], np.array([0.3, 0.1, 0.1]) @ np.array([[7, 0, 0], [1, 8, 0], [0, 0, 9]]))

    # OUTCAR: eV, eV/Å; the "in kB" line is XX YY ZZ XY YZ ZX, VASP's sign (positive = compressive)
    assert outcar.info["REF_energy"] == pytest.approx(-15.25, abs=1e-9)
    assert np.allclose(outcar.arrays["REF_forces"], [[0.11, -0.22, 0.33], [-0.44, 0.55, -0.66], [0.33, -0.33, 0.33]])
    kb = np.array([[10.0, 2.5, 3.5], [2.5, -4.0, -1.5], [3.5, -1.5, 6.0]])
    assert np.allclose(np.asarray(outcar.info["REF_stress"], float).reshape(3, 3), -kb * 0.1 / EV_A3_GPA, rtol=1e-6)
    assert np.allclose(outcar.cell, [[6, 0, 0], [0, 7, 0], [1, 0, 8]]) and np.allclose(outcar.positions[1], [2, 1, 1.5])


# -- DFT inputs -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("functional,ecutwfc,ecutrho", [("pbe", 60, 480), ("r2scan", 80, 320)])
def test_export_dft_writes_the_documented_pwx_settings(tmp_path, functional, ecutwfc, ecutrho):
    from ase import Atoms
    from ase.io import write

    cell = np.array([[10.0, 0, 0], [0, 12.0, 0], [0, 0, 7.0]])
    at = Atoms(["Na", "Na", "P", "S", "O"], scaled_positions=[[0, 0, 0], [0.5, 0.5, 0], [0.25, 0.25, 0.5],
                                                           [0.6, 0.2, 0.3], [0.3, 0.7, 0.8]], cell=cell, pbc=True)
    write(tmp_path / "frames.xyz", [at], format="extxyz")
    r = cli("finetune", "export-dft", tmp_path / "frames.xyz", "--code", "qe", "--functional", functional,
            "--pseudo-dir", "/data/sssp", "--out", tmp_path / "dft", "--json")
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "dft" / "0000" / "pw.in").read_text()

    def value(key):
        m = re.search(rf"^\s*{key}\s*=\s*(.+?)\s*,?\s*$", text, re.M | re.I)
        assert m, f"{key} missing from pw.in:\n{text}"
        return m.group(1).strip().strip("'\"")

    assert value("calculation") == "scf"
    assert value("tprnfor").lower() in (".true.", "true") and value("tstress").lower() in (".true.", "true")
    assert value("pseudo_dir") == "/data/sssp"
    assert value("input_dft").lower() == functional
    assert float(value("ecutwfc")) == ecutwfc and float(value("ecutrho")) == ecutrho
    assert value("occupations") == "smearing" and value("smearing") == "gaussian"
    assert float(value("degauss")) == pytest.approx(0.005)
    assert int(value("nat")) == 5 and int(value("ntyp")) == 4
    # Monkhorst-Pack grid n_i = ceil(|b_i| / 0.25 Å^-1), |b_i| = 2 pi / L_i for this orthorhombic cell
    want = [math.ceil(2 * math.pi / L / 0.25) for L in (10.0, 12.0, 7.0)]
    assert want == [3, 3, 4]
    m = re.search(r"K_POINTS\s*\{?automatic\}?\s*\n\s*(\d+)\s+(\d+)\s+(\d+)", text, re.I)
    assert m and [int(g) for g in m.groups()] == want, text
    for el in ("Na", "P", "S", "O"):
        assert re.search(rf"^\s*{el}\s+[\d.]+\s+{el}\.upf\s*$", text, re.M), text
    cellblock = re.search(r"CELL_PARAMETERS.*\n(.+)\n(.+)\n(.+)", text).groups()
    assert np.allclose([[float(v) for v in row.split()] for row in cellblock], cell)
