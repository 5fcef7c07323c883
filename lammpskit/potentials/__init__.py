"""Potentials as data: registry entries, pins, what a LAMMPS build runs, calculators, fetch, convert, register.

``get(name)`` returns a registry entry (``Potential``); ``registry.registry()`` all of them.
"""

from lammpskit.potentials.registry import Potential, get

__all__ = ["Potential", "get"]
