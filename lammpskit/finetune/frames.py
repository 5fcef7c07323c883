"""The fine-tuning loop's data steps: sample frames from runs, label them, DFT input sets, collect labels.

Frames are ASE Atoms read, written and checked as extended XYZ by ``lammpskit.structure.frames``
(labels under MACE's ``REF_*`` keys); sampling picks diverse frames by farthest-point sampling on
the structural descriptor of ``lammpskit.structure.sampling``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lammpskit._util import layout
from lammpskit.errors import UserError, param
from lammpskit.progress import Progress, counting
from lammpskit.run import manifest
from lammpskit.structure.frames import KEYS, check_frame, store
from lammpskit.structure.sampling import descriptor, farthest_points

# -- sampling ---------------------------------------------------------------------------------------

def _temperature(run_dir: Path) -> float | None:
    """The run's sampling temperature (K), None for a dump outside a run directory."""
    if not (Path(run_dir) / manifest.MANIFEST).exists():
        return None
    return manifest.load(run_dir).temperature_K(300.0)


def dump_frames(dump: Path, every: int = 1) -> list:
    """Every ``every``-th frame of one dump as ASE Atoms (wrapped), tagged with source, frame and T (K)."""
    from ovito.io.ase import ovito_to_ase

    from lammpskit.analysis import reader

    T = _temperature(dump.parent)
    pipeline = reader.open_pipeline(dump)
    frames = []
    for i in range(0, pipeline.source.num_frames, every):
        data = pipeline.compute(i)
        at = ovito_to_ase(data)
        at.set_pbc(True)
        at.wrap()
        at.info = {"source": str(dump), "frame": i, "timestep": int(data.attributes.get("Timestep", i)),
                   **({"temperature_K": T} if T is not None else {})}
        frames.append(at)
    return frames


UNWRAPPED = layout.UNWRAPPED_DUMP  # a quench's production frames again, unwrapped for the MSD


def _trajectories(run: Path) -> list[Path]:
    """The dumps under ``run`` to sample: a folder's unwrapped dump only where it is the folder's one trajectory
    (an arrhenius NVT run), not beside the quench's production dump (the same frames twice)."""
    dumps = sorted(Path(run).rglob("*.lammpstrj"))
    wrapped = {p.parent for p in dumps if p.name != UNWRAPPED}
    return [p for p in dumps if p.name != UNWRAPPED or p.parent not in wrapped]


def trajectory_frames(run_dirs: list[Path], every: int = 1) -> list:
    """Every ``every``-th frame of every dump under the run directories (see ``dump_frames``).

    Sub-folders count (e.g. the NVT runs at several temperatures of ``lammpskit arrhenius``),
    each frame tagged with its own run's temperature.
    """
    frames = []
    for run in run_dirs:
        dumps = _trajectories(run)
        if not dumps:
            raise UserError(f"{run} has no LAMMPS dumps (*.lammpstrj): run it first")
        for dump in dumps:
            frames += dump_frames(dump, every)
    return frames


def sample(run_dirs: list[Path], n: int, max_atoms: int | None = None, every: int = 1, seed: int = 0) -> list:
    """``n`` diverse frames (cells of at most ``max_atoms`` atoms, for DFT) from the runs' trajectories."""
    frames = trajectory_frames(run_dirs, every)
    if max_atoms:
        frames = [f for f in frames if len(f) <= max_atoms]
        if not frames:
            raise UserError(f"no frame has at most {max_atoms} atoms: quench smaller cells for DFT ({param('atoms')})")
    elements = sorted({s for f in frames for s in f.get_chemical_symbols()})
    x = np.array([descriptor(f, elements) for f in frames])
    return [frames[k] for k in farthest_points(x, n, seed)]


# -- labels --------------------------------------------------------------------------------------

def label(frames: list, pot_name: str, device: str = "cpu", progress: Progress | None = None) -> list:
    """Energy, forces, stress of each frame from a registered potential's Python calculator (REF_* keys);
    ``progress`` is told the frames labelled."""
    import warnings

    from lammpskit.potentials import calculators
    from lammpskit.potentials import registry as potentials

    warnings.filterwarnings("ignore", category=UserWarning, module=r"(e3nn|mace|chgnet|torch)\b")
    calc = calculators.build(potentials.get(pot_name), device)
    out = []
    with counting(progress, len(frames), unit="frame") as report:
        for at in frames:
            at = at.copy()
            at.calc = calc
            e, f, s = at.get_potential_energy(), at.get_forces(), at.get_stress(voigt=False)
            at.calc = None
            store(at, e, f, s)
            at.info["label_source"] = pot_name
            out.append(at)
            report.advance(len(out))
    return out


# -- DFT ---------------------------------------------------------------------------------------

# Quantum ESPRESSO settings per functional (SSSP-style PBE pseudopotentials; r2SCAN through
# libxc needs norm-conserving or PAW sets generated for meta-GGAs, e.g. the r2SCAN ONCV sets).
QE = {
    "pbe": {"input_dft": "pbe", "ecutwfc": 60.0, "ecutrho": 480.0},
    "r2scan": {"input_dft": "r2scan", "ecutwfc": 80.0, "ecutrho": 320.0},
}


def export_qe(frames: list, folder: Path, functional: str, pseudo_dir: str = "./pseudo",
              kspacing: float = 0.25) -> list[Path]:
    """One ``pw.x`` SCF input per frame (forces and stress on) in ``folder/NNNN/pw.in``.

    ``kspacing`` in 1/Å (Monkhorst-Pack grid n_i = ceil(|b_i| / kspacing), b with 2π).
    """
    from ase.io import write as ase_write

    if functional not in QE:
        raise UserError(f"{param('functional')} must be one of {', '.join(QE)}")
    out = []
    for k, at in enumerate(frames):
        sub = Path(folder) / f"{k:04d}"
        sub.mkdir(parents=True, exist_ok=True)
        recip = 2 * np.pi * np.linalg.inv(np.asarray(at.cell)).T
        kpts = [max(1, int(np.ceil(np.linalg.norm(b) / kspacing))) for b in recip]
        pseudos = {el: f"{el}.upf" for el in sorted(set(at.get_chemical_symbols()))}
        input_data = {"control": {"calculation": "scf", "tprnfor": True, "tstress": True, "pseudo_dir": pseudo_dir,
                                  "prefix": f"frame{k:04d}", "outdir": "./tmp"},
                      "system": {**QE[functional], "occupations": "smearing", "smearing": "gaussian",
                                 "degauss": 0.005},
                      "electrons": {"conv_thr": 1e-8 * len(at), "mixing_beta": 0.4}}
        ase_write(sub / "pw.in", at, format="espresso-in", input_data=input_data, pseudopotentials=pseudos,
                  kpts=kpts)
        (sub / "frame.json").write_text(json.dumps({k: v for k, v in at.info.items()
                                                   if isinstance(v, (str, int, float))}, indent=1))
        out.append(sub)
    return out


def collect(paths: list[Path], valid_fraction: float = 0.1, seed: int = 0,
            left_out: list | None = None) -> tuple[list, list]:
    """Labelled frames from DFT outputs (pw.x ``*.out``, VASP ``OUTCAR``/``vasprun.xml``, CP2K ``cp2k.out``
    beside its ``frame.xyz`` as ``finetune dft``/``export-dft --code cp2k`` write them) or labelled extxyz
    files; split into (train, valid). CP2K frames that cannot be labelled (SCF not converged, run
    unfinished) are left out, with the reason appended to ``left_out``."""
    from ase.io import read as ase_read
    from ase.stress import voigt_6_to_full_3x3_stress

    from lammpskit.finetune import cp2k

    frames = []
    for p in paths:
        p = Path(p)
        files = sorted(p.rglob("*")) if p.is_dir() else [p]
        for f in files:
            if not f.is_file() or f.suffix not in (".out", ".xyz", ".extxyz", ".xml") and f.name != "OUTCAR":
                continue
            if f.name == cp2k.FRAME and (f.parent / cp2k.INPUT).is_file():
                continue  # a CP2K frame folder's input frame: labelled through its cp2k.out
            if f.name == cp2k.OUTPUT:
                frame, why = cp2k.result(f.parent)
                if frame is None:
                    (left_out if left_out is not None else []).append(why)
                else:
                    frames.append(frame)
                continue
            try:
                got = ase_read(f, index=":")
            except Exception:  # noqa: BLE001 - not a structure file
                continue
            for k, at in enumerate(got):
                if at.calc is not None and "energy" in at.calc.results or KEYS["energy"] in at.info:
                    check_frame(at, f"{f} frame {k}")
                if at.calc is not None and "energy" in at.calc.results:
                    r = at.calc.results
                    stress = r.get("stress")
                    if stress is None:
                        stress = np.zeros((3, 3))
                    elif np.shape(stress) == (6,):  # ASE's Voigt order xx yy zz yz xz xy
                        stress = voigt_6_to_full_3x3_stress(stress)
                    at = at.copy()
                    store(at, r["energy"], r.get("forces", np.zeros((len(at), 3))), stress)
                    at.info["label_source"] = str(f)
                    frames.append(at)
                elif KEYS["energy"] in at.info:
                    frames.append(at)
    if len(frames) < 2:
        raise UserError(f"found {len(frames)} labelled frame(s) in {', '.join(map(str, paths))}: need at least 2")
    order = np.random.default_rng(seed).permutation(len(frames))
    n_valid = max(1, int(round(valid_fraction * len(frames))))
    return [frames[k] for k in order[n_valid:]], [frames[k] for k in order[:n_valid]]

