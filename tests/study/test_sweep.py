"""Campaign sweeps (issue 15, item 2): the [sweep] table makes the right cases, folders and labels; the swept
values reach each case's rendered quench (SLURM job script and local 'campaign run'); the report's
convergence section (figure per axis, one sentence per series) and its agreement test."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from lammpskit.study import campaign

from ..conftest import cli
from .test_sweep_pure import ATOMS, RATES, write

# -- both executors ---------------------------------------------------------------------------------------

def rendered(case_dir: Path) -> tuple[float, int, str]:
    """(quench rate in run.json, atoms in data.lmp, the quench stage's deck) of a rendered case."""
    man = json.loads((case_dir / "run.json").read_text())
    atoms = int(next(ln.split()[0] for ln in (case_dir / "data.lmp").read_text().splitlines() if ln.endswith(" atoms")))
    return man["params"]["quench_rate"], atoms, next(case_dir.glob("stage.*-quench.lmp")).read_text()


def check_cases(c: campaign.Campaign) -> None:
    for k in c.cases:
        rate, atoms, deck = rendered(k.dir)
        man = json.loads((k.dir / "run.json").read_text())
        assert (rate, atoms, man["seed"]) == (k.sweep["quench_rate"], k.sweep["atoms"], k.seed), k.label
        # the deck's NPT quench ramps 1500 -> 300 K over (1500 - 300) / rate ps, in steps of dt fs
        q = next(s for s in man["stages"] if s["name"] == "quench")
        assert q["end"] - q["begin"] == round(1200 / rate / (man["params"]["dt"] / 1000))
        assert "npt temp 1500.0 300.0" in deck
        assert re.search(rf"^run\s+{q['end']} upto start {q['begin']} stop {q['end']}$", deck, re.M), deck


def test_sweep_rendered_for_slurm(tmp_path, lj_env):
    path = write(tmp_path, sweep_lines=f"quench_rate = {RATES}\natoms = {ATOMS}\n",
                 stages=("quench", "elastic", "analysis"))
    r = cli("campaign", "plan", path, env=lj_env)
    assert r.returncode == 0, r.stderr
    c = campaign.load(path)
    check_cases(c)
    script = (c.root / "jobs" / "quench.sh").read_text()
    listed = script.split("CASES=(")[1].split(")")[0].split()
    assert listed == [str(k.dir) for k in c.cases]  # array task i is case i
    for stage in ("elastic", "analysis"):  # later stages run on the same folders
        assert (c.root / "jobs" / f"{stage}.sh").read_text().split("CASES=(")[1].split(")")[0].split() == listed


def test_sweep_run_locally_then_report_convergence(tmp_path, lj_env):
    path = write(tmp_path)
    r = cli("campaign", "run", path, "--workers", "2", "--json", env=lj_env, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(r.stdout)["done"] == 8
    c = campaign.load(path)
    check_cases(c)
    state = json.loads((c.root / "local.json").read_text())
    done = Counter((e["case"], e["stage"]) for e in state["events"] if e["state"] == "done")
    assert done == Counter({(i, "quench"): 1 for i in range(8)})
    rows = json.loads(cli("campaign", "status", path, "--json", env=lj_env).stdout)
    assert [(row["label"], row["state"]) for row in rows] == [(k.label, "done") for k in c.cases]
    for k in c.cases:  # LJ at eps = 0.01 eV boils under NPT (issue 24): a Tg only where V(T) and H(T) are a glass's
        res = json.loads((k.dir / "result.json").read_text())
        assert (res.get("Tg_K", 0) > 0 and res["Tg_err_K"] >= 0 and (k.dir / "tg.png").is_file()) or \
            "no Tg" in res["Tg_error"], res

    r = cli("report", path, "--json", env=lj_env)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    report = c.root / "report"
    for axis in ("quench_rate", "atoms"):
        assert str(report / f"convergence_{axis}.png") in info["figures"]
        assert (report / f"convergence_{axis}.png").stat().st_size > 10_000
    # density along each axis: 2 series per axis (the other axis' two values), one sentence each; Tg where the
    # cases have one
    lines = info["convergence"]
    assert len([t for t in lines if t.startswith("density")]) == 2 * 2, lines
    assert all(t.startswith(("density", "glass transition T")) for t in lines), lines
    for q in ("density",):
        assert sum(t.startswith(f"{q}, lj-a x=0 atoms=") and "at quench_rate = 2000 and 1000 K/ps" in t
                   for t in lines) == 2
        assert sum(t.startswith(f"{q}, lj-a x=0 quench_rate=") and "at atoms = 26 and 52" in t for t in lines) == 2
    assert all(("agree within their errors" in t) != ("do not agree" in t) for t in lines), lines
    md = (report / "report.md").read_text()
    assert "## Convergence" in md and lines[0] in md and "Swept: quench_rate = 2000, 1000 K/ps; atoms = 26, 52" in md
    csv_head = (report / "report.csv").read_text().splitlines()[0]
    assert csv_head.startswith("potential,x,quench_rate,atoms,replicas,density")
    assert len((report / "report.csv").read_text().splitlines()) == 1 + 4  # one row per sweep point
