"""``result.json`` (and the analysis's JSON files): what a finished run gave, checked when read.

A result is a table whose keys carry their units (``density_g_cm3``, ``Tg_K``, ``B_GPa``, ...). Run folders
are shared, so a result file is untrusted input: ``read`` (and ``check``, which the typed results of
``lammpskit.run.result_types`` call on every table they read) refuses anything but JSON tables of short keys,
numbers, texts without control characters, lists and nested tables (bounded depth and size), and a
unit-suffixed key holding text. A number that is not finite (an error estimate from too few samples) is
written and read as null: JSON has no NaN. The report renders these values into HTML and the terminal,
so no control characters pass.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from lammpskit._util.files import write_json
from lammpskit.errors import UserError

MAX_BYTES = 64 * 2**20   # a result file larger than this is not one the kit wrote
MAX_DEPTH = 8
KEY_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,120}$")  # printable, short
# suffixes of keys whose values are numbers (or tables/lists of numbers), never text
UNIT_SUFFIXES = ("_K", "_GPa", "_g_cm3", "_eV", "_eV_atom", "_eV_A", "_A3", "_s", "_ps", "_fs", "_bar",
                 "_cm2_s", "_S_cm", "_A")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def check(value, where: str, depth: int = 0, numeric: bool = False):
    """Refuse what the kit never writes into a result (see the module doc); returns ``value`` with
    non-finite numbers as None."""
    if depth > MAX_DEPTH:
        raise UserError(f"{where}: nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and not math.isfinite(value) else value
    if isinstance(value, str):
        if numeric:
            raise UserError(f"{where} must be a number, got text {value[:40]!r}")
        if len(value) > 20000 or CONTROL_RE.search(value):
            raise UserError(f"{where}: text with control characters or over 20 000 characters")
        return value
    if isinstance(value, list):
        return [check(v, f"{where}[{i}]", depth + 1, numeric) for i, v in enumerate(value)]
    if isinstance(value, dict):
        for k in value:
            if not KEY_RE.fullmatch(k):
                raise UserError(f"{where}: key {k[:40]!r} is not a plain name")
        return {k: check(v, f"{where}.{k}", depth + 1, numeric or k.endswith(UNIT_SUFFIXES)) for k, v in value.items()}
    raise UserError(f"{where}: unexpected {type(value).__name__}")


def read(path: Path) -> dict:
    """A JSON table the kit wrote into a run folder (result.json, units.json), checked; user error if not."""
    path = Path(path)
    from lammpskit._util import reading

    data = reading.read_json(path, "result file", MAX_BYTES)
    if not isinstance(data, dict):
        raise UserError(f"{path} must hold a JSON table")
    return check(data, str(path))


def save(path: Path, result: dict) -> dict:
    """Write a result table atomically (checked first: the kit writes only what it would accept); returns what
    was written. Typed results: ``lammpskit.run.result_types``."""
    data = check(result, str(path))
    write_json(Path(path), data)
    return data
