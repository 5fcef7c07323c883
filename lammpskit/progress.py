"""One progress protocol for every long library call (``lk.Progress``).

``Progress`` (the protocol), ``NullProgress`` (shows nothing), ``or_null`` and ``counting`` (helpers for
library code). The library never draws anything: the command line's displays (``lammpskit/cli/progress.py``)
implement the protocol. This module imports nothing from lammpskit, so any layer may use it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Protocol, runtime_checkable


@runtime_checkable
class Progress(Protocol):
    """What a long library call reports to: any object with these four methods.

    A function that runs for a while (an MD run, an analysis over frames, CP2K labels, training epochs, a
    download, a campaign) takes ``progress: Progress | None = None`` and reports through these four calls only:

    - ``start(total, done, unit)`` once the amount of work is known: ``total`` things to do (0: unknown), of
      which ``done`` are done already (a resumed run or download, frames labelled before), counted in ``unit``;
    - ``stage(name)`` when a named part begins (an MD stage such as ``melt``, the file a download fetches);
    - ``advance(done, info)`` as work gets done: ``done`` is the count so far (not an increment), ``info`` a
      dict of live facts or None;
    - ``finish()`` when the work is over, also after an error (and possibly without a ``start`` before it).

    A call may run several passes, ``start`` ... ``finish`` each (the audit: one per potential; a potential's
    fetch: one per file, each named by ``stage`` just before its ``start``). ``None`` means silence; the
    command line passes its displays (``lammpskit/cli/progress.py``).

    What each caller counts (``unit``) and the ``info`` it gives:

    - ``lk.run``, ``lk.quench``, ``lk.elastic``, ...: ``step`` (``command`` for a deck without step markers,
      which counts its run/minimize commands); info ``temp`` (K), ``press`` (bar), ``density`` (g/cm³) or None;
    - the analyses and ``lk.audit``: ``frame``; no info;
    - ``lk.label_dft``: ``frame``, ``lk.converge_dft``: ``run``; info ``wall_s``, seconds since the first CP2K
      run of the call began;
    - ``lk.finetune_mace``, ``lk.finetune_sevenn``: ``epoch``; no info;
    - downloads (``lammpskit.potentials.fetch``): ``byte`` (``total`` 0 when the server does not say); no info;
    - a campaign run here (``lammpskit.study.local``): ``case``; info the runner's snapshot: ``counts``,
      ``running`` (each case's stage and latest thermo), ``eta_s`` (s).

    Example:
        ```python
        class Log:
            def start(self, total, done=0, unit=""): print(f"{done}/{total} {unit}")
            def stage(self, name): print(name)
            def advance(self, done, info=None): print(done, info or "")
            def finish(self): print("done")

        lk.analyze_units("dump.lammpstrj", frames="all", progress=Log())
        ```
    """

    def start(self, total: int, done: int = 0, unit: str = "") -> None:
        """The work begins: ``total`` things to do (0: unknown), ``done`` of them already done, in ``unit``
        (``step``, ``frame``, ``epoch``, ``byte``, ``case``, ...)."""

    def stage(self, name: str) -> None:
        """A named part of the work begins (an MD stage, the file being fetched)."""

    def advance(self, done: int, info: dict | None = None) -> None:
        """``done`` things are done so far (a count, not an increment); ``info``: live facts in the units listed
        on the class (MD: ``temp`` K, ``press`` bar, ``density`` g/cm³; DFT: ``wall_s`` s) or None."""

    def finish(self) -> None:
        """The work is over (finished or failed); may come without a ``start``."""


class NullProgress:
    """A ``Progress`` that shows nothing (what ``progress=None`` means)."""

    def start(self, total: int, done: int = 0, unit: str = "") -> None:
        """Nothing."""

    def stage(self, name: str) -> None:
        """Nothing."""

    def advance(self, done: int, info: dict | None = None) -> None:
        """Nothing."""

    def finish(self) -> None:
        """Nothing."""


def or_null(progress: Progress | None) -> Progress:
    """``progress``, or a ``NullProgress`` for None: ``progress = or_null(progress)`` then call it freely."""
    return NullProgress() if progress is None else progress


@contextlib.contextmanager
def counting(progress: Progress | None, total: int, done: int = 0, unit: str = "") -> Iterator[Progress]:
    """``start(total, done, unit)`` on entry and ``finish()`` on leaving, also on an error; yields the
    ``Progress`` (a ``NullProgress`` for None) to ``advance``."""
    progress = or_null(progress)
    progress.start(total, done, unit)
    try:
        yield progress
    finally:
        progress.finish()
