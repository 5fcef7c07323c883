"""The two kinds of failure the CLI distinguishes (exit 2 and exit 1).

They extend the analysis's own pair (``lammpskit.analysis.errors``), which
knows nothing of the rest of the kit: catching ``InputError``/``ReadError``
catches both layers.
"""

from lammpskit.analysis.errors import InputError, ReadError


class UserError(InputError):
    """Bad input: the CLI prints ``error: <message>`` and exits with 2."""


class RunError(ReadError):
    """A run that failed while working: ``error: <message>``, exit 1."""


__all__ = ["InputError", "ReadError", "RunError", "UserError"]
