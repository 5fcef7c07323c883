"""A trainer's child process never outlives the call that started it (``_util.tools.supervise``): past its
timeout, on Ctrl-C and on SIGTERM, the child and its own children are stopped. Real processes, seconds."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid

import pytest

from lammpskit._util.tools import supervise
from lammpskit.errors import RunError

from ..conftest import processes_naming


def _tree(marker: str) -> list[str]:
    """A child that starts a grandchild, both sleeping two minutes, both named by ``marker``."""
    grandchild = f"import time; time.sleep(120)  # {marker}"
    child = (f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {grandchild!r}]); "
             f"time.sleep(120)  # {marker}")
    return [sys.executable, "-c", child]


def _gone(marker: str, within_s: float = 20) -> bool:
    end = time.monotonic() + within_s
    while processes_naming(marker) and time.monotonic() < end:
        time.sleep(0.2)
    return not processes_naming(marker)


def test_past_its_timeout_the_child_and_grandchild_are_stopped(tmp_path):
    marker = f"lk-supervise-{uuid.uuid4().hex}"
    t0 = time.monotonic()
    with pytest.raises(RunError, match="sleeper ran longer than 2 s"):
        supervise(_tree(marker), "sleeper", tmp_path / "log", timeout=2)
    assert time.monotonic() - t0 < 20 and _gone(marker)


@pytest.mark.parametrize("sig, needle", [(signal.SIGTERM, "Interrupted: sleeper stopped by SIGTERM"),
                                         (signal.SIGINT, "KeyboardInterrupt")])
def test_a_signal_to_the_caller_stops_the_child_and_grandchild(tmp_path, sig, needle):
    marker = f"lk-supervise-{uuid.uuid4().hex}"
    caller = (f"import sys; from pathlib import Path; from lammpskit._util.tools import supervise; "
              f"supervise({_tree(marker)!r}, 'sleeper', Path({str(tmp_path / 'log')!r}))")
    proc = subprocess.Popen([sys.executable, "-c", caller], stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + 30
    kids = lambda: [p for p in processes_naming(marker) if p != proc.pid]  # noqa: E731 - child and grandchild
    while len(kids()) < 2 and time.monotonic() < end:
        time.sleep(0.2)
    assert len(kids()) == 2
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0 and needle in err, err[-1500:]
    assert _gone(marker)
