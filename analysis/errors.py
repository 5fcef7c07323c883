"""The analysis's two kinds of failure; ``lammpskit.errors`` builds its own on them.

``InputError``: bad input (a missing file, an unknown element, a bad option
value); the command line prints ``error: <message>`` and exits with 2.
``ReadError``: a file that failed part-way through; exit 1.
"""


class InputError(Exception):
    """Bad input to an analysis: the command line exits with 2."""


class ReadError(Exception):
    """A file that could not be read part-way through: the command line exits with 1."""
