"""One progress protocol (issue 23), the in-process part: the annotations, the command line's displays, the helpers."""

from __future__ import annotations

import ast
import inspect
import io
from pathlib import Path

import pytest

import lammpskit as lk
from lammpskit.progress import NullProgress, Progress, counting, or_null

from ..conftest import ROOT

pytestmark = pytest.mark.fast


ANNOTATION = "Progress | None"


class Recorder:
    """A ``Progress`` that keeps every call as a tuple."""

    def __init__(self):
        self.calls: list[tuple] = []

    def start(self, total: int, done: int = 0, unit: str = "") -> None:
        self.calls.append(("start", total, done, unit))

    def stage(self, name: str) -> None:
        self.calls.append(("stage", name))

    def advance(self, done: int, info: dict | None = None) -> None:
        self.calls.append(("advance", done, info))

    def finish(self) -> None:
        self.calls.append(("finish",))


def _library_files() -> list[Path]:
    pkg = ROOT / "lammpskit"
    files = [p for p in pkg.rglob("*.py") if "cli" not in p.relative_to(pkg).parts and "analysis" not in p.parts]
    return files + sorted((ROOT / "analysis").rglob("*.py"))


def test_every_library_progress_parameter_is_a_progress_or_none():
    found, wrong = [], []
    for path in _library_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for arg in [*node.args.args, *node.args.posonlyargs, *node.args.kwonlyargs]:
                if arg.arg == "progress":
                    where = f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
                    found.append(where)
                    if arg.annotation is None or ast.unparse(arg.annotation) != ANNOTATION:
                        wrong.append(where)
    assert len(found) > 20, found  # the scan sees the run engine, the analyses, CP2K, training, downloads, ...
    assert not wrong, f"progress parameters not annotated {ANNOTATION!r}: {wrong}"


def test_public_functions_take_progress_as_a_progress_or_none():
    import lammpskit.run

    takers = {}
    for name in lk._API:
        obj = getattr(lk, name)
        if inspect.isfunction(obj) and "progress" in inspect.signature(obj).parameters:
            takers[name] = inspect.signature(obj).parameters["progress"]
    takers["run"] = inspect.signature(type(lammpskit.run).__call__).parameters["progress"]
    assert {"quench", "elastic", "arrhenius", "analyze_units", "audit", "label_dft", "converge_dft",
            "finetune_mace", "finetune_sevenn", "run"} <= set(takers)
    for name, par in takers.items():
        assert str(par.annotation) == ANNOTATION and par.default is None, (name, par)
    assert lk.Progress is Progress


def test_the_command_lines_displays_implement_the_protocol():
    from rich.console import Console

    from lammpskit.cli import progress as displays

    quiet = Console(file=io.StringIO())
    for shown in (displays.RunProgress(quiet), displays.PlainLines(quiet), displays.FramesBar(quiet=True),
                  displays.Cp2kBar(quiet=True), displays.EpochBar(quiet=True), displays.DownloadBar(quiet=True),
                  displays.CampaignProgress(quiet), NullProgress(), Recorder()):
        assert isinstance(shown, Progress), type(shown).__name__
    assert not isinstance(object(), Progress)


def test_run_progress_in_a_log_prints_the_plain_lines():
    from rich.console import Console

    from lammpskit.cli.progress import RunProgress

    out = io.StringIO()
    p = RunProgress(Console(file=out, width=200))  # a file: not a terminal, so plain lines
    p.start(300, 100, "step")
    p.stage("melt")
    p.advance(200, {"temp": 1500.0, "press": 12.5, "density": 1.9})
    p.stage("production")
    p.advance(300, None)
    p.finish()
    lines = out.getvalue().splitlines()
    assert lines[0] == "resuming from step 100"
    assert lines[1].startswith("melt step 200/300 (67 %), ") and "T  1500.0 K  P      12.5 bar  ρ 1.900 g/cm³" in lines[1]
    assert lines[2] == "  melt done"
    assert lines[3].startswith("production step 300/300 (100 %), ") and lines[3].endswith("ETA -")


def test_null_progress_helpers():
    rec = Recorder()
    assert or_null(rec) is rec and isinstance(or_null(None), NullProgress)
    with pytest.raises(RuntimeError), counting(rec, 4, 1, "frame") as p:
        p.advance(2)
        raise RuntimeError("stop")
    assert rec.calls == [("start", 4, 1, "frame"), ("advance", 2, None), ("finish",)]  # finish also on an error
    with counting(None, 3) as p:
        p.advance(1)  # nothing to tell, nothing fails
