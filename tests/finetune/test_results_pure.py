"""The fine-tuning loop's typed results, in process: each gives its command's --json back key for key, and
reads the trainers' own shapes into one (validation before/after in eV/atom and eV/Å)."""

from __future__ import annotations

import pytest

import lammpskit as lk
from lammpskit.errors import UserError

pytestmark = pytest.mark.fast

REG = {"entry": "/h/potentials/ft.toml", "files": [{"key": "model", "path": "/h/models/ft.model", "sha256": "0" * 64}]}


def test_every_trainer_s_validation_reads_in_one_shape():
    """MACE writes per-epoch rows, SevenNet start/end rows (with stress), DeePMD its learning curve's columns."""
    mace = lk.TrainingResult.from_values({"model": "/w/ft.model", "registered": "ft", **REG, "converted": [],
                                          "validation_first_last": [
                                              {"epoch": None, "rmse_e_per_atom": 0.30, "rmse_f": 0.40, "loss": 1.0},
                                              {"epoch": 4, "rmse_e_per_atom": 0.02, "rmse_f": 0.10, "loss": 0.1}]})
    sevenn = lk.TrainingResult.from_values({"model": "/w/ft.pth", **REG, "validation_first_last": [
        {"rmse_e_per_atom": 0.5, "rmse_f": 0.3, "rmse_stress": 0.002}, {"rmse_e_per_atom": 0.01, "rmse_f": 0.2,
                                                                          "rmse_stress": 0.001}]})
    deepmd = lk.TrainingResult.from_values({"models": ["/w/m0.pth", "/w/m1.pth"], **REG,
                                            "validation_first_last": {"rmse_e_val": [1.2, 0.03],
                                                                      "rmse_f_val": [0.9, 0.2]}})
    first, last = mace.validation
    assert (first.energy_eV_atom, first.force_eV_A, last.energy_eV_atom, last.force_eV_A) == (0.30, 0.40, 0.02, 0.10)
    assert last.stress_eV_A3 is None
    assert sevenn.validation[1].stress_eV_A3 == 0.001 and sevenn.validation[0].force_eV_A == 0.3
    assert [(v.energy_eV_atom, v.force_eV_A) for v in deepmd.validation] == [(1.2, 0.9), (0.03, 0.2)]
    assert mace.registered_file == "/h/models/ft.model"
    assert lk.TrainingResult.from_values({**REG, "validation_first_last": []}).validation is None


def test_training_result_gives_back_the_json_in_its_order():
    data = {"models": ["/w/m0.pth"], "registered": "dp", **REG, "validation_first_last": {"rmse_e_val": [1.0, 0.1]}}
    r = lk.TrainingResult.from_dict(data)
    assert r.to_dict() == data and list(r.to_dict()) == list(data)


def test_label_result_types_its_failures_and_keeps_the_slurm_shape():
    here = {"out": None, "folder": "/w/l-cp2k", "frames": 2, "labelled": 1, "skipped": 0, "ran": 2,
            "failed": [{"frame_index": 1, "reason": "SCF NOT converged"}], "wall_s": 61.2, "s_per_frame": 30.6,
            "settings": {"functional": "pbe", "cutoff": 800}}
    r = lk.LabelResult.from_dict(here)
    assert [(f.frame_index, f.reason) for f in r.failures] == [(1, "SCF NOT converged")]
    assert r.to_dict() == here and list(r.to_dict()) == list(here)
    slurm = {"job": "12", "tasks": 3, "frames": 3, "folder": "/w/l-cp2k", "out": "l.xyz", "script": "/w/a.sh"}
    assert lk.LabelResult.from_dict(slurm).to_dict() == slurm


def test_convergence_result_types_rows_settings_and_tolerances():
    rows = [{"cutoff": 100, "rel_cutoff": 30, "folder": "a", "energy_meV_atom": 2.5, "force_meV_A": 30.0,
             "stress_GPa": 0.2, "force_sum_eV_A": 0.01, "pressure_GPa": 1.1, "wall_s": 9.0, "within": False},
            {"cutoff": 150, "rel_cutoff": 30, "folder": "b", "within": False, "failed": "no output"}]
    data = {"frame_atoms": 13, "reference": {"cutoff": 150, "rel_cutoff": 30},
            "tolerances": {"energy_meV_atom": 1.0, "force_meV_A": 10.0, "stress_GPa": 0.05}, "rows": rows,
            "recommended": {"cutoff": 150, "rel_cutoff": 30}, "pair_within": False,
            "at_edge": {"cutoff": True, "rel_cutoff": False}, "folder": "scan"}
    r = lk.ConvergenceResult.from_dict(data)
    first, failed = r.settings
    assert (first.cutoff, first.force_meV_A, first.within, first.failed) == (100, 30.0, False, None)
    assert (failed.failed, failed.energy_meV_atom) == ("no output", None)
    assert (r.reference_setting.cutoff, r.recommended_setting.rel_cutoff, r.tolerance.stress_GPa) == (150, 30, 0.05)
    assert r.to_dict() == data


def test_density_result_keeps_the_block_average_order():
    """Built from the block average (mean, err, n, blocks); to_dict in that order, as density --json writes it."""
    r = lk.DensityResult.from_values({"mean": 2.2, "err": 0.01, "n": 40, "blocks": 5})
    assert list(r.to_dict()) == ["mean", "err", "n", "blocks"] and r.mean == 2.2
    assert list(lk.DensityResult(mean=2.0, err=0.1, n=3, blocks=3).to_dict()) == ["mean", "err", "n", "blocks"]


def test_a_shared_result_file_is_checked():
    """A control character in a shared result is refused (from_dict reads untrusted input)."""
    with pytest.raises(UserError, match="control characters"):
        lk.LabelResult.from_dict({"out": "l.xyz\x1b[2J"})


def test_indexing_a_result_as_the_dict_it_was_still_works_with_a_warning():
    """Code written when these functions returned dicts keeps running for a release, warned."""
    r = lk.DensityResult.from_values({"mean": 2.2, "err": 0.01, "n": 40, "blocks": 5})
    with pytest.warns(DeprecationWarning, match=r"DensityResult\['mean'\] is deprecated"):
        assert r["mean"] == 2.2
    assert "err" in r and "nope" not in r
    old = lk.ElasticResult.from_dict({"method": "static", "B": 20.0})
    with pytest.warns(DeprecationWarning):
        assert old["B"] == old["B_GPa"] == 20.0  # an old key name reads the renamed value
