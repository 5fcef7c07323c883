"""The ``lammpskit`` command line (Typer). Heavy imports happen inside commands."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from lammpskit.cli.analyze import analyze_app
from lammpskit.cli.audit import audit_cmd
from lammpskit.cli.campaign import campaign_app
from lammpskit.cli.campaign import report as report_cmd
from lammpskit.cli.common import Json, message
from lammpskit.cli.common import echo_json as _echo_json
from lammpskit.cli.finetune import finetune_app
from lammpskit.cli.potentials import potentials_app
from lammpskit.errors import InputError, ReadError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Melt-quench LAMMPS workflows with machine-learning interatomic potentials.\n\n"
                       "Example: lammpskit quench --pot chgnet --x 1.5 --profile smoke")
app.add_typer(potentials_app, name="potentials")
app.add_typer(analyze_app, name="analyze")
app.add_typer(campaign_app, name="campaign")
app.add_typer(finetune_app, name="finetune")
app.command("report")(report_cmd)
app.command("audit")(audit_cmd)

Pot = Annotated[str, typer.Option("--pot", help="Registered potential (see 'lammpskit potentials list').")]
X = Annotated[float, typer.Option("--x", help="O per formula unit in Na4P2S7-xOx (0 <= x <= 7).")]
Fu = Annotated[Optional[int], typer.Option("--fu", help="Number of formula units (exact).")]
Atoms = Annotated[Optional[int], typer.Option("--atoms", help="Approximate number of atoms (nearest valid size).")]
Formula = Annotated[str, typer.Option("--formula", help="Glass formula, e.g. Na3PS4, NaPO3, 75Na2S·25P2S5.")]
Seed = Annotated[int, typer.Option("--seed", help="Random seed (placement and velocities).")]
Density = Annotated[Optional[float], typer.Option("--density", help="Start density in g/cm^3 (default: estimate).")]
MinDist = Annotated[Optional[list[str]], typer.Option("--min-dist", help="Minimum distance A-B=d in Å (repeatable).")]


@app.command()
def compositions(
    x: Annotated[Optional[list[float]], typer.Option("--x", help="x values (default: the study's 0..3.5).")] = None,
    fu: Fu = None, atoms: Atoms = None, formula: Formula = "Na4P2S7-xOx", as_json: Json = False,
):
    """Composition, atom counts, valid sizes and start density for each x.

    Example: lammpskit compositions --x 0 --x 1.5 --atoms 1000
    """
    from lammpskit.structure import composition

    rows = composition.table(x, fu, atoms, formula)
    if as_json:
        return _echo_json(rows)
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"{formula} (density: volume-additivity estimate, ±20 %)")
    for col in ("x", "label", "fu", "fu step", "atoms", "counts", "ρ g/cm³", "box Å"):
        t.add_column(col)
    for r in rows:
        t.add_row("" if r["x"] is None else f"{r['x']:g}", r["label"], str(r["formula_units"]), str(r["fu_step"]),
                  str(r["atoms"]), " ".join(f"{k}{v}" for k, v in r["counts"].items()),
                  f"{r['density_estimate_g_cm3']:.3f}", f"{r['box_A']:.2f}")
    Console().print(t)


@app.command()
def build(
    out: Annotated[str, typer.Option("--out", help="LAMMPS data file to write.")] = "data.lmp",
    x: X = 0.0, fu: Fu = None, atoms: Atoms = None, formula: Formula = "Na4P2S7-xOx", seed: Seed = 1,
    density: Density = None, min_dist: MinDist = None, as_json: Json = False,
):
    """Random glass start structure as a LAMMPS data file (Masses carry '# El').

    Example: lammpskit build --x 1.5 --atoms 1000 --seed 7 --out start.data
    """
    from lammpskit.cli import types
    from lammpskit.structure import builder

    info = builder.build_file(out, x, fu, atoms, formula, seed, density, types.pairs(min_dist, "--min-dist", "S-S=2.5"))
    if as_json:
        return _echo_json(info)
    typer.echo(f"wrote {info['data']}: {info['label']}, {info['atoms']} atoms, {info['density_g_cm3']:.3f} g/cm^3, "
               f"seed {seed}")


def render(
    pot: Pot = "chgnet", x: X = 0.0, fu: Fu = None, atoms: Atoms = None, formula: Formula = "Na4P2S7-xOx",
    profile: Annotated[str, typer.Option("--profile", help="Protocol profile: smoke (not for science) or paper.")] = "smoke",
    seed: Seed = 1, density: Density = None, min_dist: MinDist = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override a protocol parameter, KEY=VALUE "
                    "(dt fs, T_melt K, t_melt ps, quench_rate K/ps, quench_ensemble nvt|npt, T_final K, P bar, "
                    "t_anneal ps, t_production ps, Tdamp ps, Pdamp ps, skin Å, min_steps, min_ftol eV/Å, "
                    "thermo_every, dump_every, msd_every, restart_every, dump_velocities).")] = None,
    mode: Annotated[str, typer.Option("--mode", help="auto | native | bridge.")] = "auto",
    d3: Annotated[bool, typer.Option("--d3", help="Add Grimme D3(BJ) dispersion (LAMMPS dispersion/d3) "
                                     "for the functional the potential was trained on.")] = False,
    out: Annotated[Optional[str], typer.Option("--out", help="Run directory to create (must not exist).")] = None,
    as_json: Json = False,
):
    """Write a run directory (deck, data file, potential block, run.json); do not run it.

    Example: lammpskit render --pot chgnet --x 1.5 --profile smoke --out runs/try1
    """
    run_dir = _render(**locals())
    if as_json:
        from lammpskit.run import manifest

        return _echo_json({"run_dir": str(run_dir), **manifest.load(run_dir).to_dict()})
    typer.echo(f"rendered {run_dir}; run it with: lammpskit run {run_dir}")


def _render(pot, x, fu, atoms, formula, profile, seed, density, min_dist, set_, mode, d3, out, as_json) -> Path:
    from lammpskit.cli import types
    from lammpskit.workflows import protocol
    from lammpskit.workflows.quench import render_run

    settings = types.settings(set_)
    run_dir = render_run(pot, x, fu=fu, atoms=atoms, formula=formula, profile=profile, seed=seed, density=density,
                         min_dist=types.pairs(min_dist, "--min-dist", "S-S=2.5"), settings=settings, mode=mode, d3=d3,
                         out=out, notice=lambda line: typer.echo(f"note: {line}", err=True))
    note = protocol.profile(profile).note
    if note and profile == "smoke":
        typer.echo(f"profile {profile}: {note}", err=True)
    return run_dir


app.command("render")(render)


def _run_dir(run_dir: Path, threads: int | None, device: str, as_json: bool, trust_deck: bool = False) -> dict:
    from lammpskit import workflows
    from lammpskit.cli import summary
    from lammpskit.cli.progress import RunProgress
    from lammpskit.run.result_types import ElasticResult, QuenchResult

    result = workflows.run(run_dir, threads=threads, device=device, trust_deck=trust_deck,
                           progress=None if as_json else RunProgress())
    if as_json:
        _echo_json(result.to_dict())
    elif isinstance(result, QuenchResult):
        summary.show(run_dir, result)
    elif isinstance(result, ElasticResult):
        summary.show_elastic(run_dir, result)
    else:
        _echo_json(result.to_dict())
    return result


@app.command("run")
def run_cmd(
    run_dir: Annotated[Path, typer.Argument(help="Run directory made by 'render' or 'quench'.")],
    threads: Annotated[Optional[int], typer.Option("--threads", help="CPU threads (default: all cores).")] = None,
    device: Annotated[str, typer.Option("--device", help="cpu or cuda (bridge calculators).")] = "cpu",
    trust_deck: Annotated[bool, typer.Option("--trust-deck", help="Run a deck that changed since render or that "
                          "runs programs (shell, python, plugins): only for decks you wrote or trust.")] = False,
    verify_only: Annotated[bool, typer.Option("--verify-only", help="Only check run.json, the rendered files' "
                           "sha256 and the deck (as before a run; job scripts of native lmp runs do).")] = False,
    record_only: Annotated[bool, typer.Option("--record-only", help="Only record the result of a run that lmp "
                           "finished (job scripts of native lmp runs do, after lmp).")] = False,
    as_json: Json = False,
):
    """Run a run directory, or resume it from its last restart.

    Example: lammpskit run runs/chgnet-x0-smoke-s1
    """
    from lammpskit._util import validate

    validate.choice(device, ("cpu", "cuda"), "--device")
    if threads is not None:
        validate.integer(threads, "--threads", 1, 1024)
    if verify_only:
        from lammpskit.run import integrity, manifest

        return integrity.verify(run_dir, manifest.load(run_dir), trust_deck)
    if record_only:
        from lammpskit import workflows

        result = workflows.record(validate.path(run_dir, "run directory"))
        return _echo_json(result.to_dict()) if as_json else typer.echo(f"recorded {run_dir}/result.json")
    _run_dir(validate.path(run_dir, "run directory"), threads, device, as_json, trust_deck)


@app.command("quench", help="Render a run directory and run it: the melt-quench in one command.\n\n"
                             "Example: lammpskit quench --pot chgnet --x 0 --profile smoke --out runs/glass1")
@functools.wraps(render)
def quench(**kwargs):
    run_dir = _render(**kwargs)
    _run_dir(run_dir, None, "cpu", kwargs["as_json"])


@app.command("density")
def density_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A quench run directory with an NPT anneal.")],
    blocks: Annotated[int, typer.Option("--blocks", help="Blocks for the error estimate.")] = 5,
    as_json: Json = False,
):
    """Density over the second half of the NPT anneal (g/cm^3) with a block-averaged standard error.

    Example: lammpskit density runs/chgnet-x0-smoke-s1 --json
    """
    from lammpskit._util import validate
    from lammpskit.workflows.quench import anneal_density

    validate.integer(blocks, "--blocks", 2, 1000)
    res = anneal_density(run_dir, blocks)
    if as_json:
        return _echo_json({"density_g_cm3": res.to_dict()})
    typer.echo(f"density {res.mean:.4f} ± {res.err:.4f} g/cm³ ({res.n} thermo rows, {blocks} blocks)")


@app.command("elastic")
def elastic_cmd(
    targets: Annotated[list[Path], typer.Argument(help="A finished quench run directory or a LAMMPS data file; "
                       "several (replicas of one glass) are averaged, with errors from their spread.")],
    pot: Annotated[Optional[str], typer.Option("--pot", help="Potential (default: the run directory's).")] = None,
    method: Annotated[str, typer.Option("--method", help="static (0 K, relaxed) or dynamic (NVT at T).")] = "static",
    strain: Annotated[float, typer.Option("--strain", help="Strain magnitude, 0 < e <= 0.05.")] = 0.005,
    temperature: Annotated[Optional[float], typer.Option("--temperature", help="dynamic: T in K "
                           "(default: the run's T_final, else 300).")] = None,
    steps: Annotated[int, typer.Option("--steps", help="dynamic: averaging steps per strained state.")] = 10000,
    equil: Annotated[int, typer.Option("--equil", help="dynamic: equilibration steps per state.")] = 2000,
    dt: Annotated[Optional[float], typer.Option("--dt", help="dynamic: timestep in fs (default: the run's, else 1).")] = None,
    ftol: Annotated[float, typer.Option("--ftol", help="static: force tolerance of each relaxation (eV/Å).")] = 1e-8,
    maxiter: Annotated[int, typer.Option("--maxiter", help="static: iteration cap of each relaxation.")] = 5000,
    mode: Annotated[str, typer.Option("--mode", help="auto | native | bridge.")] = "auto",
    out: Annotated[Optional[str], typer.Option("--out", help="Run directory for the strained runs (one target).")] = None,
    as_json: Json = False,
):
    """Elastic constants C_ij and Voigt/Reuss/Hill B, G, E, nu (GPa) from +/- strains.

    Example: lammpskit elastic runs/chgnet-x0-smoke-s1 --method static --strain 0.005 --json
    """
    from lammpskit.cli.progress import RunProgress
    from lammpskit.cli.summary import show_elastic
    from lammpskit.workflows import elastic

    result = elastic.elastic(targets, pot=pot, method=method, strain=strain, temperature=temperature, steps=steps,
                             equil_steps=equil, dt=dt, ftol=ftol, maxiter=maxiter, mode=mode, out=out,
                             progress=None if as_json else RunProgress())
    if as_json:
        return _echo_json(result.to_dict())
    run_dir = Path(out) if out else elastic.default_dir(targets[0], method) if len(targets) == 1 else Path(targets[0]).parent
    show_elastic(run_dir, result)


@app.command("arrhenius")
def arrhenius_cmd(
    target: Annotated[Path, typer.Argument(help="A finished quench run directory (its glass is reheated).")],
    temps: Annotated[str, typer.Option("--temperatures", help="Temperatures in K, comma-separated.")] = "600,700,800",
    ps: Annotated[float, typer.Option("--ps", help="Sampled time per temperature (ps).")] = 100.0,
    equil: Annotated[float, typer.Option("--equil", help="NVT equilibration per temperature (ps).")] = 10.0,
    every: Annotated[int, typer.Option("--every", help="Steps between unwrapped-coordinate frames.")] = 100,
    element: Annotated[str, typer.Option("--element", help="Diffusing element fitted.")] = "Na",
    as_json: Json = False,
):
    """Launch NVT diffusion runs at several T from a quenched glass; fit D = D0 exp(-Ea/kB T).

    Example: lammpskit arrhenius runs/glass1 --temperatures 600,700,800 --ps 200
    """
    from lammpskit.cli import types
    from lammpskit.workflows import diffusion

    out = diffusion.arrhenius(target, types.temperatures(temps), ps=ps, equil_ps=equil, every=every, element=element)
    if as_json:
        return _echo_json(out.to_dict())
    for T, d in zip(out.temperatures_K, out.D_cm2_s):
        typer.echo(f"{T:7.1f} K  D({element}) = {d:.3g} cm²/s")
    typer.echo(f"Ea = {out.Ea_eV:.3f} eV, D0 = {out.D0_cm2_s:.3g} cm²/s")


def main() -> None:
    """Console entry point: one ``error:`` line and exit 2 (bad input) or 1 (failed run)."""
    try:
        from typer._click.exceptions import ClickException  # typer vendors click since 0.2x
    except ImportError:  # pragma: no cover - older typer
        from click.exceptions import ClickException

    debug = os.environ.get("LAMMPSKIT_DEBUG") == "1"
    try:
        code = app(standalone_mode=False)
    except InputError as exc:  # UserError and the analysis's own
        if debug:
            raise
        typer.echo(f"error: {message(exc)}", err=True)
        sys.exit(2)
    except ReadError as exc:  # RunError and the analysis's own
        if debug:
            raise
        typer.echo(f"error: {message(exc)}", err=True)
        sys.exit(1)
    except ClickException as exc:
        typer.echo(f"error: {exc.format_message()} (see --help)", err=True)
        sys.exit(2)
    except OSError as exc:  # the file system said no: a full disk, a read-only place, a vanished file
        if debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        typer.echo(f"error: {where}{exc.strerror or exc}", err=True)
        sys.exit(1)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("error: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
