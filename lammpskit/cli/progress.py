"""The command line's progress displays; each implements ``lammpskit.progress.Progress`` (start, stage,
advance, finish), which the library calls.

``RunProgress``: a run's rich bar with ETA and the latest T (K), P (bar), density (g/cm^3). Where stderr is
not a terminal (SLURM and CI logs) a live bar would be cut to its width and redrawn into the file; there the
same facts are plain lines instead (``PlainLines``), one every ``PLAIN_EVERY_S`` seconds or tenth of the run,
whichever comes first. ``FramesBar`` (the analyses, the audit), ``Cp2kBar`` (DFT labels, the cutoff scan),
``EpochBar`` (fine-tuning) and ``DownloadBar`` (potentials fetch) are transient bars; ``CampaignProgress``
is the live table of 'campaign run'.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

PLAIN_EVERY_S = 30.0


def _live_text(live: dict | None) -> str:
    return f"T {live['temp']:7.1f} K  P {live['press']:9.1f} bar  ρ {live['density']:.3f} g/cm³" if live else ""


class PlainLines:
    """Periodic progress lines for a log file: ``stage step N/M (p %), elapsed, ETA, T P ρ``."""

    def __init__(self, console: Console, every_s: float = PLAIN_EVERY_S):
        self.console, self.every_s = console, every_s
        self.t0 = self.last_t = time.monotonic()
        self.total, self.first, self.last_tenth, self.current = 1, 0, -1, ""

    def start(self, total: int, done: int = 0, unit: str = "") -> None:
        """Count from ``done`` of ``total`` steps (the rate leaves out those done before)."""
        self.total, self.first = max(total, 1), done
        self.t0 = self.last_t = time.monotonic()

    def stage(self, name: str) -> None:
        """Name the lines after this stage."""
        self.current = name

    def advance(self, done: int, info: dict | None = None, force: bool = False) -> None:
        """A line when ``every_s`` has passed or a new tenth is reached (or ``force``)."""
        step, live = done, info
        now = time.monotonic()
        tenth = int(10 * step / self.total)
        if not force and now - self.last_t < self.every_s and tenth == self.last_tenth:
            return
        self.last_t, self.last_tenth = now, tenth
        elapsed = now - self.t0
        rate = (step - self.first) / elapsed if elapsed > 0 else 0
        eta = f"ETA {(self.total - step) / rate:.0f} s" if rate > 0 and step < self.total else "ETA -"
        self.console.print(f"{self.current or 'run'} step {step}/{self.total} ({100 * step / self.total:.0f} %), "
                           f"{elapsed:.0f} s, {eta}  {_live_text(live)}".rstrip(), highlight=False, soft_wrap=True)

    def finish(self) -> None:
        """Nothing to close."""


class RunProgress:
    """A run's bar, or plain lines where stderr is a log (``lk.run(..., progress=RunProgress())``)."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.plain = None if self.console.is_terminal else PlainLines(self.console)
        self.bar = Progress(TextColumn("[bold]{task.fields[stage]:<10}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                            TextColumn("{task.fields[live]}"), console=self.console, transient=False)
        self.task = None
        self.current = ""

    def start(self, total: int, done: int = 0, unit: str = "") -> None:
        """Show the bar from step ``done`` of ``total`` (a resumed run says so)."""
        step = done
        if self.plain:
            self.plain.start(total, step)
            self.task = "plain"
            if step:
                self.console.print(f"resuming from step {step}")
            return
        self.bar.start()
        self.task = self.bar.add_task("run", total=max(total, 1), completed=step, stage="start", live="")
        if step:
            self.console.print(f"resuming from step {step}")

    def stage(self, name: str) -> None:
        """A line for the stage that ended; the bar names the new one."""
        if self.current and self.current != name:
            self.console.print(f"  {self.current} done")
        self.current = name
        if self.plain:
            self.plain.stage(name)
            return
        self.bar.update(self.task, stage=name)

    def advance(self, done: int, info: dict | None = None) -> None:
        """Step ``done`` reached; ``info``: the latest ``temp`` (K), ``press`` (bar), ``density`` (g/cm^3)."""
        if self.plain:
            self.plain.advance(done, info)
            return
        self.bar.update(self.task, completed=done, live=_live_text(info))

    def finish(self) -> None:
        """Stop the bar (it stays on screen)."""
        if self.task is not None and not self.plain:
            self.bar.stop()
            self.console.file.flush()


class _Bar:
    """A transient rich bar over ``total`` items, one per ``start``; disabled with ``quiet`` (--json). A
    subclass gives its columns (``columns``) and may refuse a bar (``shown``)."""

    def __init__(self, quiet: bool = False):
        self.quiet, self.bar, self.task = quiet, None, None

    def columns(self) -> tuple:
        raise NotImplementedError

    def shown(self, total: int) -> Console | None:
        """The console to draw on (stdout), None for no bar."""
        return None if self.quiet else Console()

    def start(self, total: int, done: int = 0, unit: str = "") -> None:
        """A bar over ``total`` items, ``done`` of them finished before (not part of the ETA's rate)."""
        self.finish()
        console = self.shown(total)
        if console is None:
            return
        self.bar = Progress(*self.columns(), console=console, transient=True)
        self.bar.start()
        self.task = self.bar.add_task("", total=total, completed=done)

    def stage(self, name: str) -> None:
        """Not shown."""

    def advance(self, done: int, info: dict | None = None) -> None:
        """``done`` items finished (``info``, e.g. CP2K's ``wall_s``, is not shown: the bar keeps its clock)."""
        if self.bar is not None:
            self.bar.update(self.task, completed=done)

    def finish(self) -> None:
        """Take the bar off the screen."""
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


class FramesBar(_Bar):
    """A transient bar over analysed frames on stderr; none with ``quiet`` (--json), for fewer than two frames
    or where stderr is not a terminal. Each ``start`` opens a new bar (the audit: one per potential)."""

    def shown(self, total: int) -> Console | None:
        console = Console(stderr=True)
        return None if self.quiet or total < 2 or not console.is_terminal else console

    def columns(self) -> tuple:
        return TextColumn("frames"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()


class Cp2kBar(_Bar):
    """A transient 'CP2K frame k/N' bar with an ETA (stdout); disabled with ``quiet`` (--json)."""

    def columns(self) -> tuple:
        return TextColumn("CP2K"), BarColumn(), TextColumn("frame {task.completed}/{task.total}"), TimeRemainingColumn()


class EpochBar(_Bar):
    """A transient 'fine-tuning epoch k/N' bar (stdout); disabled with ``quiet`` (--json)."""

    def columns(self) -> tuple:
        return TextColumn("fine-tuning"), BarColumn(), TextColumn("epoch {task.completed}/{task.total}")


class DownloadBar:
    """Transient download bars (stdout), one line per file (``stage`` names it), bytes and speed; disabled with
    ``quiet`` (--json). A context manager: the bars stay up until the command leaves it."""

    def __init__(self, quiet: bool = False):
        self.bar = Progress("{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                            disable=quiet, transient=True)
        self.task = None

    def __enter__(self) -> DownloadBar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)

    def stage(self, name: str) -> None:
        """A new line for the file ``name``."""
        self.task = self.bar.add_task(name, total=None)

    def start(self, total: int, done: int = 0, unit: str = "") -> None:
        """The file's size in bytes (0: unknown), ``done`` of them fetched before."""
        if self.task is None:
            self.stage("")
        self.bar.update(self.task, total=total or None)

    def advance(self, done: int, info: dict | None = None) -> None:
        """``done`` bytes so far."""
        if self.task is not None:
            self.bar.update(self.task, completed=done)

    def finish(self) -> None:
        """The file's line stays until the command ends."""


class CampaignProgress:
    """A live table for 'campaign run': cases done / running / failed / to do with an ETA, and each
    running case's stage with its latest T (K), P (bar) and density (g/cm^3); where stderr is a log, a
    counts line when they change."""

    def __init__(self, console: Console | None = None):
        from rich.live import Live

        self.console = console or Console(stderr=True)
        self.live = Live(console=self.console, refresh_per_second=2, transient=False)
        self.started = False
        self.plain = not self.console.is_terminal
        self.last_t, self.last_title = 0.0, ""

    def start(self, total: int, done: int = 0, unit: str = "") -> None:
        """Nothing yet: the first snapshot starts the table."""

    def stage(self, name: str) -> None:
        """Not shown (each running case's stage is in the snapshot)."""

    def advance(self, done: int, info: dict | None = None) -> None:
        """Show the runner's snapshot ``info`` (``counts``, ``running``, ``eta_s`` in s)."""
        from rich.table import Table

        if info is None:
            return
        snap = info

        if self.plain:  # a log: the counts line when it changes, at most every PLAIN_EVERY_S seconds
            c = snap["counts"]
            line = f"cases: {c['done']}/{c['cases']} done, {c['running']} running, {c['failed']} failed"
            now = time.monotonic()
            if line != self.last_title and (now - self.last_t >= PLAIN_EVERY_S or not self.last_title):
                self.console.print(line, highlight=False, soft_wrap=True)
                self.last_t, self.last_title = now, line
            return
        if not self.started:
            self.live.start()
            self.started = True
        c = snap["counts"]
        eta = snap.get("eta_s")
        title = (f"cases: {c['done']}/{c['cases']} done, {c['running']} running, {c['failed']} failed, "
                 f"{c['todo'] + c['stopped']} to do" + (f" · ETA {eta / 60:.1f} min" if eta else ""))
        t = Table(title=title, title_justify="left")
        for col in ("case", "stage", "T (K)", "P (bar)", "ρ (g/cm³)", "elapsed"):
            t.add_column(col)
        for r in snap["running"]:
            live = r.get("live") or {}
            cells = [format(live[k], f) if k in live else "–" for k, f in (("Temp", ".0f"), ("Press", ".0f"),
                                                                            ("Density", ".3f"))]
            t.add_row(r["label"], r["stage"], *cells, f"{r['elapsed_s']:.0f} s")
        self.live.update(t)

    def finish(self) -> None:
        """Stop the table; what is printed next (an ``error:`` line after a signal) starts on a line of its own."""
        if self.started:
            self.live.stop()
            self.console.line()
            self.console.file.flush()
