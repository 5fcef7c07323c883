"""Resume oracles: a quench stopped inside its temperature ramp and killed in production ends as an uninterrupted one.

A Kob-Andersen LJ glass (classical, native, deterministic) runs the same tiny quench twice from one rendered
seed: once straight through, once stopped with SIGTERM inside the quench ramp (``run N upto start B stop E``),
resumed, killed with SIGKILL in production once dump frames lie past the newest restart, and resumed again.
Where each signal lands is chosen on events, not on time: the run is frozen (SIGSTOP), its log, restart files
and dumps are read, and the signal is sent only when they show the state wanted; otherwise it thaws and runs on.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lammpskit.lammps import dumps as dumpfile
from lammpskit.lammps import thermo
from lammpskit.run.engine import restarts

from ..conftest import KA_ARGS, cli, ka_env

# 100 atoms; quench 6000 -> 1000 K over 20 000 steps (thermo every 5), production 10 000 steps with dumps
KA = [*KA_ARGS, "--fu", "20", "--seed", "3",
      "--set", "dt=1", "--set", "T_melt=6000", "--set", "t_melt=0.5", "--set", "quench_rate=250",
      "--set", "T_final=1000", "--set", "t_anneal=0.5", "--set", "t_production=10", "--set", "thermo_every=5",
      "--set", "restart_every=500", "--set", "dump_every=50", "--set", "msd_every=50", "--set", "min_steps=20"]


def render(run_dir: Path, env: dict) -> dict:
    r = cli("render", *KA, "--out", run_dir, env=env)
    assert r.returncode == 0, r.stderr
    return json.loads((run_dir / "run.json").read_text())


def start(run_dir: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lammpskit", "run", str(run_dir)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@contextlib.contextmanager
def frozen(proc: subprocess.Popen):
    """The run stopped in place (SIGSTOP) while its files are read; it runs on afterwards (SIGCONT)."""
    proc.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGCONT)


def signal_when(proc: subprocess.Popen, ready, sig: int, what: str, timeout: float = 300) -> str:
    """Send ``sig`` to the run, frozen, as soon as ``ready()`` holds on its files; its stderr once it ended.

    ``ready()`` returns True (send), False (not yet: run on) or raises AssertionError (the run went past
    the state wanted). A generous timeout, no wall-clock bound; a run still going at the end is killed."""
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            assert proc.poll() is None, (f"the run ended before {what}", proc.communicate())
            with frozen(proc):
                if ready():
                    proc.send_signal(sig)
                    break
            time.sleep(0.02)
        else:
            raise AssertionError(f"timed out waiting for {what}")
        _, err = proc.communicate(timeout=timeout)
        return err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stage(man: dict, name: str) -> dict:
    return next(s for s in man["stages"] if s["name"] == name)


def frames(path: Path) -> dict[int, bytes]:
    """Text dump frames by timestep (a repeated timestep fails: a duplicated frame)."""
    out: dict[int, bytes] = {}
    for chunk in path.read_bytes().split(b"ITEM: TIMESTEP\n")[1:]:
        step = int(chunk.split(b"\n", 1)[0])
        assert step not in out, f"{path.name}: frame {step} written twice"
        out[step] = chunk
    return out


def log_rows(text: str, tmp: Path) -> dict[int, dict]:
    tmp.write_text(text)
    return {int(r["Step"]): r for r in thermo.read_log(tmp)}


@pytest.mark.slow  # two runs of 31 000 MD steps (one in three pieces): 50-80 s on 2 shared cores
def test_stopped_inside_the_ramp_and_killed_in_production_ends_as_an_uninterrupted_run(tmp_path):
    env = ka_env(tmp_path)
    ref, run = tmp_path / "ref", tmp_path / "run"
    man = render(ref, env)
    assert render(run, env)["stages"] == man["stages"]
    quench, prod = stage(man, "quench"), stage(man, "production")
    B, E = quench["begin"], quench["end"]
    p = man["params"]

    r = cli("run", ref, env=env)
    assert r.returncode == 0, r.stderr
    ref_rows = {int(row["Step"]): row for row in thermo.read_log(ref / "log.lammps")}

    # 1. SIGTERM inside the ramp, at least 20 thermo rows past its start and before its end
    def in_ramp():
        row = thermo.last_row(run / "log.lammps")
        step = int(row["Step"]) if row else -1
        assert step < E - 20 * p["thermo_every"], f"the run left the ramp (step {step}) before it was stopped"
        return step > B + 20 * p["thermo_every"]

    err = signal_when(start(run, env), in_ramp, signal.SIGTERM, "a thermo row inside the quench ramp")
    assert "error: stopped at step" in err, err
    stop = restarts(run)[-1][0]
    assert B < stop < E, (B, stop, E)
    log_before = (run / "log.lammps").read_text()

    # 2. resume; SIGKILL in production when dump frames lie past the newest restart (which is inside production)
    def frames_past_restart():
        newest = restarts(run)
        steps = dumpfile.timesteps(run / prod["dump"]) if (run / prod["dump"]).exists() else []
        return bool(newest and steps) and prod["begin"] < newest[-1][0] < steps[-1] and steps[0] < newest[-1][0]

    proc = start(run, env)
    signal_when(proc, frames_past_restart, signal.SIGKILL, "production dump frames past the newest restart")
    assert proc.returncode == -signal.SIGKILL
    man_killed = json.loads((run / "run.json").read_text())
    assert man_killed["resumed_from"] == stop and man_killed["state"] == "running"
    dumps_killed = {name: frames(run / name) for name in (prod["dump"], "dump.unwrapped.lammpstrj")}
    last_restart = restarts(run)[-1][0]
    assert max(dumps_killed[prod["dump"]]) > last_restart  # frames to cut before they are written again

    # 3. resume to the end
    r = cli("run", run, env=env)
    assert r.returncode == 0, r.stderr
    done = json.loads((run / "run.json").read_text())
    assert done["state"] == "done" and done["resumed_from"] == last_restart

    # the ramp went on from where it stopped: the set-point at every thermo step after the stop equals the
    # uninterrupted run's and the protocol's T(step) = T0 + (T1 - T0) (step - B) / (E - B)
    after_stop = log_rows((run / "log.lammps").read_text()[len(log_before):], tmp_path / "resumed.log")
    # it starts where the first run stopped (the restart's name, and the state in it: see the trajectory below);
    # a run cut short mid-chunk logs no row for its last step, one stopped between chunks does: the same state
    stopped = log_rows(log_before, tmp_path / "stopped.log")
    assert max(stopped) <= stop == min(after_stop), (max(stopped), stop, min(after_stop))
    if stop in stopped:
        for key in ("Temp", "PotEng", "Press", "Volume", "Tset"):
            assert after_stop[stop][key] == stopped[stop][key], (key, after_stop[stop][key], stopped[stop][key])
    ramp_steps = [s for s in ref_rows if stop < s <= E]
    assert ramp_steps == [s for s in after_stop if stop < s <= E]  # no thermo row missing after the resume
    for s in [stop, *ramp_steps]:
        expected = p["T_melt"] + (p["T_final"] - p["T_melt"]) * (s - B) / (E - B)
        if s in ref_rows:
            assert after_stop[s]["Tset"] == ref_rows[s]["Tset"], (s, after_stop[s]["Tset"], ref_rows[s]["Tset"])
        assert abs(after_stop[s]["Tset"] - expected) <= 1e-6 * expected, (s, after_stop[s]["Tset"], expected)

    # dumps: the uninterrupted run's timesteps, once each; frames written before the kill unchanged
    for name, before in dumps_killed.items():
        got, want = frames(run / name), frames(ref / name)
        steps = list(got)
        assert steps == sorted(set(steps)) == list(want), name
        every = p["dump_every"] if name == prod["dump"] else p["msd_every"]
        assert steps == list(range(prod["begin"], prod["end"] + 1, every)), name
        kept = [s for s in before if s < last_restart]
        assert kept and all(got[s] == before[s] for s in kept), name

    # the trajectory itself: the restart holds every coordinate, velocity and thermostat variable exactly, so
    # the resumed run repeats the uninterrupted one to the 8 printed digits; it is not bitwise the same (the
    # resumed LAMMPS rebuilds its neighbour lists and sums forces in another order), and that 1e-16 grows
    # chaotically, about tenfold per 100 steps in this hot liquid: measured, equal to 8 digits for ~600 steps,
    # 1 % apart after ~1100. The first 100 steps after the stop must match.
    for s in [s for s in ramp_steps if s <= stop + 100]:
        for key in ("Temp", "PotEng", "Press"):
            assert after_stop[s][key] == ref_rows[s][key], (s, key, after_stop[s][key], ref_rows[s][key])
