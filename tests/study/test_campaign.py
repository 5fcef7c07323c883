"""Campaigns against a real single-node SLURM cluster started by the tests (slurm_cluster.py)."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ..conftest import LJ, assert_user_error, cli
from ..slurm_cluster import Cluster

FAST = ["t_melt=0.2", "quench_rate=12000", "t_anneal=0.1", "t_production=0.2", "restart_every=10",
        "dump_every=5", "thermo_every=5", "min_steps=20"]
# an LJ production of 15 million steps: far longer than a 1-minute SLURM limit (about 30 000 steps/s here)
LONG_LJ = ("t_production=30000", "dump_every=500000", "thermo_every=50000")


@pytest.fixture(scope="module")
def mixed_env(tmp_path_factory, user_pots):
    """A registry with one classical potential (lj-a) and the random-weight MACE model (tiny-mace, bridge)."""
    from tests import models as testing

    from ..conftest import ELEMENTS

    reg = tmp_path_factory.mktemp("mixed")
    (reg / "lj-a.toml").write_text(LJ.format(name="lj-a", eps=0.01))
    testing.mace_potential_toml(reg, "tiny-mace", user_pots / "tiny.model", ELEMENTS)
    return {"LAMMPSKIT_POTENTIALS": str(reg)}


def write_campaign(folder: Path, name: str, xs=(0, 1.5), pots=("lj-a", "lj-b"), seeds=(1, 2),
                   slurm: str = 'time = "00:10:00"', extra: str = "", elastic: str = "", more_set=()) -> Path:
    """A campaign file with the FAST settings; ``more_set`` overrides them (later ``set`` entries win)."""
    path = folder / f"{name}.toml"
    path.write_text(f'name = "{name}"\nx = {list(xs)}\npotentials = {json.dumps(list(pots))}\n'
                    f'seeds = {list(seeds)}\nprofile = "smoke"\nfu = 4\nset = {json.dumps([*FAST, *more_set])}\n{extra}\n'
                    f'[elastic]\nmethod = "static"\nstrain = 0.005\n{elastic}\n[slurm]\n{slurm}\n')
    return path


def status(path: Path, env: dict) -> list[dict]:
    r = cli("campaign", "status", path, "--json", env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def wait_idle(path: Path, env: dict, timeout: float = 400) -> list[dict]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        rows = status(path, env)
        if not any(r["state"] in ("pending", "running") for r in rows):
            return rows
        time.sleep(2)
    raise AssertionError(f"campaign still busy after {timeout} s: {rows}")


def jobcomp(cluster: Cluster) -> dict[tuple[str, str], dict]:
    """Finished jobs from SLURM's completion log, by (array job id, task id)."""
    out = {}
    for line in cluster.jobcomp.read_text().splitlines():
        rec = dict(tok.split("=", 1) for tok in line.split() if "=" in tok)
        if "ArrayJobId" in rec:
            out[(rec["ArrayJobId"], rec["ArrayTaskId"])] = rec
    return out


def test_campaign_2x2x2_failure_resume_and_killed_submitter(cluster, lj_env, tmp_path):
    camp = write_campaign(tmp_path, "study")
    r = cli("campaign", "plan", camp, "--json", env=lj_env)
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    assert plan["cases"] == 8 and plan["new"] == list(range(8))
    cases = status(camp, lj_env)
    assert all(c["state"] == "missing" for c in cases)
    # inject a failure: case 5's data file is damaged
    bad = Path(cases[5]["dir"]) / "data.lmp"
    good = bad.read_text()
    bad.write_text("this is not a LAMMPS data file\n")

    # submit and follow; the following process is killed while the jobs run
    env = {**os.environ, **lj_env}
    follower = subprocess.Popen([sys.executable, "-m", "lammpskit", "campaign", "submit", str(camp), "--watch"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    end = time.monotonic() + 60
    while time.monotonic() < end and not (tmp_path / "study" / "campaign.json").exists():
        time.sleep(0.2)
    while time.monotonic() < end:
        events = json.loads((tmp_path / "study" / "campaign.json").read_text())["events"]
        if sum(e["event"] == "submit" for e in events) == 3:
            break
        time.sleep(0.2)
    analysis_array = [e for e in events if e["event"] == "submit"][-1]["array"]
    dep = subprocess.run(["scontrol", "show", "job", f"{analysis_array}_0"], capture_output=True, text=True).stdout
    follower.send_signal(signal.SIGKILL)
    follower.wait()

    rows = status(camp, lj_env)  # a new process, from files and SLURM alone
    for row in rows:
        assert all(st["job"] for st in row["stages"].values()), row
        assert row["state"] in ("pending", "running", "done", "failed"), row
    subs = [e for e in events if e["event"] == "submit"]
    assert [s["stage"] for s in subs] == ["quench", "elastic", "analysis"]
    assert subs[1]["dependency"] == f"aftercorr:{subs[0]['array']}"
    assert subs[2]["dependency"] == f"aftercorr:{subs[1]['array']}"
    assert "aftercorr" in dep or "JobState=COMPLETED" in dep

    rows = wait_idle(camp, lj_env)
    failed = [r for r in rows if r["state"] != "done"]
    assert [r["case"] for r in failed] == [5], rows
    st = failed[0]["stages"]
    assert st["quench"]["state"] == "failed" and "error" in st["quench"]["reason"].lower()
    assert st["elastic"]["state"] == st["analysis"]["state"] == "cancelled"
    assert st["elastic"]["reason"] == "an earlier stage failed"
    table = cli("campaign", "status", camp, env=lj_env)
    assert table.returncode == 0 and "failed" in table.stdout and "7 done" in table.stdout

    # the dependency order is in SLURM's job records: each stage starts after the previous one ended
    done = jobcomp(cluster)
    for row in rows[:5] + rows[6:]:
        recs = [done[tuple(row["stages"][s]["job"].split("_"))] for s in ("quench", "elastic", "analysis")]
        assert [r["JobState"] for r in recs] == ["COMPLETED"] * 3
        for before, after in zip(recs, recs[1:]):
            assert before["EndTime"] <= after["EligibleTime"] <= after["StartTime"], (before, after)
        man = json.loads((Path(row["dir"]) / "run.json").read_text())
        assert man["slurm"]["quench"] == [row["stages"]["quench"]["job"]]
        assert (Path(row["dir"]) / "analysis" / "units.json").exists()
        res = json.loads((Path(row["dir"]) / "elastic-static" / "result.json").read_text())
        assert res["B_GPa"] > 0

    # fix the case; resume resubmits it and nothing else
    bad.write_text(good)
    r = cli("campaign", "resume", camp, "--json", env=lj_env)
    assert r.returncode == 0, r.stderr
    subs = json.loads(r.stdout)["submitted"]
    assert [(s["stage"], s["cases"]) for s in subs] == [("quench", [5]), ("elastic", [5]), ("analysis", [5])]
    again = cli("campaign", "resume", camp, "--json", env=lj_env)  # queued: never twice
    assert json.loads(again.stdout)["submitted"] == []
    rows = wait_idle(camp, lj_env)
    assert all(r["state"] == "done" for r in rows), rows
    assert len(json.loads((Path(rows[5]["dir"]) / "run.json").read_text())["slurm"]["quench"]) == 2
    final = cli("campaign", "resume", camp, "--json", env=lj_env)
    assert json.loads(final.stdout)["submitted"] == []


def test_campaign_cancel(cluster, lj_env, tmp_path):
    camp = write_campaign(tmp_path, "cancelme", pots=("lj-a",), slurm='time = "00:10:00"\ncpus = 2')
    r = cli("campaign", "submit", camp, env=lj_env)
    assert r.returncode == 0, r.stderr
    assert "submitted quench" in r.stdout
    r = cli("campaign", "cancel", camp, "--json", env=lj_env)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["cancelled"]) >= 8  # 4 cases x 3 stages, minus any that finished
    rows = wait_idle(camp, lj_env, timeout=60)
    assert not any(r["state"] in ("pending", "running") for r in rows)
    assert sum(r["stages"]["analysis"]["state"] == "cancelled" for r in rows) >= 3, [r["stages"] for r in rows]
    names = subprocess.run(["squeue", "-h", "-o", "%j"], capture_output=True, text=True).stdout
    assert "cancelme" not in names
    r = cli("campaign", "resume", camp, "--json", env=lj_env)  # cancelled work is resubmitted and finishes
    assert json.loads(r.stdout)["submitted"]
    assert all(r["state"] == "done" for r in wait_idle(camp, lj_env))


@pytest.mark.parametrize("field, value, message", [
    ("slurm", 'partition = "debug\\nrm -rf /"', "partition"),
    ("slurm", 'account = "a;b"', "account"),
    ("slurm", 'time = "$(reboot)"', "time"),
    ("slurm", 'setup = ["module load x\\nrm -rf /"]', "setup"),
    ("slurm", 'lmp = "/opt/$(whoami)/lmp"', "lmp"),
    ("root", 'root = "runs/$(touch /tmp/pwned)"', "root"),
    ("name", 'name = "a b"', "name"),
    ("set", 'set = ["t_melt=1;rm"]', "set"),
    ("slurm", 'colour = "red"', "unknown"),
])
def test_hostile_campaign_values_refused(tmp_path, field, value, message):
    path = tmp_path / "bad.toml"
    lines = {"name": 'name = "bad"', "root": "", "set": "", "slurm": ""}
    lines[field] = value
    body = "\n".join(lines[k] for k in ("name", "root", "set"))
    path.write_text(f'{body}\nx = [0]\npotentials = ["chgnet"]\nseeds = [1]\n[slurm]\n{lines["slurm"]}\n')
    before = set(tmp_path.iterdir())
    r = cli("campaign", "submit", path)
    assert r.returncode == 2
    lines_err = r.stderr.strip().splitlines()
    assert len(lines_err) == 1 and lines_err[0].startswith("error:") and message in lines_err[0], r.stderr
    assert set(tmp_path.iterdir()) == before
    assert not Path("/tmp/pwned").exists()


def test_native_kokkos_job_script(lj_env, tmp_path):
    """A GPU site with a Kokkos LAMMPS binary: the quench script runs it natively; bridge stages use the kit."""
    site = ('partition = "gpu"\naccount = "glass01"\ntime = "1-00:00:00"\ncpus = 8\ngpus = 1\n'
            'setup = ["module load lammps/kokkos-cuda", "source /opt/venvs/kit/bin/activate"]\n'
            'lmp = "/opt/lammps/bin/lmp"\nkokkos = true\nlmp_styles = ["lj/cut"]\n'
            'lammpskit = "/opt/venvs/kit/bin/lammpskit"\nrequeue = true\n')
    camp = write_campaign(tmp_path, "gpu", xs=(0,), pots=("lj-a",), seeds=(1,), slurm=site)
    r = cli("campaign", "plan", camp, env=lj_env)
    assert r.returncode == 0, r.stderr
    jobs = tmp_path / "gpu" / "jobs"
    native = (jobs / "quench-native.sh").read_text()
    assert "srun /opt/lammps/bin/lmp -k on g 1 -sf kk -pk kokkos newton on neigh half -in in.quench.lmp" in native
    for line in ("#SBATCH --partition=gpu", "#SBATCH --account=glass01", "#SBATCH --gpus=1",
                 "#SBATCH --time=1-00:00:00", "#SBATCH --cpus-per-task=8", "module load lammps/kokkos-cuda"):
        assert line in native
    bridge = (jobs / "quench.sh").read_text()
    # a native lmp run cannot resume from a restart: only the kit's engine requeues itself
    requeue = ("#SBATCH --signal=B:USR1@120", "#SBATCH --requeue", "#SBATCH --open-mode=append")
    assert all(line in bridge for line in requeue) and not any(line in native for line in requeue)
    assert "--requeue" not in (jobs / "elastic.sh").read_text()
    assert "/opt/venvs/kit/bin/lammpskit run \"$CASE\" --threads 8 --device cuda" in bridge
    assert re.search(r"lammpskit elastic \"\$CASE\" --method static --strain 0.005", (jobs / "elastic.sh").read_text())
    for script in jobs.iterdir():
        assert subprocess.run(["bash", "-n", str(script)]).returncode == 0, script.name
    man = json.loads((tmp_path / "gpu" / "lj-a" / "x0" / "s1" / "run.json").read_text())
    assert man["potential"]["mode"] == "native"
    shutil.rmtree(tmp_path / "gpu")


def test_site_profile_gres_and_gpu_sharing(lj_env, tmp_path):
    """``site = NAME`` takes defaults from $LAMMPSKIT_HOME/sites/NAME.toml (the campaign's keys win);
    gpu_flag = "gres" writes --gres=gpu:N; gpu_share > 1 asks for a shard of a GPU; a hostile site file is refused."""
    home = tmp_path / "home"
    (home / "sites").mkdir(parents=True)
    (home / "sites" / "mycluster.toml").write_text(
        'partition = "gpu-a100"\naccount = "glass01"\ngpus = 2\ngpu_flag = "gres"\ncpus = 4\n'
        'setup = ["module load cuda/12.4"]\n')
    env = {**lj_env, "LAMMPSKIT_HOME": str(home)}
    camp = write_campaign(tmp_path, "site", xs=(0,), pots=("lj-a",), seeds=(1,),
                          slurm='site = "mycluster"\ntime = "02:00:00"\naccount = "glass02"')
    assert cli("campaign", "plan", camp, env=env).returncode == 0
    script = (tmp_path / "site" / "jobs" / "quench.sh").read_text()
    for line in ("#SBATCH --partition=gpu-a100", "#SBATCH --account=glass02", "#SBATCH --gres=gpu:2",
                 "#SBATCH --time=02:00:00", "#SBATCH --cpus-per-task=4", "module load cuda/12.4"):
        assert line in script, script
    camp = write_campaign(tmp_path, "shared", xs=(0,), pots=("lj-a",), seeds=(1,),
                          slurm='site = "mycluster"\ngpus = 1\ngpu_share = 4')
    assert cli("campaign", "plan", camp, env=env).returncode == 0
    script = (tmp_path / "shared" / "jobs" / "quench.sh").read_text()
    assert "#SBATCH --gres=shard:1" in script and "--gres=gpu" not in script and "--gpus" not in script
    (home / "sites" / "evil.toml").write_text('partition = "gpu\\n#SBATCH --uid=0"\n')
    camp = write_campaign(tmp_path, "evil", xs=(0,), pots=("lj-a",), seeds=(1,), slurm='site = "evil"')
    assert_user_error(cli("campaign", "plan", camp, env=env), "partition", "not a SLURM name")
    assert not (tmp_path / "evil").exists()


@pytest.mark.slow
def test_time_limit_then_resume_continues_from_restart(cluster, lj_env, tmp_path):
    """A run longer than its 1-minute limit is stopped by SLURM (restart written on SIGTERM); after the user
    raises the limit, resume continues it from that restart (not from the start), and it goes on from there."""
    camp = write_campaign(tmp_path, "limit", xs=(0,), pots=("lj-a",), seeds=(1,), slurm='time = "00:01:00"',
                          extra='stages = ["quench"]', more_set=(*LONG_LJ, "restart_every=50000"))
    assert cli("campaign", "submit", camp, env=lj_env).returncode == 0
    row = wait_idle(camp, lj_env, timeout=240)[0]
    st = row["stages"]["quench"]
    assert st["state"] == "stopped" and "time limit" in st["reason"], row
    run_json = Path(row["dir"]) / "run.json"
    man = json.loads(run_json.read_text())
    assert man["state"] == "stopped" and man["last_restart"]
    stopped_at = int(re.search(r"step\.(\d+)\.bin", man["last_restart"]).group(1))
    assert stopped_at > 0
    camp.write_text(camp.read_text().replace('time = "00:01:00"', 'time = "00:10:00"'))
    r = cli("campaign", "resume", camp, "--json", env=lj_env)
    assert [s["cases"] for s in json.loads(r.stdout)["submitted"]] == [[0]]
    assert "#SBATCH --time=00:10:00" in (tmp_path / "limit" / "jobs" / "quench.sh").read_text()
    end = time.monotonic() + 120
    while not ((man := json.loads(run_json.read_text()))["state"] == "running" and man.get("resumed_from")):
        assert time.monotonic() < end, man
        time.sleep(1)
    assert man["resumed_from"] == stopped_at
    # let it run on past the old restart: wait for a newer restart file (run.json names the last one only
    # when the run stops), so the stop below is provably later than the resume
    end = time.monotonic() + 300
    while not any(int(p.name.split(".")[1]) > stopped_at for p in (run_json.parent / "restart").glob("step.*.bin")):
        assert time.monotonic() < end, sorted(p.name for p in (run_json.parent / "restart").glob("*"))
        time.sleep(1)
    assert cli("campaign", "cancel", camp, env=lj_env).returncode == 0
    wait_idle(camp, lj_env, timeout=60)
    man = json.loads(run_json.read_text())
    assert man["state"] == "stopped" and man["resumed_from"] == stopped_at
    assert int(re.search(r"step\.(\d+)\.bin", man["last_restart"]).group(1)) > stopped_at
    logs = "".join(p.read_text() for p in (tmp_path / "limit" / "logs").glob("*-quench-*.out"))
    assert f"resuming from step {stopped_at}" in logs, logs


@pytest.mark.slow
def test_requeue_before_the_time_limit_resumes_from_the_restart(cluster, lj_env, tmp_path):
    """requeue = true, live: SLURM sends USR1 before the 1-minute limit, the run writes a restart, the job
    requeues itself (SLURM holds it about 2 minutes) and resumes from the restart; a cancel is not requeued."""
    camp = write_campaign(tmp_path, "rq", xs=(0,), pots=("lj-a",), seeds=(1,),
                          slurm='time = "00:01:00"\nrequeue = true\nsignal_s = 30', extra='stages = ["quench"]',
                          more_set=(*LONG_LJ, "restart_every=100000"))
    assert cli("campaign", "submit", camp, env=lj_env).returncode == 0
    run_json = tmp_path / "rq" / "lj-a" / "x0" / "s1" / "run.json"
    end = time.monotonic() + 420
    while not ((man := json.loads(run_json.read_text())).get("resumed_from") and man["state"] == "running"):
        assert time.monotonic() < end, man
        time.sleep(2)
    log_file = next((tmp_path / "rq" / "logs").glob("*-quench-*.out"))
    log = log_file.read_text()  # appended across requeues
    # SLURM may send the warning up to 60 s early (sbatch --signal), so with a 1-minute limit a requeued
    # start can be warned again before it writes anything: each such start requeues once more, loses
    # nothing, and the run resumes from the newest restart whenever it gets going
    stops = [int(n) for n in re.findall(r"error: stopped at step (\d+) \(restart written\)", log)]
    starts = log.count("lammpskit: task 0 case")  # one log per job id: every start after the first is a requeue
    assert stops and starts >= len(stops) + 1, log
    assert man["resumed_from"] == stops[-1], (man, log)  # the newest restart, written on the warning
    assert status(camp, lj_env)[0]["stages"]["quench"]["state"] == "running"
    assert cli("campaign", "cancel", camp, env=lj_env).returncode == 0
    row = wait_idle(camp, lj_env, timeout=60)[0]
    assert row["stages"]["quench"]["state"] in ("cancelled", "stopped"), row
    time.sleep(5)  # a requeue would show as pending again
    assert status(camp, lj_env)[0]["stages"]["quench"]["state"] in ("cancelled", "stopped")
    assert json.loads(run_json.read_text())["state"] == "stopped"


def test_report_of_a_small_campaign_in_headless_chromium(cluster, mixed_env, tmp_path):
    """Report of a 2 potentials x 2 x campaign (the random-weight MACE model through the bridge and a classical
    potential natively) with one failed case: tables, figures, the failure named; the HTML opens in headless
    Chromium without console errors and every figure decodes."""
    camp = write_campaign(tmp_path, "rep", pots=("lj-a", "tiny-mace"), seeds=(1,), elastic="maxiter = 60\nftol = 1e-4")
    assert cli("campaign", "plan", camp, env=mixed_env).returncode == 0
    bad = tmp_path / "rep" / "lj-a" / "x1.5" / "s1" / "data.lmp"
    bad.write_text("broken\n")
    assert cli("campaign", "submit", camp, env=mixed_env).returncode == 0
    rows = wait_idle(camp, mixed_env, timeout=600)
    assert [r["state"] for r in rows].count("done") == 3, rows
    camp.write_text(camp.read_text().replace("x = [0, 1.5]", "x = [0, 1.5, 3]"))  # two cases never submitted
    ref = tmp_path / "ref.csv"  # a made-up value to check the scoring (the shipped file has none at these x)
    ref.write_text("system,x,quantity,value,uncertainty,unit,method,source,doi,note\n"
                   "Na4P2S7-xOx,0,density,2.0,0.05,g/cm3,test,not a measurement,10.0/test,\n"
                   "Na4P2S7-xOx,0,B,20,,GPa,test,not a measurement,10.0/test,\n"
                   "Na4P2S7-xOx,2.5,Tg,,,K,test,not a measurement,10.0/test,unknown: skipped\n")
    r = cli("report", camp, "--reference", ref, "--json", env=mixed_env)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    problems = {p["case"]: p["why"] for p in info["problems"]}
    # a C that is not positive definite (the short relaxations here can leave one) has eigenvalues, not moduli
    unstable = set()
    for pot, x in (("lj-a", 0), ("tiny-mace", 0), ("tiny-mace", 1.5)):
        res = json.loads((tmp_path / "rep" / pot / f"x{x:g}" / "s1" / "elastic-static" / "result.json").read_text())
        if res["mechanically_stable"] is False:
            unstable.add((pot, f"{float(x)}"))
            assert res["B_GPa"] is None and min(res["eigenvalues_GPa"]) <= 0
            assert "mechanically unstable" in problems[f"{pot} x={x:g} s1"]
    assert info["rows"] == 3 and set(problems) == {"lj-a x=1.5 s1", "lj-a x=3 s1", "tiny-mace x=3 s1"} | {
        f"{pot} x={float(x):g} s1" for pot, x in unstable}, problems
    assert "quench failed" in problems["lj-a x=1.5 s1"] and "quench missing (not submitted)" in problems["lj-a x=3 s1"]
    folder = tmp_path / "rep" / "report"
    md = (folder / "report.md").read_text()
    assert "lj-a x=1.5 s1: quench failed" in md and "| tiny-mace | 1.5 | 1 |" in md
    assert "tiny-mace x=3 s1: quench missing (not submitted)" in md
    assert "## PS(4-m)Om units (fraction of P)" in md
    table = list(csv.DictReader((folder / "report.csv").open()))
    assert [(t["potential"], t["x"]) for t in table] == [("lj-a", "0.0"), ("tiny-mace", "0.0"), ("tiny-mace", "1.5")]
    for t in table:  # every stage left its numbers: density, moduli, units, artefacts, Na transport
        moduli = ("B", "G", "E", "nu")
        for key in ("density", *moduli, "P0", "NBS", "edge_sharing", "pp_bonds", "D_Na", "sigma_Na"):
            if key in moduli and (t["potential"], t["x"]) in unstable:
                assert t[key] == "", (t["potential"], key)
                continue
            assert t[key] != "" and np.isfinite(float(t[key])), (t["potential"], key)
        assert 0.5 < float(t["density"]) < 6 and float(t["D_Na"]) > 0
    by_pot = {t["potential"]: t for t in table if t["x"] == "0.0"}
    for sc in info["scores"]:  # deviation per quantity from the reference, mean over quantities, the closest named
        t = by_pot[sc["potential"]]
        want = {"density": abs(float(t["density"]) - 2.0) / 2.0}
        if t["B"]:
            want["B"] = abs(float(t["B"]) - 20) / 20
        assert sc["compared_values"] == len(want) and sc["rel_deviation"] == pytest.approx(want, rel=1e-9)
        assert sc["mean_rel_deviation"] == pytest.approx(np.mean(list(want.values())))
    best = min(info["scores"], key=lambda sc: sc["mean_rel_deviation"])
    assert [sc["closest"] for sc in info["scores"]] == [sc is best for sc in info["scores"]]
    assert f"closest to experiment overall: {best['potential']}" in md
    assert [sc["P1_disproportionates"] is None for sc in info["scores"]] == [True, False]  # lj-a has one x
    units = list(csv.DictReader((folder / "units.csv").open()))
    for u in units:  # unit fractions of each case add up to 1 (every P is in exactly one unit)
        total = sum(float(v) for k, v in u.items() if k not in ("potential", "x", "replicas")
                    and not k.endswith("_spread") and v)
        assert abs(total - 1) < 1e-9, u
    assert len(info["figures"]) >= 5 and all(Path(f).stat().st_size > 5000 for f in info["figures"])
    names = {Path(f).name for f in info["figures"]}
    assert {"density.png", "B.png", "P1.png", "D_Na.png", "units.png", "S_x0.png", "G_x1.5.png", "partials_x0.png",
            "partials_x1.5.png", "glass_tiny-mace_x1.5.png", "glass_lj-a_x0.png"} <= names
    # open it in headless Chromium: console errors are logged to stderr; a probe script counts decoded images
    probe = folder / "probe.html"
    probe.write_text((folder / "report.html").read_text().replace(
        "</body>", "<script>window.onload=()=>{const i=[...document.images];document.body.setAttribute('data-ok',"
        "i.length+'/'+i.filter(x=>x.complete&&x.naturalWidth>0).length)}</script></body>"))
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Debian chromium is needed (make system installs it)"
    out = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                          "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120)
    n = len(info["figures"])
    assert f'data-ok="{n}/{n}"' in out.stdout, out.stdout[-500:]
    console_errors = [ln for ln in out.stderr.splitlines() if "CONSOLE" in ln and ("rror" in ln or "Uncaught" in ln)]
    assert not console_errors, console_errors


@pytest.mark.parametrize("text, message", [
    ("system,x,quantity,value\nNa4P2S7-xOx,0,density,2.1\n", "missing columns ['uncertainty'"),
    ("{head}\nNa4P2S7-xOx,zero,density,2.1,,g/cm3,,a paper,10.1/x,\n", "line 2: x must be a number"),
    ("{head}\nNa4P2S7-xOx,9,density,2.1,,g/cm3,,a paper,10.1/x,\n", "line 2: x must be <= 7"),
    ("{head}\nNa4P2S7-xOx,1,density,2.1,-0.1,g/cm3,,a paper,10.1/x,\n", "line 2: uncertainty must be >= 0"),
    ("{head}\nNa4P2S7-xOx,1,density,2.1,,g/cm3,,,,\n", "line 2: quantity, source and doi are required"),
])
def test_bad_reference_file_refused(lj_env, tmp_path, text, message):
    """A reference CSV with a missing column, a bad number or no source: one error line, no report folder."""
    from lammpskit.study.report import REF_COLUMNS

    camp = write_campaign(tmp_path, "ref", seeds=(1,))
    ref = tmp_path / "ref.csv"
    ref.write_text(text.format(head=",".join(REF_COLUMNS)))
    r = cli("report", camp, "--reference", ref, env=lj_env)
    assert_user_error(r, message)
    assert not (tmp_path / "ref" / "report").exists()


def test_sweep_on_slurm_runs_every_point_once_with_its_values(cluster, lj_env, tmp_path):
    """A [sweep] of quench_rate x atoms submitted to SLURM: case i of the array is sweep point i, each quench
    task ran once with its point's rate and size, and the report has the convergence figure per axis."""
    camp = tmp_path / "sweep.toml"
    camp.write_text('name = "swp"\nx = [0]\npotentials = ["lj-a"]\nseeds = [1]\nstages = ["quench"]\n'
                    f'set = {json.dumps([s for s in FAST if not s.startswith("quench_rate")])}\n'
                    '[sweep]\nquench_rate = [12000, 6000]\natoms = [26, 52]\n[slurm]\ntime = "00:10:00"\n')
    r = cli("campaign", "submit", camp, "--json", env=lj_env)
    assert r.returncode == 0, r.stderr
    (sub,) = json.loads(r.stdout)["submitted"]
    assert (sub["stage"], sub["cases"]) == ("quench", [0, 1, 2, 3])
    rows = wait_idle(camp, lj_env)
    points = [(12000.0, 26), (12000.0, 52), (6000.0, 26), (6000.0, 52)]
    assert [(r["sweep"]["quench_rate"], r["sweep"]["atoms"], r["state"]) for r in rows] == [(q, a, "done")
                                                                                          for q, a in points]
    jobs = [tuple(row["stages"]["quench"]["job"].split("_")) for row in rows]
    end = time.monotonic() + 120  # a task's result is written before SLURM logs its completion
    while not set(jobs) <= set(done := jobcomp(cluster)) and time.monotonic() < end:
        time.sleep(0.5)
    for row, (rate, atoms) in zip(rows, points):
        case = Path(row["dir"])
        assert case == tmp_path / "swp" / "lj-a" / "x0" / f"quench_rate{rate:g}-atoms{atoms}" / "s1"
        assert row["label"] == f"lj-a x=0 quench_rate={rate:g} atoms={atoms} s1"
        man = json.loads((case / "run.json").read_text())
        assert (man["params"]["quench_rate"], man["composition"]["atoms"], man["state"]) == (rate, atoms, "done")
        assert man["slurm"]["quench"] == [row["stages"]["quench"]["job"]]  # submitted once
        assert done[tuple(row["stages"]["quench"]["job"].split("_"))]["JobState"] == "COMPLETED"
    r = cli("report", camp, "--json", env=lj_env)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    for axis in ("quench_rate", "atoms"):
        assert (tmp_path / "swp" / "report" / f"convergence_{axis}.png").is_file()
    # one seed: each series says no error is available
    assert info["convergence"] and all("no error is available" in t for t in info["convergence"])
