"""Energy, forces and stress of many frames through a potential's bridge calculator, batched where the
family allows it.

``evaluate(pot, frames, batch)`` returns one ``Labels`` per frame: energy (eV), forces (eV/Å, N x 3)
and stress (eV/Å³, 3 x 3, ASE's sign: positive = tensile). ``batch`` > 1 evaluates that many frames in
one model call for the families in ``BATCHED`` (CHGNet: ``predict_structure``; MACE: one
torch_geometric batch of graphs, as ``mace.cli.eval_configs`` does); the others (GRACE, DeePMD) and
``batch`` = 1 go one frame at a time through the same ASE calculator the bridge uses, so both paths see
the same model, dtype, head and device. Families whose side folder must come first on ``sys.path``
(SevenNet) are evaluated in a process of their own (``lammpskit.potentials.isolated``; this module's
``__main__`` is that process).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lammpskit.errors import RunError
from lammpskit.potentials import calculators, isolated
from lammpskit.potentials.registry import Potential


@dataclass
class Labels:
    energy: float          # eV
    forces: np.ndarray     # eV/Å, (N, 3)
    stress: np.ndarray     # eV/Å³, (3, 3), ASE's sign


def _single(calc, frames: list, tick) -> list[Labels]:
    out = []
    for at in frames:
        at = at.copy()
        at.calc = calc
        out.append(Labels(float(at.get_potential_energy()), np.asarray(at.get_forces(), float),
                          np.asarray(at.get_stress(voigt=False), float)))
        at.calc = None
        tick(1)
    return out


def _chgnet_batched(calc, frames: list, batch: int, tick) -> list[Labels]:
    from ase import units
    from pymatgen.io.ase import AseAtomsAdaptor

    model, out = calc.model, []
    for start in range(0, len(frames), batch):
        chunk = frames[start:start + batch]
        preds = model.predict_structure([AseAtomsAdaptor.get_structure(at) for at in chunk], task="efs",
                                        batch_size=len(chunk))
        preds = [preds] if isinstance(preds, dict) else preds
        for at, p in zip(chunk, preds):  # as CHGNetCalculator: e per atom, s in GPa
            e = float(p["e"]) * (len(at) if model.is_intensive else 1)
            out.append(Labels(e, np.asarray(p["f"], float), np.asarray(p["s"], float).reshape(3, 3) * units.GPa))
        tick(len(chunk))
    return out


def _mace_batched(calc, frames: list, batch: int, tick) -> list[Labels]:
    import torch
    from mace import data as mace_data
    from mace.tools import torch_geometric, torch_tools

    if len(calc.models) != 1:
        return _single(calc, frames, tick)
    model = calc.models[0]
    dtype = next(model.parameters()).dtype
    keyspec = mace_data.KeySpecification(info_keys=calc.info_keys, arrays_keys=calc.arrays_keys)
    out = []
    for start in range(0, len(frames), batch):
        chunk = frames[start:start + batch]
        with torch_tools.default_dtype(calc.default_dtype):
            graphs = [mace_data.AtomicData.from_config(
                mace_data.config_from_atoms(at, key_specification=keyspec, head_name=calc.head),
                z_table=calc.z_table, cutoff=calc.r_max, heads=calc.available_heads) for at in chunk]
        data = torch_geometric.Batch.from_data_list(graphs).to(calc.device)
        for key in data.keys:
            if torch.is_tensor(data[key]) and torch.is_floating_point(data[key]):
                data[key] = data[key].to(dtype=dtype)
        res = model(data.to_dict(), compute_stress=True)
        energy = res["energy"].detach().cpu().numpy() * calc.energy_units_to_eV
        forces = res["forces"].detach().cpu().numpy() * calc.energy_units_to_eV / calc.length_units_to_A
        stress = res["stress"].detach().cpu().numpy() * calc.energy_units_to_eV / calc.length_units_to_A ** 3
        ptr = data["ptr"].cpu().numpy()
        for k in range(len(chunk)):
            out.append(Labels(float(energy[k]), forces[ptr[k]:ptr[k + 1]].astype(float), stress[k].astype(float)))
        tick(len(chunk))
    return out


# bridge calculator kind -> batched evaluation (the others go frame by frame)
BATCHED: dict[str, Callable] = {"chgnet": _chgnet_batched, "mace": _mace_batched}


def batchable(pot: Potential) -> bool:
    return pot.bridge is not None and pot.bridge.calculator in BATCHED


def evaluate(pot: Potential, frames: list, batch: int = 1, device: str = "cpu", tick=None) -> list[Labels]:
    """Labels of each frame (ASE Atoms, periodic) from ``pot``'s bridge calculator; ``tick(k)`` after k frames."""
    import warnings

    elements = sorted({s for at in frames for s in at.get_chemical_symbols()})
    pot.supports(elements)
    if isolated.needed(pot):
        out = [Labels(e, f, s) for e, f, s in isolated.run(pot, frames, batch, device)]
        (tick or (lambda k: None))(len(frames))
        return out
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(e3nn|mace|chgnet|torch)\b")
    calc = calculators.build(pot, device)
    tick = tick or (lambda k: None)
    kind = pot.bridge.calculator
    try:
        if batch > 1 and kind in BATCHED:
            return BATCHED[kind](calc, frames, batch, tick)
        return _single(calc, frames, tick)
    except (RuntimeError, KeyError, ValueError, IndexError) as exc:  # the model's own failure, with its reason
        raise RunError(f"{pot.name} could not evaluate the frames: {type(exc).__name__}: "
                       f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}") from exc


def _main(argv: list[str]) -> None:
    """``python -m lammpskit.potentials.evaluate POT FRAMES OUT BATCH DEVICE``: the process ``isolated.run``
    starts; writes OUT (.npz of float arrays). Errors: one ``error:`` line, exit 2 (user) or 1."""
    import sys
    from pathlib import Path

    from ase.io import read

    from lammpskit.errors import UserError
    from lammpskit.potentials import registry

    name, frames, out, batch, device = argv
    try:
        labels = evaluate(registry.get(name), read(frames, index=":", format="extxyz"), int(batch), device)
        isolated.write_npz(Path(out), labels)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    import sys

    _main(sys.argv[1:])
