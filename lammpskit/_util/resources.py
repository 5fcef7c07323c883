"""Where the kit's data lives: templates/ and potentials/ in a checkout or inside a wheel."""

from __future__ import annotations

import os
from pathlib import Path

_PKG = Path(__file__).resolve().parents[1]  # the lammpskit package folder


def data_dir(name: str) -> Path:
    """``templates`` or ``potentials``: the wheel's copy if installed, else the checkout's."""
    for candidate in (_PKG / "_data" / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"lammpskit data folder {name!r} not found next to {_PKG}")


def user_dir() -> Path:
    """Per-user state (downloaded models, user potentials): ``$LAMMPSKIT_HOME`` or ``~/.lammpskit``."""
    return Path(os.environ.get("LAMMPSKIT_HOME", Path.home() / ".lammpskit"))
