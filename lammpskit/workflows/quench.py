"""The melt-quench workflow: render a run directory from a composition, and the result of a finished run.

Parameters and stages live in ``lammpskit.workflows.protocol`` (profiles in
templates/quench/profiles.toml); the deck is templates/quench/deck.lmp.j2 plus
one file per stage. Quench decks write restart points, so a stopped run resumes.
"""

from __future__ import annotations

from pathlib import Path

from lammpskit import __version__
from lammpskit._util import layout, limits, outputs, validate
from lammpskit._util.templates import env
from lammpskit.errors import UserError, param
from lammpskit.lammps import thermo
from lammpskit.potentials import registry as potentials
from lammpskit.progress import Progress
from lammpskit.run import integrity, manifest
from lammpskit.run.engine import RunStats
from lammpskit.run.render import choose_mode, new_manifest, potential_ctx, potential_text, staging
from lammpskit.run.result_types import DensityResult, QuenchResult
from lammpskit.structure import builder as structure
from lammpskit.structure.composition import Composition
from lammpskit.workflows import protocol


def render(out: Path, comp: Composition, pot: potentials.Potential, params: protocol.Params,
           profile: str, seed: int, density: float, mode: str = "auto",
           min_dist: dict | None = None, d3: bool = False, build=None, notice=None) -> Path:
    """Write the run directory ``out`` (must not exist) and return it."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if (out / manifest.MANIFEST).exists():
            raise UserError(f"{out} already holds a run: resume it with 'lammpskit run {out}' or choose another "
                            f"{param('out')}")
        raise UserError(f"{out} exists and is not empty: choose another {param('out')}")
    pot.supports(comp.elements)
    mode, variant = choose_mode(pot, mode, build, d3)
    pctx, files = potential_ctx(pot, mode, variant, d3, comp.elements)
    params.check()
    stages = protocol.stages(params)
    limits.run(comp.natoms, params, stages)
    outputs.out_dir(out, param("out"))
    if (note := limits.size_note(comp.natoms, params, stages)) and notice:
        notice(note)
    s = structure.build(comp, density, seed, min_dist)

    with staging(out) as tmp:
        tmpl = env()
        ctx = dict(version=__version__, comp=comp, profile=profile,
                   note=params.note, p=params, dt_ps=manifest.fs_to_ps(params.dt), seed=seed,
                   stages=stages, **pctx)
        structure.write_data(tmp / layout.START_DATA, s, f"{comp.label} {comp.natoms} atoms, "
                             f"{density:.4f} g/cm^3, seed {seed} (lammpskit {__version__})")
        (tmp / layout.POTENTIAL).write_text(potential_text(pctx))
        for st in stages:
            (tmp / st.file).write_text(tmpl.get_template(f"quench/{st.template}").render(s=st, **ctx))
        (tmp / layout.QUENCH_DECK).write_text(tmpl.get_template("quench/deck.lmp.j2").render(**ctx))
        (tmp / layout.RESTART_DIR).mkdir()
        manifest.save(tmp, new_manifest(
            "quench", layout.QUENCH_DECK, pot, mode, files, variant, pctx["d3"],
            extra={"density_start_g_cm3": round(density, 5)}, composition=comp.as_dict(), elements=comp.elements,
            seed=seed, profile=profile, params=params,
            stages=[manifest.Stage(name=st.name, file=st.file, begin=st.begin, end=st.end, dump=st.dump)
                    for st in stages],
            total_steps=stages[-1].end))
        integrity.record(tmp)
    return out


def result(run_dir: Path, man: manifest.Manifest, stats: RunStats) -> dict:
    """The result of a finished quench: composition, final thermo, anneal density (g/cm^3), speed."""
    rows = thermo.read_log(Path(run_dir) / layout.LOG)
    final = rows[-1] if rows else {}
    out = {
        "state": "done",
        "composition": man.composition_label,
        "atoms": man.atoms,
        "potential": man.potential.name,
        "mode": man.potential.mode,
        "profile": man.profile,
        "steps": man.total_steps,
        "final": {"step": int(final.get("Step", 0)), "temp_K": final.get("Temp"),
                  "press_bar": final.get("Press"), "pe_eV": final.get("PotEng"),
                  "etotal_eV": final.get("TotEng"), "volume_A3": final.get("Volume"),
                  "density_g_cm3": final.get("Density")},
        "md_steps_this_run": stats.md_steps,
        "steps_per_s": stats.steps_per_s,
        "dump": next((s.dump for s in man.stages if s.dump), None),
        "glass_data": layout.GLASS_DATA,
    }
    if man.stage("anneal"):
        density = anneal_density(run_dir, man=man)
        out["density_g_cm3"] = density.to_dict()
        comp = man.glass_composition()
        out["problems"] = density_problems(density.mean, comp) if comp else []
    if man.stage("quench") and man.params.quench_ensemble == "npt":
        out.update(glass_transition(run_dir, man, rows))
    if stats.bridge_calls:
        out["bridge"] = {"calls": stats.bridge_calls,
                         "model_s_per_call": round(stats.bridge_model_seconds / stats.bridge_calls, 5)}
    return out


def render_run(pot: str = "chgnet", x: float | None = 0.0, fu: int | None = None, atoms: int | None = None,
               formula: str = "Na4P2S7-xOx", profile: str = "smoke", seed: int = 1, density: float | None = None,
               min_dist: dict[str, float] | None = None, settings: dict | None = None, mode: str = "auto",
               d3: bool = False, out: str | Path | None = None, notice=None) -> Path:
    """Write a melt-quench run directory (not run); returns its path (``lk.render_quench``).

    Args:
        pot (str): a registered potential (``lammpskit potentials list``).
        x (float | None): O per formula unit of Na4P2S7-xOx, 0 <= x <= 7 (None with another ``formula``).
        fu (int | None): exact number of formula units.
        atoms (int | None): approximate number of atoms (the nearest valid size); default: the profile's size.
        formula (str): the glass formula, e.g. ``Na3PS4``, ``NaPO3``, ``75Na2S·25P2S5``.
        profile (str): ``smoke`` (checks code paths, not for science) or ``paper``.
        seed (int): random seed of the placement and the velocities, 0 <= seed < 2**31.
        density (float | None): start density in g/cm³ (default: the volume-additivity estimate).
        min_dist (dict[str, float] | None): minimum placement distances in Å by element pair,
            ``{"Na-Na": 2.0, "S-S": 2.5}``.
        settings (dict | None): protocol parameters over the profile's, e.g. ``{"quench_rate": 10}``: dt (fs),
            T_melt (K), t_melt (ps), quench_rate (K/ps), quench_ensemble (``"nvt"`` | ``"npt"``), T_final (K),
            P (bar), t_anneal (ps), t_production (ps), Tdamp (ps), Pdamp (ps), skin (Å), min_steps,
            min_ftol (eV/Å), thermo_every, dump_every, msd_every, restart_every (steps), dump_velocities (bool).
            A campaign file's ``["KEY=VALUE", ...]`` form is accepted too.
        mode (str): ``auto`` | ``native`` | ``bridge``.
        d3 (bool): add Grimme D3(BJ) dispersion for the functional the potential was trained on.
        out (str | Path | None): the run directory, which must not exist (default
            ``runs/<pot>-x<x>-<profile>-s<seed>``).
        notice (callable | None): ``notice(line)`` is told the size of a large run (atoms, steps, build
            time, dump size) before it is built.
    """
    from lammpskit._util import validate
    from lammpskit.structure import composition

    potential = potentials.get(pot)
    params = protocol.profile(validate.name(profile, param("profile"))).with_settings(settings)
    comp = composition.select(x, fu, atoms, formula, default_atoms=params.atoms)
    tag = f"x{x:g}" if formula == composition.SERIES else validate.name(comp.label.lower(), "formula")
    target = validate.path(out or f"runs/{pot}-{tag}-{profile}-s{seed}", param("out"))
    return render(target, comp, potential, params, profile, seed, composition.start_density(comp, density),
                  mode, composition.min_distances(min_dist), d3, notice=notice)


def quench(pot: str = "chgnet", x: float | None = 0.0, *, threads: int | None = None, device: str = "cpu",
           progress: Progress | None = None, **options) -> QuenchResult:
    """Render a melt-quench run directory and run it; returns its result (``lk.quench``).

    Args:
        pot (str): a registered potential.
        x (float | None): O per formula unit of Na4P2S7-xOx, 0 <= x <= 7.
        threads (int | None): OpenMP/torch threads (default: the cores this process may use).
        device (str): ``cpu`` | ``cuda`` for bridged models.
        progress (Progress | None): told the MD steps (``lk.Progress``: ``stage`` per MD stage, ``advance(step,
            info)`` with ``temp`` K, ``press`` bar, ``density`` g/cm³).
        **options (Any): the other arguments of ``render_quench`` (``fu``, ``atoms``, ``formula``, ``profile``, ``seed``,
            ``density`` g/cm³, ``min_dist`` {pair: Å}, ``settings`` {parameter: value}, ``mode``, ``d3``, ``out``).

    Examples:
        ```python
        import lammpskit as lk
        run = lk.quench(pot="chgnet", x=1.5, profile="smoke", settings={"quench_rate": 100}, out="runs/a")
        print(run.density_g_cm3, run.dump)
        ```
    """
    from lammpskit import workflows

    if "set" in options:  # the name before settings (a list of "KEY=VALUE" strings)
        import warnings

        warnings.warn("lk.quench(set=[...]) is now settings={...} (or the same list)", DeprecationWarning, stacklevel=2)
        options["settings"] = options.pop("set")
    run_dir = render_run(pot, x, **options)
    return workflows.run(run_dir, threads, device, progress)


EV_PER_BAR_A3 = 6.241509074e-7  # 1 bar Å^3 in eV


def anneal_density(run_dir: str | Path, nblocks: int = 5, man: manifest.Manifest | None = None) -> DensityResult:
    """Density (g/cm³) over the second half of a quench run's NPT anneal (``lk.anneal_density``).

    Args:
        run_dir (str | Path): a quench run directory with an NPT anneal stage.
        nblocks (int): 2 to 1000 blocks for the block-averaged standard error.
        man: the run's ``Manifest`` when already read (else read from ``run_dir``).

    Returns:
        DensityResult: ``mean`` and ``err`` (g/cm³), ``n`` (thermo rows averaged) and ``blocks``.
    """
    validate.integer(nblocks, param("nblocks"), 2, 1000)
    man = man or manifest.load(validate.path(run_dir, "run directory"))
    stage = man.stage("anneal")
    if stage is None:
        raise UserError(f"{run_dir} has no NPT (anneal) stage: no equilibrium density to report")
    return DensityResult.from_values(thermo.anneal_density(Path(run_dir) / layout.LOG, stage.begin, stage.end, nblocks),
                                     run_dir)


def glass_transition(run_dir: Path, man: manifest.Manifest, rows: list[dict] | None = None) -> dict:
    """Tg (K) of an NPT quench from V(T) and H(T) against the thermostat's set point, and ``tg.png``.

    The set point ramps linearly from T_melt to T_final over the quench stage; the enthalpy is
    TotEng + P V at the barostat's P. The first 3 Pdamp of the quench are left out: the melt is NVT,
    so the box is still finding its volume there (barostat oscillations, not the liquid's V(T)).
    Returns ``Tg_K``, ``Tg_err_K`` (volume), ``Tg_enthalpy_K``, ``Tg_enthalpy_err_K`` and ``Tg_fit``
    (the two lines), or ``Tg_error`` when the fit is impossible.
    """
    import numpy as np

    from lammpskit.analysis import glass_transition as gt
    from lammpskit.analysis.errors import InputError
    from lammpskit.figures import plots

    rows = thermo.read_log(Path(run_dir) / layout.LOG) if rows is None else rows
    st = man.stage("quench")
    p = man.params
    settle = st.begin + round(3 * p.Pdamp / man.dt_ps)
    sel = [r for r in rows if settle <= r["Step"] <= st.end and "Volume" in r and "TotEng" in r]
    T = np.array([p.T_melt + (p.T_final - p.T_melt) * (r["Step"] - st.begin) / (st.end - st.begin)
                  for r in sel])
    V = np.array([r["Volume"] for r in sel])
    H = np.array([r["TotEng"] + p.P * r["Volume"] * EV_PER_BAR_A3 for r in sel])
    try:
        fv, fh = gt.fit(T, V, what="V(T)"), gt.fit(T, H, what="H(T)")
    except InputError as exc:
        return {"Tg_error": str(exc)}
    plots.tg_plot(Path(run_dir) / layout.TG_PLOT, T, V, fv, "volume (Å³)",
                  f"{man.composition_label}, {man.pot_name}: quench at {p.quench_rate:g} K/ps")
    return {"Tg_K": round(fv["Tg"], 1), "Tg_err_K": round(fv["Tg_err"], 1),
            "Tg_enthalpy_K": round(fh["Tg"], 1), "Tg_enthalpy_err_K": round(fh["Tg_err"], 1),
            "Tg_fit": {"quantity": "volume_A3", "png": layout.TG_PLOT,
                       **{k: fv[k] for k in ("a", "slope_glass", "slope_liquid", "T_range", "n", "rmse")}}}


DENSITY_RANGE = (0.6, 1.6)  # a glass's density against the volume-additivity estimate (within 20 % of crystals)


def density_problems(density: float, composition: Composition) -> list[str]:
    """Why an anneal density (g/cm^3) is not one the composition allows: outside ``DENSITY_RANGE`` times
    its volume-additivity estimate (a potential that explodes or collapses the glass, a wrong P)."""
    estimate = composition.density_estimate()
    lo, hi = (f * estimate for f in DENSITY_RANGE)
    if lo <= density <= hi:
        return []
    return [f"density {density:.3f} g/cm^3 is outside what {composition.label} allows "
            f"({lo:.2f}-{hi:.2f} g/cm^3: {DENSITY_RANGE[0]:g}-{DENSITY_RANGE[1]:g} x its estimate {estimate:.2f})"]
