"""The ``lammpskit`` command line (Typer): option parsing, one library call, printing."""

from lammpskit.cli.app import app, main

__all__ = ["app", "main"]
