"""One ASE calculator builder per model family, called as ``builder(pot, files, device)``.

``pot`` is the registry entry (its ``[bridge]`` settings), ``files`` the entry's checked file paths by key,
``device`` ``cpu`` or ``cuda``. Each builder imports its package only when called; the family's side folder is
already on ``sys.path`` (``lammpskit.potentials.families``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lammpskit.potentials.registry import Potential


def chgnet(pot: Potential, files: dict, device: str):
    from chgnet.model import CHGNet
    from chgnet.model.dynamics import CHGNetCalculator

    model = CHGNet.from_file(str(files["model"]), verbose=False)
    return CHGNetCalculator(model=model, use_device=device)


def mace(pot: Potential, files: dict, device: str):
    from mace.calculators import MACECalculator

    return MACECalculator(model_paths=str(files["model"]), device=device,
                          default_dtype=pot.bridge.dtype or pot.dtype, head=pot.bridge.head)


def grace(pot: Potential, files: dict, device: str):
    from tensorpotential.calculator import TPCalculator

    model = files["model"]
    if (model / "saved_model" / "saved_model.pb").exists():
        model = model / "saved_model"
    return TPCalculator(str(model))


def sevenn(pot: Potential, files: dict, device: str):
    from lammpskit.potentials import sevennet

    return sevennet.calculator(pot, files, device)


def e3nn_constants_allowed():
    """A context in which torch's weights-only loading also accepts the globals that e3nn's own constants file
    (e3nn/o3/constants.pt, read with torch.load at import) holds: ``slice``. deepmd-kit's PyTorch backend
    imports e3nn, and torch >= 2.6 loads weights-only by default; this allows exactly that global instead of
    turning weights-only loading off for the process."""
    import torch

    return torch.serialization.safe_globals([slice])


def deepmd(pot: Potential, files: dict, device: str):
    from deepmd.calculator import DP

    with e3nn_constants_allowed():  # DP imports deepmd's PyTorch descriptors (and so e3nn) on first use
        return DP(model=str(files["model"]))
