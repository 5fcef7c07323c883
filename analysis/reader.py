"""Opening dumps and data files with OVITO, naming atom types, choosing frames.

Frames are computed one at a time (OVITO indexes the file once and reads each
frame on demand), so long trajectories are never loaded whole.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from . import checks
from .checks import element
from .errors import InputError, param

if TYPE_CHECKING:  # the protocol's name only: analysis imports nothing from lammpskit when it runs
    from lammpskit.progress import Progress


def check_types(types) -> list[str] | None:
    """``types``: None or the element symbols of atom types 1, 2, ... (``["Na", "P", "S", "O"]``)."""
    if types is None:
        return None
    if isinstance(types, str) or not isinstance(types, list | tuple):
        raise InputError(f"{param('types')} must be a list of element symbols for types 1, 2, ..., "
                         f"e.g. ['Na', 'P', 'S', 'O'], got {types!r:.200}")
    return [element(t) for t in types]


def open_pipeline(path: str | Path, types: list[str] | None = None, overlap: float | None = checks.OVERLAP_FLOOR):
    """An OVITO pipeline over ``path``; ``types`` names numeric types 1..n.

    Every frame it computes is checked (``checks.frame``): atoms, finite coordinates, element names, and no
    two atoms closer than ``overlap`` Å (None: no overlap check, for synthetic point sets such as an ideal gas).
    """
    from ovito.io import import_file

    path = Path(path)
    types = check_types(types)
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
                    raise InputError(f"{path}: atom type {t.id} has no name in {param('types', types)}")
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
            raise InputError(f"atom types have no element names: give {param('types', ['Na', 'P', 'S', 'O'])} "
                             "(or dump an 'element' column / '# El' comments on Masses lines)")
        out[t.id] = t.name
    return out


def select_frames(frames, n: int) -> list[int]:
    """The frame indices ``frames`` selects from ``n``: ``"last"``, ``"all"``, an index (negative: from the
    end), a ``slice`` (``slice(-10, None)``: the last ten) or a list of indices."""
    if n <= 0:
        raise InputError("the file holds no frames")
    if frames == "last":
        return [n - 1]
    if frames == "all":
        return list(range(n))
    if isinstance(frames, slice) and all(v is None or _index(v) for v in (frames.start, frames.stop, frames.step)):
        if frames.step == 0:
            raise InputError(f"{param('frames', frames)}: a slice step cannot be zero")
        selected = list(range(n))[frames]
    elif _index(frames):
        selected = [_frame(frames, n)]
    elif isinstance(frames, list | tuple | range) and frames and all(_index(f) for f in frames):
        selected = [_frame(f, n) for f in frames]
    else:
        raise InputError(f"{param('frames', frames)}: expected 'last', 'all', a frame index, a slice such as "
                         "slice(10, 100) or a list of frame indices")
    if not selected:
        raise InputError(f"{param('frames', frames)} selects no frame (the file has {n})")
    return selected


def _index(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _frame(k: int, n: int) -> int:
    if not -n <= k < n:
        raise InputError(f"{param('frames')}: frame {k} is outside the file's {n} frames (0 to {n - 1})")
    return k % n


@contextlib.contextmanager
def frame_counter(progress: Progress | None, total: int) -> Iterator[Callable[[int], None]]:
    """Around a loop over ``total`` frames: ``progress.start(total, unit="frame")`` on entry, ``finish()`` on
    leaving (also on an error); yields ``advance(done)`` to call with the frames done so far (a no-op for None).
    ``progress`` is a ``lammpskit.progress.Progress``."""
    if progress is None:
        yield lambda done: None
        return
    progress.start(total, 0, "frame")
    try:
        yield progress.advance
    finally:
        progress.finish()
