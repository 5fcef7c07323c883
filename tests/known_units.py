"""Hand-built thiophosphate units whose analysis is known exactly."""

from __future__ import annotations

import numpy as np

PS, PO = 2.08, 1.58  # bond lengths (Å)


def _unit(v):
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


def tetra_complete(fixed: list[np.ndarray]) -> list[np.ndarray]:
    """Unit vectors completing a tetrahedron around a centre, given 1 or 2 fixed directions."""
    if len(fixed) == 2:
        u1, u2 = map(_unit, fixed)
        d = _unit(-(u1 + u2))
        n = _unit(np.cross(u1, u2))
        a = np.deg2rad(54.74)
        return [_unit(d * np.cos(a) + n * np.sin(a)), _unit(d * np.cos(a) - n * np.sin(a))]
    u = _unit(fixed[0])
    perp = _unit(np.cross(u, [0.3, 0.5, 0.8]))
    perp2 = np.cross(u, perp)
    c = np.cos(np.deg2rad(109.47))
    s = np.sqrt(1 - c * c)
    return [_unit(u * c + s * (np.cos(t) * perp + np.sin(t) * perp2)) for t in np.deg2rad([0, 120, 240])]


def ps4(anion="S"):
    r = PS if anion == "S" else PO
    d = [_unit(v) for v in ([1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1])]
    return [("P", np.zeros(3))] + [(anion, r * v) for v in d]


def dimer(bridge="S"):
    """S3P-X-PS3 with X = S or O bridging (P2S7 or P2S6O)."""
    r = PS if bridge == "S" else PO
    half = r * np.sin(np.deg2rad(60))
    p1, p2, x = np.array([-half, 0, 0]), np.array([half, 0, 0]), np.array([0, r * np.cos(np.deg2rad(60)), 0])
    atoms = [("P", p1), ("P", p2), (bridge, x)]
    for p in (p1, p2):
        atoms += [("S", p + PS * v) for v in tetra_complete([x - p])]
    return atoms


def ring(k: int):
    """k corner-sharing PS4 tetrahedra closed into a ring (P_kS_3k): every P is P2."""
    pp = 2 * PS * np.sin(np.deg2rad(55))
    R = pp / (2 * np.sin(np.pi / k))
    ps = [np.array([R * np.cos(2 * np.pi * i / k), R * np.sin(2 * np.pi * i / k), 0]) for i in range(k)]
    atoms = [("P", p) for p in ps]
    bridges = []
    for i in range(k):
        a, b = ps[i], ps[(i + 1) % k]
        mid, out = (a + b) / 2, _unit((a + b) / 2)
        h = np.sqrt(PS**2 - (np.linalg.norm(b - a) / 2) ** 2)
        bridges.append(mid + h * out)
    atoms += [("S", s) for s in bridges]
    for i, p in enumerate(ps):
        atoms += [("S", p + PS * v) for v in tetra_complete([bridges[i] - p, bridges[i - 1] - p])]
    return atoms


def edge_sharing():
    """Two PS4 sharing an edge (P2S6): one edge-sharing pair, both P are P2."""
    p1, p2 = np.array([-1.5, 0, 0]), np.array([1.5, 0, 0])
    y = np.sqrt(PS**2 - 1.5**2)
    s1, s2 = np.array([0, y, 0]), np.array([0, -y, 0])
    atoms = [("P", p1), ("P", p2), ("S", s1), ("S", s2)]
    for p in (p1, p2):
        atoms += [("S", p + PS * v) for v in tetra_complete([s1 - p, s2 - p])]
    return atoms


def p2s6_pp():
    """S3P-PS3 (hypothiodiphosphate): one P-P bond, both P are P0 with PS3 units."""
    half = 1.1
    atoms = []
    for sign in (-1, 1):
        p = np.array([sign * half, 0, 0])
        atoms.append(("P", p))
        axis = np.array([sign, 0, 0])
        for v in tetra_complete([-axis])[:3]:
            atoms.append(("S", p + PS * v))
    return atoms


def s2_pair():
    return [("S", np.zeros(3)), ("S", np.array([2.05, 0, 0]))]


def sodium():
    return [("Na", np.zeros(3))]


EXPECTED = {  # name: (builder, expected counts)
    "PS4": (ps4, {"Pn": {"0": 1}, "units": {"PS4": 1}, "S": (0, 4, 0), "O": (0, 0, 0), "es": 0, "pp": 0, "ss": 0}),
    "PO4": (lambda: ps4("O"), {"Pn": {"0": 1}, "units": {"PO4": 1}, "S": (0, 0, 0), "O": (0, 4, 0),
                                "es": 0, "pp": 0, "ss": 0}),
    "P2S7": (dimer, {"Pn": {"1": 2}, "units": {"PS4": 2}, "S": (1, 6, 0), "O": (0, 0, 0), "es": 0, "pp": 0, "ss": 0}),
    "P2S6O": (lambda: dimer("O"), {"Pn": {"1": 2}, "units": {"PS3O": 2}, "S": (0, 6, 0), "O": (1, 0, 0),
                                   "es": 0, "pp": 0, "ss": 0}),
    "ring3": (lambda: ring(3), {"Pn": {"2": 3}, "units": {"PS4": 3}, "S": (3, 6, 0), "O": (0, 0, 0),
                                "es": 0, "pp": 0, "ss": 0}),
    "ring4": (lambda: ring(4), {"Pn": {"2": 4}, "units": {"PS4": 4}, "S": (4, 8, 0), "O": (0, 0, 0),
                                "es": 0, "pp": 0, "ss": 0}),
    "edge": (edge_sharing, {"Pn": {"2": 2}, "units": {"PS4": 2}, "S": (2, 4, 0), "O": (0, 0, 0),
                            "es": 1, "pp": 0, "ss": 0}),
    "P2S6": (p2s6_pp, {"Pn": {"0": 2}, "units": {"PS3": 2}, "S": (0, 6, 0), "O": (0, 0, 0), "es": 0, "pp": 1, "ss": 0}),
    "S2": (s2_pair, {"Pn": {}, "units": {}, "S": (0, 0, 2), "O": (0, 0, 0), "es": 0, "pp": 0, "ss": 1}),
    "Na": (sodium, {"Pn": {}, "units": {}, "S": (0, 0, 0), "O": (0, 0, 0), "es": 0, "pp": 0, "ss": 0}),
}


def assemble(groups: list[list], spacing: float = 12.0, tilt: bool = False, seed: int = 0):
    """Place each group at its own grid point; returns (elements, positions, cell rows)."""
    n = int(np.ceil(len(groups) ** (1 / 3)))
    L = spacing * n
    cell = np.diag([L, L, L]).astype(float)
    if tilt:
        cell[1, 0], cell[2, 0], cell[2, 1] = 0.2 * L, -0.15 * L, 0.1 * L
    rng = np.random.default_rng(seed)
    els, pos = [], []
    for g, atoms in enumerate(groups):
        frac = (np.array([g % n, (g // n) % n, g // (n * n)]) + 0.5) / n
        centre = frac @ cell
        rot, _ = np.linalg.qr(rng.normal(size=(3, 3)))  # random orientation
        for el, r in atoms:
            els.append(el)
            pos.append(centre + rot @ r)
    return els, np.array(pos), cell
