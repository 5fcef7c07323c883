"""CP2K as a labeller: one input per frame (templates/dft/cp2k.inp.j2), run locally or as a SLURM array,
read back into labelled extxyz (REF_energy eV, REF_forces eV/Å, REF_stress eV/Å³ in ASE's sign).

Settings (``Settings``): PBE with D3(BJ) by default; r2SCAN through libxc (``MGGA_X_R2SCAN`` +
``MGGA_C_R2SCAN``: Debian's CP2K 2023.1 links libxc 5.2.3, which has both) with the GTH-SCAN
pseudopotentials (generated for SCAN, not r2SCAN: an approximation, like every r2SCAN-with-GTH
setup; the MOLOPT basis sets were optimised for PBE). Basis and pseudopotential per element come from
``ELEMENTS``. Cutoffs in Ry (CP2K's unit). Defaults come from ``lammpskit finetune converge`` on the
13-atom Na4P2S7 frame of the tests (see the README's "Label frames with CP2K").

Each frame has its own folder ``NNNN/`` (``frame.xyz`` the input frame, ``cp2k.inp``, ``cp2k.out``);
CP2K writes to ``cp2k.out.part``, renamed when it ends, so a killed run never looks finished. A
rerun skips frames whose ``cp2k.out`` is finished for the same input; a changed input is run again.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from lammpskit._util import files, templates, validate
from lammpskit.errors import RunError, UserError
from lammpskit.finetune import cp2k_output
from lammpskit.finetune import frames as ftframes

INPUT, OUTPUT, FRAME = "cp2k.inp", "cp2k.out", "frame.xyz"
EXECUTABLES = ("cp2k.psmp", "cp2k.ssmp", "cp2k.popt", "cp2k.sopt", "cp2k")
DATA_DIR = Path("/usr/share/cp2k")  # Debian's cp2k-data (BASIS_MOLOPT, GTH_POTENTIALS, dftd3.dat)

# element -> (MOLOPT basis, valence electrons); pseudopotential GTH-<PBE|SCAN>-q<valence>.
# The short-range (SR) MOLOPT sets, made for condensed phases (Na has only SR).
ELEMENTS = {
    "H": ("DZVP-MOLOPT-SR-GTH", 1), "Li": ("DZVP-MOLOPT-SR-GTH", 3), "B": ("DZVP-MOLOPT-SR-GTH", 3),
    "C": ("DZVP-MOLOPT-SR-GTH", 4), "N": ("DZVP-MOLOPT-SR-GTH", 5), "O": ("DZVP-MOLOPT-SR-GTH", 6),
    "F": ("DZVP-MOLOPT-SR-GTH", 7), "Na": ("DZVP-MOLOPT-SR-GTH", 9), "Si": ("DZVP-MOLOPT-SR-GTH", 4),
    "P": ("DZVP-MOLOPT-SR-GTH", 5), "S": ("DZVP-MOLOPT-SR-GTH", 6), "Cl": ("DZVP-MOLOPT-SR-GTH", 7),
}
FUNCTIONALS = {"pbe": "PBE", "r2scan": "SCAN"}  # functional -> GTH pseudopotential family


@dataclass
class Settings:
    """One CP2K single point: functional (pbe/r2scan), D3(BJ) on/off, plane-wave cutoff and REL_CUTOFF (Ry),
    SCF tolerance (hartree), EPS_DEFAULT, SCF steps (inner OT x outer), multigrids, smoothed XC derivatives."""

    functional: str = "pbe"
    d3: bool = True
    cutoff: float = 600.0
    rel_cutoff: float = 80.0
    eps_scf: float = 1e-6
    eps_default: float = 1e-12
    max_scf: int = 50
    outer_scf: int = 20
    ngrids: int = 4
    xc_smooth: bool = False

    def check(self) -> Settings:
        validate.choice(self.functional, tuple(FUNCTIONALS), "--functional")
        validate.number(self.cutoff, "--cutoff", 50, 5000)
        validate.number(self.rel_cutoff, "--rel-cutoff", 10, 1000)
        validate.number(self.eps_scf, "--eps-scf", 1e-12, 1e-3)
        validate.number(self.eps_default, "eps_default", 1e-16, 1e-6)
        validate.integer(self.max_scf, "max_scf", 1, 10000)
        validate.integer(self.outer_scf, "outer_scf", 1, 1000)
        validate.integer(self.ngrids, "ngrids", 1, 10)
        if self.functional == "r2scan" and self.d3:
            raise UserError("D3(BJ) with r2SCAN is not in this CP2K's dftd3.dat under that name: use --no-d3 "
                            "with --functional r2scan")
        return self


def kinds(symbols, functional: str) -> list[dict]:
    """``&KIND`` entries (element, basis, pseudopotential) for the elements present, from ``ELEMENTS``."""
    out = []
    for el in sorted(set(symbols)):
        if el not in ELEMENTS:
            raise UserError(f"CP2K labelling has no basis/pseudopotential entry for {el} "
                            f"(known: {', '.join(ELEMENTS)}); add it to lammpskit/finetune/cp2k.py ELEMENTS")
        basis, q = ELEMENTS[el]
        out.append({"element": el, "basis": basis, "potential": f"GTH-{FUNCTIONALS[functional]}-q{q}"})
    return out


def render(at, settings: Settings, title: str = "frame") -> str:
    """The CP2K input text for one frame (periodic XYZ cell from the frame, triclinic allowed; Γ point)."""
    validate.name(title, "frame title")
    cell = np.asarray(at.cell, float)
    if not at.pbc.all() or abs(np.linalg.det(cell)) < 1e-6:
        raise UserError("CP2K labelling needs a periodic frame with a 3-D cell")
    fmt = "{:.10f} {:.10f} {:.10f}"
    coords = [f"{s} " + fmt.format(*p) for s, p in zip(at.get_chemical_symbols(), at.get_positions())]
    return templates.render("dft/cp2k.inp.j2", title=title, **asdict(settings), d3_reference="PBE",
                            cell=[fmt.format(*v) for v in cell], coords=coords,
                            kinds=kinds(at.get_chemical_symbols(), settings.functional))


def executable(name: str | None = None) -> str:
    """The CP2K binary: ``name`` (a path or a command on PATH) or the first of ``EXECUTABLES`` found."""
    for cand in [name] if name else EXECUTABLES:
        path = shutil.which(cand)
        if path:
            return str(validate.path(path, "CP2K executable"))
    raise UserError(f"{name or 'cp2k.psmp'} not found: install CP2K (Debian: apt-get install cp2k cp2k-data, "
                    "or make system)")


# -- one frame ---------------------------------------------------------------------------------

def prepare(at, folder: Path, settings: Settings, index: int) -> Path:
    """Write ``folder/NNNN/{frame.xyz,cp2k.inp}``; an existing output for a different input is moved aside."""
    sub = Path(folder) / f"{index:04d}"
    sub.mkdir(parents=True, exist_ok=True)
    text = render(at, settings, f"frame{index:04d}")
    inp = sub / INPUT
    if inp.is_file() and inp.read_text(errors="replace") != text and (sub / OUTPUT).exists():
        (sub / OUTPUT).replace(sub / f"{OUTPUT}.old")
    files.write_text(inp, text)
    frame = at.copy()
    frame.calc = None
    frame.info["frame_index"] = index
    ftframes.write(sub / FRAME, [frame])
    return sub


def done(sub: Path) -> bool:
    """Whether the frame's CP2K run has finished (converged or not)."""
    return cp2k_output.finished(Path(sub) / OUTPUT)


def run_one(sub: Path, exe: str, threads: int = 1, timeout: float | None = None) -> float:
    """Run CP2K in ``sub`` (OMP_NUM_THREADS = ``threads``, one MPI rank); returns the wall time (s)."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    part = Path(sub) / f"{OUTPUT}.part"
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([exe, "-i", INPUT, "-o", part.name], cwd=sub, env=env, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RunError(f"{sub}: CP2K ran past {timeout} s") from None
    wall = time.perf_counter() - t0
    if part.exists():
        part.replace(Path(sub) / OUTPUT)
    if proc.returncode != 0 and not done(sub):
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        raise RunError(f"{sub}: CP2K failed (exit {proc.returncode}): {' / '.join(tail)}")
    return wall


def result(sub: Path) -> tuple[object | None, str | None]:
    """(labelled frame, None) or (None, why not) for one finished frame folder."""
    sub = Path(sub)
    try:
        frame = ftframes.read(sub / FRAME)[0]
    except UserError as exc:
        return None, str(exc)
    try:
        res = cp2k_output.read(sub / OUTPUT, len(frame))
    except cp2k_output.OutputError as exc:
        return None, str(exc)
    if not res.converged:
        return None, f"{sub / OUTPUT}: SCF run NOT converged (left out)"
    if res.stress is None:
        return None, f"{sub / OUTPUT}: no analytical stress tensor"
    ftframes.store(frame, res.energy, res.forces, res.stress)
    frame.info["label_source"] = f"cp2k:{sub}"
    return frame, None


# -- many frames -------------------------------------------------------------------------------

def label_dft(frames, out: Path = Path("labelled.xyz"), code: str = "cp2k", workers: int = 1, threads: int = 1,
              folder: Path | None = None, settings: Settings | None = None, cp2k: str | None = None,
              timeout: float | None = None, progress=None, **options) -> dict:
    """Label frames (an extxyz path or a list of ASE Atoms) with CP2K and write ``out`` (extxyz, REF_* keys).

    ``workers`` CP2K runs at once, each with ``threads`` OpenMP threads; per-frame folders under ``folder``
    (default ``<out without suffix>-cp2k/``); ``settings`` or keyword ``options`` (see ``Settings``).
    ``progress(done, total, wall_s)`` after each frame. Frames whose SCF did not converge or whose run
    failed are reported under ``failed`` and left out. Returns a summary dict.
    """
    if code != "cp2k":
        raise UserError(f"--code {code!r}: only cp2k runs here (export-dft --code qe writes pw.x inputs)")
    validate.integer(workers, "--workers", 1, 1024)
    validate.integer(threads, "--threads", 1, 1024)
    settings = (settings or Settings(**options)).check()
    if isinstance(frames, (str, Path)):
        frames = ftframes.read(Path(frames))
    out = validate.path(Path(out), "--out")
    folder = Path(folder) if folder else out.with_name(out.stem + "-cp2k")
    validate.path(folder, "work folder")
    subs = [prepare(at, folder, settings, k) for k, at in enumerate(frames)]
    todo = [s for s in subs if not done(s)]
    exe = executable(cp2k) if todo else ""
    t0 = time.perf_counter()
    errors: dict[Path, str] = {}
    walls: list[float] = []
    if progress:
        progress(len(subs) - len(todo), len(subs), 0.0)

    def job(sub: Path) -> None:
        try:
            walls.append(run_one(sub, exe, threads, timeout))
        except RunError as exc:
            errors[sub] = str(exc)
        if progress:
            progress(len(subs) - len(todo) + len(walls) + len(errors), len(subs), time.perf_counter() - t0)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(job, todo))
    labelled, failed = [], []
    for k, sub in enumerate(subs):
        frame, why = result(sub) if sub not in errors else (None, errors[sub])
        if frame is None:
            failed.append({"frame_index": k, "folder": str(sub), "reason": why})
        else:
            labelled.append(frame)
    if labelled:
        ftframes.write(out, labelled)
    return {"out": str(out) if labelled else None, "folder": str(folder), "frames": len(subs),
            "labelled": len(labelled), "skipped": len(subs) - len(todo), "ran": len(walls), "failed": failed,
            "wall_s": round(time.perf_counter() - t0, 1),
            "s_per_frame": round(float(np.mean(walls)), 1) if walls else None, "settings": asdict(settings)}


def submit(frames, site_file: Path, out: Path = Path("labelled.xyz"), folder: Path | None = None,
           settings: Settings | None = None, cp2k: str = "cp2k.psmp", **options) -> dict:
    """Write the frame folders and submit the unfinished ones as one SLURM array (one CP2K run per task,
    ``OMP_NUM_THREADS`` = the site's cpus). Run ``label_dft`` again afterwards to read the labels."""
    from lammpskit.study import slurm

    settings = (settings or Settings(**options)).check()
    if isinstance(frames, (str, Path)):
        frames = ftframes.read(Path(frames))
    out = validate.path(Path(out), "--out")
    folder = (Path(folder) if folder else out.with_name(out.stem + "-cp2k")).resolve()
    subs = [prepare(at, folder, settings, k) for k, at in enumerate(frames)]
    todo = [s.resolve() for s in subs if not done(s)]
    if not todo:
        return {"job": None, "tasks": 0, "folder": str(folder)}
    site = slurm.load_site_file(site_file)
    exe = shlex.quote(str(validate.path(cp2k, "--cp2k")))
    command = (f'cd "$CASE" && {exe} -i {INPUT} -o {OUTPUT}.part > cp2k.log 2>&1; '
               f'if [ -f {OUTPUT}.part ]; then mv {OUTPUT}.part {OUTPUT}; fi')
    script = slurm.render_script(folder / "cp2k-array.sh", site, "lk-cp2k", folder, todo, command)
    job = slurm.sbatch(script, list(range(len(todo))), None, folder)
    return {"job": job, "tasks": len(todo), "script": str(script), "folder": str(folder)}
