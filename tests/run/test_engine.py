"""Local engine end to end: render + run through real LAMMPS and a real MACE model; kill and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from lammpskit.lammps import dumps as dumpfile
from lammpskit.lammps import thermo
from lammpskit.run.engine import restarts

from ..conftest import FAST, cli, stop_and_wait


def render(tmp_path, name="run"):
    out = tmp_path / name
    r = cli("render", "--pot", "tiny-mace", "--x", "1.5", "--fu", "4", *FAST, "--out", out)
    assert r.returncode == 0, r.stderr
    return out


def start_run(run_dir):
    return subprocess.Popen([sys.executable, "-m", "lammpskit", "run", str(run_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_restart(run_dir, step, proc, timeout=300):
    t0 = time.time()
    while time.time() - t0 < timeout:
        done = restarts(run_dir)
        if done and done[-1][0] >= step:
            return done[-1][0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    raise AssertionError("no restart written in time")


def wait_until(ok, proc, what, timeout=300):
    """Poll ``ok()`` until true (generous timeout); the run must still be going meanwhile."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if ok():
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def dump_steps(path):
    try:
        return dumpfile.timesteps(path)
    except Exception:  # noqa: BLE001 - a frame half written right now
        return []


def thermo_headers(run_dir):
    log = run_dir / "log.lammps"
    return sum(1 for line in log.read_text().splitlines() if line.split()[:1] == ["Step"]) if log.exists() else 0


def manifest(run_dir):
    return json.loads((run_dir / "run.json").read_text())


def production(run_dir):
    return next(s for s in manifest(run_dir)["stages"] if s["name"] == "production")


def check_finished(run_dir):
    res = json.loads((run_dir / "result.json").read_text())
    assert manifest(run_dir)["state"] == "done"
    prod = production(run_dir)
    steps = dumpfile.timesteps(run_dir / "dump.production.lammpstrj")
    assert steps == list(range(prod["begin"], prod["end"] + 1, 5)), "frames missing or duplicated"
    assert res["final"]["step"] == prod["end"] == res["steps"]
    assert 1.0 < res["density_g_cm3"]["mean"] < 4.0
    rows = thermo.read_log(run_dir / "log.lammps")
    assert rows[-1]["Step"] == prod["end"]
    return res


def test_quench_runs_end_to_end_and_ovito_reads_the_dump(tmp_path, user_pots):
    out = tmp_path / "q"
    r = cli("quench", "--pot", "tiny-mace", "--x", "1.5", "--fu", "4", *FAST, "--out", out, "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res == json.loads((out / "result.json").read_text())
    check_finished(out)
    assert res["bridge"]["calls"] >= res["steps"]
    from ovito.io import import_file

    pipe = import_file(str(out / "dump.production.lammpstrj"))
    data = pipe.compute(pipe.source.num_frames - 1)
    names = {t.name for t in data.particles.particle_types.types}
    assert names == {"Na", "P", "S", "O"}
    assert data.particles.count == 52
    # a finished run is not run again
    r2 = cli("run", out, "--json")
    assert r2.returncode == 0 and json.loads(r2.stdout)["wall_s"] == res["wall_s"]


def test_killed_run_resumes_from_last_restart(tmp_path, user_pots):
    run_dir = render(tmp_path)
    prod = production(run_dir)
    proc = start_run(run_dir)
    step = wait_for_restart(run_dir, prod["begin"] + 30, proc)
    dump = run_dir / "dump.production.lammpstrj"
    wait_until(lambda: (steps := dump_steps(dump)) and steps[-1] > step, proc, "dump frames past the restart")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (run_dir / "result.json").exists()
    assert manifest(run_dir)["state"] == "running"  # as the killed process left it
    assert dumpfile.timesteps(run_dir / "dump.production.lammpstrj")[-1] >= step
    newest = restarts(run_dir)[-1]
    assert len(restarts(run_dir)) <= 3  # old restarts are pruned as the run goes
    # a kill during write_restart leaves a truncated newest file: it must be set aside
    damaged = run_dir / "restart" / f"step.{newest[0] + 5}.bin"
    damaged.write_bytes(newest[1].read_bytes()[:200])
    r = cli("run", run_dir)
    assert r.returncode == 0, r.stderr
    assert manifest(run_dir)["resumed_from"] == newest[0] >= step
    assert damaged.with_suffix(".damaged").exists()
    res = check_finished(run_dir)
    assert res["md_steps_this_run"] <= prod["end"] - step


def test_sigterm_stops_cleanly_and_resumes(tmp_path, user_pots):
    run_dir = render(tmp_path, "term")
    proc = start_run(run_dir)
    wait_for_restart(run_dir, 20, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert err.strip().splitlines()[-1].startswith("error: stopped at step")
    man = manifest(run_dir)
    assert man["state"] == "stopped" and not (run_dir / "result.json").exists()
    r = cli("run", run_dir)
    assert r.returncode == 0, r.stderr
    check_finished(run_dir)


def test_sigterm_cuts_a_long_native_chunk_short(tmp_path, lj_env):
    """A native (pure LAMMPS) run inside one long chunk stops within seconds of SIGTERM, as SLURM's
    kill grace period needs: the engine forces a LAMMPS timeout instead of waiting for the chunk to end."""
    env = {**os.environ, **lj_env}
    run_dir = tmp_path / "lj"
    r = cli("render", "--pot", "lj-a", "--x", "0", "--fu", "4", *FAST, "--set", "t_melt=100000",
            "--set", "thermo_every=100000000", "--set", "restart_every=100000000", "--out", run_dir, env=env)
    assert r.returncode == 0, r.stderr
    proc = subprocess.Popen([sys.executable, "-m", "lammpskit", "run", str(run_dir)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_restart(run_dir, 0, proc)  # minimisation done: the melt is one chunk of 10^8 steps
    wait_until(lambda: thermo_headers(run_dir) >= 2, proc, "the melt run to start")  # minimise, then melt
    # no wall-clock bound: the chunk runs to step 10^8 unless the signal cuts it, so a stop at all (within
    # a generous timeout) at a step far below that (checked below) is what shows the chunk was cut short
    err = stop_and_wait(proc)
    assert proc.returncode == 1 and "error: stopped at step" in err, err
    man = manifest(run_dir)
    step = restarts(run_dir)[-1][0]
    assert man["state"] == "stopped" and man["last_restart"] == f"restart/step.{step}.bin"
    assert 0 < step < 10_000_000


def test_second_runner_is_refused_while_one_works(tmp_path, user_pots):
    run_dir = render(tmp_path, "lock")
    proc = start_run(run_dir)
    try:
        wait_for_restart(run_dir, 0, proc)
        r = cli("run", run_dir)
        assert r.returncode == 2 and r.stderr.startswith("error: another 'lammpskit run'")
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_chgnet_bridge_matches_direct_call(tmp_path):
    """The embedded default potential through the bridge: one short NVT run, forces vs CHGNet itself."""
    import numpy as np

    from lammpskit.lammps import env as lammps_env
    from lammpskit.potentials import calculators
    from lammpskit.potentials import registry as potentials
    from lammpskit.run.bridge import Bridge, lammps_cell
    from lammpskit.structure import builder as structure
    from lammpskit.structure import composition

    comp = composition.make(1.5, fu=4)
    s = structure.build(comp, 2.1, 2)
    structure.write_data(tmp_path / "d.lmp", s, "t")
    ev = calculators.Evaluator(calculators.build(potentials.get("chgnet")), comp.elements)
    lmp = lammps_env.new_lammps()
    lmp.commands_string(f"""
        units metal
        atom_style atomic
        atom_modify map array sort 1 2.0
        read_data {tmp_path / 'd.lmp'}
        pair_style zero 1.0
        pair_coeff * *
        fix lk_bridge all external pf/callback 1 1
        fix_modify lk_bridge energy yes virial yes
        timestep 0.001
        velocity all create 600 1
        fix md all nvt temp 600 600 0.1
    """)
    bridge = Bridge(lmp, ev)
    bridge.attach()
    lmp.command("run 5")
    n = lmp.get_natoms()
    order = np.argsort(lmp.numpy.extract_atom("id", nelem=n))
    f = np.array(lmp.numpy.extract_atom("f", nelem=n))[order]
    x = np.array(lmp.numpy.extract_atom("x", nelem=n))[order]
    t = np.array(lmp.numpy.extract_atom("type", nelem=n))[order]
    _, forces, _ = ev(t, x, lammps_cell(lmp))
    # float32 model: same configuration, atoms in another order -> summation-order noise only
    assert np.max(np.abs(f - forces)) < 2e-4
    lmp.close()


def test_native_classical_pair_style_runs_in_the_engine_and_by_hand(tmp_path):
    """A classical pair style registered as data runs natively: via the engine and via plain `lmp -in`."""
    import os
    import shutil

    reg = tmp_path / "reg"
    reg.mkdir()
    (reg / "lj-test.toml").write_text(
        'name = "lj-test"\ntitle = "Lennard-Jones test potential"\nfamily = "classical"\n'
        'licence = "none"\n[native]\npair_style = "lj/cut 6.0"\npair_coeff = "* * 0.01 2.6"\n'
        'styles = ["lj/cut"]\n')
    env = {"LAMMPSKIT_POTENTIALS": str(reg)}
    out = tmp_path / "lj"
    r = cli("quench", "--pot", "lj-test", "--x", "1", "--fu", "4", *FAST, "--out", out, "--json", env=env)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["mode"] == "native" and "bridge" not in res
    assert "pair_style      lj/cut 6.0" in (out / "potential.lmp").read_text()
    check_finished(out)
    # the same deck, from scratch, with the LAMMPS executable and no Python in the loop
    by_hand = tmp_path / "by-hand"
    shutil.copytree(out, by_hand, ignore=shutil.ignore_patterns("restart", "*.lammpstrj", "log.lammps",
                                                               "result.json", "glass.data"))
    (by_hand / "restart").mkdir()
    lmp = shutil.which("lmp", path=os.path.dirname(sys.executable))
    p = subprocess.run([lmp, "-in", "in.quench.lmp"], cwd=by_hand, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-2000:]
    assert dumpfile.timesteps(by_hand / "dump.production.lammpstrj") == \
        dumpfile.timesteps(out / "dump.production.lammpstrj")
    assert (by_hand / "glass.data").exists()


@pytest.mark.slow
def test_chgnet_quench_with_npt_anneal_from_the_cli(tmp_path):
    """'quench --pot chgnet' (the embedded real weights, through the bridge) with an NPT anneal: the box
    follows CHGNet's own pressure and the density comes from the anneal."""
    out = tmp_path / "chgnet"
    r = cli("quench", "--pot", "chgnet", "--x", "1.5", "--fu", "4", *FAST, "--set", "t_anneal=0.2",
            "--out", out, "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["potential"] == "chgnet" and res["mode"] == "bridge" and res["bridge"]["calls"] > 200
    stage = next(st for st in json.loads((out / "run.json").read_text())["stages"] if st["name"] == "anneal")
    anneal = [row for row in thermo.read_log(out / "log.lammps") if stage["begin"] < row["Step"] <= stage["end"]]
    assert len({round(row["Volume"], 3) for row in anneal}) > 5, anneal  # the box moved under NPT
    assert 1.0 < res["density_g_cm3"]["mean"] < 4.0, res["density_g_cm3"]
    check_finished(out)
