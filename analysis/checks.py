"""Checks on values the analysis is given: element symbols and distances (Å)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from .errors import InputError

ELEMENTS = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn "
    "Ga Ge As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce "
    "Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi"
).split()


def element(value: str) -> str:
    """A chemical element symbol (H..Bi)."""
    if value not in ELEMENTS:
        raise InputError(f"{value!r} is not an element symbol (e.g. Na, P, S, O)")
    return value


def distance(value, what: str, hi: float = 10.0) -> float:
    """A finite distance in Å, 0 < d <= hi."""
    try:
        d = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(d) or d <= 0 or d > hi:
        raise InputError(f"{what} must be in (0, {hi:g}] Å, got {value!r}")
    return d


def pairs(values, what: str, example: str, hi: float = 10.0) -> dict[frozenset, float]:
    """``{"P-S": 2.6}`` -> ``{frozenset({"P", "S"}): 2.6}``: element pairs to distances in Å (0 < d <= hi).

    A key is ``"A-B"``, a pair ``("A", "B")`` or a frozenset of the two elements (one for ``A-A``); ``what``
    names the argument in errors (``errors.param``), ``example`` shows a valid one; None is no pairs."""
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise InputError(f"{what} must be a dict of element pairs to distances in Å, e.g. {example}, "
                         f"got {type(values).__name__} {values!r:.200}")
    out = {}
    for key, value in values.items():
        els = key.split("-") if isinstance(key, str) else list(key) if isinstance(key, tuple | frozenset) else []
        if not (len(els) == 2 or isinstance(key, frozenset) and len(els) == 1) or not all(isinstance(e, str) for e in els):
            raise InputError(f"{what}[{key!r}]: expected an element pair 'A-B', e.g. {example}")
        if isinstance(value, bool):
            raise InputError(f"{what}[{key!r}] must be a distance in Å, got {value!r}")
        bad = [e for e in els if e.strip() not in ELEMENTS]
        if bad:
            raise InputError(f"{what}[{key!r}]: {bad[0]!r} is not an element symbol (e.g. Na, P, S, O)")
        out[frozenset(e.strip() for e in els)] = distance(value, f"{what}[{key!r}]", hi)
    return out


# Two atoms closer than this (Å) are overlapping: no bond is shorter (H-H in H2 is 0.74 Å), so the frame is
# broken (a failed run, wrong units, a duplicated atom) and its analysis would be meaningless.
OVERLAP_FLOOR = 0.5


def finite_positions(pos, where: str) -> None:
    """Refuse positions (n, 3) in Å with a non-finite coordinate, naming how many and the first."""
    import numpy as np

    bad = ~np.isfinite(np.asarray(pos, float)).all(axis=1)
    if bad.any():
        raise InputError(f"{where}: {int(bad.sum())} atom(s) have non-finite coordinates (nan/inf), "
                         f"the first is atom index {int(np.argmax(bad))}")


def overlap_message(where: str, i: int, j: int, overlap: float) -> str:
    return (f"{where}: atoms {i} and {j} overlap (closer than {overlap} Å, the floor for any "
            "real structure): a broken frame")


def frame(data, where: str, overlap: float | None = OVERLAP_FLOOR) -> None:
    """Refuse a frame with no atoms, non-finite coordinates or cell, unknown element names or atoms closer than
    ``overlap`` Å (None: not checked)."""
    import numpy as np

    n = data.particles.count if data.particles is not None else 0
    if n == 0:
        raise InputError(f"{where}: the frame has no atoms")
    finite_positions(data.particles.positions, where)
    if not np.isfinite(np.asarray(data.cell)).all():
        raise InputError(f"{where}: the cell is not finite")
    ptypes = data.particles.particle_types
    if ptypes is not None:
        for t in ptypes.types:
            if t.name and not t.name.isdigit() and t.name not in ELEMENTS:
                raise InputError(f"{where}: atom type {t.id} is named {t.name!r}, which is not an element symbol")
    if overlap is None:
        return
    from ovito.data import CutoffNeighborFinder

    finder = CutoffNeighborFinder(overlap, data)
    pairs, _vectors = finder.find_all()
    if len(pairs):
        i, j = (int(k) for k in pairs[0])
        raise InputError(overlap_message(where, i, j, overlap))
