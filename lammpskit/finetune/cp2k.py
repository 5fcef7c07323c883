"""CP2K as a labeller: one input per frame (templates/dft/cp2k.inp.j2), run here (one MPI rank, OpenMP threads)
or as a SLURM array (``lammpskit.study.dft``), read back into labelled extxyz (REF_energy eV, REF_forces eV/Å,
REF_stress eV/Å³ in ASE's sign, ``frame_index``).

Settings (``Settings``): PBE with D3(BJ) by default; r2SCAN through libxc (``MGGA_X_R2SCAN`` +
``MGGA_C_R2SCAN``: Debian's CP2K 2023.1 links libxc 5.2.3, which has both; checked to run) with the GTH-SCAN
pseudopotentials of POTENTIAL_UZH (generated for SCAN, not r2SCAN) and the r2SCAN-D3(BJ) parameters of
Ehlert et al. (CP2K 2023.1 has none under that name). Basis and pseudopotential per element come from
``ELEMENTS``. The SCF diagonalises with Broyden mixing and Fermi-Dirac smearing (300 K): OT (DIIS, FULL_SINGLE_
INVERSE) had not converged after 128 steps on the 13-atom test frame at 600 Ry, whose gap is tiny (its
entropic term is -0.1 mHa); diagonalisation converges in 17 steps. Cutoffs in Ry (CP2K's unit).

Why the forces do not sum to zero (measured on tests/finetune/data/na4p2s7_13.xyz, PBE-D3, EPS_DEFAULT 1e-12):
|ΣF| = 82, 3.7, 0.47, 1.7, 0.78 eV/Å at CUTOFF 200, 300, 400, 600, 800 Ry — not monotonic, not a bug in the
forces. It is the egg-box effect of the real-space grid: the discretised energy depends on where the atoms
sit between grid points (spacing ~0.09 Å at 300 Ry), and ΣF is its exact derivative for a rigid shift
(300/80 Ry: ΣF_x = 2.88 eV/Å, -dE/dX from a ±0.01 Å rigid shift 2.99 eV/Å; ΣF_x swings from 4.15 to
1.45 eV/Å across that 0.02 Å). It comes from the XC term of the Na semicore density (GTH-PBE-q9 keeps 2s2p in
the valence): between 600 and 800 Ry the P and S forces change by <= 8 meV/Å, the Na forces by up to
0.77 eV/Å; REL_CUTOFF plays no part (800 Ry: 40, 60 and 80 Ry agree to 0.24 meV/Å), nor EPS_DEFAULT or
basis-set (Pulay) terms (the analytical forces equal -dE/dx by finite differences). Smoothing the density
for the XC (``xc_smooth``: XC_SMOOTH_RHO NN10, XC_DERIV NN10_SMOOTH) at 600/80 Ry cuts |ΣF| to 0.015 eV/Å
but shifts the energy by +477 meV/atom, and at 400 Ry |ΣF| is 1.4 eV/Å again: a cutoff-dependent change of
the functional (at 800 Ry: +346 meV/atom, pressure 4.30 -> 2.83 GPa), so it is an option, not the default.
Na GTH-PBE-q1 (TZVP-MOLOPT-PBE-GTH-q1, UZH files) removes it (|ΣF| 1e-5 eV/Å, converged at 400 Ry) but,
without semicore states, moves P/S forces by 0.2 eV/Å and the pressure to 3.21 GPa. The defaults (800/60 Ry)
converge energy, stress and P/S forces (0.13 meV/atom, 0.04 GPa, 1.4 meV/Å from 1200 Ry); the Na forces
still carry ~0.5 eV/Å of grid error there. The scan: docs/finetune.md, "Label frames with CP2K".

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
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from lammpskit._util import files, outputs, reading, templates, validate
from lammpskit.errors import RunError, UserError, param
from lammpskit.finetune import cp2k_output
from lammpskit.progress import Progress, counting
from lammpskit.structure import frames as xyz

INPUT, OUTPUT, FRAME = "cp2k.inp", "cp2k.out", "frame.xyz"
EXECUTABLES = ("cp2k.psmp", "cp2k.ssmp", "cp2k.popt", "cp2k.sopt", "cp2k")

# element -> (MOLOPT basis, valence electrons); pseudopotential GTH-<PBE|SCAN>-q<valence>.
# The short-range (SR) MOLOPT sets, made for condensed phases (Na has only SR).
ELEMENTS = {
    "H": ("DZVP-MOLOPT-SR-GTH", 1), "Li": ("DZVP-MOLOPT-SR-GTH", 3), "B": ("DZVP-MOLOPT-SR-GTH", 3),
    "C": ("DZVP-MOLOPT-SR-GTH", 4), "N": ("DZVP-MOLOPT-SR-GTH", 5), "O": ("DZVP-MOLOPT-SR-GTH", 6),
    "F": ("DZVP-MOLOPT-SR-GTH", 7), "Na": ("DZVP-MOLOPT-SR-GTH", 9), "Si": ("DZVP-MOLOPT-SR-GTH", 4),
    "P": ("DZVP-MOLOPT-SR-GTH", 5), "S": ("DZVP-MOLOPT-SR-GTH", 6), "Cl": ("DZVP-MOLOPT-SR-GTH", 7),
}
# functional -> (GTH pseudopotential family, potential file, D3 reference name or None, D3(BJ) s6 a1 s8 a2)
# CP2K 2023.1 knows no r2SCAN D3(BJ) parameters by name: those of Ehlert et al., JCP 154, 061101 (2021).
# valence-only alternatives from the UZH files (BASIS_MOLOPT_UZH, POTENTIAL_UZH): (element, valence) -> basis,
# per pseudopotential family. Na GTH-q1 has no semicore 2s2p, so no egg-box forces (see above) and ~3x cheaper.
VALENCE_ONLY = {("Na", 1): "TZVP-MOLOPT-{family}-GTH-q1"}
FUNCTIONALS = {"pbe": ("PBE", "GTH_POTENTIALS", "PBE", None),
               "r2scan": ("SCAN", "POTENTIAL_UZH", None, "1.0 0.49484001 0.78981345 5.73083694")}


@dataclass
class Settings:
    """One CP2K single point: functional (pbe/r2scan), D3(BJ) on/off, plane-wave CUTOFF and REL_CUTOFF (Ry),
    SCF tolerance EPS_SCF (hartree), EPS_DEFAULT, SCF steps, Fermi-Dirac electronic temperature (K),
    multigrids, smoothed density and derivatives for the XC on the grid (``XC_SMOOTH_RHO``/``XC_DERIV`` NN10)."""

    functional: str = "pbe"
    d3: bool = True
    cutoff: float = 800.0  # Ry; the scan in docs/finetune.md: energy 0.13 meV/atom, P/S forces 1.4 meV/Å from 1200
    rel_cutoff: float = 60.0  # Ry; 40-80 agree to 0.24 meV/Å at 800
    eps_scf: float = 1e-6
    eps_default: float = 1e-12
    max_scf: int = 200
    smear_K: float = 300.0
    ngrids: int = 4
    xc_smooth: bool = False
    valence: dict = field(default_factory=dict)  # element -> valence electrons, e.g. {"Na": 1} (VALENCE_ONLY)

    def check(self) -> Settings:
        """Every field checked and normalised (numbers to float/int, switches to bool): nothing else reaches the
        input deck."""
        from lammpskit._util import checks

        validate.choice(self.functional, tuple(FUNCTIONALS), param("functional"))
        self.cutoff = validate.number(self.cutoff, param("cutoff"), 50, 5000)
        self.rel_cutoff = validate.number(self.rel_cutoff, param("rel_cutoff"), 10, 1000)
        self.eps_scf = validate.number(self.eps_scf, param("eps_scf"), 1e-12, 1e-3)
        self.eps_default = validate.number(self.eps_default, "eps_default", 1e-16, 1e-6)
        self.max_scf = validate.integer(self.max_scf, "max_scf", 1, 10000)
        self.smear_K = validate.number(self.smear_K, "smear_K", 1, 50000)
        self.ngrids = validate.integer(self.ngrids, "ngrids", 1, 10)
        for key in ("d3", "xc_smooth"):
            checks.boolean(getattr(self, key), key)
        self.valence = valence_of(self.valence)
        return self


def valence_of(valence) -> dict[str, int]:
    """``{element: valence}`` checked against ``ELEMENTS`` (the default) and ``VALENCE_ONLY``."""
    if not isinstance(valence, dict):
        raise UserError(f"{param('valence')} must be a dict element -> valence electrons, e.g. {{'Na': 1}}, "
                        f"got {valence!r:.100}")
    out = {}
    for el, q in valence.items():
        q = validate.integer(q, param("valence", py=f"valence[{el!r}]", cli=str(el)), 1, 40)
        if el not in ELEMENTS or (q != ELEMENTS[el][1] and (el, q) not in VALENCE_ONLY):
            known = ", ".join(f"{e}={v}" for e, v in VALENCE_ONLY)
            raise UserError(f"{param('valence', py=f'valence[{el!r}] = {q}', cli=f'{el}={q}')}: no CP2K "
                            "basis/pseudopotential pair for it (known: "
                            f"{known}, or an element's default of ELEMENTS)")
        out[str(el)] = q
    return out


def kinds(symbols, functional: str, valence: dict | None = None) -> list[dict]:
    """``&KIND`` entries (element, basis, pseudopotential, its file or None) for the elements present, from
    ``ELEMENTS`` or, for an element in ``valence`` with another valence, ``VALENCE_ONLY``."""
    family = FUNCTIONALS[functional][0]
    out = []
    for el in sorted(set(symbols)):
        if el not in ELEMENTS:
            raise UserError(f"CP2K labelling has no basis/pseudopotential entry for {el} "
                            f"(known: {', '.join(ELEMENTS)}); add it to lammpskit/finetune/cp2k.py ELEMENTS")
        basis, q = ELEMENTS[el]
        q = (valence or {}).get(el, q)
        uzh = (el, q) in VALENCE_ONLY and q != ELEMENTS[el][1]
        out.append({"element": el, "basis": VALENCE_ONLY[(el, q)].format(family=family) if uzh else basis,
                    "potential": f"GTH-{family}-q{q}", "potential_file": "POTENTIAL_UZH" if uzh else None,
                    "valence": q})
    return out


def render(at, settings: Settings, title: str = "frame") -> str:
    """The CP2K input text for one frame (periodic XYZ cell from the frame, triclinic allowed; Γ point)."""
    validate.name(title, "frame title")
    cell = np.asarray(at.cell, float)
    if not at.pbc.all() or abs(np.linalg.det(cell)) < 1e-6:
        raise UserError("CP2K labelling needs a periodic frame with a 3-D cell")
    fmt = "{:.10f} {:.10f} {:.10f}"
    symbols = at.get_chemical_symbols()
    coords = [f"{s} " + fmt.format(*p) for s, p in zip(symbols, at.get_positions())]
    family, potential_file, d3_reference, d3bj = FUNCTIONALS[settings.functional]
    entries = kinds(symbols, settings.functional, settings.valence)
    valence = {k["element"]: k["valence"] for k in entries}
    electrons = sum(valence[s] for s in symbols)
    ctx = {**asdict(settings), "cutoff": f"{settings.cutoff:g}", "rel_cutoff": f"{settings.rel_cutoff:g}"}
    return templates.render("dft/cp2k.inp.j2", title=title, **ctx, potential_file=potential_file,
                            d3_reference=d3_reference, d3bj_scaling=d3bj, added_mos=max(10, electrons // 20),
                            cell=[fmt.format(*v) for v in cell], coords=coords,
                            kinds=entries, uzh_basis=any(k["potential_file"] for k in entries))


def executable(name: str | None = None) -> str:
    """The CP2K binary: ``name`` (a path or a command on PATH) or the first of ``EXECUTABLES`` found."""
    for cand in [name] if name else EXECUTABLES:
        path = shutil.which(cand)
        if path:
            return str(validate.path(path, "CP2K executable"))
    raise UserError(f"{name or 'cp2k.psmp'} not found: install CP2K (Debian: apt-get install cp2k cp2k-data, "
                    "or make system)")


# -- one frame ---------------------------------------------------------------------------------

def prepare(at, sub: Path, settings: Settings, index: int) -> Path:
    """Write ``sub/{frame.xyz,cp2k.inp}`` for the frame at position ``index`` of the input (its
    ``frame_index``); an output of a different input is moved aside to ``cp2k.out.old``."""
    sub = Path(sub)
    sub.mkdir(parents=True, exist_ok=True)
    text = render(at, settings, f"frame{index:04d}")
    inp = sub / INPUT
    if (sub / OUTPUT).exists() and (not inp.is_file() or inp.read_text(errors="replace") != text):
        (sub / OUTPUT).replace(sub / f"{OUTPUT}.old")
    files.write_text(inp, text)
    frame = at.copy()
    frame.calc = None
    frame.info["frame_index"] = index
    xyz.write(sub / FRAME, [frame])
    return sub


def prepare_all(frames, folder: Path, settings: Settings) -> list[Path]:
    """``prepare`` every frame in ``folder/NNNN/`` (NNNN = its position in the input)."""
    validate.path(folder, "work folder")
    return [prepare(at, Path(folder) / f"{k:04d}", settings, k) for k, at in enumerate(frames)]


def done(sub: Path) -> bool:
    """Whether the frame's CP2K run has finished (converged or not)."""
    return cp2k_output.finished(Path(sub) / OUTPUT)


def run_one(sub: Path, exe: str, threads: int = 1, timeout: float | None = None) -> float:
    """Run CP2K in ``sub`` (OMP_NUM_THREADS = ``threads``, one MPI rank); returns the wall time (s).

    CP2K appends to its ``-o`` file, so a stale ``cp2k.out.part`` of a killed run is removed first.
    """
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    part = Path(sub) / f"{OUTPUT}.part"
    part.unlink(missing_ok=True)
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
    """(labelled frame, None) or (None, why not) for one frame folder; an unconverged SCF is never a label."""
    sub = Path(sub)
    try:
        reading.read_bytes(sub / FRAME, "frame file")  # a regular file of bounded size
        frame = xyz.read(sub / FRAME)[0]
        res = cp2k_output.read(sub / OUTPUT, len(frame))
    except cp2k_output.NotConverged as exc:
        return None, f"{exc} (left out)"
    except UserError as exc:
        return None, str(exc)
    if not res.converged:
        return None, f"{sub / OUTPUT}: {cp2k_output.NOT_CONVERGED} (left out)"
    if res.stress is None:
        return None, f"{sub / OUTPUT}: no analytical stress tensor"
    xyz.store(frame, res.energy, res.forces, res.stress)
    frame.info["label_source"] = f"cp2k:{sub}"
    return frame, None


# -- many frames -------------------------------------------------------------------------------

def run_all(subs: list[Path], workers: int = 1, threads: int = 1, cp2k: str | None = None,
            timeout: float | None = None, progress: Progress | None = None, unit: str = "frame") -> dict:
    """Run CP2K in every folder of ``subs`` that has not finished, ``workers`` at a time.

    ``progress`` is told ``start(len(subs), done, unit)`` (done: the folders finished before), then
    ``advance(done, {"wall_s": s since the first run began})`` after each run, and ``finish()``. Returns
    ``{"ran": [wall_s, ...], "skipped": n, "errors": {folder: message}}``.
    """
    todo = [s for s in subs if not done(s)]
    exe = executable(cp2k) if todo else ""
    t0 = time.perf_counter()
    walls: list[float] = []
    errors: dict[Path, str] = {}

    with counting(progress, len(subs), len(subs) - len(todo), unit) as report:
        def job(sub: Path) -> None:
            try:
                walls.append(run_one(sub, exe, threads, timeout))
            except RunError as exc:
                errors[sub] = str(exc)
            report.advance(len(subs) - len(todo) + len(walls) + len(errors), {"wall_s": time.perf_counter() - t0})

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(job, todo))
    return {"ran": walls, "skipped": len(subs) - len(todo), "errors": errors}


def collect_labels(subs: list[Path], errors: dict | None = None) -> tuple[list, list[dict]]:
    """(labelled frames, failed) over frame folders; failed: frame_index, folder and reason."""
    labelled, failed = [], []
    for sub in subs:
        frame, why = (None, errors[sub]) if errors and sub in errors else result(sub)
        if frame is None:
            failed.append({"frame_index": int(Path(sub).name) if Path(sub).name.isdigit() else None,
                           "folder": str(sub), "reason": why})
        else:
            labelled.append(frame)
    return labelled, failed


def work_folder(out: Path, folder: Path | None) -> Path:
    """The frame folders' parent: ``folder`` or ``<out without suffix>-cp2k/`` beside ``out``."""
    return validate.path(Path(folder) if folder else Path(out).with_name(Path(out).stem + "-cp2k"), "work folder")


def label_dft(frames, out: Path = Path("labelled.xyz"), code: str = "cp2k", workers: int = 1, threads: int = 1,
              folder: Path | None = None, settings: Settings | None = None, cp2k: str | None = None,
              timeout: float | None = None, progress: Progress | None = None, **options) -> dict:
    """Label frames (an extxyz path or a list of ASE Atoms) with CP2K on this machine and write ``out``
    (extxyz: REF_energy eV, REF_forces eV/Å, REF_stress eV/Å³ ASE sign, ``frame_index``).

    ``workers`` CP2K runs at once, each one MPI rank with ``threads`` OpenMP threads; frame folders under
    ``folder`` (default ``<out without suffix>-cp2k/``); ``settings`` or keyword ``options`` (see
    ``Settings``: cutoff, rel_cutoff in Ry, functional, d3, ...). ``progress`` is told the frames (``run_all``).
    Finished frames are not run again. Frames whose SCF did not converge or whose run failed are
    listed under ``failed`` and left out. Returns a summary dict.
    """
    if code != "cp2k":
        raise UserError(f"{param('code')} {code!r}: only cp2k runs here (export-dft --code qe writes pw.x inputs)")
    validate.integer(workers, param("workers"), 1, 1024)
    validate.integer(threads, param("threads"), 1, 1024)
    settings = (settings or Settings(**options)).check()
    if isinstance(frames, (str, Path)):
        frames = xyz.read(Path(frames))
    out = outputs.out_file(validate.path(Path(out), param("out")))
    folder = outputs.out_dir(work_folder(out, folder), "work folder")
    subs = prepare_all(frames, folder, settings)
    t0 = time.perf_counter()
    runs = run_all(subs, workers, threads, cp2k, timeout, progress)
    labelled, failed = collect_labels(subs, runs["errors"])
    if labelled:
        xyz.write(out, labelled)
    walls = runs["ran"]
    return {"out": str(out) if labelled else None, "folder": str(folder), "frames": len(subs),
            "labelled": len(labelled), "skipped": runs["skipped"], "ran": len(walls), "failed": failed,
            "wall_s": round(time.perf_counter() - t0, 1),
            "s_per_frame": round(float(np.mean(walls)), 1) if walls else None, "settings": asdict(settings)}


def array_command(cp2k: str = "cp2k.psmp") -> str:
    """The shell line one SLURM array task runs in ``$CASE`` (a frame folder): CP2K on the input, its output
    renamed when CP2K stops (``$OMP_NUM_THREADS`` comes from the job script)."""
    exe = shlex.quote(str(validate.path(cp2k, param("cp2k"))))
    return (f'cd "$CASE" && rm -f {OUTPUT}.part && {{ {exe} -i {INPUT} -o {OUTPUT}.part > cp2k.log 2>&1 || true; }} '
            f'&& if [ -f {OUTPUT}.part ]; then mv {OUTPUT}.part {OUTPUT}; fi')
