"""The analysis's two kinds of failure; ``lammpskit.errors`` builds its own on them.

``InputError``: bad input (a missing file, an unknown element, a bad argument
value); the command line prints ``error: <message>`` and exits with 2.
``ReadError``: a file that failed part-way through; exit 1.

Messages name the caller's parameters in Python's vocabulary (``frames``,
``cutoffs['P-S']``). A message built with ``param(name)`` marks where it names
a parameter: ``str(error)`` shows the Python name, and the command line shows
its own option for it instead (``error.render``, used by ``lammpskit.cli``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePath

# a marked parameter: OPEN name SEP python-text SEP cli-tail CLOSE (private-use characters: never typed)
OPEN, SEP, CLOSE = "\ue000", "\ue001", "\ue002"
_MARK = re.compile(f"{OPEN}([^{OPEN}{SEP}{CLOSE}]*){SEP}([^{OPEN}{SEP}{CLOSE}]*){SEP}([^{OPEN}{SEP}{CLOSE}]*){CLOSE}")
_NO = object()


def _text(value) -> str:
    """A value as a command line spells it: a list as ``a,b,c``, anything else as ``str``."""
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return str(value)


def param(name: str, value=_NO, *, py: str | None = None, cli: str | None = None) -> str:
    """The parameter ``name`` (with its ``value``) marked in an error message.

    ``str(error)`` shows ``py`` (default: ``name`` or ``name=value!r``); the command line shows its option for
    ``name`` followed by ``cli`` (default: ``value`` as typed there, e.g. ``--device cuda``, ``--types Na,P,S``)."""
    if value is _NO:
        text, tail = name, cli or ""
    else:
        text = f"{name}={str(value)!r}" if isinstance(value, PurePath) else f"{name}={value!r}"
        tail = _text(value) if cli is None else cli
    return f"{OPEN}{name}{SEP}{py or text}{SEP}{tail}{CLOSE}"


def plain(text: str) -> str:
    """``text`` with its marked parameters in Python's vocabulary."""
    return _MARK.sub(lambda m: m.group(2), text)


class Error(Exception):
    """Base of every failure the kit reports deliberately (``lammpskit.Error``).

    ``text``: the message with its parameters still marked (``param``); ``str(error)`` is the message in
    Python's vocabulary."""

    def __init__(self, *args):
        self.text = args[0] if args and isinstance(args[0], str) else None
        if self.text is not None and OPEN in self.text:
            args = (plain(self.text), *args[1:])
        super().__init__(*args)

    def render(self, option: Callable[[str, str], str]) -> str:
        """The message with each marked parameter spelled ``option(name, tail)`` (a command line's option
        and the value as typed there; ``tail`` is empty when the message names no value)."""
        if self.text is None:
            return str(self)
        return _MARK.sub(lambda m: option(m.group(1), m.group(3)), self.text)


class InputError(Error):
    """Bad input to an analysis: the command line exits with 2."""


class ReadError(Error):
    """A file that could not be read part-way through: the command line exits with 1."""
