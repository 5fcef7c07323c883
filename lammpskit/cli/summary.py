"""The one-screen summary printed after a run."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from lammpskit._util.layout import TG_PLOT
from lammpskit.run.result_types import ElasticResult, QuenchResult, UnitsResult


def pm(value: float, err: float | None, digits: int) -> str:
    """``value ± err``, or the value alone when there is no error estimate (None: too few samples)."""
    return f"{value:.{digits}f} ± {err:.{digits}f}" if err is not None else f"{value:.{digits}f} (no error estimate)"


def show(run_dir: Path, r: QuenchResult, console: Console | None = None) -> None:
    """Print density, energies, speed and where the dump is."""
    console = console or Console()
    f = r.final_state
    t = Table(title=f"{r.composition} · {r.atoms} atoms · {r.potential} ({r.mode}) · profile {r.profile}",
              show_header=False)
    t.add_column(style="bold")
    t.add_column()
    d = r.density
    if d:
        t.add_row("density (anneal, 2nd half)", f"{pm(d.mean, d.err, 4)} g/cm³  ({d.n} samples)")
    t.add_row("final density", f"{f.density_g_cm3:.4f} g/cm³")
    t.add_row("final T, P", f"{f.temp_K:.1f} K, {f.press_bar:.0f} bar")
    t.add_row("final energy", f"{f.pe_eV:.3f} eV potential, {f.pe_eV / r.atoms:.4f} eV/atom")
    t.add_row("steps", f"{r.steps} ({r.md_steps_this_run} MD steps in this run)")
    t.add_row("speed", f"{r.steps_per_s} steps/s on {r.threads} threads, wall {r.wall_s:.0f} s")
    if r.model_s_per_call is not None:
        t.add_row("model call", f"{r.model_s_per_call * 1e3:.1f} ms per step")
    console.print(t)
    # paths on their own lines so a narrow terminal never truncates them
    here = QuenchResult.from_values(r.to_dict(), run_dir)  # its files under the folder shown
    if here.dump:
        console.print(f"dump (open in OVITO): {here.dump}", soft_wrap=True)
    console.print(f"final structure: {here.glass_data}", soft_wrap=True)
    if r.Tg_K is not None:
        console.print(f"Tg (NPT quench, V(T) kink): {pm(r.Tg_K, r.Tg_err_K, 0)} K; fit in "
                      f"{Path(run_dir) / TG_PLOT}", soft_wrap=True)
    for problem in r.problems or []:
        console.print(f"[red]problem: {problem}[/red]", soft_wrap=True)
    if r.profile == "smoke":
        console.print("[yellow]profile smoke: not for science[/yellow]")


def show_units(path, r: UnitsResult, console: Console | None = None) -> None:
    """Print a units analysis (means over frames ± standard deviation)."""
    console = console or Console()
    sd = r.spread
    t = Table(title=f"{path} · {r.frames} frame(s) · {r.P_atoms:.0f} P", show_header=False)
    t.add_column(style="bold")
    t.add_column()
    t.add_row("P^n", "  ".join(f"P{n} {r.Pn_fraction[n]:.3f}±{sd.Pn_fraction[n]:.3f}" for n in r.Pn))
    t.add_row("units", "  ".join(f"{u} {c:.2f}" for u, c in r.units.items()))
    for el in ("S", "O"):
        a = {kind: r.anion_count(el, kind) for kind in ("bridging", "nonbridging", "free")}
        t.add_row(f"{el} anions", f"bridging {a['bridging']:.2f}  non-bridging {a['nonbridging']:.2f}  free {a['free']:.2f}")
    t.add_row("artefacts", f"edge-sharing pairs {r.edge_sharing_pairs:.2f}  P-P bonds {r.pp_bonds:.2f}  "
                           f"S-S bonds {r.ss_bonds:.2f}  largest P-P cluster {r.longest_pp_chain:.2f}")
    t.add_row("coordination", "  ".join(f"{k} {v:.2f}" for k, v in r.coordination.items()))
    t.add_row("cutoffs (Å)", "  ".join(f"{k} {v}" for k, v in r.cutoffs.items()))
    console.print(t)


def show_elastic(run_dir, r: ElasticResult, console: Console | None = None) -> None:
    """Print C_ij and the isotropic moduli (GPa)."""
    console = console or Console()
    reps = f", mean of {r.replicas} replicas" if r.replicas else ""
    t = Table(title=f"elastic constants (GPa), {r.method}, strain {r.strain}, {r.potential}{reps}")
    for j in range(6):
        t.add_column(f"C_{j + 1}", justify="right")
    for row in r.C_GPa:
        t.add_row(*(f"{v:8.2f}" for v in row))
    console.print(t)
    for problem in r.problems or []:
        console.print(f"[red]{problem}[/]")
    if r.mechanically_stable is False:
        console.print("eigenvalues of C (GPa): " + " ".join(f"{e:.2f}" for e in r.eigenvalues_GPa))
        console.print(f"run directory: {run_dir}", soft_wrap=True)
        return
    console.print(f"B {r.B_GPa:.2f}  G {r.G_GPa:.2f}  E {r.E_GPa:.2f} GPa  nu {r.nu:.3f}  "
                  f"(Voigt/Reuss B {r.B_voigt_GPa:.2f}/{r.B_reuss_GPa:.2f}, G {r.G_voigt_GPa:.2f}/{r.G_reuss_GPa:.2f})")
    if r.B_err_GPa is not None:
        console.print(f"errors: B ±{r.B_err_GPa:.2f}  G ±{r.G_err_GPa:.2f}  E ±{r.E_err_GPa:.2f} GPa  nu ±{r.nu_err:.3f}")
    sigma = r.isotropy_dev_sigma
    console.print(f"isotropy: largest deviation from the nearest isotropic C {r.isotropy_dev_GPa:.2f} GPa"
                  + (f" = {sigma:.1f} sigma" if sigma is not None else ""))
    console.print(f"run directory: {run_dir}", soft_wrap=True)
