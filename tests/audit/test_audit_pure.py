"""lammpskit audit, the in-process part: committee spread, errors and class codes by hand, reference labels checked."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.fast


def test_committee_spread_and_errors_by_hand():
    """Spread sqrt(mean_k |F_k - <F>|^2) and per-component RMSE/MAE on numbers worked out by hand."""
    from lammpskit.audit import metrics as audit
    from lammpskit.potentials.evaluate import Labels

    masks = {"Na": np.array([True, False, True]), "P0": np.array([False, True, False])}
    fa = np.array([[1.0, 0, 0], [0, 0, 0], [0, 0, 2.0]])
    fb = np.array([[-1.0, 0, 0], [0, 0, 0], [0, 0, 0.0]])
    summary, spread, frame_max = audit.committee([fa, fb], masks, np.array([2, 1]))
    assert spread.tolist() == [1.0, 0.0, 1.0] and frame_max.tolist() == [1.0, 1.0]
    assert summary["by_class"]["P0"] == {"atoms": 1, "force_spread_mean_eV_A": 0.0, "force_spread_max_eV_A": 0.0}

    class F:  # the fields of audit.frames.Frame that compare() reads
        def __init__(self, symbols):
            self.symbols = np.array(symbols)
    frames = [F(["Na", "P"]), F(["Na"])]
    pred = [Labels(2.0, fa[:2], np.eye(3) / audit.GPA_PER_EV_A3), Labels(1.0, fa[2:], np.zeros((3, 3)))]
    ref = [Labels(0.0, fb[:2], np.zeros((3, 3))), Labels(1.0, fb[2:], np.zeros((3, 3)))]
    res, df = audit.compare(pred, ref, frames, masks)
    assert df.tolist() == [2.0, 0.0, 2.0]
    assert res["energy_rmse_eV_atom"] == pytest.approx(np.sqrt((1.0 ** 2 + 0) / 2))  # (2-0)/2 atoms, 0
    assert res["force_rmse_eV_A"] == pytest.approx(np.sqrt(8 / 9)) and res["force_mae_eV_A"] == pytest.approx(4 / 9)
    assert res["stress_rmse_GPa"] == pytest.approx(np.sqrt(3 / 12))  # xx yy zz = 1 GPa in frame 1 of 12 values
    assert res["by_class"]["Na"] == {"atoms": 2, "force_rmse_eV_A": pytest.approx(np.sqrt(8 / 6)),
                                     "force_mae_eV_A": pytest.approx(4 / 6)}
    assert res["by_element"]["P"]["force_rmse_eV_A"] == 0.0


def test_class_codes_follow_the_unit_classes():
    from lammpskit.audit import metrics as audit

    symbols = np.array(["Na", "P", "S", "O", "Li", "P"])
    classes = {"pn": np.array([-1, 2, -1, -1, -1, 0]), "anion": np.array([-1, -1, 2, 1, -1, -1]),
               "edge": np.array([0, 1, 0, 0, 0, 0]), "pp": np.array([0, 0, 0, 0, 0, 1])}
    assert audit.class_codes(symbols, classes).tolist() == [1, 12, 22, 31, 0, 10]
    masks = audit.class_masks(symbols, classes)
    assert masks["P_edge_sharing"].tolist() == [False, True, False, False, False, False]
    assert masks["P_PP_bonded"].tolist() == [False] * 5 + [True]
    assert masks["Li"].sum() == 1 and masks["S_bridging"].sum() == 1 and masks["O_nonbridging"].sum() == 1


def test_reference_labels_are_checked_when_read(tmp_path):
    """The labels of a --reference file, REF_* keys or an extxyz's energy/forces/stress, are refused when not
    finite; good ones come back as Labels (eV, eV/Å, eV/Å³ as 3x3)."""
    from ase import Atoms
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.io import write

    from lammpskit.audit import frames as audit_frames
    from lammpskit.errors import UserError
    from lammpskit.structure import frames

    def labelled(forces, stress, ref_energy=None):
        at = Atoms("NaS", positions=[(0, 0, 0), (2.5, 0, 0)], cell=[6, 6, 6], pbc=True)
        at.calc = SinglePointCalculator(at, energy=-3.0, forces=forces, stress=stress)
        if ref_energy is not None:
            at.info["REF_energy"] = ref_energy
        return at

    good = labelled(np.ones((2, 3)), np.arange(6.0))
    write(tmp_path / "good.xyz", good, format="extxyz")
    at = frames.read(tmp_path / "good.xyz")[0]
    lab = audit_frames._labels_of(at, "good")
    assert lab.energy == -3.0 and lab.forces.shape == (2, 3) and lab.stress[1, 2] == 3.0  # Voigt yz
    for name, at, needle in [("nan-forces", labelled(np.full((2, 3), np.nan), np.zeros(6)), "forces"),
                             ("inf-stress", labelled(np.ones((2, 3)), np.full(6, np.inf)), "stress"),
                             ("nan-ref", labelled(np.ones((2, 3)), np.zeros(6), float("nan")), "REF_energy")]:
        write(tmp_path / f"{name}.xyz", at, format="extxyz")
        with pytest.raises(UserError, match=f"{needle} is not a finite"):
            frames.read(tmp_path / f"{name}.xyz")
