"""Checks on values the analysis is given: element symbols and distances (Å)."""

from __future__ import annotations

import math

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


def pair_values(items: list[str] | None, what: str, example: str, hi: float = 10.0) -> dict[frozenset, float]:
    """``["P-S=2.6", ...]`` -> ``{frozenset({"P", "S"}): 2.6}``: element pairs to distances in Å (0 < d <= hi)."""
    out = {}
    for item in items or []:
        pair, sep, value = item.partition("=")
        els = pair.split("-")
        if not sep or len(els) != 2:
            raise InputError(f"{what} {item!r}: expected A-B=distance in Å, e.g. {example}")
        out[frozenset(element(e.strip()) for e in els)] = distance(value, f"{what} {pair}", hi)
    return out
