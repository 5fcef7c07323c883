"""The one-screen summary printed after a run."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table


def pm(value: float, err: float | None, digits: int) -> str:
    """``value ± err``, or the value alone when there is no error estimate (None: too few samples)."""
    return f"{value:.{digits}f} ± {err:.{digits}f}" if err is not None else f"{value:.{digits}f} (no error estimate)"


def show(run_dir: Path, result: dict, console: Console | None = None) -> None:
    """Print density, energies, speed and where the dump is."""
    console = console or Console()
    f = result["final"]
    t = Table(title=f"{result['composition']} · {result['atoms']} atoms · {result['potential']} "
                    f"({result['mode']}) · profile {result['profile']}", show_header=False)
    t.add_column(style="bold")
    t.add_column()
    d = result.get("density_g_cm3")
    if d:
        t.add_row("density (anneal, 2nd half)", f"{pm(d['mean'], d['err'], 4)} g/cm³  ({d['n']} samples)")
    t.add_row("final density", f"{f['density_g_cm3']:.4f} g/cm³")
    t.add_row("final T, P", f"{f['temp_K']:.1f} K, {f['press_bar']:.0f} bar")
    t.add_row("final energy", f"{f['pe_eV']:.3f} eV potential, {f['pe_eV'] / result['atoms']:.4f} eV/atom")
    t.add_row("steps", f"{result['steps']} ({result['md_steps_this_run']} MD steps in this run)")
    t.add_row("speed", f"{result['steps_per_s']} steps/s on {result['threads']} threads, wall {result['wall_s']:.0f} s")
    if result.get("bridge"):
        t.add_row("model call", f"{result['bridge']['model_s_per_call'] * 1e3:.1f} ms per step")
    console.print(t)
    # paths on their own lines so a narrow terminal never truncates them
    if result.get("dump"):
        console.print(f"dump (open in OVITO): {Path(run_dir) / result['dump']}", soft_wrap=True)
    console.print(f"final structure: {Path(run_dir) / result['glass_data']}", soft_wrap=True)
    if result.get("Tg_K") is not None:
        console.print(f"Tg (NPT quench, V(T) kink): {pm(result['Tg_K'], result.get('Tg_err_K'), 0)} K; fit in "
                      f"{Path(run_dir) / 'tg.png'}", soft_wrap=True)
    for problem in result.get("problems", []):
        console.print(f"[red]problem: {problem}[/red]", soft_wrap=True)
    if result["profile"] == "smoke":
        console.print("[yellow]profile smoke: not for science[/yellow]")


def show_units(path, r: dict, console: Console | None = None) -> None:
    """Print a units analysis (means over frames ± standard deviation)."""
    console = console or Console()
    sd = r["std"]
    t = Table(title=f"{path} · {r['frames']} frame(s) · {r['P_atoms']:.0f} P", show_header=False)
    t.add_column(style="bold")
    t.add_column()
    t.add_row("P^n", "  ".join(f"P{n} {r['Pn_fraction'][n]:.3f}±{sd['Pn_fraction'][n]:.3f}" for n in r["Pn"]))
    t.add_row("units", "  ".join(f"{u} {c:.2f}" for u, c in r["units"].items()))
    for el in ("S", "O"):
        a = r["anions"][el]
        t.add_row(f"{el} anions", f"bridging {a['bridging']:.2f}  non-bridging {a['nonbridging']:.2f}  free {a['free']:.2f}")
    t.add_row("artefacts", f"edge-sharing pairs {r['edge_sharing_pairs']:.2f}  P-P bonds {r['pp_bonds']:.2f}  "
                           f"S-S bonds {r['ss_bonds']:.2f}  largest P-P cluster {r['longest_pp_chain']:.2f}")
    t.add_row("coordination", "  ".join(f"{k} {v:.2f}" for k, v in r["coordination"].items()))
    t.add_row("cutoffs (Å)", "  ".join(f"{k} {v}" for k, v in r["cutoffs"].items()))
    console.print(t)


def show_elastic(run_dir, r: dict, console: Console | None = None) -> None:
    """Print C_ij and the isotropic moduli (GPa)."""
    console = console or Console()
    reps = f", mean of {r['replicas']} replicas" if r.get("replicas") else ""
    t = Table(title=f"elastic constants (GPa), {r['method']}, strain {r['strain']}, {r['potential']}{reps}")
    for j in range(6):
        t.add_column(f"C_{j + 1}", justify="right")
    for row in r["C"]:
        t.add_row(*(f"{v:8.2f}" for v in row))
    console.print(t)
    for problem in r.get("problems", []):
        console.print(f"[red]{problem}[/]")
    if r.get("mechanically_stable") is False:
        console.print("eigenvalues of C (GPa): " + " ".join(f"{e:.2f}" for e in r["eigenvalues_GPa"]))
        console.print(f"run directory: {run_dir}", soft_wrap=True)
        return
    console.print(f"B {r['B']:.2f}  G {r['G']:.2f}  E {r['E']:.2f} GPa  nu {r['nu']:.3f}  "
                  f"(Voigt/Reuss B {r['B_voigt']:.2f}/{r['B_reuss']:.2f}, G {r['G_voigt']:.2f}/{r['G_reuss']:.2f})")
    if "B_err" in r:
        console.print(f"errors: B ±{r['B_err']:.2f}  G ±{r['G_err']:.2f}  E ±{r['E_err']:.2f} GPa  nu ±{r['nu_err']:.3f}")
    iso = r["isotropy"]
    console.print(f"isotropy: largest deviation from the nearest isotropic C {iso['max_dev_GPa']:.2f} GPa"
                  + (f" = {iso['max_dev_sigma']:.1f} sigma" if "max_dev_sigma" in iso else ""))
    console.print(f"run directory: {run_dir}", soft_wrap=True)
