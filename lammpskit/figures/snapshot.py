"""A picture of a glass (OVITO, Tachyon software renderer: no GPU or display needed).

P atoms are coloured by their number of bridging anions n (P0 blue, P1 green, P2 orange,
P3+ red), S yellow, O red-brown, Na small and grey. The artefacts are drawn larger: P atoms
in P-P bonds magenta, P atoms of edge-sharing pairs cyan.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lammpskit.analysis import cutoffs as _cutoffs
from lammpskit.analysis.units import NA, O, P, S, bond_ends, bridging_per_atom, edge_sharing, frame_bonds, kinds_of

PN_COLOURS = [(0.15, 0.35, 0.9), (0.1, 0.7, 0.2), (1.0, 0.55, 0.0), (0.8, 0.0, 0.0)]
COLOURS = {NA: (0.75, 0.75, 0.75), S: (0.95, 0.85, 0.1), O: (0.7, 0.15, 0.1)}
RADII = {NA: 0.45, P: 0.6, S: 0.7, O: 0.55}


def p_n(kind: np.ndarray, bonds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n per atom: bridging anions of each P, -1 elsewhere; True for P atoms bonded to another P)."""
    n = bridging_per_atom(kind, bonds)
    n[kind != P] = -1
    a, b = bond_ends(bonds)
    both = (kind[a] == P) & (kind[b] == P)
    pp = np.zeros(len(kind), bool)
    pp[a[both]] = pp[b[both]] = True
    return n, pp


def render(path: Path, png: Path, size: tuple[int, int] = (480, 480)) -> Path:
    """Render the last frame of a dump (or a data file) to ``png``."""
    from ovito.pipeline import Pipeline, StaticSource
    from ovito.vis import TachyonRenderer, Viewport

    from lammpskit.analysis.reader import open_pipeline, type_names

    source = open_pipeline(path)
    data = source.compute(source.source.num_frames - 1)
    names = type_names(data)
    kind = kinds_of(names, np.asarray(data.particles.particle_types))
    bonds = frame_bonds(data, _cutoffs.with_defaults(None), {})
    n, pp = p_n(kind, bonds)
    colours = np.array([COLOURS.get(k, (0.5, 0.5, 0.5)) for k in kind], float)
    radii = np.array([RADII.get(k, 0.5) for k in kind], float)
    is_p = kind == P
    colours[is_p] = np.array(PN_COLOURS)[np.clip(n[is_p], 0, 3)]
    edge = np.zeros(len(kind), bool)
    edge[edge_sharing(kind, bonds).ravel()] = True
    colours[edge] = (0.0, 0.85, 0.9)
    colours[pp] = (0.9, 0.0, 0.9)
    radii[pp | edge] = 0.85
    data.particles_.create_property("Color", data=colours)
    data.particles_.create_property("Radius", data=radii)
    if data.particles.bonds is not None:
        data.particles_.bonds_.vis.enabled = False
    pipeline = Pipeline(source=StaticSource(data=data))
    pipeline.add_to_scene()
    try:
        vp = Viewport(type=Viewport.Type.Perspective, camera_dir=(2, 1, -1))
        vp.zoom_all(size)
        vp.render_image(filename=str(png), size=size, renderer=TachyonRenderer(ambient_occlusion=False))
    finally:
        pipeline.remove_from_scene()
    return Path(png)

