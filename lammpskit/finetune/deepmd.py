"""DeePMD-kit (PyTorch backend) training from labelled frames: data, input.json, train, freeze, compress.

Frames are ASE Atoms carrying energy (eV), forces (eV/Å) and stress (eV/Å³) from a
calculator or an extxyz file. Each distinct atom sequence becomes one deepmd/npy
system (``type.raw``, ``type_map.raw``, ``set.000/{coord,box,energy,force,virial}.npy``
with the virial -stress·V in eV). ``dp`` runs in a child interpreter with one thread
(fastest for small models) and never waits at a prompt.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lammpskit._util.tools import run_tool
from lammpskit.errors import param
from lammpskit.finetune.results import TrainingResult

DP_ENV = {"OMP_NUM_THREADS": "1", "DP_INTRA_OP_PARALLELISM_THREADS": "1", "DP_INTER_OP_PARALLELISM_THREADS": "1"}


def write_systems(folder: Path, frames: list, type_map: list[str]) -> list[Path]:
    """Write frames as deepmd/npy systems under ``folder`` (one per atom sequence); returns their paths."""
    import numpy as np

    groups: dict[tuple, list] = {}
    for at in frames:
        groups.setdefault(tuple(at.get_chemical_symbols()), []).append(at)
    out = []
    for k, (symbols, group) in enumerate(sorted(groups.items())):
        path = Path(folder) / f"sys{k:03d}"
        (path / "set.000").mkdir(parents=True, exist_ok=True)
        (path / "type_map.raw").write_text("\n".join(type_map) + "\n")
        (path / "type.raw").write_text("\n".join(str(type_map.index(s)) for s in symbols) + "\n")
        cols = {"coord": [], "box": [], "energy": [], "force": [], "virial": []}
        for at in group:
            energy, forces, stress = labels(at)
            cols["coord"].append(at.positions.ravel())
            cols["box"].append(np.asarray(at.cell).ravel())
            cols["energy"].append(energy)
            cols["force"].append(forces.ravel())
            cols["virial"].append((-stress * at.get_volume()).ravel())
        for key, values in cols.items():
            np.save(path / "set.000" / f"{key}.npy", np.asarray(values, dtype=np.float64))
        out.append(path)
    return out


def labels(at):
    """(energy eV, forces eV/Å, stress 3x3 eV/Å³) from REF_* keys (lammpskit.structure.frames) or the attached calculator."""
    import numpy as np

    from lammpskit.structure.frames import KEYS

    if KEYS["energy"] in at.info:
        return (float(at.info[KEYS["energy"]]), np.asarray(at.arrays[KEYS["forces"]], float),
                np.asarray(at.info.get(KEYS["stress"], np.zeros(9)), float).reshape(3, 3))
    return at.get_potential_energy(), at.get_forces(), at.get_stress(voigt=False)


def input_json(type_map: list[str], train: list[Path], valid: list[Path], steps: int, seed: int = 1,
               rcut: float = 5.0, sel: int = 40, neuron=(4, 8), fitting=(8, 8), start_lr: float = 0.005) -> dict:
    """A small se_e2_a model; ``sel`` neighbours per type within ``rcut`` (Å); energy and force loss."""
    return {
        "model": {"type_map": type_map,
                  "descriptor": {"type": "se_e2_a", "sel": [sel] * len(type_map), "rcut_smth": 0.5, "rcut": rcut,
                                 "neuron": list(neuron), "axis_neuron": 4, "type_one_side": True, "seed": seed},
                  "fitting_net": {"neuron": list(fitting), "resnet_dt": True, "seed": seed}},
        "learning_rate": {"type": "exp", "start_lr": start_lr, "stop_lr": start_lr / 10,
                          "decay_steps": max(steps // 10, 1)},
        "loss": {"type": "ener", "start_pref_e": 0.02, "limit_pref_e": 1, "start_pref_f": 1000, "limit_pref_f": 1,
                 "start_pref_v": 0, "limit_pref_v": 0},
        "training": {"training_data": {"systems": [str(p) for p in train], "batch_size": 1},
                     "validation_data": {"systems": [str(p) for p in valid], "batch_size": 8, "numb_btch": 1},
                     "numb_steps": steps, "seed": seed, "disp_file": "lcurve.out",
                     "disp_freq": max(steps // 10, 1), "save_freq": steps},
    }


# e3nn 0.4.4 (imported by deepmd's PyTorch descriptors) torch.loads its constants file: the child imports
# those descriptors with exactly its globals allowed (weights-only loading stays on)
_DRIVER = r"""
import os, sys
from lammpskit.potentials.calculators import e3nn_constants_allowed
with e3nn_constants_allowed():
    import deepmd.pt.model.descriptor
from deepmd.main import main
compress = sys.argv[1] == "1"
for d in sys.argv[2:]:
    os.chdir(d)
    main(["--pt", "train", "input.json", "-l", "train.log"])
    main(["--pt", "freeze", "-o", "model.pth"])
    if compress:
        main(["--pt", "compress", "-i", "model.pth", "-o", "model-compressed.pth"])
"""


def run_training(model_dirs: list[Path], compress: bool = False, timeout: float = 3600) -> list[Path]:
    """Train and freeze each folder's input.json (one child process); returns the model.pth paths."""
    run_tool([sys.executable, "-c", _DRIVER, "1" if compress else "0", *map(str, model_dirs)], "deepmd training",
             env=DP_ENV, timeout=timeout, tail=5)
    return [Path(d) / "model.pth" for d in model_dirs]


def lcurve(path: Path) -> dict:
    """Columns of a deepmd ``lcurve.out`` by name (``rmse_e_val`` eV/atom, ``rmse_f_val`` eV/Å, ...)."""
    import numpy as np

    lines = Path(path).read_text().splitlines()
    names = lines[0].lstrip("#").split()
    data = np.loadtxt(path, comments="#", ndmin=2)
    return {n: data[:, k] for k, n in enumerate(names)}


def write_input(folder: Path, spec: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "input.json").write_text(json.dumps(spec, indent=1))
    return folder


def train_deepmd(train: Path, valid: Path, steps: int = 100000, ensemble: int = 1, rcut: float = 6.0,
                 compress: bool = False, name: str = "deepmd", out: Path = Path("deepmd-train")) -> TrainingResult:
    """Train a DeePMD ensemble (se_e2_a, PyTorch backend) on labelled frames, freeze (and compress) each
    model, register the first as ``name`` with provenance (``lk.train_deepmd``).

    Args:
        train (str | Path): labelled training frames (extxyz, REF_* keys as ``finetune collect`` writes).
        valid (str | Path): labelled validation frames (extxyz).
        steps (int): training steps per model (the CLI's default too: 100000).
        ensemble (int): models with different seeds, 1 to 16 (for ``finetune deviation``).
        rcut (float): descriptor cutoff in Å, 2 to 12.
        compress (bool): also write ``dp --pt compress`` output.
        name (str): the registry name of the first model.
        out (str | Path): the training folder.

    Returns:
        TrainingResult: ``models`` (frozen model paths), ``registered``, the registry entry and
        ``validation_first_last`` (energy eV/atom, force eV/Å RMSE at the first and last step; ``validation``
        gives them in the shape every family shares).
    """
    from lammpskit._util import validate
    from lammpskit.potentials import registration
    from lammpskit.structure import frames as xyz

    validate.integer(steps, param("steps"), 1, 10**9)
    validate.integer(ensemble, param("ensemble"), 1, 16)
    validate.number(rcut, param("rcut"), 2, 12)
    validate.name(name, param("name"))
    folder = validate.path(out, param("out")).resolve()
    tr, va = xyz.read(train), xyz.read(valid)
    type_map = sorted({s for f in tr + va for s in f.get_chemical_symbols()})
    systems = write_systems(folder / "data" / "train", tr, type_map)
    vsystems = write_systems(folder / "data" / "valid", va, type_map)
    dirs = [write_input(folder / f"model{k}", input_json(type_map, systems, vsystems, steps, seed=k + 1, rcut=rcut))
            for k in range(ensemble)]
    models = run_training(dirs, compress)
    curve = lcurve(dirs[0] / "lcurve.out")
    errors = {k: [float(curve[k][0]), float(curve[k][-1])] for k in ("rmse_e_val", "rmse_f_val") if k in curve}
    provenance = {"trainer": "deepmd-kit (dp --pt)", "train": str(train), "valid": str(valid), "steps": steps,
                  "rcut_A": rcut, "type_map": type_map, "ensemble": [str(m) for m in models],
                  "validation_first_last": errors}
    reg = registration.register_trained(name, models[0], "deepmd", type_map, provenance)
    return TrainingResult.from_values({"models": [str(m) for m in models], "registered": name, **reg,
                                       "validation_first_last": errors})
