"""Opening dumps and data files with OVITO, naming atom types, choosing frames.

Frames are computed one at a time (OVITO indexes the file once and reads each
frame on demand), so long trajectories are never loaded whole.
"""

from __future__ import annotations

from pathlib import Path

from . import checks
from .checks import element
from .errors import InputError


def parse_types(text: str | None) -> list[str] | None:
    """``"Na,P,S,O"`` -> element names for types 1, 2, 3, 4."""
    if not text:
        return None
    return [element(t.strip()) for t in text.split(",")]


def open_pipeline(path: str | Path, types: list[str] | None = None, overlap: float | None = checks.OVERLAP_FLOOR):
    """An OVITO pipeline over ``path``; ``types`` names numeric types 1..n.

    Every frame it computes is checked (``checks.frame``): atoms, finite coordinates, element names, and no
    two atoms closer than ``overlap`` Å (None: no overlap check, for synthetic point sets such as an ideal gas).
    """
    from ovito.io import import_file

    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a folder: give a LAMMPS dump or data file")
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a regular file (give a LAMMPS dump or data file)")
    try:
        pipeline = import_file(str(path))
    except Exception as exc:  # noqa: BLE001 - OVITO's own message says why
        raise InputError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None
    if types:
        def name_types(_frame, data):
            ptypes = data.particles_.particle_types_
            for t in ptypes.types_:
                if not 1 <= t.id <= len(types):
                    raise InputError(f"{path}: atom type {t.id} has no name in --types {','.join(types)}")
                t.name = types[t.id - 1]
        pipeline.modifiers.append(name_types)

    def sane(frame_, data):
        checks.frame(data, f"{path} frame {frame_}", overlap)
    pipeline.modifiers.append(sane)
    if pipeline.source.num_frames == 0:
        raise InputError(f"{path} holds no frames")
    return pipeline


def type_names(data) -> dict[int, str]:
    """``type id -> element name``; a user error when a type has no element name."""
    out = {}
    for t in data.particles.particle_types.types:
        if not t.name or t.name.isdigit():
            raise InputError("atom types have no element names: give --types Na,P,S,O "
                            "(or dump an 'element' column / '# El' comments on Masses lines)")
        out[t.id] = t.name
    return out


def select_frames(spec: str, n: int) -> list[int]:
    """``last`` | ``all`` | ``A:B`` or ``A:B:STEP`` (Python slice over frame indices)."""
    if n <= 0:
        raise InputError("the file holds no frames")
    if spec == "last":
        return [n - 1]
    if spec == "all":
        return list(range(n))
    parts = spec.split(":")
    try:
        if not 2 <= len(parts) <= 3:
            raise ValueError
        bounds = [int(p) if p.strip() else None for p in parts]
    except ValueError:
        raise InputError(f"--frames {spec!r}: expected last, all or A:B (frame indices, e.g. 10:100)") from None
    frames = list(range(n))[slice(*bounds)]
    if not frames:
        raise InputError(f"--frames {spec!r} selects no frame (the file has {n})")
    return frames
