"""Elastic-tensor maths (GPa): Voigt/Reuss/Hill moduli, their errors, and how isotropic a C is.

C is the 6x6 stiffness in Voigt order (1 xx, 2 yy, 3 zz, 4 yz, 5 xz, 6 xy) in
GPa. Voigt and Reuss bounds of the bulk and shear moduli, their Hill averages
B and G; Young's modulus E = 9BG/(3B+G) and Poisson's ratio
nu = (3B-2G)/(2(3B+G)) from the Hill averages (Hill, Proc. Phys. Soc. A 65,
349 (1952)).
"""

from __future__ import annotations

import numpy as np

BAR_TO_GPA = 1e-4


def cubic_means(C: np.ndarray) -> tuple[float, float, float]:
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
    c11, c12, c44 = cubic_means(C)
    return {"B": b, "G": g, "E": e, "nu": nu, "B_voigt": bv, "B_reuss": br, "G_voigt": gv, "G_reuss": gr,
            "zener_ratio": 2 * c44 / (c11 - c12) if c11 != c12 else None}


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

    c11, c12, c44 = cubic_means(C)
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


def checked_moduli(C) -> dict:
    """Moduli of a Born-stable C; for an unstable C (an eigenvalue <= 0) the moduli are None and the
    eigenvalues say why (``mechanically_stable``, ``eigenvalues_GPa``, ``problems``)."""
    from . import stability

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
