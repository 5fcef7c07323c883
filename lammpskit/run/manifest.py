"""``run.json`` (what a run is and where it stands) and atomic JSON writes."""

from __future__ import annotations

import contextlib
import fcntl
import json
from pathlib import Path

from lammpskit._util.files import write_json
from lammpskit.errors import UserError

MANIFEST = "run.json"
RESULT = "result.json"
STATES = ("rendered", "running", "stopped", "failed", "done")


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


def fs_to_ps(dt_fs: float) -> float:
    """A timestep in fs (the kit's ``dt``) as ps (LAMMPS metal units)."""
    return float(dt_fs) / 1000.0


def timestep_ps(man: dict) -> float:
    """The run's MD timestep in ps (``params.dt`` is in fs)."""
    return fs_to_ps(man["params"]["dt"])


def temperature_K(man: dict, default: float | None = None) -> float | None:
    """The temperature (K) the run ends at or samples: ``T_final`` (quench, diffusion) or ``T`` (elastic)."""
    p = man.get("params", {})
    value = p.get("T_final", p.get("T", default))
    return None if value is None else float(value)
