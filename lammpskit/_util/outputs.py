"""Checks on where a command writes: one ``error:`` line before anything is made, not a traceback after."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from lammpskit.errors import UserError, param


def writable(folder: Path) -> bool:
    """Whether a file can be made in ``folder``: asked of the OS, then tried (root passes ``access`` everywhere,
    yet a read-only mount or a full disk still says no)."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    try:
        fd, name = tempfile.mkstemp(prefix=".lk-probe-", dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.unlink(name)
    return True


def out_file(path: Path, what: str = param("out"), overwrite: bool = True) -> Path:
    """A file to write: its folder exists and is writable; it is not a folder (nor, unless ``overwrite``, a file)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UserError(f"{what} {path} is a folder: give a file name")
    if path.exists() and not overwrite:
        raise UserError(f"{what} {path} exists: choose another name or remove it")
    if not folder.is_dir():
        raise UserError(f"{what} {path}: the folder {folder} does not exist (create it first)")
    if not writable(folder):
        raise UserError(f"{what} {path}: the folder {folder} is not writable")
    return path


def out_dir(path: Path, what: str = param("out")) -> Path:
    """A folder to create: it does not exist or is empty, and the nearest existing folder above is writable."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"{what} {path} is a file, not a folder")
    above = path if path.exists() else next((p for p in path.absolute().parents if p.exists()), Path("/"))
    if not above.is_dir():
        raise UserError(f"{what} {path}: {above} is a file, not a folder")
    if not writable(above):
        raise UserError(f"{what} {path}: {above} is not writable")
    return path
