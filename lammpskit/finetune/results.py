"""The typed results of the fine-tuning loop: training (``lk.finetune_mace``, ``lk.finetune_sevenn``,
``lk.train_deepmd``), DFT labelling (``lk.label_dft``) and the CP2K cutoff scan (``lk.converge_dft``).

Each is a ``lammpskit.run.result_types.RunResult``: attributes are the keys of the command's ``--json``
(``to_dict()`` gives that table back, key for key and in order); ``from_dict`` reads a saved one, checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from lammpskit.run.result_types import RunResult, as_row


@dataclass
class Validation:
    """Validation RMSE of a model at one point of its training, the same for every family.

    Attributes:
        energy_eV_atom (float | None): energy RMSE per atom (eV/atom).
        force_eV_A (float | None): force component RMSE (eV/Å).
        stress_eV_A3 (float | None): stress component RMSE (eV/Å³); None where the trainer does not report it.
    """

    energy_eV_atom: float | None = None
    force_eV_A: float | None = None
    stress_eV_A3: float | None = None


@dataclass
class TrainingResult(RunResult):
    """A trained or fine-tuned model, registered (``lk.finetune_mace``, ``lk.finetune_sevenn``,
    ``lk.train_deepmd``; ``finetune mace|sevenn|deepmd --json``).

    Attributes:
        model (str | None): the registered model file (MACE, SevenNet).
        models (list | None): DeePMD: the frozen models of the ensemble, the first registered.
        registered (str | None): its registry name.
        entry (str | None): the registry entry (TOML) written or filled; ``files`` its files (key, path, sha256).
        converted (list | None): MACE: the LAMMPS files made from it.
        offsets_eV (dict | None): SevenNet: the per-element energy offsets absorbed before training (eV).
        validation_first_last: as the trainer reports it: MACE and SevenNet a pair of rows (first and last
            epoch, or start and end), DeePMD ``{rmse_e_val: [first, last], rmse_f_val: [...]}``; the same for
            every family in ``validation``.
        epoch_seconds (list | None): SevenNet: seconds of each epoch; ``train_seconds`` (float) in all.
    """

    model: str | None = None
    models: list | None = None
    registered: str | None = None
    entry: str | None = None
    files: list | None = None
    converted: list | None = None
    offsets_eV: dict | None = None
    validation_first_last: list | dict | None = None
    epoch_seconds: list | None = None
    train_seconds: float | None = None

    @property
    def registered_file(self) -> str | None:
        """The registered model file (the entry's first file)."""
        return self.files[0].get("path") if self.files else None

    @property
    def validation(self) -> tuple[Validation, Validation] | None:
        """Validation RMSE before (first epoch or starting model) and after training; None if not reported."""
        v = self.validation_first_last
        if isinstance(v, dict):  # DeePMD's learning curve: per-atom energy and force RMSE, first and last step
            if not v.get("rmse_e_val") and not v.get("rmse_f_val"):
                return None
            e, f = v.get("rmse_e_val") or [None, None], v.get("rmse_f_val") or [None, None]
            return Validation(e[0], f[0]), Validation(e[-1], f[-1])
        if not v:
            return None
        return tuple(Validation(row.get("rmse_e_per_atom"), row.get("rmse_f"), row.get("rmse_stress")) for row in v)


@dataclass
class LabelFailure:
    """A frame left out of the labels: its ``frame_index`` and the ``reason`` (SCF not converged, ...)."""

    frame_index: int | None = None
    reason: str | None = None


@dataclass
class LabelResult(RunResult):
    """DFT labels of frames (``lk.label_dft``, ``finetune dft --json``); here, or submitted to SLURM.

    Attributes:
        out (str | None): the labelled extxyz (None when no frame was labelled).
        folder (str | None): the frame folders (CP2K input and output of each).
        frames (int | None): frames asked for.
        labelled, skipped, ran (int | None): here: frames labelled, found finished before, run now.
        failed (list | None): here: the frames left out (``failures`` typed).
        wall_s (float | None): here: the call's wall time (s); ``s_per_frame`` per CP2K run (s).
        settings (dict | None): here: the CP2K settings (``lammpskit.finetune.cp2k.Settings``).
        job (str | None): with ``slurm``: the array job id, None when every frame had finished.
        tasks (int | None): with ``slurm``: the frames submitted; ``script`` the array script.
    """

    out: str | None = None
    folder: str | None = None
    frames: int | None = None
    labelled: int | None = None
    skipped: int | None = None
    ran: int | None = None
    failed: list | None = None
    wall_s: float | None = None
    s_per_frame: float | None = None
    settings: dict | None = None
    job: str | None = None
    tasks: int | None = None
    script: str | None = None

    @property
    def failures(self) -> list[LabelFailure]:
        """The frames left out, typed."""
        return [as_row(LabelFailure, row) for row in self.failed or []]


@dataclass
class ConvergenceRow:
    """One CUTOFF/REL_CUTOFF setting of a scan against the tightest (``ConvergenceResult.settings``).

    Attributes:
        cutoff, rel_cutoff (float | None): the setting (Ry).
        folder (str | None): its CP2K folder.
        within (bool | None): within every tolerance.
        failed (str | None): why it gave no label (then the differences are None).
        energy_meV_atom (float | None): |ΔE| per atom (meV); ``force_meV_A`` max |ΔF| (meV/Å); ``stress_GPa``
            max |Δσ| (GPa).
        force_sum_eV_A (float | None): |ΣF| (eV/Å), how far the forces are from summing to zero.
        pressure_GPa (float | None): its pressure (GPa); ``wall_s`` the CP2K run's wall time (s).
    """

    cutoff: float | None = None
    rel_cutoff: float | None = None
    folder: str | None = None
    within: bool | None = None
    failed: str | None = None
    energy_meV_atom: float | None = None
    force_meV_A: float | None = None
    stress_GPa: float | None = None
    force_sum_eV_A: float | None = None
    pressure_GPa: float | None = None
    wall_s: float | None = None


@dataclass
class Setting:
    """A CP2K grid setting: ``cutoff`` and ``rel_cutoff`` (Ry)."""

    cutoff: float | None = None
    rel_cutoff: float | None = None


@dataclass
class Tolerances:
    """What a setting may differ from the tightest: ``energy_meV_atom`` (meV/atom), ``force_meV_A`` (max |ΔF|,
    meV/Å), ``stress_GPa`` (max |Δσ|, GPa)."""

    energy_meV_atom: float | None = None
    force_meV_A: float | None = None
    stress_GPa: float | None = None


@dataclass
class ConvergenceResult(RunResult):
    """A CP2K CUTOFF/REL_CUTOFF scan on one frame (``lk.converge_dft``, ``finetune converge --json``).

    Attributes:
        frame_atoms (int | None): atoms in the frame.
        reference (dict | None): the tightest setting, ``cutoff`` and ``rel_cutoff`` (Ry).
        tolerances (dict | None): ``energy_meV_atom``, ``force_meV_A``, ``stress_GPa``.
        rows (list | None): one per setting (``settings`` typed).
        recommended (dict | None): the smallest ``cutoff`` and ``rel_cutoff`` (Ry) within the tolerances.
        pair_within (bool | None): that pair was itself computed and is within.
        at_edge (dict | None): per axis, only the largest value scanned is within: scan higher.
        folder (str | None): the scan's folder.
    """

    frame_atoms: int | None = None
    reference: dict | None = None
    tolerances: dict | None = None
    rows: list | None = None
    recommended: dict | None = None
    pair_within: bool | None = None
    at_edge: dict | None = None
    folder: str | None = None

    @property
    def settings(self) -> list[ConvergenceRow]:
        """The scanned settings, typed."""
        return [as_row(ConvergenceRow, row) for row in self.rows or []]

    @property
    def reference_setting(self) -> Setting:
        """The tightest setting, which the others are compared with."""
        return as_row(Setting, self.reference)

    @property
    def recommended_setting(self) -> Setting:
        """The smallest setting within the tolerances."""
        return as_row(Setting, self.recommended)

    @property
    def tolerance(self) -> Tolerances:
        """The tolerances, typed."""
        return as_row(Tolerances, self.tolerances)
