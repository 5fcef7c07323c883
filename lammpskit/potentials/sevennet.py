"""SevenNet (sevenn): the bridge calculator and ``sevenn get_model`` deployments for LAMMPS.

sevenn lives in its own side folder (``lammpskit.potentials.extras``: e3nn 0.5 must shadow mace's 0.4.4),
which the caller enables first (``calculators.build``; the ``get_model`` child below). sevenn reads checkpoints with
``torch.load(weights_only=False)`` (unpickling runs code); ``weights_only()`` makes it read them with torch's
weights-only unpickler instead, allowing only what the shipped checkpoints hold besides tensors and plain
containers: numpy arrays of numeric dtypes. The files are also checked against their sha256 first.

``deploy`` runs sevenn's own ``sevenn get_model`` CLI in a child process with the side folder and the
weights-only loader in place.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from lammpskit.errors import UserError


def _allowed() -> list:
    """What a sevenn checkpoint may hold besides tensors and plain containers: numeric numpy arrays."""
    import numpy as np
    from numpy._core import multiarray

    return [(multiarray._reconstruct, "numpy.core.multiarray._reconstruct"), multiarray._reconstruct,
            np.ndarray, np.dtype, *(type(np.dtype(t)) for t in ("float64", "float32", "int64", "int32", "bool"))]


def load_weights_only(f, *args, weights_only=None, **kwargs):  # noqa: ARG001 - sevenn passes weights_only=False
    """``torch.load`` with the weights-only unpickler (no sevenn needed: the raw checkpoint dict)."""
    import torch

    with torch.serialization.safe_globals(_allowed()):
        return torch.load(f, *args, weights_only=True, **kwargs)


def weights_only() -> None:
    """Make sevenn's checkpoint reader use torch's weights-only unpickler (numeric numpy arrays allowed)."""
    import sevenn.checkpoint as checkpoint

    checkpoint.torch_load = load_weights_only


def calculator(pot, files: dict, device: str):
    """``SevenNetCalculator`` on the entry's checkpoint (``[bridge] modal`` for multi-fidelity models)."""
    import warnings

    weights_only()
    from sevenn.calculator import SevenNetCalculator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "no tensor-product accelerator" (cuEquivariance, FlashTP)
        try:
            return SevenNetCalculator(model=str(files["model"]), modal=pot.bridge.modal, device=device)
        except ValueError as exc:  # unknown or missing modality
            raise UserError(f"potential {pot.name!r}: {exc} (set [bridge] modal in {pot.source})") from None


def deploy(source: Path, dest: Path, spec, mliap: bool) -> None:
    """``sevenn get_model SOURCE [--modal spec.head] [--use_mliap]`` -> ``dest``: TorchScript for ``pair_style
    e3gnn`` (LAMMPS patched with ``sevenn patch_lammps``), or the pickled ML-IAP module for ``pair_style mliap
    unified DEST 0`` (LAMMPS with ML-IAP and PYTHON)."""
    from lammpskit._util.tools import run_tool

    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        code = ("import sys; from lammpskit.potentials import extras; extras.enable('sevenn'); "
                "from lammpskit.potentials.sevennet import main; main(sys.argv[1:])")
        cmd = [sys.executable, "-c", code, "get_model", str(source), "-o", "out.pt"]
        if spec.head:
            cmd += ["--modal", spec.head]
        if mliap:
            cmd.append("--use_mliap")
        run_tool(cmd, "sevenn get_model", cwd=Path(tmp), timeout=1800)
        (Path(tmp) / "out.pt").replace(dest)


def main(argv: list[str]) -> None:
    """``sevenn ARGV`` with checkpoints read weights-only (the side folder is already first on the path)."""
    weights_only()
    from sevenn.main.sevenn import main as sevenn_main

    sys.argv = ["sevenn", *argv]
    sevenn_main()
