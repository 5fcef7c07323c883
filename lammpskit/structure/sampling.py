"""Diverse frames: farthest-point sampling on a structural descriptor.

The descriptor: per element pair, the number of neighbours in 0.5 Å shells out to 5 Å (a coarse
partial g(r) per atom), plus the temperature (K / 1000, ``temperature_K`` of the frame's info, else
300 K) and the composition fractions.
"""

from __future__ import annotations

import numpy as np

SHELLS = np.arange(1.5, 5.01, 0.5)  # Å, shell edges of the descriptor


def descriptor(at, elements: list[str]) -> np.ndarray:
    """Shell neighbour counts per ordered element pair (per atom of the first element), T, composition."""
    from ase.neighborlist import neighbor_list

    i, j, d = neighbor_list("ijd", at, SHELLS[-1])
    sym = np.array(at.get_chemical_symbols())
    parts = []
    for a in elements:
        na = max((sym == a).sum(), 1)
        for b in elements:
            m = (sym[i] == a) & (sym[j] == b)
            parts.append(np.histogram(d[m], SHELLS)[0] / na)
    frac = [(sym == e).mean() for e in elements]
    return np.concatenate([*parts, [at.info.get("temperature_K", 300.0) / 1000.0], frac])


def farthest_points(x: np.ndarray, n: int, seed: int = 0, start: int | None = None) -> list[int]:
    """Indices of ``n`` rows of ``x`` chosen by farthest-point sampling on standardised columns, from row
    ``start`` (default: a random row drawn with ``seed``)."""
    if n >= len(x):
        return list(range(len(x)))
    z = (x - x.mean(0)) / np.where(x.std(0) > 0, x.std(0), 1)
    picked = [int(np.random.default_rng(seed).integers(len(z))) if start is None else int(start)]
    dist = np.linalg.norm(z - z[picked[0]], axis=1)
    while len(picked) < n:
        k = int(np.argmax(dist))
        picked.append(k)
        dist = np.minimum(dist, np.linalg.norm(z - z[k], axis=1))
    return picked
