"""Energy, forces and stress of many frames through a potential's bridge calculator, batched where the
family allows it.

``evaluate(pot, frames, batch)`` returns one ``Labels`` per frame: energy (eV), forces (eV/Å, N x 3)
and stress (eV/Å³, 3 x 3, ASE's sign: positive = tensile). ``batch`` > 1 evaluates that many frames in
one model call for the families with a ``batched`` function in ``lammpskit.potentials.families`` (CHGNet:
``predict_structure``; MACE: one torch_geometric batch of graphs); the others (GRACE, DeePMD) and
``batch`` = 1 go one frame at a time through the same ASE calculator the bridge uses, so both paths see
the same model, dtype, head and device. Families marked ``isolated`` (SevenNet, whose side folder must come
first on ``sys.path``) are evaluated in a process of their own (``lammpskit.potentials.isolated``; this
module's ``__main__`` is that process).
"""

from __future__ import annotations

from lammpskit.errors import RunError
from lammpskit.potentials import calculators, families, isolated
from lammpskit.potentials.batching import Labels, single
from lammpskit.potentials.registry import Potential

__all__ = ["Labels", "batchable", "evaluate"]


def _batched(pot: Potential):
    fam = families.get(pot.bridge.calculator) if pot.bridge else None
    return fam.batched if fam else None


def batchable(pot: Potential) -> bool:
    return _batched(pot) is not None


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
    batched = _batched(pot)
    try:
        if batch > 1 and batched is not None:
            return batched(calc, frames, batch, tick)
        return single(calc, frames, tick)
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
