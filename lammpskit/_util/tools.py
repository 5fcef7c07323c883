"""Running an external tool (LAMMPS, mace/dp converters, SLURM clients): no stdin, errors from its output."""

from __future__ import annotations

import os
import subprocess

from lammpskit.errors import RunError


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
