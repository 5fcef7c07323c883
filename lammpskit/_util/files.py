"""Atomic files: written under a unique temporary name beside the target, fsynced, renamed into place.

A reader never sees a half-written file, and a failed write leaves nothing
behind that looks finished (the temporary file is removed).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _fsync(path: Path) -> None:
    if path.is_file():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str = "") -> Iterator[Path]:
    """Yield a fresh temporary path beside ``path`` (ending in ``suffix``, e.g. ``.png`` for writers that
    choose a format by extension); on success it is fsynced and renamed onto ``path``, on error removed."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _fsync(tmp)
        if tmp.is_file():
            os.chmod(tmp, 0o644)
        tmp.replace(path)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str, in_place_when_full: bool = False) -> Path:
    """Write ``text`` to ``path`` atomically. ``in_place_when_full``: on a full disk (no room for the temporary
    copy) overwrite ``path`` in place when the text fits in the blocks it already holds (a state file such as
    run.json must still say ``failed`` when the disk filled up under a run)."""
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(text)
    except OSError as exc:
        data = text.encode()
        if not (in_place_when_full and exc.errno in (errno.ENOSPC, errno.EDQUOT) and Path(path).is_file()
                and len(data) <= Path(path).stat().st_blocks * 512):
            raise
        with open(path, "r+b") as fh:
            fh.write(data)
            fh.truncate()
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


def write_json(path: str | Path, data) -> Path:
    """Write ``data`` as indented JSON atomically."""
    return write_text(path, json.dumps(data, indent=2) + "\n")
