"""Many frames in one model call, for the families that allow it (``Family.batched``).

Each function takes (ASE calculator built by the family's builder, frames, batch size, ``tick(k)``) and
returns one ``Labels`` per frame, computed exactly as the calculator would one frame at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


@dataclass
class Labels:
    energy: float          # eV
    forces: np.ndarray     # eV/Å, (N, 3)
    stress: np.ndarray     # eV/Å³, (3, 3), ASE's sign


def chgnet(calc, frames: list, batch: int, tick) -> list[Labels]:
    """CHGNet's ``predict_structure`` over a list of structures."""
    import numpy as np
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


def mace(calc, frames: list, batch: int, tick) -> list[Labels]:
    """One torch_geometric batch of graphs, as ``mace.cli.eval_configs`` does (a committee goes frame by frame)."""
    import torch
    from mace import data as mace_data
    from mace.tools import torch_geometric, torch_tools

    if len(calc.models) != 1:
        return single(calc, frames, tick)
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


def single(calc, frames: list, tick) -> list[Labels]:
    """Frame by frame through the ASE calculator (every family; the only path for the unbatched ones)."""
    import numpy as np

    out = []
    for at in frames:
        at = at.copy()
        at.calc = calc
        out.append(Labels(float(at.get_potential_energy()), np.asarray(at.get_forces(), float),
                          np.asarray(at.get_stress(voigt=False), float)))
        at.calc = None
        tick(1)
    return out
