"""``lammpskit campaign``: run a study here, or plan, submit, follow, resume and cancel it on SLURM."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from lammpskit.cli.common import Json
from lammpskit.cli.common import echo_json as _echo_json

campaign_app = typer.Typer(no_args_is_help=True, help="Whole studies here or on SLURM: compositions x potentials "
                                                      "x replicas, quench -> elastic -> analysis.")
File = Annotated[Path, typer.Argument(help="Campaign file (TOML), see 'lammpskit campaign plan --help'.")]
Watch = Annotated[bool, typer.Option("--watch", help="Keep showing the status table until nothing is queued.")]


@campaign_app.command("plan")
def plan_cmd(campaign_file: File, as_json: Json = False):
    """Check the campaign file and render every case's run directory and the job scripts; submit nothing.

    A [sweep] table (e.g. quench_rate = [100, 30, 10], atoms = [260, 520]) runs every point of its axes.

    Example: lammpskit campaign plan mos.toml
    """
    from lammpskit.study import campaign, plan

    c = campaign.load(campaign_file)
    with plan.locked(c):
        new = plan.plan(c)
    info = {"root": str(c.root), "cases": len(c.cases), "new": [k.index for k in new], "stages": c.stages,
            "sweep": c.axes}
    if as_json:
        return _echo_json(info)
    swept = f" ({' x '.join(f'{len(v)} {k}' for k, v in c.axes.items())} sweep points)" if c.axes else ""
    typer.echo(f"{len(c.cases)} cases{swept} in {c.root} ({len(new)} new); stages {' -> '.join(c.stages)}; "
               f"job scripts in {c.root / 'jobs'}")


@campaign_app.command("run")
def run_cmd(
    campaign_file: File,
    workers: Annotated[Optional[int], typer.Option("--workers", help="Cases run at the same time "
                       "(default: one per --gpus id, else 1).")] = None,
    gpus: Annotated[Optional[str], typer.Option("--gpus", help="GPU ids, e.g. 0,1: each worker's case on one "
                    "(CUDA_VISIBLE_DEVICES), round robin; repeat an id to share it: 0,0,0,0.")] = None,
    threads: Annotated[Optional[int], typer.Option("--threads", help="CPU threads per worker "
                       "(default: cores / workers).")] = None,
    as_json: Json = False,
):
    """Run the campaign on this machine, no SLURM: every missing stage of every case, N cases at a time.

    A rerun does only what is missing, stopped or failed; Ctrl-C stops every case cleanly (quench runs
    resume from their restart). 'campaign status' and 'report' work as for SLURM.

    Example: lammpskit campaign run study.toml --workers 2
    """
    from lammpskit.cli.progress import CampaignProgress
    from lammpskit.study import campaign, local

    info = local.run(campaign.load(campaign_file), workers, gpus, threads,
                     None if as_json else CampaignProgress())
    if as_json:
        _echo_json(info)
    else:
        typer.echo(f"{info['done']}/{info['cases']} cases done, {info['failed']} failed ({info['wall_s']:.0f} s, "
                   f"{info['workers']} worker(s) x {info['threads']} thread(s)); see 'lammpskit campaign status "
                   f"{campaign_file}'")
    if info["done"] < info["cases"]:  # a failed case fails the command (make study, CI, a job chain)
        from lammpskit.errors import RunError

        raise RunError(f"{info['cases'] - info['done']} of {info['cases']} cases are not done ({info['failed']} "
                       f"failed): 'lammpskit campaign status {campaign_file}' says why")


@campaign_app.command("submit")
def submit_cmd(campaign_file: File, watch: Watch = False, as_json: Json = False):
    """Plan, then submit every stage that is neither done nor queued (job arrays with dependencies).

    Example: lammpskit campaign submit mos.toml --watch
    """
    _submit(campaign_file, watch, as_json)


@campaign_app.command("resume")
def resume_cmd(campaign_file: File, watch: Watch = False, as_json: Json = False):
    """Resubmit only what failed, was cancelled, stopped at its time limit or was never submitted.

    Runs continue from their last restart. Done and queued cases are left alone.

    Example: lammpskit campaign resume mos.toml
    """
    _submit(campaign_file, watch, as_json)


def _submit(campaign_file, watch, as_json):
    from lammpskit.study import campaign, submit

    c = campaign.load(campaign_file)
    subs = submit.submit(c)
    if as_json and not watch:
        return _echo_json({"submitted": subs})
    for s in subs:
        typer.echo(f"submitted {s['stage']}: array {s['array']} tasks {','.join(map(str, s['cases']))}"
                   + (f" after {s['dependency']}" if s["dependency"] else ""))
    if not subs:
        typer.echo("nothing to submit: every case is done or queued")
    if watch:
        _watch(c, as_json)


@campaign_app.command("status")
def status_cmd(campaign_file: File, watch: Watch = False, as_json: Json = False):
    """One row per case: each stage done / pending / running / failed / cancelled / stopped / missing, and why.

    Example: lammpskit campaign status mos.toml --json
    """
    from lammpskit.study import campaign, status

    c = campaign.load(campaign_file)
    if watch:
        return _watch(c, as_json)
    rows = status.status(c)
    if as_json:
        return _echo_json(rows)
    _table(c, rows)


@campaign_app.command("cancel")
def cancel_cmd(campaign_file: File, as_json: Json = False):
    """Cancel every queued or running job of the campaign (runs write a restart when stopped).

    Example: lammpskit campaign cancel mos.toml
    """
    from lammpskit.study import campaign, submit

    ids = submit.cancel(campaign.load(campaign_file))
    if as_json:
        return _echo_json({"cancelled": ids})
    typer.echo(f"cancelled {len(ids)} job(s)" + (f": {' '.join(ids)}" if ids else ""))


def _watch(c, as_json: bool, every: float = 5.0):
    from lammpskit.study import status

    while True:
        rows = status.status(c)
        if not as_json:
            _table(c, rows)
        if not any(r["state"] in ("pending", "running") for r in rows):
            if as_json:
                _echo_json(rows)
            return
        time.sleep(every)


def _table(c, rows) -> None:
    from rich.console import Console
    from rich.table import Table

    colour = {"done": "green", "running": "cyan", "pending": "yellow", "failed": "red", "cancelled": "magenta",
              "stopped": "magenta", "missing": "dim"}
    t = Table(title=f"campaign {c.name} ({c.root})")
    for col in ("#", "case", *c.stages, "reason"):
        t.add_column(col)
    for r in rows:
        cells = [f"[{colour[s['state']]}]{s['state']}[/]" + (f" {s['job']}" if s.get("job") else "")
                 for s in r["stages"].values()]
        why = next((f"{k}: {s['reason']}" for k, s in r["stages"].items() if s.get("reason")
                    and s["state"] not in ("done", "missing")), "")
        t.add_row(str(r["case"]), r["label"], *cells, why)
    Console().print(t)
    counts = {}
    for r in rows:
        counts[r["state"]] = counts.get(r["state"], 0) + 1
    typer.echo(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))


def report(
    campaign_file: File,
    out: Annotated[Path | None, typer.Option("--out", help="Report folder (default: <root>/report).")] = None,
    reference: Annotated[Path | None, typer.Option("--reference", help="Experimental values (CSV: system, x, "
                         "quantity, value, uncertainty, unit, method, source, doi, note).")] = None,
    as_json: Json = False,
):
    """Tables (CSV, Markdown, self-contained HTML) and figures comparing the potentials of a campaign.

    Per potential and x: density, moduli, P^n and PS(4-m)Om units, bridging anions, artefacts,
    Na transport; scores against the experimental values of the reference CSV.

    Example: lammpskit report mos.toml
    """
    from lammpskit._util import outputs, validate
    from lammpskit.study import campaign
    from lammpskit.study import report as reporting

    c = campaign.load(campaign_file)
    folder = outputs.out_dir(validate.path(out or c.root / "report", "--out"), "--out")
    ref = validate.path(reference, "--reference") if reference else reporting.REFERENCE
    info = reporting.write(c, Path(folder), Path(ref))
    if as_json:
        return _echo_json(info)
    typer.echo(f"wrote {folder}/report.html, report.md, report.csv, units.csv and {len(info['figures'])} figures "
               f"({info['rows']} potential x composition{' x sweep point' if c.axes else ''} rows, "
               f"{len(info['problems'])} missing/failed cases)")
