"""Live progress for a run: a rich bar with ETA and the latest T (K), P (bar), density (g/cm^3)."""

from __future__ import annotations

import contextlib

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class RunProgress:
    """The engine calls ``start``, ``stage``, ``advance`` and ``done``."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.bar = Progress(TextColumn("[bold]{task.fields[stage]:<10}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                            TextColumn("{task.fields[live]}"), console=self.console, transient=False)
        self.task = None
        self.current = ""

    def start(self, total: int, step: int) -> None:
        self.bar.start()
        self.task = self.bar.add_task("run", total=max(total, 1), completed=step, stage="start", live="")
        if step:
            self.console.print(f"resuming from step {step}")

    def stage(self, name: str, begin: int, end: int) -> None:
        if self.current and self.current != name:
            self.console.print(f"  {self.current} done")
        self.current = name
        self.bar.update(self.task, stage=name)

    def advance(self, step: int, live: dict | None) -> None:
        text = f"T {live['temp']:7.1f} K  P {live['press']:9.1f} bar  ρ {live['density']:.3f} g/cm³" if live else ""
        self.bar.update(self.task, completed=step, live=text)

    def done(self) -> None:
        if self.task is not None:
            self.bar.stop()


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

    def update(self, snap: dict) -> None:
        from rich.table import Table

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
        if self.started:
            self.live.stop()
