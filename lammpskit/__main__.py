"""``python -m lammpskit`` = the ``lammpskit`` command."""

from .cli import main

main()
