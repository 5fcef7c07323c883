"""Live progress for a run: a rich bar with ETA and the latest T (K), P (bar), density (g/cm^3).

Where stderr is not a terminal (SLURM and CI logs) a live bar would be cut to its width and redrawn into
the file; there the same facts are plain lines instead, one every ``PLAIN_EVERY_S`` seconds or tenth of
the run, whichever comes first.
"""

from __future__ import annotations

import contextlib
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

PLAIN_EVERY_S = 30.0


def _live_text(live: dict | None) -> str:
    return f"T {live['temp']:7.1f} K  P {live['press']:9.1f} bar  ρ {live['density']:.3f} g/cm³" if live else ""


class PlainLines:
    """Periodic progress lines for a log file: ``stage step N/M (p %), elapsed, ETA, T P ρ``."""

    def __init__(self, console: Console, every_s: float = PLAIN_EVERY_S):
        self.console, self.every_s = console, every_s
        self.t0 = self.last_t = time.monotonic()
        self.total, self.first, self.last_tenth, self.stage = 1, 0, -1, ""

    def start(self, total: int, step: int) -> None:
        self.total, self.first = max(total, 1), step
        self.t0 = self.last_t = time.monotonic()

    def advance(self, step: int, live: dict | None, force: bool = False) -> None:
        now = time.monotonic()
        tenth = int(10 * step / self.total)
        if not force and now - self.last_t < self.every_s and tenth == self.last_tenth:
            return
        self.last_t, self.last_tenth = now, tenth
        elapsed = now - self.t0
        rate = (step - self.first) / elapsed if elapsed > 0 else 0
        eta = f"ETA {(self.total - step) / rate:.0f} s" if rate > 0 and step < self.total else "ETA -"
        self.console.print(f"{self.stage or 'run'} step {step}/{self.total} ({100 * step / self.total:.0f} %), "
                           f"{elapsed:.0f} s, {eta}  {_live_text(live)}".rstrip(), highlight=False, soft_wrap=True)


class RunProgress:
    """The engine calls ``start``, ``stage``, ``advance`` and ``done``."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.plain = None if self.console.is_terminal else PlainLines(self.console)
        self.bar = Progress(TextColumn("[bold]{task.fields[stage]:<10}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                            TextColumn("{task.fields[live]}"), console=self.console, transient=False)
        self.task = None
        self.current = ""

    def start(self, total: int, step: int) -> None:
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

    def stage(self, name: str, begin: int, end: int) -> None:
        if self.current and self.current != name:
            self.console.print(f"  {self.current} done")
        self.current = name
        if self.plain:
            self.plain.stage = name
            return
        self.bar.update(self.task, stage=name)

    def advance(self, step: int, live: dict | None) -> None:
        if self.plain:
            self.plain.advance(step, live)
            return
        self.bar.update(self.task, completed=step, live=_live_text(live))

    def done(self) -> None:
        if self.task is not None and not self.plain:
            self.bar.stop()
            self.console.file.flush()


@contextlib.contextmanager
def frame_progress(total: int, quiet: bool = False):
    """A bar over analysed frames; yields a ``tick()`` to call once per frame."""
    console = Console(stderr=True)
    if quiet or total < 2 or not console.is_terminal:
        yield lambda: None
        return
    with Progress(TextColumn("frames"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("frames", total=total)
        yield lambda: bar.advance(task)


class CampaignProgress:
    """A live table for 'campaign run': cases done / running / failed / to do with an ETA, and each
    running case's stage with its latest T (K), P (bar) and density (g/cm^3)."""

    def __init__(self, console: Console | None = None):
        from rich.live import Live

        self.console = console or Console(stderr=True)
        self.live = Live(console=self.console, refresh_per_second=2, transient=False)
        self.started = False
        self.plain = not self.console.is_terminal
        self.last_t, self.last_title = 0.0, ""

    def update(self, snap: dict) -> None:
        from rich.table import Table

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

    def done(self) -> None:
        """Stop the table; what is printed next (an ``error:`` line after a signal) starts on a line of its own."""
        if self.started:
            self.live.stop()
            self.console.line()
            self.console.file.flush()
