"""Campaigns on this machine: every case's stages run here, ``workers`` cases at a time, no SLURM.

The same semantics as on SLURM: what is done is read from the run directories
(each stage's ``result.json``), so ``campaign status`` and ``report`` work
unchanged, and a rerun does only what is missing, stopped or failed. Each
worker slot runs one case's stages in order, as ``lammpskit`` child processes
in their own session, pinned to one GPU (``CUDA_VISIBLE_DEVICES``) or to its
share of the CPU threads (``OMP_NUM_THREADS`` and ``--threads``), so nothing is
oversubscribed. SIGINT/SIGTERM stop every running case the way a SLURM
``scancel`` does (a quench writes a restart and resumes on the next run;
elastic and analysis start again). One runner per campaign at a time: a second
``campaign run`` is refused. Per case and stage, ``<root>/local.json`` records
state (running / done / failed / stopped), times and the error, and every
start and end is an event there; child output goes to
``<root>/logs/<stage>-<case>.local.out``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from lammpskit._util import files, layout, reading, validate
from lammpskit.errors import RunError, UserError, param
from lammpskit.progress import Progress
from lammpskit.study import stages
from lammpskit.study.campaign import Campaign, Case
from lammpskit.study.plan import locked, plan

STATE, LOCK = "local.json", ".campaign-run.lock"  # this machine's record (study.status reads it too)
STOP_WAIT_S = 120  # after SIGTERM, how long a child may take to write its restart and exit


@dataclass
class Slot:
    """One worker: the case it runs, its GPU (or None) and CPU threads."""

    index: int
    threads: int
    gpu: str | None = None
    case: Case | None = None
    stage: str = ""
    proc: subprocess.Popen | None = None
    started: float = 0.0
    todo: list[str] = field(default_factory=list)


def kit_command() -> list[str]:
    """How children call the kit: this Python with ``-m lammpskit``."""
    return [sys.executable, "-m", "lammpskit"]


def load_state(c: Campaign) -> dict:
    """``{"cases": {index: {stage: {...}}}, "events": [...]}`` from ``<root>/local.json`` (empty if none)."""
    path = c.root / STATE
    if not path.exists():
        return {"cases": {}, "events": []}
    try:
        data = reading.read_json(path, "local record")
        if not isinstance(data, dict) or not isinstance(data.get("cases"), dict) or not isinstance(data.get("events"), list):
            raise ValueError("cases/events")
    except (UserError, ValueError) as exc:
        raise UserError(f"{path} is damaged ({exc}): delete it to start the local record again") from None
    return data


@contextlib.contextmanager
def _runner_lock(c: Campaign):
    c.root.mkdir(parents=True, exist_ok=True)
    fh = open(c.root / LOCK, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise UserError(f"another 'campaign run' is working on {c.root}: wait for it, or stop it (Ctrl-C / kill "
                        "its pid) and run again") from None
    fh.seek(0)
    fh.truncate()
    fh.write(str(os.getpid()))
    fh.flush()
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


class Runner:
    """Runs the missing stages of a campaign's cases on this machine (``run`` is the entry point)."""

    def __init__(self, c: Campaign, workers: int | None = None, gpus: list[str] | None = None,
                 threads: int | None = None, progress: Progress | None = None):
        self.c = c
        self.gpus = gpus or []
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        # one worker per GPU id unless told: "--gpus 0,0,0,0" packs four cases on GPU 0
        self.workers = validate.integer(workers if workers is not None else max(1, len(self.gpus)), param("workers"), 1, 256)
        self.threads = validate.integer(threads if threads is not None else max(1, cores // self.workers),
                                        param("threads"), 1, 1024)
        self.slots = [Slot(i, self.threads, self.gpus[i % len(self.gpus)] if self.gpus else None)
                      for i in range(self.workers)]
        self.progress = progress
        self.stop = False
        self.state = load_state(c)
        self.first_event = len(self.state["events"])  # events of this run start here
        self.t0 = time.monotonic()

    # -- record --------------------------------------------------------------------------------
    def _record(self, case: Case, stage: str, state: str, **extra) -> None:
        rec = self.state["cases"].setdefault(str(case.index), {})
        rec[stage] = {"state": state, "time": time.strftime("%Y-%m-%dT%H:%M:%S"), **extra}
        self.state["events"].append({"case": case.index, "stage": stage, "state": state,
                                     "time": rec[stage]["time"], **extra})
        files.write_json(self.c.root / STATE, self.state)

    # -- plan ------------------------------------------------------------------------------------
    def _todo(self, case: Case) -> list[str]:
        """The stages of ``case`` still to run, in order (from the first one without a result)."""
        return [s for s in self.c.stages if not self.c.result_file(case, s).exists()]

    def _launch(self, slot: Slot) -> None:
        stage = slot.todo.pop(0)
        args = stages.kit_args(stage, str(slot.case.dir), self.c.elastic, slot.threads,
                               "cuda" if slot.gpu is not None else "cpu")
        env = {**os.environ, "OMP_NUM_THREADS": str(slot.threads), "LAMMPSKIT_DEBUG": "0"}
        if slot.gpu is not None:
            env["CUDA_VISIBLE_DEVICES"] = slot.gpu
        logs = self.c.root / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = open(logs / f"{stage}-{slot.case.index}.local.out", "a")
        log.write(f"lammpskit campaign run: {' '.join(args)} at {time.strftime('%Y-%m-%dT%H:%M:%S')}\n")
        log.flush()
        slot.proc = subprocess.Popen([*kit_command(), *args], stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True)
        log.close()
        slot.stage, slot.started = stage, time.monotonic()
        self._record(slot.case, stage, "running", pid=slot.proc.pid, slot=slot.index, gpu=slot.gpu,
                     threads=slot.threads)

    def _finish(self, slot: Slot, rc: int) -> None:
        case, stage = slot.case, slot.stage
        wall = round(time.monotonic() - slot.started, 2)
        if rc == 0 and self.c.result_file(case, stage).exists():
            self._record(case, stage, "done", wall_s=wall)
        elif self.stop:
            self._record(case, stage, "stopped", wall_s=wall, reason="stopped by a signal; run again to continue")
            slot.todo = []
        else:
            self._record(case, stage, "failed", wall_s=wall, reason=self._error(case, stage, rc))
            slot.todo = []  # the later stages of this case need this one
        slot.proc = None
        if not slot.todo:
            slot.case = None

    def _error(self, case: Case, stage: str, rc: int) -> str:
        log = self.c.root / "logs" / f"{stage}-{case.index}.local.out"
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines()
                 if ln.strip().startswith("error:") or "ERROR" in ln] if log.exists() else []
        return lines[-1] if lines else f"exit code {rc} (see {log})"

    # -- the loop --------------------------------------------------------------------------------
    def run(self) -> dict:
        """Run until every case is done or failed (or a signal stops it); returns the counts and wall time."""
        with _runner_lock(self.c):
            with locked(self.c):
                plan(self.c)
            queue = [case for case in self.c.cases if self._todo(case)]
            for case in self.c.cases:  # a stale "running" from a killed runner is no longer running
                for stage, rec in self.state["cases"].get(str(case.index), {}).items():
                    if rec["state"] == "running":
                        self._record(case, stage, "stopped", reason="the runner was killed")
            old = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
            try:
                if self.progress is not None:
                    self.progress.start(len(self.c.cases), len(self.c.cases) - len(queue), "case")
                self._loop(queue)
            finally:
                for s, h in old.items():
                    signal.signal(s, h)
                if self.progress is not None:
                    self.progress.finish()
        counts = self.counts()
        if self.stop:
            raise RunError(f"campaign run stopped: {counts['done']} of {counts['cases']} cases done; "
                           f"run 'lammpskit campaign run {self.c.file}' again to continue")
        return {**counts, "wall_s": round(time.monotonic() - self.t0, 2), "workers": self.workers,
                "threads": self.threads, "gpus": self.gpus}

    def _loop(self, queue: list[Case]) -> None:
        while True:
            if self.stop:
                self._stop_all()
                return
            for slot in self.slots:
                if slot.proc is not None and (rc := slot.proc.poll()) is not None:
                    self._finish(slot, rc)
                if slot.proc is None and slot.case is None and queue:
                    slot.case = queue.pop(0)
                    slot.todo = self._todo(slot.case)
                if slot.proc is None and slot.case is not None and slot.todo:
                    self._launch(slot)
            if self.progress is not None:
                snap = self.snapshot(queue)
                self.progress.advance(snap["counts"]["done"], snap)
            if not queue and all(s.proc is None for s in self.slots):
                return
            time.sleep(0.2)

    def snapshot(self, queue: list[Case]) -> dict:
        """What a display shows: the counts, an ETA (s) and each running case's stage and latest thermo."""
        from lammpskit.lammps import thermo

        running = []
        for s in self.slots:
            if s.proc is not None:
                log = s.case.dir / stages.result_dir(s.stage, self.c.elastic) / layout.LOG
                running.append({"label": s.case.label, "stage": s.stage, "live": thermo.last_row(log),
                                "elapsed_s": time.monotonic() - s.started})
        walls = [e["wall_s"] for e in self.state["events"][self.first_event:] if e["state"] == "done"]
        left = sum(len(self._todo(case)) for case in queue) + sum(len(s.todo) + (s.proc is not None)
                                                                  for s in self.slots)
        eta = sum(walls) / len(walls) * left / self.workers if walls else None
        return {"counts": self.counts(), "running": running, "eta_s": eta}

    def _stop_all(self) -> None:
        for slot in self.slots:
            if slot.proc is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(slot.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT_S
        for slot in self.slots:
            if slot.proc is not None:
                try:
                    rc = slot.proc.wait(timeout=max(1.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(slot.proc.pid, signal.SIGKILL)
                    rc = slot.proc.wait()
                self._finish(slot, rc)

    def _on_signal(self, signum, _frame) -> None:
        self.stop = True

    def counts(self) -> dict:
        """Cases done / running / failed / stopped / to do."""
        out = {"cases": len(self.c.cases), "done": 0, "running": 0, "failed": 0, "stopped": 0, "todo": 0}
        for case in self.c.cases:
            recs = self.state["cases"].get(str(case.index), {})
            states = {r["state"] for r in recs.values()}
            if not self._todo(case):
                out["done"] += 1
            elif "running" in states:
                out["running"] += 1
            elif "failed" in states:
                out["failed"] += 1
            elif "stopped" in states:
                out["stopped"] += 1
            else:
                out["todo"] += 1
        return out


def run(c: Campaign, workers: int | None = None, gpus: str | list | None = None, threads: int | None = None,
        progress: Progress | None = None) -> dict:
    """Run the campaign's missing stages here, ``workers`` cases at a time (default: one per listed GPU id,
    else 1); ``gpus``: ``"0,1"`` or a list, one id per worker, round robin; an id may repeat (``"0,0,0,0"``:
    four cases share GPU 0); ``threads``: CPU threads per worker (default: cores / workers); ``progress`` is told
    the cases done (unit ``case``) with the runner's snapshot as info: ``counts``, ``running`` (each running
    case's label, stage, latest thermo row and ``elapsed_s``) and ``eta_s`` (s, None before a stage is done)."""
    if isinstance(gpus, str):
        gpus = [g.strip() for g in gpus.split(",") if g.strip()]
    gpus = [str(validate.integer(g, param("gpus"), 0, 1024)) for g in (gpus or [])]
    return Runner(c, workers, gpus, threads, progress).run()
