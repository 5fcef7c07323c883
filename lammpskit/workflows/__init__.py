"""Workflows on a run directory: the melt-quench, elastic constants, diffusion, analysis of a finished run.

``WORKFLOWS`` is the one table of protocols the engine can run: each says
which dataclass holds its parameters (units in its field comments), whether its deck resumes from
restart points, which files its deck writes and where it renders and computes its result. ``run(run_dir)`` runs or resumes any run
directory with the workflow its ``run.json`` names.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lammpskit._util import layout

if TYPE_CHECKING:
    from lammpskit.run.result_types import RunResult

from lammpskit.progress import Progress


@dataclass(frozen=True)
class Workflow:
    """A protocol as the engine sees it (``lammpskit.run.engine.Workflow``)."""

    name: str
    module: str                 # holds ``render(...)`` and ``result(run_dir, man, stats)``
    params: str                 # "module:Class" of its parameter dataclass (run.json ``params``)
    resumable: bool             # restart points: a stopped run resumes; otherwise it starts again
    outputs: tuple[str, ...]    # files the deck writes besides log.lammps and stage dumps

    def result(self, run_dir: Path, man, stats) -> dict:
        """The workflow's result of a finished run (``man``: its ``Manifest``; ``stats``: the engine's RunStats)."""
        return importlib.import_module(self.module).result(run_dir, man, stats)

    @property
    def params_class(self) -> type:
        module, _, name = self.params.partition(":")
        return getattr(importlib.import_module(module), name)


WORKFLOWS = {w.name: w for w in (
    Workflow("quench", "lammpskit.workflows.quench", "lammpskit.workflows.protocol:Params",
             resumable=True, outputs=(layout.GLASS_DATA,)),
    Workflow("elastic", "lammpskit.workflows.elastic", "lammpskit.workflows.elastic:ElasticParams",
             resumable=False, outputs=(layout.STRESS,)),
    Workflow("diffusion", "lammpskit.workflows.diffusion", "lammpskit.workflows.diffusion:DiffusionParams",
             resumable=False, outputs=()),
)}


def get(name: str) -> Workflow:
    """The workflow called ``name`` (a run.json ``protocol``)."""
    from lammpskit.errors import UserError

    if name not in WORKFLOWS:
        raise UserError(f"unknown protocol {name!r} in run.json (known: {', '.join(WORKFLOWS)})")
    return WORKFLOWS[name]


def record(run_dir: str | Path) -> RunResult:
    """The result of a run that LAMMPS finished outside the kit (``lmp -in``, a native SLURM job), written
    to result.json as ``run`` would have; a user error if the log shows the run unfinished."""
    from lammpskit.run import manifest, result_types
    from lammpskit.run.engine import record as record_run

    protocol = manifest.load(Path(run_dir)).protocol
    return result_types.for_protocol(protocol).from_dict(record_run(run_dir, get(protocol)), run_dir)


def run(run_dir: str | Path, threads: int | None = None, device: str = "cpu", progress: Progress | None = None,
        trust_deck: bool = False) -> RunResult:
    """Run or resume ``run_dir`` (any workflow) in this process; returns its result (also in result.json)
    (``lk.run``).

    Args:
        run_dir (str | Path): a run directory made by ``render_quench`` (or any workflow).
        threads (int | None): OpenMP/torch threads (default: the cores this process may use).
        device (str): ``cpu`` or ``cuda`` for bridged models.
        progress (Progress | None): told the MD steps (``lk.Progress``: ``stage`` per MD stage, ``advance(step,
            info)`` with ``temp`` K, ``press`` bar, ``density`` g/cm³).
        trust_deck (bool): run a deck that changed since it was rendered or that runs programs (only decks
            you wrote or trust).

    Returns:
        RunResult: the protocol's typed result (``QuenchResult``, ``ElasticResult``, ``DiffusionResult``);
        ``to_dict()`` is ``lammpskit run --json``.

    Raises:
        UserError: the run directory or its deck is refused.
        RunFailed: LAMMPS stopped with an error.
        Interrupted: a signal stopped the run (a quench resumes from its restart).
        ModelError: the model could not be loaded.
    """
    from lammpskit.run import manifest, result_types
    from lammpskit.run.engine import Engine

    man = manifest.load(Path(run_dir))
    data = Engine(run_dir, get(man.protocol), threads=threads, device=device, progress=progress,
                  trust_deck=trust_deck).run()
    return result_types.for_protocol(man.protocol).from_dict(data, run_dir)
