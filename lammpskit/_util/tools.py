"""Running an external tool (LAMMPS, mace/dp converters, SLURM clients): no stdin, errors from its output."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from lammpskit.errors import Interrupted, RunError


def run_tool(cmd: list[str], what: str, cwd=None, timeout: float | None = 3600, env: dict | None = None,
             tail: int = 3, refuse=None) -> subprocess.CompletedProcess:
    """Run ``cmd`` with no stdin (a prompt fails at once) and captured text output.

    A non-zero exit is a RunError ``"<what> failed: <last lines of its output>"``; ``refuse(output)``
    may raise a clearer (user) error first. ``env`` adds to the current environment.
    """
    out = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
                         env={**os.environ, **env} if env else None)
    if out.returncode != 0:
        if refuse:
            refuse(out.stdout + out.stderr)
        lines = (out.stderr.strip() or out.stdout.strip()).splitlines()[-tail:]
        raise RunError(f"{what} failed: {' | '.join(lines)}")
    return out


def supervise(cmd: list[str], what: str, log_path: Path, cwd=None, env: dict | None = None,
              tick: Callable[[], None] | None = None, timeout: float = 86400) -> int:
    """Run a long child (a trainer) with no stdin and its output in ``log_path``, calling ``tick()`` about once a
    second (progress); returns its exit code.

    The child never outlives this call: past ``timeout`` s it is stopped (RunError); Ctrl-C here stops it and
    re-raises; a SIGTERM to this process (``kill``, a job scheduler) stops it and raises ``Interrupted``. It
    runs in its own process group, so its own workers go with it.
    """
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True)
        try:
            with _sigterm_raises(what):
                start = time.monotonic()
                while proc.poll() is None:
                    if tick is not None:
                        tick()
                    if time.monotonic() - start > timeout:
                        raise RunError(f"{what} ran longer than {timeout:.0f} s")
                    time.sleep(1)
        except BaseException:
            _stop(proc)
            raise
    return proc.returncode


@contextlib.contextmanager
def _sigterm_raises(what: str):
    """SIGTERM raises ``Interrupted`` meanwhile (only the main thread may set a handler; elsewhere nothing)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, _frame):
        raise Interrupted(f"{what} stopped by {signal.Signals(signum).name}; its process was stopped too")

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _stop(proc: subprocess.Popen, grace_s: float = 10.0) -> None:
    """SIGTERM the child's process group, then SIGKILL what is left after ``grace_s`` s."""
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
