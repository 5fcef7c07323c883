"""``<root>/campaign.json``: a campaign's plan and submission record, an event log.

Every ``plan``, ``submit`` and ``cancel`` appends an event (with its time); the file also keeps the
campaign file's content and the case table, so the record reads without the campaign file.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from lammpskit._util import reading
from lammpskit.errors import UserError
from lammpskit.run import manifest
from lammpskit.study.campaign import Campaign

STATE_FILE = "campaign.json"


def save(c: Campaign, event: dict) -> None:
    """Append ``event`` (stamped with the time) to the record, with the campaign's spec and cases."""
    path = c.root / STATE_FILE
    state = read(path) if path.exists() else {"name": c.name, "file": str(c.file), "events": []}
    state["spec"] = c.spec
    state["cases"] = [{"index": k.index, "pot": k.pot, "x": k.x, "seed": k.seed, "sweep": k.sweep, "dir": str(k.dir)}
                      for k in c.cases]
    state["events"].append({"time": _now(), **event})
    manifest.write_json(path, state)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def events(c: Campaign) -> list[dict]:
    """The recorded events, oldest first (none before the first plan)."""
    path = c.root / STATE_FILE
    return read(path).get("events", []) if path.exists() else []


def read(path: Path) -> dict:
    """campaign.json: the plan and submission record (a user error when damaged)."""
    state = reading.read_json(path, "campaign record")
    if not isinstance(state, dict) or not isinstance(state.get("events", []), list):
        raise UserError(f"campaign record {path} is damaged: delete it (the cases keep their own state)")
    return state


def cancelled(c: Campaign) -> set[str]:
    """Job ids that 'campaign cancel' cancelled (SLURM forgets finished jobs after MinJobAge)."""
    return {j for e in events(c) if e["event"] == "cancel" for j in e["jobs"]}
