"""Plane-wave cutoff scan for the CP2K labeller: ``CUTOFF`` and ``REL_CUTOFF`` (Ry) on one frame.

A cross scan: every cutoff at the largest REL_CUTOFF, every REL_CUTOFF at the largest cutoff; each
setting is compared with the tightest one (largest of both). Reported per setting: energy per atom
(meV/atom), the largest force component difference max|ΔF| (meV/Å), the largest stress component
difference (GPa), and |ΣF| (eV/Å; zero for an exact translation-invariant energy, see
``lammpskit.finetune.cp2k`` on why it is not). The recommendation is, on each axis, the smallest value
that, with every larger scanned value, stays within ``TOLERANCES`` of the reference: 1 meV/atom,
10 meV/Å (a tenth of a good MLIP's force error) and 0.05 GPa (0.5 kbar; MLIP stress errors are
~0.1 GPa). The two axes are tested separately, assuming their errors add, so the recommended pair is
checked against the reference too (``pair_within``) when it was among the runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lammpskit._util import validate
from lammpskit.errors import UserError, param
from lammpskit.finetune import cp2k
from lammpskit.finetune.results import ConvergenceResult
from lammpskit.progress import Progress
from lammpskit.structure import frames as xyz

TOLERANCES = {"energy_meV_atom": 1.0, "force_meV_A": 10.0, "stress_GPa": 0.05}
GPA = 1 / 160.21766208  # eV/Å³ per GPa


def _values(values, what: str, lo: float, hi: float) -> list[float]:
    out = sorted({validate.number(v, what, lo, hi) for v in validate.listed(values, what)})
    if not out:
        raise UserError(f"{what}: give at least one value")
    return out


def _frame(frame):
    if isinstance(frame, (str, Path)):
        frames = xyz.read(Path(frame))
        if len(frames) != 1:
            raise UserError(f"{frame} holds {len(frames)} frames: the scan takes one (write it with ase or "
                            "'finetune sample --n 1')")
        return frames[0]
    return frame


def converge(frame, cutoffs=(300, 400, 600, 800), rel_cutoffs=(40, 60, 80), folder: Path = Path("cp2k-converge"),
             threads: int = 1, cp2k_exe: str | None = None, tolerances: dict | None = None,
             progress: Progress | None = None, **options) -> ConvergenceResult:
    """Scan CP2K's CUTOFF and REL_CUTOFF on one frame (``lk.converge_dft``): each setting against the tightest,
    and the smallest setting within the tolerances. Finished runs in ``folder`` are reused.

    Args:
        frame (str | Path | Atoms): an extxyz file with one frame, or ASE ``Atoms``.
        cutoffs (list[float]): CUTOFF values in Ry (50 to 5000).
        rel_cutoffs (list[float]): REL_CUTOFF values in Ry (10 to 1000).
        folder (str | Path): one sub-folder per setting.
        threads (int): OpenMP threads per CP2K run.
        cp2k_exe (str | None): the CP2K executable (default: ``cp2k.psmp`` on PATH).
        tolerances (dict | None): over ``TOLERANCES``: ``energy_meV_atom`` (meV/atom), ``force_meV_A`` (meV/Å),
            ``stress_GPa`` (GPa).
        progress (Progress | None): told the CP2K runs (``lk.Progress``, unit ``run``): ``advance(done,
            {"wall_s": s})`` after each.
        **options (Any): other ``cp2k.Settings`` fields (``functional``, ``d3``, ``eps_scf``, ``xc_smooth``, ...).

    Returns:
        ConvergenceResult: ``rows`` (per setting: energy meV/atom, max force difference meV/Å, |ΣF| eV/Å,
        stress GPa, wall time s; ``settings`` typed), ``reference``, ``recommended`` and ``at_edge``.
    """
    at = _frame(frame)
    tol = {**TOLERANCES, **(tolerances or {})}
    cutoffs = _values(cutoffs, param("cutoffs"), 50, 5000)
    rels = _values(rel_cutoffs, param("rel_cutoffs"), 10, 1000)
    validate.integer(threads, param("threads"), 1, 1024)
    folder = validate.path(Path(folder), param("folder"))
    c_ref, r_ref = cutoffs[-1], rels[-1]
    points = [(c, r_ref) for c in cutoffs] + [(c_ref, r) for r in rels[:-1]]
    subs = {}
    for c, r in points:
        settings = cp2k.Settings(**{**options, "cutoff": c, "rel_cutoff": r}).check()
        subs[(c, r)] = cp2k.prepare(at, folder / f"cutoff{c:g}-rel{r:g}", settings, 0)
    runs = cp2k.run_all(list(subs.values()), 1, threads, cp2k_exe, progress=progress, unit="run")
    results = {}
    for key, sub in subs.items():
        frame_, why = (None, runs["errors"][sub]) if sub in runs["errors"] else cp2k.result(sub)
        results[key] = (frame_, why)
    ref, why = results[(c_ref, r_ref)]
    if ref is None:
        raise UserError(f"the reference setting {c_ref:g}/{r_ref:g} Ry gave no label: {why}")
    rows = [_row(c, r, results[(c, r)], ref, tol, subs[(c, r)]) for c, r in points]
    rec_c = _smallest([row for row in rows if row["rel_cutoff"] == r_ref], "cutoff")
    rec_r = _smallest([row for row in rows if row["cutoff"] == c_ref], "rel_cutoff")
    pair = next((row for row in rows if (row["cutoff"], row["rel_cutoff"]) == (rec_c, rec_r)), None)
    return ConvergenceResult.from_values({
        "frame_atoms": len(at), "reference": {"cutoff": c_ref, "rel_cutoff": r_ref}, "tolerances": tol,
        "rows": rows, "recommended": {"cutoff": rec_c, "rel_cutoff": rec_r},
        "pair_within": pair["within"] if pair else None,
        "at_edge": {"cutoff": rec_c == c_ref and len(cutoffs) > 1, "rel_cutoff": rec_r == r_ref and len(rels) > 1},
        "folder": str(folder)})


def _row(c: float, r: float, got: tuple, ref, tol: dict, sub: Path) -> dict:
    frame, why = got
    row = {"cutoff": c, "rel_cutoff": r, "folder": str(sub)}
    if frame is None:
        return {**row, "within": False, "failed": why}
    n = len(frame)
    f, f_ref = frame.arrays["REF_forces"], ref.arrays["REF_forces"]
    d = {"energy_meV_atom": abs(frame.info["REF_energy"] - ref.info["REF_energy"]) / n * 1000,
         "force_meV_A": float(np.abs(f - f_ref).max()) * 1000,
         "stress_GPa": float(np.abs(frame.info["REF_stress"] - ref.info["REF_stress"]).max()) / GPA}
    pressure = -float(np.trace(frame.info["REF_stress"])) / 3 / GPA
    wall = cp2k.cp2k_output.read(Path(sub) / cp2k.OUTPUT).wall_s
    return {**row, **{k: round(v, 4) for k, v in d.items()},
            "force_sum_eV_A": round(float(np.linalg.norm(f.sum(0))), 4), "pressure_GPa": round(pressure, 4),
            "wall_s": wall, "within": all(d[k] <= tol[k] for k in d)}


def _smallest(rows: list[dict], key: str) -> float:
    """The smallest ``key`` whose row and every row above it are within the tolerances."""
    rows = sorted(rows, key=lambda row: row[key])
    best = rows[-1][key]
    for row in reversed(rows):
        if not row["within"]:
            break
        best = row[key]
    return best
