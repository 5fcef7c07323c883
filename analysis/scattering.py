"""Partial and total g(r), neutron and X-ray S(Q) and G(r) (Faber-Ziman), cutoff proposals.

Partials g_ab(r) come from OVITO's CoordinationAnalysisModifier, averaged over
frames. Faber-Ziman: S_ab(Q) = 1 + 4 pi rho int r^2 (g_ab - 1) sin(Qr)/(Qr) dr;
total S(Q) = sum_ab c_a c_b w_a w_b S_ab / (sum_a c_a w_a)^2 with w = coherent
neutron scattering length b (fm) or X-ray form factor f(Q); the weighted
g(r) likewise (X-ray with f(0) = Z weights), and G(r) = 4 pi rho r (g(r) - 1)
(Å^-2). r in Å, Q in Å^-1.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError, param

if TYPE_CHECKING:  # the protocol's name only (analysis imports nothing from lammpskit when it runs)
    from lammpskit.progress import Progress

# Coherent neutron scattering lengths (fm): V. F. Sears, Neutron News 3, 26 (1992) (NIST table).
NEUTRON_B = {"H": -3.739, "Li": -1.90, "B": 5.30, "O": 5.803, "F": 5.654, "Na": 3.63, "Si": 4.1491,
             "P": 5.13, "S": 2.847, "Cl": 9.577, "K": 3.67, "Ge": 8.185}
# X-ray form factors, Cromer-Mann coefficients a1 b1 a2 b2 a3 b3 a4 b4 c:
# International Tables for Crystallography Vol. C, Table 6.1.1.4 (neutral atoms).
CROMER_MANN = {
    "Li": (1.1282, 3.9546, 0.7508, 1.0524, 0.6175, 85.3905, 0.4653, 168.261, 0.0377),
    "O": (3.0485, 13.2771, 2.2868, 5.7011, 1.5463, 0.3239, 0.867, 32.9089, 0.2508),
    "Na": (4.7626, 3.285, 3.1736, 8.8422, 1.2674, 0.3136, 1.1128, 129.424, 0.676),
    "P": (6.4345, 1.9067, 4.1791, 27.157, 1.78, 0.526, 1.4908, 68.1645, 1.1149),
    "S": (6.9053, 1.4679, 5.2034, 22.2151, 1.4379, 0.2536, 1.5863, 56.172, 0.8669),
}


def form_factor(el: str, q: np.ndarray) -> np.ndarray:
    """X-ray form factor f(Q) (electrons), Q in Å^-1."""
    if el not in CROMER_MANN:
        raise KeyError(f"no X-ray form factor tabulated for {el}")
    a1, b1, a2, b2, a3, b3, a4, b4, c = CROMER_MANN[el]
    s2 = (np.asarray(q) / (4 * math.pi)) ** 2
    return a1 * np.exp(-b1 * s2) + a2 * np.exp(-b2 * s2) + a3 * np.exp(-b3 * s2) + a4 * np.exp(-b4 * s2) + c


def half_width(cell: np.ndarray) -> float:
    """Half the smallest perpendicular width (Å) of a cell whose columns are the box vectors."""
    vol = abs(np.linalg.det(cell))
    return 0.5 * min(vol / np.linalg.norm(np.cross(cell[:, (i + 1) % 3], cell[:, (i + 2) % 3])) for i in range(3))


def partial_rdf(pipeline, frames: list[int], cutoff: float = 8.0, bins: int = 400,
                progress: Progress | None = None) -> dict:
    """Frame-averaged partial g_ab(r): ``{"r": array, "partials": {"A-B": array}, "conc": {el: c}, "rho": n/Å^3}``."""
    from ovito.modifiers import CoordinationAnalysisModifier

    from .reader import frame_counter, type_names

    mod = CoordinationAnalysisModifier(cutoff=cutoff, number_of_bins=bins, partial=True)
    sums: dict[str, np.ndarray] = {}
    conc: dict[str, float] = {}
    rho = 0.0
    r = None
    half = math.inf
    with frame_counter(progress, len(frames)) as advance:
        for done, f in enumerate(frames, 1):
            data = pipeline.compute(f)
            names = type_names(data)
            cell = np.asarray(data.cell[:3, :3])
            vol = abs(np.linalg.det(cell))
            half = min(half, half_width(cell))
            if cutoff > half_width(cell):
                raise InputError(f"{param('rmax')} {cutoff} Å is more than half the box width: use a smaller {param('rmax')}")
            data.apply(mod)
            table = data.tables["coordination-rdf"]
            xy = np.asarray(table.xy())
            r = xy[:, 0]
            ids = np.asarray(data.particles.particle_types)
            n = len(ids)
            for tid, el in names.items():
                conc[el] = conc.get(el, 0.0) + np.count_nonzero(ids == tid) / n / len(frames)
            rho += n / vol / len(frames)
            for k, comp in enumerate(table.y.component_names):
                sums[comp] = sums.get(comp, 0.0) + xy[:, k + 1] / len(frames)
            advance(done)
    conc = {el: c for el, c in conc.items() if c > 0}
    partials = {k: v for k, v in sums.items() if all(e in conc for e in k.split("-"))}
    return {"r": r, "partials": partials, "conc": conc, "rho": rho, "half_box_A": half}


def _pairs(rdf):
    for key, g in rdf["partials"].items():
        a, b = key.split("-")
        yield a, b, g, (1 if a == b else 2)


def weighted_gr(rdf: dict, weights: dict[str, float]) -> np.ndarray:
    """Total g(r) with constant weights (neutron b, or X-ray Z)."""
    c = rdf["conc"]
    norm = sum(c[e] * weights[e] for e in c) ** 2
    return sum(m * c[a] * c[b] * weights[a] * weights[b] * g for a, b, g, m in _pairs(rdf)) / norm


def partial_sq(rdf: dict, q: np.ndarray) -> dict[str, np.ndarray]:
    """Faber-Ziman partial S_ab(Q) by sine transform of g_ab(r) - 1 (Lorch-damped)."""
    r = rdf["r"]
    dr = r[1] - r[0]
    rmax = r[-1] + dr / 2
    lorch = np.sinc(r / rmax)  # np.sinc(x) = sin(pi x)/(pi x): Lorch modification function
    kernel = np.sinc(np.outer(q, r) / math.pi) * (r**2 * lorch)[None, :] * dr  # sin(Qr)/(Qr) r^2 dr
    return {k: 1 + 4 * math.pi * rdf["rho"] * kernel @ (g - 1) for k, g in rdf["partials"].items()}


def total_sq(rdf: dict, q: np.ndarray) -> dict[str, np.ndarray]:
    """Neutron and X-ray total S(Q) (Faber-Ziman normalisation)."""
    c = rdf["conc"]
    sab = partial_sq(rdf, q)
    b = {e: NEUTRON_B[e] for e in c}
    out = {"neutron": sum(m * c[a] * c[bb] * b[a] * b[bb] * sab[f"{a}-{bb}"] for a, bb, _, m in _pairs(rdf))
           / sum(c[e] * b[e] for e in c) ** 2}
    f = {e: form_factor(e, q) for e in c}
    out["xray"] = sum(m * c[a] * c[bb] * f[a] * f[bb] * sab[f"{a}-{bb}"] for a, bb, _, m in _pairs(rdf)) \
        / sum(c[e] * f[e] for e in c) ** 2
    return out


def total_gr(rdf: dict) -> dict[str, np.ndarray]:
    """Neutron- and X-ray (Z-) weighted g(r) and G(r) = 4 pi rho r (g - 1)."""
    c = rdf["conc"]
    out = {}
    for name, w in (("neutron", {e: NEUTRON_B[e] for e in c}),
                    ("xray", {e: float(form_factor(e, np.zeros(1))[0]) for e in c})):
        g = weighted_gr(rdf, w)
        out[f"g_{name}"] = g
        out[f"G_{name}"] = 4 * math.pi * rdf["rho"] * rdf["r"] * (g - 1)
    return out


def rdf_table(rdf: dict) -> dict[str, np.ndarray]:
    """Columns of rdf.csv: r (Å), every partial g_ab, total neutron/X-ray g(r) and G(r)."""
    return {"r_A": rdf["r"], **{f"g_{k}": v for k, v in rdf["partials"].items()}, **total_gr(rdf)}


def q_resolved(rdf: dict) -> float:
    """The smallest Q (1/Å) a box resolves, 2 pi / (L/2) with L/2 the half box width (or r max of g(r))."""
    return 2 * math.pi / rdf.get("half_box_A", rdf["r"][-1])


def sq_table(rdf: dict, q: np.ndarray) -> dict[str, np.ndarray]:
    """Columns of sq.csv: Q (1/Å), neutron and X-ray total S(Q), and ``resolved`` (0 below ``q_resolved``:
    structure on lengths beyond half the box, which the box cannot hold)."""
    sq = total_sq(rdf, q)
    return {"Q_invA": q, "S_neutron": sq["neutron"], "S_xray": sq["xray"],
            "resolved": (np.asarray(q) >= q_resolved(rdf)).astype(int)}


def first_minimum(r: np.ndarray, g: np.ndarray, sigma: float = 0.05, shell: float = 1.0,
                  depth: float = 0.75) -> tuple[float | None, str]:
    """(r of the first minimum after the first peak of g(r) in Å, or None, and why not).

    g is smoothed with a Gaussian of ``sigma`` Å; the first peak is the highest point within ``shell`` Å
    of where the smoothed g first exceeds 1 (a noise spike on the rising edge is not taken for the
    peak); the minimum is the lowest point within 1.5 ``shell`` Å after it. A minimum that is not
    below ``depth`` times the peak, or that sits at the end of that range, is no minimum: too noisy.
    """
    r, g = np.asarray(r, float), np.asarray(g, float)
    if not np.any(g > 1):
        return None, "no peak above 1"
    dr = float(r[1] - r[0])
    k = max(1, int(round(3 * sigma / dr)))
    x = np.arange(-k, k + 1) * dr
    kernel = np.exp(-0.5 * (x / sigma) ** 2)
    gs = np.convolve(g, kernel / kernel.sum(), mode="same")
    start = int(np.argmax(gs > 1))
    shell_end = int(np.searchsorted(r, r[start] + shell))
    peak = start + int(np.argmax(gs[start:max(shell_end, start + 1)]))
    end = int(np.searchsorted(r, r[peak] + 1.5 * shell))
    if end >= len(r) - 1:
        return None, f"g(r) ends within {1.5 * shell:g} Å of its first peak: use a larger --rmax"
    m = peak + 1 + int(np.argmin(gs[peak + 1:end]))
    if m >= end - 1 or gs[m] > depth * gs[peak]:
        return None, (f"no clear minimum after the first peak at {r[peak]:.2f} Å (smoothed g {gs[peak]:.2f}, "
                      f"lowest after it {gs[m]:.2f}): too noisy, analyse more frames")
    return round(float(r[m]), 2), ""


def propose_cutoffs(rdf: dict, pairs=("P-S", "P-O", "P-P", "S-S", "Na-S", "Na-O")) -> dict[str, float]:
    """First minimum after the first peak of each partial g(r) (Å), for pairs with a clear one
    (``first_minimum``; ``cutoff_notes`` says why a pair has none)."""
    return {pair: v for pair, (v, _) in _minima(rdf, pairs).items() if v is not None}


def cutoff_notes(rdf: dict, pairs=("P-S", "P-O", "P-P", "S-S", "Na-S", "Na-O")) -> dict[str, str]:
    """Why no cutoff is proposed for a pair present in the g(r)."""
    return {pair: why for pair, (v, why) in _minima(rdf, pairs).items() if v is None}


def _minima(rdf: dict, pairs) -> dict[str, tuple]:
    out = {}
    for pair in pairs:
        a, b = pair.split("-")
        g = rdf["partials"].get(f"{a}-{b}", rdf["partials"].get(f"{b}-{a}"))
        if g is not None and np.any(g > 0):
            out[pair] = first_minimum(rdf["r"], g)
    return out
