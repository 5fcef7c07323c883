"""Bond-angle distributions A-B-C (degrees) from the bonds of analysis.units' cutoffs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the protocol's name only (analysis imports nothing from lammpskit when it runs)
    from lammpskit.progress import Progress

DEFAULT_TRIPLETS = ("S-P-S", "O-P-O", "S-P-O", "P-S-P", "P-O-P")


def frame_angles(data, bonds: np.ndarray, names: dict[int, str], triplets=DEFAULT_TRIPLETS) -> dict[str, np.ndarray]:
    """Angles (degrees) for each triplet ``A-B-C`` (B the centre) in one OVITO frame with bonds."""
    pos = np.asarray(data.particles.positions)
    cell = np.asarray(data.cell[:3, :3])
    inv = np.linalg.inv(cell)
    el = np.array([names[t] for t in np.asarray(data.particles.particle_types)])
    out = {t: [] for t in triplets}
    if not len(bonds):
        return {t: np.zeros(0) for t in triplets}
    a, b = bonds[:, 0], bonds[:, 1]
    v = pos[b] - pos[a]
    frac = v @ inv.T
    v = (frac - np.round(frac)) @ cell.T  # minimum image (cutoffs << box)
    centre = np.concatenate([a, b])
    other = np.concatenate([b, a])
    vec = np.concatenate([v, -v])
    order = np.argsort(centre, kind="stable")
    centre, other, vec = centre[order], other[order], vec[order]
    starts = np.flatnonzero(np.r_[True, centre[1:] != centre[:-1]])
    ends = np.r_[starts[1:], len(centre)]
    for s, e in zip(starts, ends):
        k = e - s
        if k < 2:
            continue
        ii, jj = np.triu_indices(k, 1)
        u = vec[s:e] / np.linalg.norm(vec[s:e], axis=1)[:, None]
        cos = np.clip(np.einsum("ij,ij->i", u[ii], u[jj]), -1, 1)
        ang = np.degrees(np.arccos(cos))
        cb = el[centre[s]]
        ea, ec = el[other[s:e]][ii], el[other[s:e]][jj]
        for t in triplets:
            x, y, z = t.split("-")
            if y != cb:
                continue
            m = ((ea == x) & (ec == z)) | ((ea == z) & (ec == x))
            out[t].append(ang[m])
    return {t: np.concatenate(v) if v else np.zeros(0) for t, v in out.items()}


def distributions(pipeline, frames, cut, triplets=DEFAULT_TRIPLETS, bins: int = 180,
                  progress: Progress | None = None) -> dict:
    """Normalised angle histograms over frames: ``{"angle": centres, "A-B-C": density, "counts": {...}, "mean": {...}}``."""
    from .reader import frame_counter, type_names
    from .units import frame_bonds

    cache: dict = {}
    all_angles = {t: [] for t in triplets}
    with frame_counter(progress, len(frames)) as advance:
        for done, f in enumerate(frames, 1):
            data = pipeline.compute(f)
            names = type_names(data)
            for t, v in frame_angles(data, frame_bonds(data, cut, cache), names, triplets).items():
                all_angles[t].append(v)
            advance(done)
    edges = np.linspace(0, 180, bins + 1)
    out = {"angle": (edges[:-1] + edges[1:]) / 2, "counts": {}, "mean": {}}
    for t, parts in all_angles.items():
        v = np.concatenate(parts)
        hist, _ = np.histogram(v, edges, density=bool(len(v)))
        out[t] = hist
        out["counts"][t] = len(v) / len(frames)
        out["mean"][t] = float(v.mean()) if len(v) else None
    return out
