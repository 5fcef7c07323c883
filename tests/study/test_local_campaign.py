"""'campaign run': a study on this machine without SLURM, stopped by SIGTERM and rerun to the end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from lammpskit.lammps import dumps, thermo

from ..conftest import assert_user_error, cli

# quench stages of a few seconds (LJ, 52 atoms): long enough to be caught running
SETTINGS = ["t_melt=0.2", "quench_rate=12000", "t_anneal=0.2", "t_production=300", "restart_every=5000",
            "dump_every=10000", "msd_every=10000", "thermo_every=1000", "min_steps=20"]
STAGES = ("quench", "elastic", "analysis")


def write_campaign(folder: Path) -> Path:
    path = folder / "local.toml"
    path.write_text(f'name = "loc"\nx = [0, 1.5]\npotentials = ["lj-a", "lj-b"]\nseeds = [1, 2]\n'
                    f'profile = "smoke"\nfu = 4\nset = {json.dumps(SETTINGS)}\n'
                    '[elastic]\nmethod = "static"\nstrain = 0.005\n')   # no [slurm] table
    return path


def local_state(root: Path) -> dict:
    path = root / "local.json"
    return json.loads(path.read_text()) if path.exists() else {"cases": {}, "events": []}


def wait_for(predicate, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_local_campaign_stopped_and_rerun_ends_with_every_stage_done_once(tmp_path, lj_env):
    camp = write_campaign(tmp_path)
    root = tmp_path / "loc"
    env = {**os.environ, **lj_env}
    runner = subprocess.Popen([sys.executable, "-m", "lammpskit", "campaign", "run", str(camp), "--workers", "2",
                               "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def quench_in_md():  # a running quench whose log shows MD steps (so its stop writes a restart)
            cases = json.loads((root / "campaign.json").read_text())["cases"] if (root / "campaign.json").exists() else []
            return [(str(c["index"]), "quench") for c in cases
                    if local_state(root)["cases"].get(str(c["index"]), {}).get("quench", {}).get("state") == "running"
                    and (thermo.last_row(Path(c["dir"]) / "log.lammps") or {}).get("Step", 0) >= 2000]

        wait_for(lambda: local_state(root)["cases"], 300, "the first case to start")
        # a second runner on the same campaign is refused while the first works
        assert_user_error(cli("campaign", "run", camp, env=lj_env), "another 'campaign run' is working on")
        running = wait_for(quench_in_md, 300, "a quench in its MD stages")
        runner.send_signal(signal.SIGTERM)
        out, err = runner.communicate(timeout=300)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode == 1, (out, err)
    assert err.strip().splitlines()[-1].startswith("error: campaign run stopped:"), err
    state = local_state(root)
    recs = [r for case in state["cases"].values() for r in case.values()]
    assert not [r for r in recs if r["state"] == "running"]
    stopped = [(c, s) for c, case in state["cases"].items() for s, r in case.items() if r["state"] == "stopped"]
    assert stopped and set(running) <= set(stopped), (running, stopped)  # caught in MD, so stopped there
    rows = json.loads(cli("campaign", "status", camp, "--json", env=lj_env).stdout)
    assert {r["state"] for r in rows} & {"stopped", "missing"}, rows

    r = cli("campaign", "run", camp, "--workers", "2", "--json", env=lj_env, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    info = json.loads(r.stdout)
    assert (info["cases"], info["done"], info["failed"], info["workers"], info["threads"]) == (8, 8, 0, 2, 1)

    # every stage of every case finished exactly once
    state = local_state(root)
    done = Counter((e["case"], e["stage"]) for e in state["events"] if e["state"] == "done")
    assert set(done) == {(i, s) for i in range(8) for s in STAGES} and set(done.values()) == {1}, done
    rows = json.loads(cli("campaign", "status", camp, "--json", env=lj_env).stdout)
    assert [r["state"] for r in rows] == ["done"] * 8
    for row in rows:
        case = Path(row["dir"])
        man = json.loads((case / "run.json").read_text())
        assert man["state"] == "done"
        prod = next(s for s in man["stages"] if s["name"] == "production")
        expected = [k for k in range(prod["begin"] + 1, prod["end"] + 1) if k % 10000 == 0]
        assert dumps.timesteps(case / "dump.production.lammpstrj") == expected  # no frame twice, none lost
        assert json.loads((case / "elastic-static" / "run.json").read_text())["state"] == "done"
        assert (case / "analysis" / "result.json").is_file()
    for i in [int(c) for c, _ in running]:  # a quench stopped in MD resumed from its restart, not from scratch
        man = json.loads((Path(rows[i]["dir"]) / "run.json").read_text())
        assert man["resumed_from"] is not None and man["resumed_from"] > 0, man

    r = cli("report", camp, "--json", env=lj_env)
    assert r.returncode == 0, r.stderr
    assert (root / "report" / "report.html").is_file() and (root / "report" / "report.csv").is_file()


def test_repeated_gpu_ids_pack_one_worker_per_id(tmp_path, lj_env, monkeypatch):
    """'--gpus 0,0,0,0' alone: four workers sharing GPU 0, each with a quarter of the cores."""
    from lammpskit.study import campaign, local

    for key, value in lj_env.items():
        monkeypatch.setenv(key, value)
    c = campaign.load(write_campaign(tmp_path))
    runner = local.Runner(c, gpus=["0", "0", "0", "0"])
    cores = len(os.sched_getaffinity(0))
    assert [s.gpu for s in runner.slots] == ["0"] * 4 and runner.workers == 4
    assert runner.threads == max(1, cores // 4)
    assert [s.gpu for s in local.Runner(c, workers=3, gpus=["0", "1"]).slots] == ["0", "1", "0"]  # round robin
    assert len(local.Runner(c).slots) == 1
