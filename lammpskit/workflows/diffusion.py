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


def render(out: Path, data: Path, pot: potentials.Potential, T: float, dt: float, ps: float,
           equil_ps: float, every: int, mode: str = "auto", seed: int = 1, d3: bool = False) -> Path:
    """Write one diffusion run directory ``out`` (must not exist)."""
    from lammpskit.errors import UserError
    from lammpskit.run.render import render_from_data

    n_run, n_eq = round(ps * 1000 / dt), round(equil_ps * 1000 / dt)
    if n_run < 3 * every:
        raise UserError(f"--ps {ps:g} gives fewer than 3 dump frames at --every {every}: run longer")
    ctx = dict(T=T, dt_ps=dt / 1000.0, n_eq=n_eq, n_run=n_run, every=every, seed=seed, Tdamp=0.1, skin=2.0)
    params = {"T_final": T, "dt": dt, "ps": ps, "equil_ps": equil_ps, "thermo_every": every, "msd_every": every,
              "seed": seed}
    return render_from_data(out, data, pot, mode, "diffusion", "transport/nvt.lmp.j2", ctx,
                            {"params": params, "total_steps": n_run}, d3)


def result(run_dir: Path, man: dict) -> dict:
    """The engine's result for a diffusion run directory: D per element (cm^2/s) and conductivity."""
    from lammpskit.analysis import transport

    p = man["params"]
    res = transport.from_dump(Path(run_dir) / "dump.unwrapped.lammpstrj", p["dt"] / 1000.0, p["T_final"])
    return {"state": "done", "protocol": "diffusion", "potential": man["potential"]["name"], **transport.summary(res)}


def temperatures(text: str) -> list[float]:
    """``"500,600,700"`` -> temperatures in K (at least two)."""
    from lammpskit.errors import UserError

    try:
        temps = [validate.number(t, "--temperatures", 1, 1e5) for t in text.split(",")]
    except Exception:
        raise UserError(f"--temperatures {text!r}: expected K values like 600,700,800") from None
    if len(temps) < 2:
        raise UserError("--temperatures needs at least two values for an Arrhenius fit")
    return temps
