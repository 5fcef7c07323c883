"""Small real models for tests and benchmarks (no downloads): a random-init MACE.

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
    from . import potentials

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
'''.replace("'", '"')
    out = Path(folder) / f"{name}.toml"
    out.write_text(text)
    return out
