"""``python -m lammpskit`` = the ``lammpskit`` command."""

from lammpskit.cli.app import main

main()
