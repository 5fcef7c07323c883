"""Checks for everything a user types before it reaches a deck or a script.

LAMMPS decks have a ``shell`` command and job scripts are shell, so names and
paths are refused unless they are plainly safe.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from lammpskit.errors import UserError

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._+-]{0,63}$")
WORD_RE = re.compile(r"^[A-Za-z0-9_.:+-]{1,128}$")  # a SLURM name, a model head: one plain word
# characters allowed in a path that may be written into a deck or script
SAFE_PATH_RE = re.compile(r"^[A-Za-z0-9_./+,=@~-]+$")
from lammpskit.analysis.checks import ELEMENTS  # noqa: E402  (one element table)


def name(value: str, what: str = "name") -> str:
    """A registry-style name: lower-case letters, digits, ``._+-``; no spaces."""
    if not isinstance(value, str) or not NAME_RE.fullmatch(value):
        raise UserError(
            f"{what} {value!r} is not allowed: use lower-case letters, digits and . _ + - "
            "(at most 64 characters, no spaces, newlines or ;)"
        )
    return value


def word(value: str, what: str) -> str:
    """One plain word: letters, digits and ``_ . : + -`` (a SLURM partition, a MACE head)."""
    if not isinstance(value, str) or not WORD_RE.fullmatch(value):
        raise UserError(f"{what} {value!r} is not allowed: one word of letters, digits and _ . : + - only")
    return value


def path(value: str | Path, what: str = "path") -> Path:
    """A path that is safe to write into a LAMMPS deck or a shell script."""
    text = str(value)
    if not SAFE_PATH_RE.fullmatch(text):
        raise UserError(
            f"{what} {text!r} is not allowed: use letters, digits and _ . / + , = @ ~ - only "
            "(no spaces, newlines, ;, quotes, $ or backticks)"
        )
    return Path(text)


def number(value: float, what: str, lo: float | None = None, hi: float | None = None,
           lo_open: bool = False) -> float:
    """A finite float inside [lo, hi] (``lo_open``: strictly above lo)."""
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise UserError(f"{what} must be a number, got {str(value)[:40]!r}") from None
    if not math.isfinite(v):
        raise UserError(f"{what} must be finite, got {value!r}")
    if lo is not None and (v <= lo if lo_open else v < lo):
        raise UserError(f"{what} must be {'>' if lo_open else '>='} {lo:g}, got {v:g}")
    if hi is not None and v > hi:
        raise UserError(f"{what} must be <= {hi:g}, got {v:g}")
    return v


def integer(value: int, what: str, lo: int | None = None, hi: int | None = None) -> int:
    """An int inside [lo, hi]."""
    try:
        v = int(value)
        if v != float(value):
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise UserError(f"{what} must be a whole number, got {str(value)[:40]!r}") from None
    if lo is not None and v < lo:
        raise UserError(f"{what} must be >= {lo}, got {v}")
    if hi is not None and v > hi:
        raise UserError(f"{what} must be <= {hi}, got {v}")
    return v


def listed(value, what: str) -> list:
    """The items of a list argument of the API; one string or path is a list of one (not of its characters)."""
    if isinstance(value, (str, Path)):
        return [value]
    if value is None:
        return []
    try:
        return list(value)
    except TypeError:
        raise UserError(f"{what} must be a list, got {type(value).__name__}") from None


def choice(value, options, what: str):
    """``value`` if it is one of ``options``."""
    if value not in options:
        listed = [str(o) for o in options]
        raise UserError(f"{what} must be {', '.join(listed[:-1])} or {listed[-1]}, got {value!r}")
    return value


def element(value: str) -> str:
    """A chemical element symbol (H..Bi)."""
    if value not in ELEMENTS:
        raise UserError(f"{value!r} is not an element symbol (e.g. Na, P, S, O)")
    return value
