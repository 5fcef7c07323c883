"""``run.json`` (what a run is and where it stands) and atomic JSON writes."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from pathlib import Path

from lammpskit.errors import UserError

MANIFEST = "run.json"
RESULT = "result.json"
STATES = ("rendered", "running", "stopped", "failed", "done")


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically (temp file in the same folder, then rename)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2, sort_keys=False)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def load(run_dir: Path) -> dict:
    """The manifest of ``run_dir``; a user error if it is not a run directory."""
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        raise UserError(f"{run_dir} is not a run directory (no {MANIFEST}); make one with 'lammpskit render'")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is damaged: {exc}") from None
    from lammpskit.run.integrity import check_manifest

    return check_manifest(data, str(path))


@contextlib.contextmanager
def locked(run_dir: Path):
    """Serialise read-modify-write of run.json between processes (the engine and a submitter)."""
    with open(Path(run_dir) / ".run.json.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def update(run_dir: Path, **changes) -> dict:
    """Merge ``changes`` into the manifest and write it back atomically."""
    with locked(run_dir):
        data = load(run_dir)
        data.update(changes)
        write_json(Path(run_dir) / MANIFEST, data)
    return data
