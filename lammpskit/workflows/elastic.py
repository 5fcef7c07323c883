"""Elastic constants from strained cells, and the isotropic moduli of glasses (GPa).

Dynamic method: NVT at T in the reference cell and at each +/- strain;
the pressure tensor is sampled every few steps, block-averaged, and the
errors of the means propagate to C_ij (and, by sampling C within its errors,
to B, G, E, nu). Static method: relax, strain +/- e along the six Voigt directions (1 xx, 2 yy,
3 zz, 4 yz, 5 xz, 6 xy; shear as engineering strain through the tilt factors),
relax atoms at fixed cell, C_ij = -(p_i(+e_j) - p_i(-e_j)) / (2 e) with the
pressure tensor p in bar (stress = -p). Voigt, Reuss and Hill bulk and shear
moduli; Young's modulus E = 9BG/(3B+G) and Poisson's ratio
nu = (3B-2G)/(2(3B+G)) from the Hill averages.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lammpskit._util import validate
from lammpskit.errors import UserError
from lammpskit.potentials import registry as potentials
from lammpskit.run import manifest

BAR_TO_GPA = 1e-4
SAMPLE_EVERY = 10  # steps between pressure-tensor samples of the dynamic method
DIRECTIONS = ((1, "x", "lx"), (2, "y", "ly"), (3, "z", "lz"), (4, "yz", "lz"), (5, "xz", "lz"), (6, "xy", "ly"))


def _cubic_means(C: np.ndarray) -> tuple[float, float, float]:
    """Mean C11-type, C12-type and C44-type entries of a 6x6 C."""
    return np.mean(np.diag(C)[:3]), np.mean([C[0, 1], C[0, 2], C[1, 2]]), np.mean(np.diag(C)[3:])


def moduli(C) -> dict:
    """Voigt/Reuss/Hill B and G, E, nu and the Zener ratio (GPa) from a 6x6 C (GPa)."""
    C = np.asarray(C, float)
    S = np.linalg.inv(C)
    bv = (C[0, 0] + C[1, 1] + C[2, 2] + 2 * (C[0, 1] + C[1, 2] + C[0, 2])) / 9
    gv = (C[0, 0] + C[1, 1] + C[2, 2] - (C[0, 1] + C[1, 2] + C[0, 2]) + 3 * (C[3, 3] + C[4, 4] + C[5, 5])) / 15
    br = 1 / (S[0, 0] + S[1, 1] + S[2, 2] + 2 * (S[0, 1] + S[1, 2] + S[0, 2]))
    gr = 15 / (4 * (S[0, 0] + S[1, 1] + S[2, 2]) - 4 * (S[0, 1] + S[1, 2] + S[0, 2]) + 3 * (S[3, 3] + S[4, 4] + S[5, 5]))
    b, g = (bv + br) / 2, (gv + gr) / 2
    e = 9 * b * g / (3 * b + g)
    nu = (3 * b - 2 * g) / (2 * (3 * b + g))
    c11, c12, c44 = _cubic_means(C)
    return {"B": b, "G": g, "E": e, "nu": nu, "B_voigt": bv, "B_reuss": br, "G_voigt": gv, "G_reuss": gr,
            "zener_ratio": 2 * c44 / (c11 - c12) if c11 != c12 else None}


def checked_moduli(C) -> dict:
    """Moduli of a Born-stable C; for an unstable C (an eigenvalue <= 0) the moduli are None and the
    eigenvalues say why (``mechanically_stable``, ``eigenvalues_GPa``, ``problems``)."""
    from lammpskit.analysis import stability

    born = stability.born(C)
    out = {"mechanically_stable": born["stable"], "eigenvalues_GPa": born["eigenvalues_GPa"]}
    if not born["stable"]:
        out.update({k: None for k in ("B", "G", "E", "nu", "B_voigt", "B_reuss", "G_voigt", "G_reuss",
                                      "zener_ratio")})
        out["problems"] = [f"mechanically unstable: {born['unstable_modes']} eigenvalue(s) of C <= 0 "
                           f"(lowest {born['eigenvalues_GPa'][0]:.4g} GPa); the moduli are not defined"]
        return out
    mods = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in moduli(C).items()}
    out.update(mods)
    out["problems"] = stability.impossible(mods)
    return out


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
    from lammpskit.lammps.thermo import block_average

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


def moduli_errors(C: np.ndarray, err: np.ndarray, n: int = 400, seed: int = 0) -> dict:
    """Standard deviations of B, G, E, nu for C varied within its (symmetric) errors."""
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n):
        noise = np.triu(rng.normal(size=(6, 6)) * err)
        sample = C + noise + np.triu(noise, 1).T
        draws.append([moduli(sample)[k] for k in ("B", "G", "E", "nu")])
    return dict(zip(("B_err", "G_err", "E_err", "nu_err"), np.std(draws, axis=0)))


def isotropy(C: np.ndarray, err: np.ndarray | None, dof: int | None = None, alpha: float = 0.01) -> dict:
    """Largest deviation of C from the nearest isotropic tensor, in GPa and in standard errors.

    ``isotropic_within_error`` tests all 21 independent entries at once at family-wise level
    ``alpha`` (Bonferroni): the threshold is the two-sided Student-t quantile for ``dof`` degrees
    of freedom (replicas - 1; None: normal, for thermal averages).
    """
    from scipy import stats

    c11, c12, c44 = _cubic_means(C)
    lam, mu = (c11 + 2 * c12) / 3 - 2 / 3 * (c11 - c12 + 2 * c44) / 4, (c11 - c12 + 2 * c44) / 4
    iso = np.zeros((6, 6))
    iso[:3, :3] = lam
    iso[np.arange(3), np.arange(3)] = lam + 2 * mu
    iso[np.arange(3, 6), np.arange(3, 6)] = mu
    upper = np.triu(np.ones((6, 6), bool))
    dev = np.abs(C - iso)
    out = {"max_dev_GPa": float(dev[upper].max()), "lambda_GPa": float(lam), "mu_GPa": float(mu)}
    if err is not None:
        z = dev[upper] / np.maximum(err[upper], 1e-12)
        q = 1 - alpha / (2 * upper.sum())
        threshold = float(stats.t.ppf(q, dof) if dof else stats.norm.ppf(q))
        out["max_dev_sigma"] = float(z.max())
        out["threshold_sigma"] = round(threshold, 3)
        out["isotropic_within_error"] = bool(z.max() <= threshold)
        out["isotropic_within_3_sigma"] = bool(z.max() <= 3.0)
    return out


def result(run_dir: Path, man: dict) -> dict:
    """The engine's result for an elastic run directory."""
    strain, method = man["params"]["strain"], man["params"]["method"]
    if method == "static":
        C, err = c_from_stress(Path(run_dir) / "stress.txt", strain), None
    else:
        C, err = c_from_samples(run_dir, strain)
    out = {"state": "done", "method": method, "strain": strain, "potential": man["potential"]["name"],
           "source": man["source"], "C": np.round(C, 4).tolist()}
    out.update(checked_moduli(C))
    if err is not None:
        out["C_err"] = np.round(err, 4).tolist()
        if out["mechanically_stable"]:
            out.update({k: round(float(v), 4) for k, v in moduli_errors(C, err).items()})
        out["temperature_K"] = man["params"]["T"]
    out["isotropy"] = isotropy(C, err)
    return out


def combine(results: list[dict]) -> dict:
    """Average the elastic results of several replicas (glasses quenched with different seeds).

    C is the replica mean; C_err combines the standard error of the mean over replicas (the
    sample-to-sample scatter of a finite glass cell) with the thermal errors of the dynamic
    method; moduli, their errors and the isotropy check use these.
    """
    Cs = np.array([r["C"] for r in results], float)
    n = len(Cs)
    C = Cs.mean(axis=0)
    err = Cs.std(axis=0, ddof=1) / np.sqrt(n)
    if all("C_err" in r for r in results):
        err = np.hypot(err, np.sqrt(np.sum(np.array([r["C_err"] for r in results]) ** 2, axis=0)) / n)
    out = {"state": "done", "method": results[0]["method"], "strain": results[0]["strain"],
           "potential": results[0]["potential"], "replicas": n, "sources": [r["source"] for r in results],
           "C": np.round(C, 4).tolist(), "C_err": np.round(err, 4).tolist()}
    out.update(checked_moduli(C))
    if out["mechanically_stable"]:
        out.update({k: round(float(v), 4) for k, v in moduli_errors(C, err).items()})
    out["replica_B"] = [r["B"] for r in results]
    out["replica_G"] = [r["G"] for r in results]
    out["isotropy"] = isotropy(C, err, dof=n - 1)
    return out


METHODS = ("static", "dynamic")


def check_settings(s: dict, label=lambda key: f"--{key}") -> dict:
    """Checked elastic settings: method, strain (0 < e <= 0.05), steps and equil (dynamic), ftol (eV/Å) and
    maxiter (static relaxations); ``label(key)`` names a setting in error messages."""
    return {**s, "method": validate.choice(s["method"], METHODS, label("method")),
            "strain": validate.number(s["strain"], label("strain"), 0, 0.05, lo_open=True),
            "steps": validate.integer(s["steps"], label("steps"), 10 * SAMPLE_EVERY, 10**9),  # >= 10 samples
            "equil": validate.integer(s["equil"], label("equil"), 0, 10**9),
            "ftol": validate.number(s["ftol"], label("ftol"), 0, 10, lo_open=True),
            "maxiter": validate.integer(s["maxiter"], label("maxiter"), 1, 10**7)}


def source_of(target: Path) -> tuple[Path, dict | None]:
    """The glass data file of a finished, annealed run directory and its manifest; a data file and None."""
    target = Path(target)
    if target.is_dir():
        man = manifest.load(target)
        if not any(s["name"] == "anneal" for s in man.get("stages", [])):
            raise UserError(f"{target} has no NPT (anneal) stage: the glass is not at its own zero-pressure "
                            "density; quench it with a profile that anneals (t_anneal > 0)")
        if man.get("state") != "done" or not (target / "glass.data").exists():
            raise UserError(f"{target} is not finished: run it first with 'lammpskit run {target}'")
        return target / "glass.data", man
    if not target.is_file():
        raise UserError(f"{target} is neither a run directory nor a data file")
    return target, None


def render(out: Path, data: Path, pot: potentials.Potential, strain: float, method: str, mode: str,
           relax_cell: bool = True, ftol: float = 1e-8, maxiter: int = 5000, T: float = 300.0,
           dt: float = 1.0, n_eq: int = 2000, n_avg: int = 10000, every: int = SAMPLE_EVERY, seed: int = 1,
           Tdamp: float = 0.1, d3: bool = False) -> Path:
    """Write an elastic run directory ``out`` (must not exist) with run.json."""
    from lammpskit.run.render import render_from_data

    validate.choice(method, METHODS, "--method")
    params = {"method": method, "strain": strain, "ftol": ftol, "maxiter": maxiter, "relax_cell": relax_cell,
              "thermo_every": 100, "T": T, "dt": dt, "n_eq": n_eq, "n_avg": n_avg, "every": every, "seed": seed}
    ctx = dict(params, directions=DIRECTIONS, dt_ps=dt / 1000.0, Tdamp=Tdamp)
    return render_from_data(out, data, pot, mode, "elastic", f"elastic/{method}.lmp.j2", ctx,
                            {"params": params, "total_steps": 0}, d3)
