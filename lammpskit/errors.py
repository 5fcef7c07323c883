"""The failures the kit reports, as classes a caller can branch on.

Two roots, which the command line turns into exit codes, extend the analysis's own pair
(``lammpskit.analysis.errors``, which knows nothing of the rest of the kit), so catching
``InputError``/``ReadError`` catches both layers::

    Error                       every failure the kit reports deliberately
    ├── InputError              bad input (exit 2)
    │   └── UserError           ... found by the kit outside the analysis
    └── ReadError               a file or a run that failed part-way (exit 1)
        └── RunError            a run, a download or a tool that failed while working
            ├── ModelError      a model file that cannot be loaded (its package refused it)
            ├── RunFailed       a LAMMPS run that stopped with an error (run.json says failed)
            └── Interrupted     a run stopped by a signal (run.json says stopped; run it again to resume)

Messages name the caller's parameters in Python's vocabulary (``select_n must be >= 1``); ``param``
marks them so that the command line can name its options instead (``--select must be >= 1``).
"""

from lammpskit.analysis.errors import Error, InputError, ReadError, param, plain


class UserError(InputError):
    """Bad input: the CLI prints ``error: <message>`` and exits with 2."""


class RunError(ReadError):
    """A run that failed while working: ``error: <message>``, exit 1."""


class ModelError(RunError):
    """A model file that its package could not load (a corrupt or incompatible checkpoint, a missing package)."""


class RunFailed(RunError):
    """A LAMMPS run that stopped with an error; its run.json says ``failed`` (it resumes from the last restart)."""


class Interrupted(RunError):
    """A run stopped by a signal (SIGINT, SIGTERM) after writing a restart where its deck has them."""


__all__ = ["Error", "InputError", "Interrupted", "ModelError", "ReadError", "RunError", "RunFailed", "UserError",
           "param", "plain"]
