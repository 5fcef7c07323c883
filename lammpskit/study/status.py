"""Where each case of a campaign stands: result files, then this machine's 'campaign run' record
(``local.json``), then SLURM (its queue, ``sacct``/``scontrol`` and the job logs).

What is done is read from result files, what is queued from SLURM, so the status is right whoever asks.
"""

from __future__ import annotations

import fcntl

from lammpskit._util import reading
from lammpskit.errors import UserError
from lammpskit.run import manifest
from lammpskit.study import local, record, slurm
from lammpskit.study.campaign import Campaign, Case


def _recorded(case: Case) -> dict:
    return manifest.load(case.dir).slurm if (case.dir / manifest.MANIFEST).exists() else {}


def _log_error(c: Campaign, stage: str, job: str) -> str:
    """The last ``error:`` (or LAMMPS ``ERROR``) line of a job's log, if any."""
    log = c.root / "logs" / f"{c.job_name(stage)}-{job}.out"
    if not log.exists():
        return ""
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines()
             if ln.strip().lower().startswith("error") or "ERROR" in ln]
    return lines[-1] if lines else ""


def _local_records(c: Campaign) -> dict:
    """``case index -> stage -> record`` of 'campaign run' on this machine; a stale "running" (no runner
    holds the lock) reads as stopped."""
    path = c.root / local.STATE
    if not path.exists():
        return {}
    try:
        cases = reading.read_json(path, "local record")["cases"]
        if not isinstance(cases, dict) or not all(isinstance(v, dict) for v in cases.values()):
            raise TypeError("cases")
    except (UserError, KeyError, TypeError):
        raise UserError(f"{path} is damaged: delete it to start the local record again") from None
    alive = False
    lock = c.root / local.LOCK
    if lock.exists():
        with open(lock) as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
                fcntl.flock(fh, fcntl.LOCK_UN)
            except BlockingIOError:
                alive = True
    for recs in cases.values():
        for rec in recs.values():
            if rec.get("state") == "running" and not alive:
                rec.update(state="stopped", reason="the 'campaign run' that ran it is gone; run it again")
    return cases


def status(c: Campaign) -> list[dict]:
    """Per case: its stages' state (done / pending / running / failed / cancelled / stopped / missing) and why.

    SLURM is asked only about campaigns submitted to it; stages run here ('campaign run') are read
    from ``local.json``."""
    submitted = any(e.get("event") == "submit" for e in record.events(c))
    queue = slurm.jobs([c.job_name(s) for s in c.stages]) if submitted else {}
    here = _local_records(c)
    active = {}
    for rec in queue.values():
        if rec["state"] in slurm.ACTIVE and "_" in rec["job"]:
            stage = rec["name"].rsplit("-", 1)[-1]
            active[(stage, int(rec["job"].split("_")[1]))] = rec
    cancelled = record.cancelled(c)
    rows = []
    for case in c.cases:
        recorded = _recorded(case)
        row = {"case": case.index, "label": case.label, "pot": case.pot, "x": case.x, "seed": case.seed,
               "sweep": case.sweep, "dir": str(case.dir), "stages": {}}
        for stage in c.stages:
            rec = here.get(str(case.index), {}).get(stage)
            if rec and not recorded.get(stage) and not c.result_file(case, stage).exists():
                row["stages"][stage] = {"state": rec["state"], "job": None, "reason": rec.get("reason", "")}
            else:
                row["stages"][stage] = _stage_state(c, case, stage, recorded.get(stage, []), queue,
                                                    active.get((stage, case.index)), cancelled)
        states = [s["state"] for s in row["stages"].values()]
        row["state"] = next((s for s in ("failed", "stopped", "cancelled", "running", "pending", "missing")
                             if s in states), "done")
        rows.append(row)
    return rows


def _stage_state(c, case, stage, jobs_, queue, active, cancelled=frozenset()) -> dict:
    if c.result_file(case, stage).exists():
        return {"state": "done", "job": jobs_[-1] if jobs_ else None}
    if active is not None:
        state = "running" if active["state"] in ("RUNNING", "COMPLETING", "CONFIGURING") else "pending"
        why = active["reason"] if state == "pending" and active["reason"] not in ("None", "") else ""
        return {"state": state, "job": active["job"], "reason": why}
    if not jobs_:
        return {"state": "missing", "job": None, "reason": "not submitted"}
    job = jobs_[-1]
    rec = queue.get(job) or queue.get(job.split("_")[0]) or slurm.job_record(job)
    sl_state = (rec.get("state") or rec.get("JobState") or "").upper()
    reason = rec.get("reason") or rec.get("Reason") or ""
    err = _log_error(c, stage, job)
    if sl_state == "CANCELLED" or (not sl_state and job in cancelled):
        why = "an earlier stage failed" if "Dependency" in reason else "cancelled"
        return {"state": "cancelled", "job": job, "reason": why}
    if sl_state == "TIMEOUT":
        return {"state": "stopped", "job": job, "reason": "time limit reached; 'campaign resume' continues "
                "from the last restart"}
    if sl_state:
        why = err or f"SLURM state {sl_state}" + (f" ({reason})" if reason not in ("", "None") else "")
        return {"state": "failed", "job": job, "reason": why}
    return {"state": "failed", "job": job, "reason": err or "job ended without a result (SLURM no longer "
            "knows it; see the log in " + str(c.root / "logs") + ")"}
