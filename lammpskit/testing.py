"""Small real models for tests and benchmarks (no downloads): a random-init MACE, a random-init
GRACE-FS, random start cells and frames labelled by a registered calculator.

The model is a genuine ``mace.modules.ScaleShiftMACE`` with random weights and
ZBL pair repulsion (so MD does not collapse), saved whole with ``torch.save``
like a trained ``.model`` file and loaded by ``MACECalculator``.
"""

from __future__ import annotations

from pathlib import Path


def tiny_mace(path: Path, elements: list[str], seed: int = 0, r_max: float = 4.5,
              channels: int = 8, dtype: str = "float64") -> Path:
    """Build, randomly initialise and save a small MACE model; returns ``path``."""
    import numpy as np
    import torch
    from ase.data import atomic_numbers
    from mace import modules  # before e3nn: mace allow-lists what e3nn 0.4.4 loads

    # isort: split
    from e3nn import o3

    torch.manual_seed(seed)
    old = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, dtype))
    try:
        zs = sorted(atomic_numbers[e] for e in elements)
        block = modules.interaction_classes["RealAgnosticResidualInteractionBlock"]
        model = modules.ScaleShiftMACE(
            r_max=r_max, num_bessel=6, num_polynomial_cutoff=5, max_ell=2,
            interaction_cls=block, interaction_cls_first=block, num_interactions=2,
            num_elements=len(zs), hidden_irreps=o3.Irreps(f"{channels}x0e+{channels}x1o"),
            MLP_irreps=o3.Irreps("8x0e"), atomic_energies=np.full(len(zs), -2.0),
            avg_num_neighbors=20.0, atomic_numbers=zs, correlation=2,
            gate=torch.nn.functional.silu, pair_repulsion=True,
            atomic_inter_scale=0.5, atomic_inter_shift=0.0,
        )
        torch.save(model, path)
    finally:
        torch.set_default_dtype(old)
    return Path(path)


def mace_potential_toml(folder: Path, name: str, model: Path, elements: list[str], dtype: str = "float64") -> Path:
    """Register ``model`` as potential ``name``: writes ``folder/name.toml`` (bridge, MACE)."""
    from lammpskit.potentials import registry as potentials

    text = f'''name = "{name}"
title = "random-init MACE test model"
family = "mace"
elements = {elements!r}
cutoff = 4.5
dtype = "{dtype}"
licence = "MIT (test model)"
citation = "none: random weights"

[[files]]
key = "model"
path = "{model}"
sha256 = "{potentials.sha256(model)}"

[bridge]
calculator = "mace"
dtype = "{dtype}"

[d3]
functional = "pbe"
'''.replace("'", '"')
    out = Path(folder) / f"{name}.toml"
    out.write_text(text)
    return out


# GRACE-FS preset at its smallest useful size: lmax 3, 6 radial functions, 5 Å cutoff (832 weights)
TINY_FS = dict(rcut=5.0, avg_n_neigh=20.0, lmax=(3, 3, 2, 1), Lmax=(None, 2, 0, 0), max_sum_l=(None, None, 4, 2),
               lmax_hist=(None, None, None, 2), n_rad_base=6, n_rad_max=(6, 4, 3, 2), embedding_size=8, max_order=4)


def tiny_grace(folder: Path, elements: list[str], seed: int = 1) -> Path:
    """A random-init GRACE-FS model (tensorpotential): ``folder/saved_model`` (TensorFlow SavedModel,
    for the bridge and ``pair_style grace``), ``folder/FS_model.yaml`` (``grace/fs``), and
    ``model.yaml`` + ``checkpoint.*`` (gracemaker's format). Returns ``folder``."""
    from lammpskit.potentials import extras

    extras.enable("tensorpotential")
    import numpy as np
    import tensorflow as tf
    import tensorpotential  # noqa: F401  (configures TensorFlow)
    from tensorpotential.instructions.base import save_instructions_dict
    from tensorpotential.potentials.presets import FS
    from tensorpotential.tpmodel import ComputeEnergy, TPModel

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tf.random.set_seed(seed)
    np.random.seed(seed)
    instructions = FS(element_map={e: i for i, e in enumerate(elements)}, **TINY_FS).get_instructions()
    model = TPModel(instructions, aux_compute={"compute_energy": ComputeEnergy()})
    model.build(tf.float64, jit_compile=True)
    model.save_model(str(folder / "saved_model"), jit_compile=True)
    model.export_to_yaml(str(folder / "FS_model.yaml"))
    save_instructions_dict(str(folder / "model.yaml"), instructions, param_dtype=tf.float64)
    tf.train.Checkpoint(model=model).write(str(folder / "checkpoint"))
    return folder


def labelled_frames(pot_name: str, n: int, fu: int = 3, x: float = 1.0, seed: int = 0, rattle: float = 0.1):
    """``n`` random Na4P2S7-xOx cells (``fu`` formula units, density ±10 %) with energy, forces and
    stress from the bridge calculator of registered potential ``pot_name`` (ASE Atoms)."""
    import numpy as np
    from ase import Atoms
    from ase.calculators.singlepoint import SinglePointCalculator

    from lammpskit.potentials import calculators
    from lammpskit.potentials import registry as potentials
    from lammpskit.structure import builder as structure
    from lammpskit.structure import composition

    comp = composition.make(x, fu=fu)
    calc = calculators.build(potentials.get(pot_name))
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n):
        s = structure.build(comp, comp.density_estimate() * rng.uniform(0.9, 1.1), seed + i)
        at = Atoms([s.elements[t - 1] for t in s.types], positions=s.positions, cell=s.cell, pbc=True)
        at.positions += rng.normal(0, rattle, at.positions.shape)
        at.calc = calc
        e, f, st = at.get_potential_energy(), at.get_forces(), at.get_stress()
        at.calc = SinglePointCalculator(at, energy=e, forces=f, stress=st)
        frames.append(at)
    return frames
