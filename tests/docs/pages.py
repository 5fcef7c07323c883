"""The documentation pages as tests see them: their fenced code blocks, and a runner that executes a page's
blocks in order as its reader would (the Python blocks as one session, the shell blocks in the same folder)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from ..conftest import ROOT

DOCS = ROOT / "docs"
# pages whose every code block runs in the test suite (tests/cli/test_api.py); mkdocs.yml's "Tutorial" section
TUTORIALS = ["tutorial.md"]
RUNNABLE = ("python", "bash")
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)

# executes [(lang, code), ...] from a JSON file in order: python blocks in one namespace, bash blocks with
# bash -euo pipefail; each block announced on stdout, the first failure ends the run with its block named
DRIVER = """
import json, subprocess, sys
ns = {"__name__": "__main__"}
for i, (lang, code) in enumerate(json.load(open(sys.argv[1]))):
    print(f"--- block {i} ({lang})", flush=True)
    if lang == "python":
        exec(compile(code, f"<block {i}>", "exec"), ns)
    else:
        sys.stdout.flush()
        rc = subprocess.run(["bash", "-euo", "pipefail", "-c", code]).returncode
        if rc:
            sys.exit(f"block {i} (bash) exited with {rc}")
    sys.stdout.flush()
"""


def code_blocks(page: str) -> list[tuple[str, str]]:
    """(language, code) of every fenced block of ``docs/<page>``, in page order."""
    return FENCE.findall((DOCS / page).read_text())


def run_blocks(blocks: list[tuple[str, str]], cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    """Run ``blocks`` in ``cwd`` with this interpreter, its environment's commands first on PATH."""
    (cwd / ".blocks.json").write_text(json.dumps(blocks))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([sys.executable, "-c", DRIVER, str(cwd / ".blocks.json")], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
