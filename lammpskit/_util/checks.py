"""Field-by-field checks of values read from TOML and JSON files (registry entries, run.json, site files).

Each helper returns the value or raises one ``UserError`` that names the file and the field. Strings that
may end up in a LAMMPS deck or a shell script are one line without control characters; lists are lists;
numbers are numbers (a bool is not a number, a float is not a count).
"""

from __future__ import annotations

import re

from lammpskit._util import validate
from lammpskit.errors import UserError

CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# a file name inside a run directory: no folder, no leading dot, no shell or LAMMPS specials
PLAIN_FILE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$")
# words of a LAMMPS command argument list written by a registry entry (pair_style, pair_coeff, pre)
DECK_ARGS_RE = re.compile(r"^[A-Za-z0-9_./:{}+*,=@~ -]*$")
SHA256_RE = re.compile(r"[0-9a-f]{64}")  # a sha256 as the kit writes it: 64 lower-case hex digits


def text(value, where: str, max_len: int = 2000, empty: bool = True) -> str:
    """A one-line string: no newline, carriage return, NUL or other control character."""
    if not isinstance(value, str):
        raise UserError(f"{where} must be a string, got {type(value).__name__} {value!r}")
    if CONTROL_RE.search(value):
        raise UserError(f"{where} must be one line without control characters (newline, tab, NUL ...)")
    if len(value) > max_len:
        raise UserError(f"{where} is {len(value)} characters long (at most {max_len})")
    if not empty and not value.strip():
        raise UserError(f"{where} must not be empty")
    return value


def deck_args(value, where: str) -> str:
    """A string written into a LAMMPS command line: plain words only (no ; $ quotes # & newlines)."""
    text(value, where, 500)
    if not DECK_ARGS_RE.fullmatch(value):
        raise UserError(f"{where} {value!r}: only letters, digits, spaces and _ . / : {{ }} + * , = @ ~ - are "
                        "allowed in a LAMMPS line (no newlines, ;, $, #, &, quotes)")
    return value


def str_list(value, where: str, item=None) -> list[str]:
    """A list of one-line strings (``item(value, where)`` checks each further)."""
    if not isinstance(value, list):
        raise UserError(f"{where} must be a list, got {type(value).__name__} {value!r}")
    out = []
    for i, v in enumerate(value):
        out.append((item or text)(v, f"{where}[{i}]"))
    return out


def sha256(value, where: str) -> str:
    """A sha256 digest: 64 lower-case hex digits."""
    if not isinstance(value, str) or not SHA256_RE.fullmatch(value):
        raise UserError(f"{where} is not a sha256 (64 hex digits)")
    return value


def boolean(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise UserError(f"{where} must be true or false, got {value!r}")
    return value


def count(value, where: str, lo: int | None = None, hi: int | None = None) -> int:
    """A whole number given as an integer (not a float, not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(f"{where} must be a whole number, got {type(value).__name__} {value!r}")
    if lo is not None and value < lo:
        raise UserError(f"{where} must be >= {lo}, got {value}")
    if hi is not None and value > hi:
        raise UserError(f"{where} must be <= {hi}, got {value}")
    return value


def real(value, where: str, lo: float | None = None, hi: float | None = None, lo_open: bool = False) -> float:
    """A finite number (int or float, not a bool or a string)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"{where} must be a number, got {type(value).__name__} {value!r}")
    return validate.number(value, where, lo, hi, lo_open)


def table(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise UserError(f"{where} must be a table, got {type(value).__name__}")
    return value


def plain_file(value, where: str) -> str:
    """A file name inside a run directory: no folders, no ``..``, no leading dot or dash, no specials."""
    if not isinstance(value, str) or not PLAIN_FILE_RE.fullmatch(value) or value in (".", ".."):
        raise UserError(f"{where} {value!r} must be a plain file name inside the run directory "
                        "(letters, digits, _ . + -; no folders)")
    return value


def one_of(value, options, where: str):
    if value not in options:
        raise UserError(f"{where} must be one of {', '.join(map(str, options))}, got {value!r}")
    return value
