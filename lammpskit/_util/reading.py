"""Reading files the kit did not just write (run folders, campaign files, shared results): regular files
only, with a bound on their size, parsed into one clear error when damaged.

A FIFO would block a reader forever and ``/dev/zero`` (or a link to it) would fill memory: both report a
size of 0, so the kind of file is checked on the open descriptor and the read itself is bounded.
The bound is ``LAMMPSKIT_MAX_READ_MB`` (default 64 MB); JSON and TOML nested too deep or holding numbers
Python will not convert (a 5 000-digit integer) are damaged files, not tracebacks.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tomllib
from pathlib import Path

from lammpskit._util import limits
from lammpskit.errors import UserError


def _limit_bytes() -> int:
    return int(limits.bound("read_mb") * 1e6)


@contextlib.contextmanager
def open_regular(path: str | Path, what: str = "file"):
    """A binary file object of ``path`` if it is a regular file (a link to one is fine); a user error for a
    FIFO, device, socket or folder, and for a missing or unreadable file."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise UserError(f"{what} {path} not found") from None
    except OSError as exc:
        raise UserError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UserError(f"{what} {path} is not a regular file (a FIFO, device or folder): the kit reads only "
                            "plain files")
        os.set_blocking(fd, True)
        fh = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with fh:
        yield fh


def read_bytes(path: str | Path, what: str = "file", limit: int | None = None) -> bytes:
    """The bytes of a regular file, at most ``limit`` (default ``LAMMPSKIT_MAX_READ_MB``)."""
    limit = _limit_bytes() if limit is None else limit
    with open_regular(path, what) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise UserError(f"{what} {path} is larger than {limit / 1e6:g} MB, more than the kit reads; raise the "
                        f"limit with {limits.BOUNDS['read_mb'][0]} if it really is that large")
    return data


def read_text(path: str | Path, what: str = "file", limit: int | None = None) -> str:
    """A regular UTF-8 text file, bounded (see ``read_bytes``)."""
    try:
        return read_bytes(path, what, limit).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{what} {path} is not UTF-8 text (byte {exc.start})") from None


def parse_json(text: str, where: str):
    """JSON text as Python; a user error naming ``where`` when damaged, nested too deep or holding huge numbers."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError; so is a 5000-digit integer
        raise UserError(f"{where} is damaged: {_short(exc)}") from None


def read_json(path: str | Path, what: str = "file", limit: int | None = None):
    """A regular JSON file, bounded, parsed (see ``parse_json``)."""
    return parse_json(read_text(path, what, limit), f"{what} {path}")


def read_toml(path: str | Path, what: str = "file", limit: int | None = None) -> dict:
    """A regular TOML file, bounded, parsed; a user error when damaged, nested too deep or holding huge numbers."""
    text = read_text(path, what, limit)
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:
        raise UserError(f"cannot read {what} {path}: {_short(exc)}") from None


def _short(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deep"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
