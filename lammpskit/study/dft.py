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
from lammpskit.finetune import frames as ftframes
from lammpskit.study import slurm as slurm_machinery


def label_dft(frames, out: Path = Path("labelled.xyz"), code: str = "cp2k", slurm: Path | None = None,
              **kwargs) -> dict:
    """Label frames (extxyz path or ASE Atoms) with DFT (CP2K): locally (see ``finetune.cp2k.label_dft`` for
    ``workers``, ``threads``, ``folder``, ``cutoff``/``rel_cutoff`` in Ry, ...) or, with ``slurm`` (a site
    file), as one SLURM array over the unfinished frames; call again when it has run to read the labels
    (finished frames are never run twice)."""
    if slurm is None:
        return cp2k.label_dft(frames, out, code, **kwargs)
    return submit(frames, slurm, out, code, **kwargs)


def submit(frames, site_file: Path, out: Path = Path("labelled.xyz"), code: str = "cp2k",
           folder: Path | None = None, settings: cp2k.Settings | None = None, cp2k_exe: str = "cp2k.psmp",
           **options) -> dict:
    """Write the frame folders and submit the unfinished ones as one SLURM array: task i runs CP2K in frame
    folder i (one MPI rank, ``OMP_NUM_THREADS`` = the site's cpus). Returns job id, tasks, script, folder."""
    if code != "cp2k":
        raise UserError(f"{param('code')} {code!r}: only cp2k runs here (export-dft --code qe writes pw.x inputs)")
    cp2k_exe = options.pop("cp2k", None) or cp2k_exe  # the executable on the nodes (label_dft's name for it)
    for key in ("workers", "threads", "timeout", "progress"):  # local-run options: the site decides
        options.pop(key, None)
    settings = (settings or cp2k.Settings(**options)).check()
    site = slurm_machinery.load_site_file(site_file)
    if isinstance(frames, (str, Path)):
        frames = ftframes.read(Path(frames))
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
