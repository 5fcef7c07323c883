"""One progress protocol (issue 23): ``lk.Progress`` with start / stage / advance / finish.

1. Every library function (outside ``lammpskit/cli``) with a ``progress`` parameter annotates it
   ``Progress | None``, and so does every public ``lk`` function that takes one (an AST scan, a signature check).
2. The command line's displays (``lammpskit/cli/progress.py``) implement the protocol; the run's plain lines
   read as before.
3. A recording ``Progress`` given to real library calls (``lk.analyze_units`` over a three-frame dump, a
   ``file://`` download) hears start, advance(s) with counts that grow to the total, and finish, in order.
"""

from __future__ import annotations

import numpy as np

import lammpskit as lk

from .. import known_units
from .test_progress_pure import Recorder


def _counts_grow_to(calls: list[tuple], total: int, unit: str) -> None:
    assert calls[0] == ("start", total, 0, unit) and calls[-1] == ("finish",), calls
    done = [c[1] for c in calls[1:-1] if c[0] == "advance"]
    assert done and done == sorted(done) and done[-1] == total, calls


def test_analyze_units_reports_each_frame(tmp_path):
    from lammpskit.lammps import dumps

    frames = []
    for step, name in enumerate(["PS4", "P2S7", "edge"]):
        els, pos, cell = known_units.assemble([known_units.EXPECTED[name][0]()])
        frames.append((step * 10, np.arange(1, len(els) + 1), els, pos, cell, np.zeros(3)))
    dumps.write(tmp_path / "units.dump", frames)
    rec = Recorder()
    res = lk.analyze_units(tmp_path / "units.dump", frames="all", progress=rec)
    assert res.frames == 3
    assert rec.calls == [("start", 3, 0, "frame"), ("advance", 1, None), ("advance", 2, None), ("advance", 3, None),
                         ("finish",)]


def test_a_download_reports_its_bytes(tmp_path):
    from lammpskit.potentials import fetch

    src = tmp_path / "model.bin"
    src.write_bytes(b"x" * (fetch.CHUNK + 10))
    rec = Recorder()
    fetch.download(src.as_uri(), tmp_path / "got" / "model.bin", progress=rec)
    assert (tmp_path / "got" / "model.bin").read_bytes() == src.read_bytes()
    _counts_grow_to(rec.calls, fetch.CHUNK + 10, "byte")
