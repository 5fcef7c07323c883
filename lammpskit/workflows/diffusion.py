"""Diffusion runs at several temperatures from one glass, and their Arrhenius fit.

Each temperature gets its own run directory (``diffusion-<T>K``: the glass
data file, the same potential block, ``in.diffusion.lmp`` from
templates/transport/) run by the engine; ``analysis.transport`` turns the
unwrapped dump into D per element, and D(T) is fitted to D0 exp(-Ea / kB T).
"""

from __future__ import annotations

from pathlib import Path

from lammpskit._util import validate
from lammpskit.potentials import registry as potentials
from lammpskit.run import manifest


def render(out: Path, data: Path, pot: potentials.Potential, T: float, dt: float, ps: float,
           equil_ps: float, every: int, mode: str = "auto", seed: int = 1, d3: bool = False) -> Path:
    """Write one diffusion run directory ``out`` (must not exist)."""
    from lammpskit.errors import UserError
    from lammpskit.run.render import render_from_data

    n_run, n_eq = round(ps * 1000 / dt), round(equil_ps * 1000 / dt)
    if n_run < 3 * every:
        raise UserError(f"--ps {ps:g} gives fewer than 3 dump frames at --every {every}: run longer")
    ctx = dict(T=T, dt_ps=manifest.fs_to_ps(dt), n_eq=n_eq, n_run=n_run, every=every, seed=seed, Tdamp=0.1, skin=2.0)
    params = {"T_final": T, "dt": dt, "ps": ps, "equil_ps": equil_ps, "thermo_every": every, "msd_every": every,
              "seed": seed}
    return render_from_data(out, data, pot, mode, "diffusion", "transport/nvt.lmp.j2", ctx,
                            {"params": params, "total_steps": n_run}, d3)


def result(run_dir: Path, man: dict, stats=None) -> dict:
    """The engine's result for a diffusion run directory: D per element (cm^2/s) and conductivity."""
    from lammpskit.analysis import transport

    res = transport.from_dump(Path(run_dir) / "dump.unwrapped.lammpstrj", manifest.timestep_ps(man), manifest.temperature_K(man))
    return {"state": "done", "protocol": "diffusion", "potential": man["potential"]["name"], **transport.summary(res)}


def temperatures_of(text: str | list[float]) -> list[float]:
    """``"500,600,700"`` (or a list) -> temperatures in K (at least two)."""
    if not isinstance(text, str):
        text = ",".join(str(t) for t in text)
    from lammpskit.errors import UserError

    try:
        temps = [validate.number(t, "--temperatures", 1, 1e5) for t in text.split(",")]
    except Exception:
        raise UserError(f"--temperatures {text!r}: expected K values like 600,700,800") from None
    if len(temps) < 2:
        raise UserError("--temperatures needs at least two values for an Arrhenius fit")
    return temps


def arrhenius(target: str | Path, temperatures: str | list[float] = "600,700,800", ps: float = 100.0,
              equil: float = 10.0, every: int = 100, element: str = "Na", progress=None) -> dict:
    """NVT diffusion runs of a quenched glass at each temperature (K), then D = D0 exp(-Ea/kB T).

    ``ps``: sampled time per temperature (ps); ``equil``: NVT equilibration (ps); ``every``: steps
    between unwrapped frames; ``element``: the diffusing element fitted. Each run goes to
    ``<target>/diffusion-<T>K`` (rendered once, resumed when run again). Returns D (cm^2/s),
    conductivities (S/cm), Ea (eV) and D0 per temperature.
    """
    from lammpskit import workflows
    from lammpskit.analysis import transport
    from lammpskit.errors import RunError, UserError
    from lammpskit.workflows.elastic import source_of

    data, man = source_of(validate.path(target, "run directory"))
    if man is None:
        raise UserError(f"{target} is a data file: give a quenched run directory")
    temps = temperatures_of(temperatures)
    validate.number(ps, "--ps", 0, 1e6, lo_open=True)
    validate.number(equil, "--equil", 0, 1e6)
    validate.integer(every, "--every", 1, 10**9)
    validate.element(element)
    rows = []
    for T in temps:
        run_dir = Path(target) / f"diffusion-{T:g}K"
        if not (run_dir / "run.json").exists():
            render(run_dir, data, potentials.get(man["potential"]["name"]), T, man["params"]["dt"], ps, equil, every,
                   man["potential"]["mode"], man["seed"], bool(man["potential"].get("d3")))
        rows.append(workflows.run(run_dir, progress=progress))
    ds = [r["D_cm2_s"].get(element) for r in rows]
    if any(d is None or d <= 0 for d in ds):
        raise RunError(f"no positive {element} diffusion coefficient at every temperature: run longer (--ps)")
    return {"element": element, "temperatures_K": temps, "D_cm2_s": ds,
            "conductivity_S_cm": [r["conductivity_S_cm"].get(element) for r in rows],
            **transport.arrhenius(temps, ds)}
