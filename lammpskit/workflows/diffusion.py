"""Diffusion runs at several temperatures from one glass, and their Arrhenius fit.

Each temperature gets its own run directory (``diffusion-<T>K``: the glass
data file, the same potential block, ``in.diffusion.lmp`` from
templates/transport/) run by the engine; ``analysis.transport`` turns the
unwrapped dump into D per element, and D(T) is fitted to D0 exp(-Ea / kB T).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lammpskit._util import layout, validate
from lammpskit._util.deprecated import renamed
from lammpskit.errors import param
from lammpskit.potentials import registry as potentials
from lammpskit.progress import Progress
from lammpskit.run import manifest
from lammpskit.run.params import RunParams
from lammpskit.run.result_types import ArrheniusResult


@dataclass
class DiffusionParams(RunParams):
    """The parameters of one diffusion run directory (run.json ``params``: T as ``T_final``, every as
    ``thermo_every`` and ``msd_every``)."""

    JSON_NAMES = {"T": "T_final", "every": "thermo_every"}
    WRITTEN = ("T", "dt", "ps", "equil_ps", "every", "seed")

    T: float                        # K, NVT
    dt: float = 1.0                 # fs
    ps: float = 100.0               # sampled time (ps)
    equil_ps: float = 10.0          # NVT equilibration before sampling (ps)
    every: int = 100                # steps between unwrapped-coordinate frames (and thermo rows)
    seed: int = 1
    Tdamp: float = 0.1              # ps
    skin: float = 2.0               # Å

    @property
    def n_run(self) -> int:
        """Sampled MD steps."""
        return round(self.ps * 1000 / self.dt)

    @property
    def n_eq(self) -> int:
        """Equilibration MD steps."""
        return round(self.equil_ps * 1000 / self.dt)

    def check(self) -> DiffusionParams:
        from lammpskit.errors import UserError

        validate.number(self.T, "temperature (K)", 0, 1e5, lo_open=True)
        validate.number(self.dt, "dt (fs)", 0, 10, lo_open=True)
        validate.number(self.ps, param("ps"), 0, 1e6, lo_open=True)
        validate.number(self.equil_ps, param("equil_ps"), 0, 1e6)
        validate.integer(self.every, param("every"), 1, 10**9)
        if self.n_run < 3 * self.every:
            raise UserError(f"{param('ps')} {self.ps:g} gives fewer than 3 dump frames at {param('every')} {self.every}: "
                            "run longer")
        return self

    @property
    def thermo_every(self) -> int:
        """Steps between thermo rows: ``every``."""
        return self.every

    @property
    def msd_every(self) -> int:
        """Steps between unwrapped-coordinate frames: ``every``."""
        return self.every

    def to_dict(self) -> dict:
        """run.json ``params``: ``T_final``, ``dt``, ``ps``, ``equil_ps``, ``thermo_every``, ``seed``,
        ``msd_every``."""
        return {**super().to_dict(), "msd_every": self.every}


def render(out: Path, data: Path, pot: potentials.Potential, params: DiffusionParams, mode: str = "auto",
           d3: bool = False) -> Path:
    """Write one diffusion run directory ``out`` (must not exist)."""
    from lammpskit.run.render import render_from_data

    p = params.check()
    ctx = dict(T=p.T, dt_ps=manifest.fs_to_ps(p.dt), n_eq=p.n_eq, n_run=p.n_run, every=p.every, seed=p.seed,
               Tdamp=p.Tdamp, skin=p.skin)
    return render_from_data(out, data, pot, mode, "diffusion", "transport/nvt.lmp.j2", ctx,
                            {"params": p, "total_steps": p.n_run}, d3)


def result(run_dir: Path, man: manifest.Manifest, stats=None) -> dict:
    """The engine's result for a diffusion run directory: D per element (cm^2/s) and conductivity."""
    from lammpskit.analysis import transport

    res = transport.from_dump(Path(run_dir) / layout.UNWRAPPED_DUMP, man.dt_ps, man.temperature_K())
    return {"state": "done", "protocol": "diffusion", "potential": man.pot_name, **transport.summary(res)}


def temperatures_of(temperatures) -> list[float]:
    """``[600, 700, 800]`` -> temperatures in K (1 to 1e5, at least two), checked."""
    from lammpskit.errors import UserError

    if isinstance(temperatures, str) or not isinstance(temperatures, list | tuple | range):
        raise UserError(f"{param('temperatures')} must be a list of temperatures in K such as [600, 700, 800], "
                        f"got {temperatures!r:.100}")
    temps = []
    for k, t in enumerate(temperatures):
        if isinstance(t, bool) or not isinstance(t, int | float):
            raise UserError(f"{param('temperatures')}[{k}] must be a temperature in K, got {t!r:.40}")
        temps.append(validate.number(t, f"{param('temperatures')}[{k}] (K)", 1, 1e5))
    if len(temps) < 2:
        raise UserError(f"{param('temperatures')} needs at least two values for an Arrhenius fit")
    return temps


def arrhenius(target: str | Path, temperatures: list[float] | tuple[float, ...] = (600.0, 700.0, 800.0), ps: float = 100.0,
              equil_ps: float = 10.0, every: int = 100, element: str = "Na",
              progress: Progress | None = None, **deprecated) -> ArrheniusResult:
    """NVT diffusion runs of a quenched glass at each temperature, then D = D0 exp(-Ea/kB T) (``lk.arrhenius``).

    Each run goes to ``<target>/diffusion-<T>K`` (rendered once, resumed when run again).

    Args:
        target (str | Path): a finished quench run directory with an NPT anneal (its glass is reheated).
        temperatures (list[float]): temperatures in K, at least two, e.g. ``[600, 700, 800]``.
        ps (float): sampled time per temperature (ps).
        equil_ps (float): NVT equilibration per temperature before sampling (ps; ``equil`` before, still
            accepted with a DeprecationWarning).
        every (int): MD steps between unwrapped-coordinate frames.
        element (str): the diffusing element fitted, e.g. ``"Na"``.
        progress (Progress | None): told the MD steps (``lk.Progress``: ``stage`` per MD stage, ``advance(step,
            info)`` with ``temp`` K, ``press`` bar, ``density`` g/cm³).

    Returns:
        ArrheniusResult: ``temperatures_K``, ``D_cm2_s`` (cm²/s) and ``conductivity_S_cm`` (S/cm) per
        temperature, ``Ea_eV`` (eV), ``D0_cm2_s`` and the fit's errors.
    """
    from lammpskit import workflows
    from lammpskit.analysis import transport
    from lammpskit.errors import RunError, UserError
    from lammpskit.workflows.elastic import source_of

    equil_ps = renamed(deprecated, "equil", "equil_ps", equil_ps, "lk.arrhenius")
    temps = temperatures_of(temperatures)  # the arguments first, then the run directory
    validate.element(element)
    data, man = source_of(validate.path(target, "run directory"))
    if man is None:
        raise UserError(f"{target} is a data file: give a quenched run directory")
    runs = [DiffusionParams(T=T, dt=man.params.dt, ps=ps, equil_ps=equil_ps, every=every, seed=man.seed or 1).check()
            for T in temps]
    rows = []
    for params in runs:
        run_dir = Path(target) / layout.diffusion_dir(params.T)
        if not (run_dir / layout.MANIFEST).exists():
            render(run_dir, data, potentials.get(man.pot_name), params, man.potential.mode, bool(man.potential.d3))
        rows.append(workflows.run(run_dir, progress=progress))
    ds = [(r.D_cm2_s or {}).get(element) for r in rows]
    if any(d is None or d <= 0 for d in ds):
        raise RunError(f"no positive {element} diffusion coefficient at every temperature: run longer ({param('ps')})")
    return ArrheniusResult.from_dict({"element": element, "temperatures_K": temps, "D_cm2_s": ds,
                                      "conductivity_S_cm": [(r.conductivity_S_cm or {}).get(element) for r in rows],
                                      **transport.arrhenius(temps, ds)}, Path(target), "arrhenius result")
