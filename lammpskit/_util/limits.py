"""Bounds on derived sizes (atoms, MD steps, dump files), each with the number and how to lift it.

A typo (``t_production=1e6`` ps, ``atoms=10000000``) should be one error line, not a week of MD or a
full disk. Each bound can be raised for a run that really needs it with an environment variable.
"""

from __future__ import annotations

import os

from lammpskit.errors import UserError, param

BOUNDS = {  # name -> (environment variable, default)
    "atoms": ("LAMMPSKIT_MAX_ATOMS", 1_000_000),
    "steps": ("LAMMPSKIT_MAX_STEPS", 500_000_000),
    "dump_gb": ("LAMMPSKIT_MAX_DUMP_GB", 100.0),
    "read_mb": ("LAMMPSKIT_MAX_READ_MB", 64.0),    # a JSON/TOML/deck file the kit reads
    "cases": ("LAMMPSKIT_MAX_CASES", 10_000),      # cases of one campaign
}
BYTES_PER_ATOM_LINE = 60  # "id element x y z" in a text dump (velocities: about twice)


def bound(name: str) -> float:
    var, default = BOUNDS[name]
    text = os.environ.get(var)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"${var} must be a number, got {text!r}") from None
    if not value > 0:
        raise UserError(f"${var} must be positive, got {text!r}")
    return value


def atoms(n: int) -> int:
    limit = bound("atoms")
    if n > limit:
        raise UserError(f"{n} atoms is more than the limit of {limit:g}: a smaller {param('atoms')}/{param('fu')}, or raise the "
                        f"limit with {BOUNDS['atoms'][0]}={n}")
    return n


def seed(value, what: str = param("seed")) -> int:
    """A random seed: a whole number 0 <= seed < 2**31."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise UserError(f"{what} must be a whole number from 0 to {2**31 - 1}, got {value!r}")
    return value


def run(natoms: int, params, stages) -> None:
    """Total MD steps and the estimated size of the dump files of a melt-quench run."""
    atoms(natoms)
    total = stages[-1].end if stages else 0
    limit = bound("steps")
    if total > limit:
        raise UserError(f"the protocol makes {total} MD steps, more than the limit of {limit:g}: check the times "
                        f"(ps) and dt (fs) in {param('settings')}, or raise the limit with {BOUNDS['steps'][0]}={total}")
    gb = dump_bytes(natoms, params, stages) / 1e9
    limit = bound("dump_gb")
    if gb > limit:
        raise UserError(f"the dumps would take about {gb:.3g} GB, more than the limit of {limit:g} GB: raise "
                        f"dump_every/msd_every in {param('settings')}, or the limit with {BOUNDS['dump_gb'][0]}={gb:.0f}")


def dump_bytes(natoms: int, params, stages) -> int:
    """Estimated size (bytes) of the text dumps of a melt-quench run (production and unwrapped dumps)."""
    per_line = BYTES_PER_ATOM_LINE * (2 if params.dump_velocities else 1)
    size = 0
    for st in stages:
        if st.dump:
            n = st.end - st.begin
            frames = n // params.dump_every + 1 + n // params.msd_every + 1
            size += frames * (natoms * per_line + 200)
    return size


LARGE = 20_000  # atoms from which a render says how big the run is before building it
BUILD_S_PER_ATOM = 5e-4  # random placement, measured: 10 000 atoms in a few seconds


def size_note(natoms: int, params, stages) -> str | None:
    """A line for a large run: atoms, MD steps, build time and dump size estimates (None for small runs)."""
    if natoms < LARGE:
        return None
    total = stages[-1].end if stages else 0
    return (f"{natoms} atoms, {total} MD steps: the start structure takes about {natoms * BUILD_S_PER_ATOM:.0f} s "
            f"to build, the dumps about {dump_bytes(natoms, params, stages) / 1e9:.2g} GB")


def cases(n: int, where: str) -> int:
    """The number of cases of a campaign (potentials x x x sweep points x seeds)."""
    limit = bound("cases")
    if n > limit:
        raise UserError(f"{where}: {n} cases is more than the limit of {limit:g}: fewer seeds, x or sweep points, "
                        f"or raise the limit with {BOUNDS['cases'][0]}={n}")
    return n
