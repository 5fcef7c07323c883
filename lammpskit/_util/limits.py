"""Bounds on derived sizes (atoms, MD steps, dump files), each with the number and how to lift it.

A typo (``t_production=1e6`` ps, ``--atoms 10000000``) should be one error line, not a week of MD or a
full disk. Each bound can be raised for a run that really needs it with an environment variable.
"""

from __future__ import annotations

import os

from lammpskit.errors import UserError

BOUNDS = {  # name -> (environment variable, default)
    "atoms": ("LAMMPSKIT_MAX_ATOMS", 1_000_000),
    "steps": ("LAMMPSKIT_MAX_STEPS", 500_000_000),
    "dump_gb": ("LAMMPSKIT_MAX_DUMP_GB", 100.0),
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
        raise UserError(f"{n} atoms is more than the limit of {limit:g}: a smaller --atoms/--fu, or raise the "
                        f"limit with {BOUNDS['atoms'][0]}={n}")
    return n


def seed(value, what: str = "--seed") -> int:
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
                        f"(ps) and dt (fs) in --set, or raise the limit with {BOUNDS['steps'][0]}={total}")
    per_line = BYTES_PER_ATOM_LINE * (2 if params.dump_velocities else 1)
    size = 0
    for st in stages:
        if st.dump:
            n = st.end - st.begin
            frames = n // params.dump_every + 1 + n // params.msd_every + 1
            size += frames * (natoms * per_line + 200)
    gb = size / 1e9
    limit = bound("dump_gb")
    if gb > limit:
        raise UserError(f"the dumps would take about {gb:.3g} GB, more than the limit of {limit:g} GB: raise "
                        f"dump_every/msd_every in --set, or the limit with {BOUNDS['dump_gb'][0]}={gb:.0f}")
