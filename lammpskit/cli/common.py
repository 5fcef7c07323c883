"""Option types, the library-parameter -> option names of error messages, and output helpers shared by the CLI."""

from __future__ import annotations

import contextlib
import json
from typing import Annotated

import typer

Json = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

# The library names its parameters in errors (lammpskit.errors.param); the command line names its options.
# A parameter not listed here is the option '--' + its name with '-' for '_' (out -> --out, fs_yaml -> --fs-yaml).
OPTIONS = {
    "select_n": "--select",
    "pots": "--pot",
    "paths": "FRAMES",
    "path": "PATH",
    "settings": "--set",
    "nblocks": "--blocks",
    "files": "--file",
    "cutoffs": "--cutoff",
    "cp2k_exe": "--cp2k",
    "models": "--model",
    "sha": "--sha256",
    "keys": "--file",
    "equil_ps": "--equil",      # arrhenius: ps
    "equil_steps": "--equil",   # elastic: MD steps
}


def option(name: str, tail: str = "", names: dict | None = None) -> str:
    """The command line's words for the library parameter ``name`` with the value ``tail`` as typed."""
    spelled = (names or {}).get(name) or OPTIONS.get(name) or "--" + name.replace("_", "-")
    if callable(spelled):
        return spelled(tail)
    return f"{spelled} {tail}" if tail else spelled


@contextlib.contextmanager
def options(**names):
    """Errors of the library calls in this block name these options for its parameters (``name=option`` or
    ``name=lambda tail: words``), over ``OPTIONS``: for a command whose option differs from the usual one."""
    from lammpskit.errors import Error

    try:
        yield
    except Error as exc:
        exc.cli_names = {**names, **getattr(exc, "cli_names", {})}
        raise


def message(exc: Exception) -> str:
    """An error's message in the command line's words (its options for the library's parameters)."""
    from lammpskit.errors import Error

    if not isinstance(exc, Error):
        return str(exc)
    names = getattr(exc, "cli_names", None)
    return exc.render(lambda name, tail: option(name, tail, names))


def echo_json(data) -> None:
    typer.echo(json.dumps(data, indent=2))
