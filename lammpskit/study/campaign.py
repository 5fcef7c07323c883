"""Campaigns: compositions x potentials x replicas, each case a run directory, stages run by SLURM.

A campaign file (TOML)::

    name = "mos"                 # job names lk-<name>-<stage>
    root = "runs/mos"            # case folders (default: <file folder>/<name>)
    x = [0, 1.5]                 # O per formula unit in Na4P2S7-xOx
    potentials = ["chgnet", "mp0"]
    seeds = [1, 2]               # one replica per seed
    profile = "smoke"            # protocol profile; 'set' overrides its values
    atoms = 104                  # or fu = 8
    set = ["t_anneal=10"]
    stages = ["quench", "elastic", "analysis"]   # run in this order, each after the last succeeded
    reference_set = "dft/valid.xyz"   # labelled frames: the report audits every potential on them
    [sweep]                      # optional axes, see lammpskit.study.sweep
    quench_rate = [100, 30, 10]  # K/ps; any numeric protocol parameter, or the size (atoms or fu)
    [elastic]
    method = "static"            # or dynamic (steps, equil); static: ftol (eV/Å), maxiter
    strain = 0.005
    [slurm]                      # see lammpskit.study.slurm: partition, account, time, cpus, gpus, setup, ...

Case ``i`` lives in ``<root>/<potential>/x<x>/s<seed>`` (with a sweep
``<root>/<potential>/x<x>/<point>/s<seed>``, e.g. ``quench_rate10-atoms520``) and is task ``i`` of every
array job; cases run potential by potential, then x, sweep point and seed.
Job ids are recorded in each case's run.json (``slurm``: stage -> list
of job ids, newest last) and in ``<root>/campaign.json``. What is done is read from
result files; what is queued from SLURM; so status is right whoever asks.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from lammpskit._util import limits, reading, validate
from lammpskit.errors import UserError
from lammpskit.run import manifest
from lammpskit.study import slurm, sweep
from lammpskit.study.stages import STAGES, result_dir

KEYS = {"name", "root", "x", "potentials", "seeds", "profile", "atoms", "fu", "set", "stages", "mode", "d3",
        "elastic", "slurm", "sweep", "reference_set"}
STATE_FILE = "campaign.json"


@dataclass
class Case:
    """One composition x potential x seed; its run directory is ``dir``."""

    index: int
    pot: str
    x: float
    seed: int
    dir: Path
    sweep: dict = field(default_factory=dict)  # swept key -> value (empty without [sweep])
    point: int = 0                              # index of the sweep point, in the campaign's order

    @property
    def label(self) -> str:
        return " ".join(filter(None, (f"{self.pot} x={self.x:g}", sweep.label(self.sweep), f"s{self.seed}")))


@dataclass
class Campaign:
    """A loaded, validated campaign file (``lk.Campaign.load(path)``; the file's format is in this module's
    docstring).

    Attributes:
        name (str): the campaign's name (job names ``lk-<name>-<stage>``).
        file (Path): the campaign file.
        root (Path): the folder of its case run directories.
        cases (list[Case]): composition x potential x (sweep point) x seed, each with its run directory.
        stages (list[str]): ``quench``, then any of ``elastic``, ``analysis``, in order.
        profile (str): the protocol profile; ``overrides`` (``["KEY=VALUE", ...]``, the file's ``set``) on top.
        size (dict): ``atoms`` or ``fu`` of every case.
        mode (str): ``auto`` | ``native`` | ``bridge``; d3 (bool): Grimme D3(BJ) dispersion.
        elastic (dict): the ``[elastic]`` settings (method, strain, steps, equil, ftol eV/Å, maxiter).
        site (slurm.Site): the ``[slurm]`` settings.
        axes (dict): ``[sweep]`` axes, key -> values.
        reference_set (Path | None): labelled extxyz the report audits the potentials on.
    """

    name: str
    file: Path
    root: Path
    cases: list[Case]
    stages: list[str]
    profile: str
    size: dict
    overrides: list[str]
    mode: str
    d3: bool
    elastic: dict
    site: slurm.Site
    spec: dict = field(default_factory=dict)
    axes: dict = field(default_factory=dict)  # [sweep]: key -> values in the file's order
    reference_set: Path | None = None  # labelled extxyz the report audits the potentials on

    def params(self, case: Case):
        """The protocol parameters of ``case``: the profile, then ``set``, then its sweep point (checked)."""
        from lammpskit.workflows import protocol

        return protocol.profile(self.profile).with_overrides(self.overrides + sweep.overrides(case.sweep))

    @property
    def tag(self) -> str:
        """Job-name prefix, unique per campaign root."""
        return f"lk-{self.name}-{hashlib.sha256(str(self.root).encode()).hexdigest()[:6]}"

    @classmethod
    def load(cls, path: str | Path) -> Campaign:
        """Read and check the campaign file ``path`` (TOML); nothing is written."""
        return load(path)

    def job_name(self, stage: str) -> str:
        """The SLURM job name of ``stage``: ``lk-<name>-<hash>-<stage>`` (the campaign's tag)."""
        return f"{self.tag}-{stage}"

    def result_file(self, case: Case, stage: str) -> Path:
        """The file whose presence means ``stage`` of ``case`` is done."""
        return case.dir / result_dir(stage, self.elastic) / manifest.RESULT


def load(path: str | Path) -> Campaign:
    """Read and check a campaign file; nothing is written."""
    path = validate.path(path, "campaign file")
    spec = reading.read_toml(path, "campaign file")
    where = str(path)
    unknown = sorted(set(spec) - KEYS)
    if unknown:
        raise UserError(f"{where}: unknown keys {unknown} (allowed: {sorted(KEYS)})")
    for key in ("name", "x", "potentials", "seeds"):
        if key not in spec:
            raise UserError(f"{where}: missing '{key}'")
    name = validate.name(spec["name"], f"{where}: name")
    root = validate.path(spec.get("root", str(path.parent / name)), f"{where}: root")
    if not root.is_absolute():
        root = validate.path((path.parent / root).resolve(), f"{where}: root")
    if root.is_symlink() and not root.exists():
        raise UserError(f"{where}: root {root} is a link to nothing ({os.readlink(root)})")
    if root.exists() and not root.is_dir():
        raise UserError(f"{where}: root {root} is a file, not a folder")
    xs = [validate.number(x, f"{where}: x", 0, 7) for x in _list(spec["x"], "x", where)]
    pots = [validate.name(p, f"{where}: potential") for p in _list(spec["potentials"], "potentials", where)]
    seeds = [validate.integer(s, f"{where}: seed", 0, 2**31 - 1) for s in _list(spec["seeds"], "seeds", where)]
    for key, values in (("x", xs), ("potentials", pots), ("seeds", seeds)):
        if len(set(values)) != len(values):
            raise UserError(f"{where}: '{key}' lists a value twice")
    stages = _list(spec.get("stages", list(STAGES)), "stages", where)
    if not stages or stages != [s for s in STAGES if s in stages] or stages[0] != "quench":
        raise UserError(f"{where}: stages must start with quench and keep the order {', '.join(STAGES)}")
    size = {}
    for key in ("atoms", "fu"):
        if key in spec:
            size[key] = validate.integer(spec[key], f"{where}: {key}", 1, 10**8)
    if len(size) > 1:
        raise UserError(f"{where}: give atoms or fu, not both")
    overrides = _list(spec.get("set", []), "set", where)
    for item in overrides:
        if not isinstance(item, str) or not re.fullmatch(r"[A-Za-z_]+=[A-Za-z0-9_.+-]+", item):
            raise UserError(f"{where}: set entry {item!r} must look like KEY=VALUE")
    mode = spec.get("mode", "auto")
    from lammpskit.potentials.builds import MODES

    validate.choice(mode, MODES, f"{where}: mode")
    from lammpskit.workflows.elastic import ElasticParams

    defaults = ElasticParams().settings()
    elastic = {**defaults, **_table(spec.get("elastic", {}), "elastic", where)}
    if set(elastic) - set(defaults):
        raise UserError(f"{where}: unknown [elastic] keys {sorted(set(elastic) - set(defaults))}")
    elastic = ElasticParams.from_settings(elastic, lambda key: f"{where}: [elastic] {key}").settings()
    site = slurm.load_site(_table(spec.get("slurm", {}), "slurm", where), where)
    profile = validate.name(spec.get("profile", "smoke"), f"{where}: profile")
    axes, points = sweep.load(spec.get("sweep"), where, profile, overrides, size)
    if "quench_rate" in axes and not any(o.startswith("quench_ensemble=") for o in overrides):
        # a rate sweep is there for Tg(rate), which needs the volume of an NPT quench; a 'set' says otherwise
        overrides = [*overrides, "quench_ensemble=npt"]
    limits.cases(len(pots) * len(xs) * len(points) * len(seeds), where)
    cases = [Case(i, p, x, s, validate.path(root / p / f"x{x:g}" / sweep.tag(points[k]) / f"s{s}", "case directory"),
                  points[k], k)
             for i, (p, x, k, s) in enumerate((p, x, k, s) for p in pots for x in xs for k in range(len(points))
                                              for s in seeds)]
    d3 = spec.get("d3", False)
    if not isinstance(d3, bool):
        raise UserError(f"{where}: d3 must be true or false")
    reference_set = spec.get("reference_set")
    if reference_set is not None:
        if not isinstance(reference_set, str):
            raise UserError(f"{where}: reference_set must be a file name (labelled extxyz)")
        reference_set = validate.path(reference_set, f"{where}: reference_set")
        if not reference_set.is_absolute():
            reference_set = validate.path((path.parent / reference_set).resolve(), f"{where}: reference_set")
    return Campaign(name, path, root, cases, stages, profile, size, overrides, mode, d3, elastic, site, spec, axes,
                    reference_set)


def _list(value, key: str, where: str) -> list:
    if not isinstance(value, list):
        raise UserError(f"{where}: '{key}' must be a list")
    return value


def _table(value, key: str, where: str) -> dict:
    if not isinstance(value, dict):
        raise UserError(f"{where}: [{key}] must be a table")
    return value


@contextlib.contextmanager
def locked(c: Campaign):
    """One submitting process per campaign at a time."""
    c.root.mkdir(parents=True, exist_ok=True)
    with open(c.root / ".campaign.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(f"another lammpskit process is submitting campaign {c.name!r}; wait for it") from None
        yield


def plan(c: Campaign) -> list[Case]:
    """Render every case directory that does not exist yet, and the job scripts; returns the new cases."""
    from lammpskit.potentials import registry as potentials
    from lammpskit.structure import composition
    from lammpskit.workflows import protocol, quench

    pots = {name: potentials.get(name) for name in {case.pot for case in c.cases}}
    build = c.site.build()
    todo = []  # every new case's protocol and composition checked before the first is written
    for case in c.cases:
        if (case.dir / manifest.MANIFEST).exists():
            continue
        params = c.params(case)
        size = sweep.size(case.sweep, c.size)
        comp = composition.make(x=case.x, fu=size.get("fu"), atoms=size.get("atoms", params.atoms if
                                not size else None))
        limits.run(comp.natoms, params, protocol.stages(params))
        todo.append((case, params, comp))
    new = []
    for case, params, comp in todo:
        quench.render(case.dir, comp, pots[case.pot], params, c.profile, case.seed, comp.density_estimate(), c.mode,
                      d3=c.d3, build=build)
        new.append(case)
    logs = c.root / "logs"
    logs.mkdir(exist_ok=True)
    (c.root / "jobs").mkdir(exist_ok=True)
    for stage in c.stages:
        for native in ((False, True) if stage == "quench" else (False,)):
            cmd = slurm.stage_command(stage, c.site, native, c.elastic)
            slurm.render_script(c.root / "jobs" / f"{stage}{'-native' if native else ''}.sh", c.site,
                                c.job_name(stage), logs, [k.dir for k in c.cases], cmd,
                                requeue=slurm.requeues(stage, c.site, native))
    _save_state(c, {"event": "plan", "new_cases": [k.index for k in new]})
    return new


def _native(case: Case) -> bool:
    pot = manifest.load(case.dir).potential
    return bool(pot and pot.mode == "native")


def _save_state(c: Campaign, event: dict) -> None:
    path = c.root / STATE_FILE
    state = _state(path) if path.exists() else {"name": c.name, "file": str(c.file), "events": []}
    state["spec"] = c.spec
    state["cases"] = [{"index": k.index, "pot": k.pot, "x": k.x, "seed": k.seed, "sweep": k.sweep, "dir": str(k.dir)}
                      for k in c.cases]
    state["events"].append({"time": _now(), **event})
    manifest.write_json(path, state)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


# -- where each case stands -----------------------------------------------------------------

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


LOCAL_STATE, LOCAL_LOCK = "local.json", ".campaign-run.lock"  # written by 'campaign run' (study.local)


def _events(c: Campaign) -> list[dict]:
    path = c.root / STATE_FILE
    return _state(path).get("events", []) if path.exists() else []


def _state(path: Path) -> dict:
    """campaign.json: the plan and submission record (a user error when damaged)."""
    state = reading.read_json(path, "campaign record")
    if not isinstance(state, dict) or not isinstance(state.get("events", []), list):
        raise UserError(f"campaign record {path} is damaged: delete it (the cases keep their own state)")
    return state


def _local_records(c: Campaign) -> dict:
    """``case index -> stage -> record`` of 'campaign run' on this machine; a stale "running" (no runner
    holds the lock) reads as stopped."""
    path = c.root / LOCAL_STATE
    if not path.exists():
        return {}
    try:
        cases = reading.read_json(path, "local record")["cases"]
        if not isinstance(cases, dict) or not all(isinstance(v, dict) for v in cases.values()):
            raise TypeError("cases")
    except (UserError, KeyError, TypeError):
        raise UserError(f"{path} is damaged: delete it to start the local record again") from None
    alive = False
    lock = c.root / LOCAL_LOCK
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
    submitted = any(e.get("event") == "submit" for e in _events(c))
    queue = slurm.jobs([c.job_name(s) for s in c.stages]) if submitted else {}
    local = _local_records(c)
    active = {}
    for rec in queue.values():
        if rec["state"] in slurm.ACTIVE and "_" in rec["job"]:
            stage = rec["name"].rsplit("-", 1)[-1]
            active[(stage, int(rec["job"].split("_")[1]))] = rec
    cancelled = _cancelled_by_us(c)
    rows = []
    for case in c.cases:
        recorded = _recorded(case)
        row = {"case": case.index, "label": case.label, "pot": case.pot, "x": case.x, "seed": case.seed,
               "sweep": case.sweep, "dir": str(case.dir), "stages": {}}
        for stage in c.stages:
            rec = local.get(str(case.index), {}).get(stage)
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


def _cancelled_by_us(c: Campaign) -> set[str]:
    """Job ids that 'campaign cancel' cancelled (SLURM forgets finished jobs after MinJobAge)."""
    return {j for e in _events(c) if e["event"] == "cancel" for j in e["jobs"]}


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


# -- submitting ------------------------------------------------------------------------------

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
                _save_state(c, {"event": "submit", **sub})
                submitted.append(sub)
        return submitted


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
    _save_state(c, {"event": "cancel", "jobs": ids})
    return ids
