"""Elastic constants from strained cells, and the isotropic moduli of glasses (GPa).

Dynamic method: NVT at T in the reference cell and at each +/- strain;
the pressure tensor is sampled every few steps, block-averaged, and the
errors of the means propagate to C_ij (and, by sampling C within its errors,
to B, G, E, nu). Static method: relax, strain +/- e along the six Voigt directions (1 xx, 2 yy,
3 zz, 4 yz, 5 xz, 6 xy; shear as engineering strain through the tilt factors),
relax atoms at fixed cell, C_ij = -(p_i(+e_j) - p_i(-e_j)) / (2 e) with the
pressure tensor p in bar (stress = -p). The tensor maths (Voigt/Reuss/Hill
moduli, their errors, the isotropy test) is in ``lammpskit.analysis.elasticity``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from lammpskit._util import layout, validate
from lammpskit._util.deprecated import renamed
from lammpskit.analysis.elasticity import BAR_TO_GPA, checked_moduli, isotropy, moduli_errors
from lammpskit.errors import UserError, param
from lammpskit.potentials import registry as potentials
from lammpskit.progress import Progress
from lammpskit.run import manifest
from lammpskit.run.params import RunParams
from lammpskit.run.result_types import ELASTIC_OLD_NAMES, ElasticResult

SAMPLE_EVERY = 10  # steps between pressure-tensor samples of the dynamic method
DIRECTIONS = ((1, "x", "lx"), (2, "y", "ly"), (3, "z", "lz"), (4, "yz", "lz"), (5, "xz", "lz"), (6, "xy", "ly"))


def c_from_stress(path: Path, strain: float) -> np.ndarray:
    """C (GPa) from the ``stress.txt`` the static deck writes."""
    rows = np.loadtxt(path, comments="#", ndmin=2)
    C = np.zeros((6, 6))
    got = set()
    for d in range(1, 7):
        plus = rows[(rows[:, 0] == d) & (rows[:, 1] == 1)]
        minus = rows[(rows[:, 0] == d) & (rows[:, 1] == -1)]
        if not len(plus) or not len(minus):
            continue
        C[:, d - 1] = -(plus[0, 2:8] - minus[0, 2:8]) / (2 * strain) * BAR_TO_GPA
        got.add(d)
    if got != set(range(1, 7)):
        from lammpskit.errors import RunError

        raise RunError(f"{path} lacks strained stresses for directions {sorted(set(range(1, 7)) - got)}")
    return (C + C.T) / 2


def c_from_samples(run_dir: Path, strain: float, nblocks: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """C and its standard error (GPa) from the dynamic deck's ``stress.D.S.txt`` samples."""
    from lammpskit.analysis.statistics import block_average

    C, err = np.zeros((6, 6)), np.zeros((6, 6))
    for d in range(1, 7):
        means, errs = [], []
        for sign in (1, -1):
            samples = np.loadtxt(Path(run_dir) / f"stress.{d}.{sign}.txt", comments="#", ndmin=2)[:, 1:7]
            stats = [block_average(list(samples[:, k]), nblocks) for k in range(6)]
            means.append(np.array([st["mean"] for st in stats]))
            errs.append(np.array([st["err"] for st in stats]))
        C[:, d - 1] = -(means[0] - means[1]) / (2 * strain) * BAR_TO_GPA
        err[:, d - 1] = np.hypot(errs[0], errs[1]) / (2 * strain) * BAR_TO_GPA
    return (C + C.T) / 2, np.hypot(err, err.T) / 2


def result(run_dir: Path, man: manifest.Manifest, stats=None) -> dict:
    """The engine's result for an elastic run directory (``stats``: the engine's RunStats, unused); keys as
    ``ElasticResult`` names them (GPa in the names)."""
    strain, method = man.params.strain, man.params.method
    if method == "static":
        C, err = c_from_stress(Path(run_dir) / layout.STRESS, strain), None
    else:
        C, err = c_from_samples(run_dir, strain)
    out = {"state": "done", "method": method, "strain": strain, "potential": man.pot_name,
           "source": man.source, "C": np.round(C, 4).tolist()}
    out.update(checked_moduli(C))
    if err is not None:
        out["C_err"] = np.round(err, 4).tolist()
        if out["mechanically_stable"]:
            out.update({k: round(float(v), 4) for k, v in moduli_errors(C, err).items()})
        out["temperature_K"] = man.temperature_K()
    out["isotropy"] = isotropy(C, err)
    return _with_units(out)


def _with_units(out: dict) -> dict:
    """The analysis's short names (C, B, G, E, ...) as the result's unit-suffixed keys (C_GPa, B_GPa, ...)."""
    return {ELASTIC_OLD_NAMES.get(k, k): v for k, v in out.items()}


def combine(results: list[ElasticResult]) -> ElasticResult:
    """Average the elastic results of several replicas (glasses quenched with different seeds).

    C is the replica mean; C_err combines the standard error of the mean over replicas (the
    sample-to-sample scatter of a finite glass cell) with the thermal errors of the dynamic
    method; moduli, their errors and the isotropy check use these.
    """
    Cs = np.array([r.C_GPa for r in results], float)
    n = len(Cs)
    C = Cs.mean(axis=0)
    err = Cs.std(axis=0, ddof=1) / np.sqrt(n)
    if all(r.C_err_GPa is not None for r in results):
        err = np.hypot(err, np.sqrt(np.sum(np.array([r.C_err_GPa for r in results]) ** 2, axis=0)) / n)
    first = results[0]
    out = {"state": "done", "method": first.method, "strain": first.strain, "potential": first.potential,
           "replicas": n, "sources": [r.source for r in results],
           "C": np.round(C, 4).tolist(), "C_err": np.round(err, 4).tolist()}
    out.update(checked_moduli(C))
    if out["mechanically_stable"]:
        out.update({k: round(float(v), 4) for k, v in moduli_errors(C, err).items()})
    out["replica_B"] = [r.B_GPa for r in results]
    out["replica_G"] = [r.G_GPa for r in results]
    out["isotropy"] = isotropy(C, err, dof=n - 1)
    return ElasticResult.from_dict(_with_units(out), where="elastic result")


METHODS = ("static", "dynamic")


# the user-facing names (CLI options, a campaign's [elastic] table) of ElasticParams fields
USER_NAMES = {"n_avg": "steps", "n_eq": "equil"}


@dataclass
class ElasticParams(RunParams):
    """The parameters of one elastic run directory (run.json ``params``)."""

    method: str = "static"          # static (0 K, relaxed) | dynamic (NVT sampling)
    strain: float = 0.005           # magnitude of the +/- strains (dimensionless)
    ftol: float = 1e-8              # eV/Å, static relaxations
    maxiter: int = 5000             # static relaxations
    relax_cell: bool = True         # relax the reference cell first (static)
    T: float = 300.0                # K, dynamic
    dt: float = 1.0                 # fs
    n_eq: int = 2000                # steps of NVT before sampling each strained state (dynamic)
    n_avg: int = 10000              # sampled steps per strained state (dynamic)
    every: int = SAMPLE_EVERY       # steps between pressure-tensor samples
    seed: int = 1
    thermo_every: int = 100         # steps
    Tdamp: float = 0.1              # ps

    def check(self, label=param) -> ElasticParams:
        """Validate every value; ``label(user-facing name)`` names a setting in error messages (default: the
        parameter of ``elastic``, ``errors.param``)."""
        label = (lambda lab: lambda key: lab(USER_NAMES.get(key, key)))(label)
        validate.choice(self.method, METHODS, label("method"))
        validate.number(self.strain, label("strain"), 0, 0.05, lo_open=True)
        validate.integer(self.n_avg, label("n_avg"), 10 * SAMPLE_EVERY, 10**9)  # >= 10 samples
        validate.integer(self.n_eq, label("n_eq"), 0, 10**9)
        validate.number(self.ftol, label("ftol"), 0, 10, lo_open=True)
        validate.integer(self.maxiter, label("maxiter"), 1, 10**7)
        validate.number(self.T, label("T"), 0, 1e5, lo_open=True)
        validate.number(self.dt, label("dt"), 0, 10, lo_open=True)
        validate.number(self.Tdamp, label("Tdamp"), 0, 1e3, lo_open=True)
        return self

    @classmethod
    def from_settings(cls, s: dict, label=None) -> ElasticParams:
        """From user-facing settings (method, strain, steps, equil, ftol, maxiter), checked."""
        names = {v: k for k, v in USER_NAMES.items()}
        return cls(**{names.get(k, k): v for k, v in s.items()}).check(*([label] if label else []))

    def settings(self) -> dict:
        """The user-facing settings (a campaign's [elastic] table)."""
        return {USER_NAMES.get(k, k): getattr(self, k) for k in ("method", "strain", "n_avg", "n_eq", "ftol", "maxiter")}


def source_of(target: Path) -> tuple[Path, manifest.Manifest | None]:
    """The glass data file of a finished, annealed run directory and its manifest; a data file and None."""
    target = Path(target)
    if target.is_dir():
        man = manifest.load(target)
        if man.stage("anneal") is None:
            raise UserError(f"{target} has no NPT (anneal) stage: the glass is not at its own zero-pressure "
                            "density; quench it with a profile that anneals (t_anneal > 0)")
        if man.state != "done" or not (target / layout.GLASS_DATA).exists():
            raise UserError(f"{target} is not finished: run it first with 'lammpskit run {target}'")
        return target / layout.GLASS_DATA, man
    if not target.is_file():
        raise UserError(f"{target} is neither a run directory nor a data file")
    return target, None


def render(out: Path, data: Path, pot: potentials.Potential, params: ElasticParams, mode: str = "auto",
           d3: bool = False) -> Path:
    """Write an elastic run directory ``out`` (must not exist) with run.json."""
    from lammpskit.run.render import render_from_data

    params = params.check()
    ctx = dict(asdict(params), directions=DIRECTIONS, dt_ps=manifest.fs_to_ps(params.dt))
    return render_from_data(out, data, pot, mode, "elastic", f"elastic/{params.method}.lmp.j2", ctx,
                            {"params": params, "total_steps": 0}, d3)


def default_dir(target: str | Path, method: str) -> Path:
    """Where the strained runs of ``target`` go: ``<run>/elastic-<method>`` or ``<data stem>-elastic-<method>``."""
    target = Path(target)
    folder = layout.elastic_dir(method)
    return target / folder if target.is_dir() else target.with_name(f"{target.stem}-{folder}")


def run_one(target: str | Path, params: ElasticParams, pot: str | None = None, temperature: float | None = None,
            dt: float | None = None, mode: str = "auto", out: str | Path | None = None,
            progress: Progress | None = None) -> tuple[Path, ElasticResult]:
    """Render (once) and run the elastic run directory of one quench run or data file: (run_dir, result).

    ``temperature`` (K) and ``dt`` (fs) default to the quench run's, else 300 K and 1 fs.
    """
    from lammpskit import workflows

    data, run = source_of(validate.path(target, "target"))
    run_pot = run.pot_name if run else None
    T = validate.number(temperature if temperature is not None else (run.temperature_K(300.0) if run else 300.0),
                        param("temperature"), 0, 1e5, lo_open=True)
    dt = validate.number(dt if dt is not None else (run.params.dt if run else 1.0), param("dt"), 0, 10, lo_open=True)
    name = pot or run_pot
    if name is None:
        raise UserError(f"a data file needs {param('pot', cli='NAME')}")
    run_dir = validate.path(out or default_dir(target, params.method), param("out"))
    if not (run_dir / layout.MANIFEST).exists():
        d3 = bool(run and run.potential.d3 and name == run_pot)
        render(run_dir, data, potentials.get(name), replace(params, T=T, dt=dt), mode, d3)
    return run_dir, workflows.run(run_dir, progress=progress)


def elastic(targets, pot: str | None = None, method: str = "static", strain: float = 0.005,
            temperature: float | None = None, steps: int = 10000, equil_steps: int = 2000, dt: float | None = None,
            ftol: float = 1e-8, maxiter: int = 5000, mode: str = "auto", out: str | Path | None = None,
            progress: Progress | None = None, **deprecated) -> ElasticResult:
    """Elastic constants C_ij and Voigt/Reuss/Hill B, G, E (GPa), nu of one glass or the mean of replicas
    (``lk.elastic``).

    Each target's strained runs go to ``default_dir(target, method)`` (or ``out`` for one target).

    Args:
        targets (str | Path | list): a finished quench run directory or a LAMMPS data file, or a list of them
            (replicas of one glass, averaged with errors from their spread).
        pot (str | None): the potential (default: the run directory's; needed for a data file).
        method (str): ``static`` (0 K, relaxed) or ``dynamic`` (NVT sampling at ``temperature``).
        strain (float): magnitude of the +/- strains, 0 < strain <= 0.05 (dimensionless).
        temperature (float | None): dynamic: T in K (default: the run's T_final, else 300 K).
        steps (int): dynamic: sampled MD steps per strained state.
        equil_steps (int): dynamic: NVT equilibration MD steps per strained state (``equil`` before, still
            accepted with a DeprecationWarning).
        dt (float | None): dynamic: timestep in fs (default: the run's, else 1 fs).
        ftol (float): static: force tolerance of each relaxation (eV/Å).
        maxiter (int): static: iteration cap of each relaxation.
        mode (str): ``auto`` | ``native`` | ``bridge``.
        out (str | Path | None): the run directory of the strained runs (one target only).
        progress (Progress | None): told the MD steps (``lk.Progress``: ``stage`` per MD stage, ``advance(step,
            info)`` with ``temp`` K, ``press`` bar, ``density`` g/cm³).

    Returns:
        ElasticResult: ``C_GPa`` (6x6 Voigt, GPa; ``C_err_GPa`` where there is an error: dynamic runs,
        replicas), the Hill moduli ``B_GPa``, ``G_GPa``, ``E_GPa`` and ``nu`` (with Voigt/Reuss bounds and
        errors where known), ``mechanically_stable`` and ``isotropy``; ``to_dict()`` is ``elastic --json``.
    """
    targets = [targets] if isinstance(targets, str | Path) else list(targets)
    equil_steps = renamed(deprecated, "equil", "equil_steps", equil_steps, "lk.elastic")
    params = ElasticParams(method=method, strain=strain, n_avg=steps, n_eq=equil_steps, ftol=ftol,
                           maxiter=maxiter).check(lambda key: param({"equil": "equil_steps"}.get(key, key)))
    if out is not None and len(targets) > 1:
        raise UserError(f"{param('out')} works with one target; replicas keep their results inside their own run "
                        "directories")
    results = [run_one(t, params, pot, temperature, dt, mode, out, progress)[1] for t in targets]
    return results[0] if len(results) == 1 else combine(results)
