"""One run directory: manifest, rendering, the engine that runs or resumes it, the bridge.

``lk.run(run_dir)`` is this package called: the import system sets ``lammpskit.run`` to this package
whenever one of its modules is imported, so the package itself runs a run directory
(``lammpskit.workflows.run``, which picks the workflow its run.json names).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

from lammpskit.progress import Progress

if TYPE_CHECKING:
    from lammpskit.run.result_types import RunResult


class _Package(types.ModuleType):
    """This package, callable as ``lammpskit.workflows.run``."""

    def __call__(self, run_dir, threads=None, device="cpu", progress: Progress | None = None,
                 trust_deck=False) -> RunResult:
        """Run or resume ``run_dir`` (any workflow); returns its typed result (``lammpskit.run.result_types``),
        also in result.json.

        Args:
            run_dir (str | Path): a run directory (``lk.render_quench``, or any workflow's).
            threads (int | None): OpenMP/torch threads (default: the cores this process may use).
            device (str): ``cpu`` or ``cuda`` for bridged models.
            progress (Progress | None): told the MD steps (``lk.Progress``, as for ``lammpskit.workflows.run``).
            trust_deck (bool): run a deck that changed since it was rendered or that runs programs.
        """
        # looked up by name: the workflows sit above this layer and are imported only when a run starts
        return importlib.import_module("lammpskit.workflows").run(run_dir, threads, device, progress, trust_deck)


sys.modules[__name__].__class__ = _Package
