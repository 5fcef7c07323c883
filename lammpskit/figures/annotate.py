"""A dump annotated with each atom's structural class, for OVITO's Color coding and Expression selection.

Columns after ``id element x y z`` (definitions of ``lammpskit.analysis.units``):
``pn`` (n of P^n for P, -1 otherwise), ``anion`` (S and O: 0 free, 1 non-bridging,
2 bridging; -1 otherwise), ``edge`` (1: a P in an edge-sharing pair), ``pp``
(P-P bonds of the atom), ``unit_o`` (m of PS(4-m)Om for P, -1 otherwise).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lammpskit._util import files
from lammpskit.analysis import cutoffs as _cutoffs
from lammpskit.analysis import reader, units
from lammpskit.lammps import dumps
from lammpskit.progress import Progress

COLUMNS = ("pn", "anion", "edge", "pp", "unit_o")


def annotate(path: str | Path, out: str | Path, frames="all", types: list[str] | None = None,
             cutoffs: dict | None = None, progress: Progress | None = None) -> dict:
    """Write the selected frames of ``path`` to the dump ``out`` with the per-atom class columns; ``progress``
    is told the frames written."""
    cut = _cutoffs.with_defaults(cutoffs)
    pipeline = reader.open_pipeline(path, types)
    selected = reader.select_frames(frames, pipeline.source.num_frames)
    out, cache = Path(out), {}
    with files.atomic_path(out) as tmp, reader.frame_counter(progress, len(selected)) as advance:
        for done, f in enumerate(selected, 1):
            data = pipeline.compute(f)
            names = reader.type_names(data)
            type_ids = np.asarray(data.particles.particle_types)
            kind = units.kinds_of(names, type_ids)
            classes = units.atom_classes(kind, units.frame_bonds(data, cut, cache))
            ids = np.asarray(data.particles.identifiers) if data.particles.identifiers is not None \
                else np.arange(1, len(kind) + 1)
            cell = np.asarray(data.cell)
            step = int(data.attributes.get("Timestep", f))
            dumps.write(tmp, [(step, ids, [names[t] for t in type_ids], np.asarray(data.particles.positions),
                               cell[:, :3].T, cell[:, 3], classes)], append=True)
            advance(done)
    return {"dump": str(out), "frames": len(selected), "columns": list(COLUMNS)}
