"""Audit potentials on the same frames (``lk.audit``): ``core`` runs it, ``frames`` reads and classifies
the frames, ``metrics`` computes the errors and the committee spread.

The import system sets ``lammpskit.audit`` to this package whenever one of its modules is imported, and
``lk.audit`` is the function: so the package, called, is ``core.audit`` (as ``lammpskit.run`` is).
"""

import inspect
import sys
import types

from lammpskit.audit.core import audit

__all__ = ["audit"]
__signature__ = inspect.signature(audit)


class _Package(types.ModuleType):
    """This package, callable as ``lammpskit.audit.core.audit``."""

    def __call__(self, *args, **kwargs) -> dict:
        return audit(*args, **kwargs)


sys.modules[__name__].__class__ = _Package
