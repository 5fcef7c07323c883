"""Submitting a campaign to SLURM (array jobs, one task per case, stages chained by dependencies) and
cancelling it; each job id goes to its case's run.json and to the campaign record."""

from __future__ import annotations

from lammpskit.run import manifest
from lammpskit.study import record, slurm
from lammpskit.study.campaign import Campaign, Case
from lammpskit.study.plan import locked, plan
from lammpskit.study.status import status


def submit(c: Campaign) -> list[dict]:
    """Submit every stage that is neither done nor queued, with dependencies; returns the submissions.

    Stages of a case whose previous stage is being submitted now depend on it task by task
    (``aftercorr``); on a queued or running one, by its job id (``afterok``).
    """
    with locked(c):
        plan(c)
        rows = {r["case"]: r for r in status(c)}
        previous: dict[int, tuple] = {}  # case -> ("new", array id) | ("active", job id) | None
        submitted = []
        for stage in c.stages:
            groups: dict[tuple, list[int]] = {}
            for case in c.cases:
                st = rows[case.index]["stages"][stage]
                prev = previous.get(case.index)
                if st["state"] == "done":
                    previous[case.index] = None
                elif st["state"] in ("pending", "running"):
                    previous[case.index] = ("active", st["job"])
                else:
                    native = stage == "quench" and _native(case)
                    groups.setdefault((native, prev), []).append(case.index)
            for (native, prev), indices in groups.items():
                dep = None if prev is None else (f"aftercorr:{prev[1]}" if prev[0] == "new"
                                                 else f"afterok:{prev[1]}")
                script = c.root / "jobs" / f"{stage}{'-native' if native else ''}.sh"
                array_id = slurm.sbatch(script, indices, dep, c.root)
                for i in indices:
                    _record(c.cases[i], stage, f"{array_id}_{i}")
                    previous[i] = ("new", array_id)
                sub = {"stage": stage, "array": array_id, "cases": indices, "dependency": dep}
                record.save(c, {"event": "submit", **sub})
                submitted.append(sub)
        return submitted


def _native(case: Case) -> bool:
    pot = manifest.load(case.dir).potential
    return bool(pot and pot.mode == "native")


def _record(case: Case, stage: str, job: str) -> None:
    with manifest.locked(case.dir):
        man = manifest.load(case.dir)
        man.slurm.setdefault(stage, []).append(job)
        manifest.save(case.dir, man)


def cancel(c: Campaign) -> list[str]:
    """Cancel every queued or running job of the campaign; returns their ids."""
    ids = []
    for row in status(c):
        for st in row["stages"].values():
            if st["state"] in ("pending", "running") and st["job"]:
                ids.append(st["job"])
    slurm.cancel(ids)
    record.save(c, {"event": "cancel", "jobs": ids})
    return ids
