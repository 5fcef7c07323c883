"""DFT labelling of fine-tuning frames, here or as one SLURM array (``lk.label_dft``).

The labeller itself (``lammpskit.finetune.cp2k``) runs CP2K on this machine; submitting an array needs the
SLURM machinery of this layer (``lammpskit.study.slurm``: site file, array job script, sbatch), so the
dispatch between the two lives here.
"""

from __future__ import annotations

from pathlib import Path

from lammpskit._util import validate
from lammpskit.errors import UserError, param
from lammpskit.finetune import cp2k
from lammpskit.finetune.results import LabelResult
from lammpskit.progress import Progress
from lammpskit.structure import frames as xyz
from lammpskit.study import slurm as slurm_machinery


def label_dft(frames, out: Path = Path("labelled.xyz"), code: str = "cp2k", slurm: Path | None = None,
              workers: int = 1, threads: int = 1, folder: Path | None = None, settings: cp2k.Settings | None = None,
              cp2k_exe: str | None = None, timeout: float | None = None, progress: Progress | None = None,
              **options) -> LabelResult:
    """Label frames with DFT (CP2K) here or as one SLURM array (``lk.label_dft``).

    Finished frames are never run twice: with ``slurm``, call again when the array has run to read the labels.
    Frames whose SCF did not converge or whose run failed are listed under ``failed`` and left out.

    Args:
        frames (str | Path | list): an extxyz file or a list of ASE ``Atoms``.
        out (str | Path): the labelled extxyz to write (REF_energy eV, REF_forces eV/Å, REF_stress eV/Å³ with
            ASE's sign, ``frame_index``).
        code (str): the DFT code; only ``cp2k`` runs here.
        slurm (str | Path | None): a site file (TOML, the ``[slurm]`` keys of a campaign): submit the unfinished
            frames as one SLURM array instead of running them here.
        workers (int): CP2K runs at once here (each one MPI rank).
        threads (int): OpenMP threads per CP2K run here.
        folder (str | Path | None): the frame folders' parent (default ``<out without suffix>-cp2k/``).
        settings (cp2k.Settings | None): the CP2K settings; or give their fields as keywords (``**options``):
            ``functional`` (``pbe`` | ``r2scan``), ``d3`` (bool), ``cutoff`` and ``rel_cutoff`` (Ry), ``eps_scf``
            (hartree), ``max_scf``, ``smear_K`` (K), ``xc_smooth`` (bool).
        cp2k_exe (str | None): the CP2K executable (default: ``cp2k.psmp``, found on PATH).
        timeout (float | None): seconds one CP2K run may take here (None: no limit).
        progress (Progress | None): told the frames here (``lk.Progress``, unit ``frame``): ``start`` with those
            finished before as done, ``advance(done, {"wall_s": s})`` after each.

    Returns:
        LabelResult: here: ``out``, ``folder``, ``frames``, ``labelled``, ``skipped``, ``ran``, ``failed``, ``wall_s``,
        ``s_per_frame``, ``settings``; with ``slurm``: ``job`` (None when all frames had finished), ``tasks``,
        ``frames``, ``folder``, ``out``, ``script``.
    """
    if slurm is None:
        return LabelResult.from_values(cp2k.label_dft(frames, out, code, workers, threads, folder, settings, cp2k_exe,
                                                      timeout, progress, **options))
    return LabelResult.from_values(submit(frames, slurm, out, code, folder, settings, cp2k_exe or "cp2k.psmp",
                                          **options))


def submit(frames, site_file: Path, out: Path = Path("labelled.xyz"), code: str = "cp2k",
           folder: Path | None = None, settings: cp2k.Settings | None = None, cp2k_exe: str = "cp2k.psmp",
           **options) -> dict:
    """Write the frame folders and submit the unfinished ones as one SLURM array: task i runs CP2K in frame
    folder i (one MPI rank, ``OMP_NUM_THREADS`` = the site's cpus). Returns job id, tasks, script, folder."""
    if code != "cp2k":
        raise UserError(f"{param('code')} {code!r}: only cp2k runs here (export-dft --code qe writes pw.x inputs)")
    settings = (settings or cp2k.Settings(**options)).check()
    site = slurm_machinery.load_site_file(site_file)
    if isinstance(frames, (str, Path)):
        frames = xyz.read(Path(frames))
    out = validate.path(Path(out), param("out"))
    folder = cp2k.work_folder(out, folder).resolve()
    subs = cp2k.prepare_all(frames, folder, settings)
    todo = [s.resolve() for s in subs if not cp2k.done(s)]
    info = {"job": None, "tasks": len(todo), "frames": len(subs), "folder": str(folder), "out": str(out)}
    if not todo:
        return info
    script = slurm_machinery.render_script(folder / "cp2k-array.sh", site, "lk-cp2k", folder, todo,
                                           cp2k.array_command(cp2k_exe))
    info.update(job=slurm_machinery.sbatch(script, list(range(len(todo))), None, folder), script=str(script))
    return info
