"""The command line's text forms turned into the library's Python values, with the command line's errors.

``--cutoff P-S=2.6`` -> ``{frozenset({"P", "S"}): 2.6}``, ``--frames 10:100`` -> ``slice(10, 100)``,
``--temperatures 600,700`` -> ``[600.0, 700.0]``, ``--fit 0.2:0.8`` -> ``(0.2, 0.8)``, ``--types Na,P`` ->
``["Na", "P"]``, ``--file eam=Cu.eam.alloy`` -> ``{"eam": "Cu.eam.alloy"}``. Each error names the option
as the user typed it; the library checks the values again in its own (Python) words.
"""

from __future__ import annotations

from lammpskit.errors import UserError


def element_list(text: str | None) -> list[str] | None:
    """``"Na,P,S,O"`` -> element names (types 1, 2, 3, 4; a registry entry's elements)."""
    from lammpskit.analysis.checks import element

    if not text:
        return None
    return [element(t.strip()) for t in text.split(",")]


def pairs(items: list[str] | None, option: str, example: str, hi: float = 10.0) -> dict | None:
    """``["P-S=2.6", ...]`` -> ``{frozenset({"P", "S"}): 2.6}``: element pairs to distances in Å (0 < d <= hi)."""
    from lammpskit.analysis.checks import distance, element
    from lammpskit.analysis.errors import InputError

    if not items:
        return None
    out = {}
    for item in items:
        pair, sep, value = item.partition("=")
        els = pair.split("-")
        if not sep or len(els) != 2:
            raise InputError(f"{option} {item!r}: expected A-B=distance in Å, e.g. {example}")
        out[frozenset(element(e.strip()) for e in els)] = distance(value, f"{option} {pair}", hi)
    return out


def frames(text: str, option: str = "--frames"):
    """``last`` | ``all`` | ``A:B`` or ``A:B:STEP`` (a Python slice over frame indices)."""
    from lammpskit.analysis.errors import InputError

    if text in ("last", "all"):
        return text
    parts = text.split(":")
    try:
        if not 2 <= len(parts) <= 3:
            raise ValueError
        bounds = [int(p) if p.strip() else None for p in parts]
    except ValueError:
        raise InputError(f"{option} {text!r}: expected last, all or A:B (frame indices, e.g. 10:100)") from None
    if len(bounds) == 3 and bounds[2] == 0:
        raise InputError(f"{option} {text!r}: the step of A:B:STEP cannot be 0")
    return slice(*bounds)


def frames_names(text: str) -> dict:
    """``options(...)`` names for the library's ``frames`` errors: the option as typed."""
    return {"frames": lambda tail: f"--frames {text!r}"}


def temperatures(text: str) -> list[float]:
    """``"600,700,800"`` -> temperatures in K (the library wants at least two)."""
    from lammpskit._util import validate

    try:
        return [validate.number(t, "--temperatures", 1, 1e5) for t in text.split(",")]
    except Exception:
        raise UserError(f"--temperatures {text!r}: expected K values like 600,700,800") from None


def fit_window(text: str) -> tuple[float, float]:
    """``"0.2:0.8"`` -> the MSD fit window (A, B) as fractions of the longest lag."""
    try:
        lo, hi = (float(v) for v in text.split(":"))
        if not 0 <= lo < hi <= 1:
            raise ValueError
    except ValueError:
        raise UserError(f"--fit {text!r}: expected A:B with 0 <= A < B <= 1, e.g. 0.2:0.8") from None
    return lo, hi


def numbers(text: str, option: str) -> list[float]:
    """``"300,400,600"`` -> numbers (comma-separated; empty items are skipped)."""
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UserError(f"{option} must be numbers separated by commas, got {text!r}") from None


def key_paths(items: list[str] | None) -> dict[str, str] | None:
    """``["eam=Cu.eam.alloy", ...]`` (``--file KEY=PATH``) -> ``{"eam": "Cu.eam.alloy"}``."""
    from lammpskit.potentials.schema import FILE_KEY_RE

    if not items:
        return None
    out = {}
    for item in items:
        key, sep, path = item.partition("=")
        if not sep or not FILE_KEY_RE.fullmatch(key):
            raise UserError(f"--file {item!r}: expected KEY=PATH with a lower-case key, e.g. eam=Cu.eam.alloy")
        out[key] = path
    return out


def settings(items: list[str] | None) -> dict | None:
    """``--set KEY=VALUE`` (repeated) -> protocol settings, each converted to its parameter's type."""
    from lammpskit.workflows import protocol

    return protocol.parse_settings(items) if items else None
