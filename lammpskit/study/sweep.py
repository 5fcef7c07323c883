"""Sweeps: protocol parameters and the size as axes of a campaign (its ``[sweep]`` table).

::

    [sweep]
    quench_rate = [100, 30, 10]   # K/ps; any numeric protocol parameter (lammpskit.workflows.protocol.Params)
    atoms = [260, 520, 1040]      # the size: atoms (approximate) or fu (formula units), not both

Every point of the cartesian product of the axes (axes in the table's order) runs for every potential, x
and seed, on either executor: the point's values are ``KEY=VALUE`` overrides of the protocol (after the
campaign's ``set``, which may not name a swept key) and its size, checked like ``--set`` before anything is
written. List each axis from the cheapest to the most converged value: the report's convergence section
compares the last two points of every series, and its scores use the last point.

A case's folder is ``<root>/<potential>/x<x>/<point>/s<seed>``, ``<point>`` being the axes joined by ``-``
as ``<key><value>`` (values as ``%.12g``: ``quench_rate10-atoms520``); its label is ``<potential> x=<x>
quench_rate=10 atoms=520 s<seed>``. A campaign without ``[sweep]`` keeps ``<root>/<potential>/x<x>/s<seed>``.
Values are numbers (whole numbers for integer parameters), finite and >= 0 (0 only where the parameter
allows it, e.g. ``t_anneal = 0`` leaves the anneal out); each axis lists 1 to ``MAX_VALUES`` distinct
values and the product has at most ``MAX_POINTS`` points.
"""

from __future__ import annotations

import itertools
from dataclasses import fields

from lammpskit._util import checks
from lammpskit.errors import UserError

SIZE_KEYS = ("atoms", "fu")
MAX_VALUES = 32   # values per axis
MAX_POINTS = 64   # points of the product of the axes
MAX_SIZE = 10**8  # atoms or formula units, as the campaign's own atoms/fu
UNITS = {"quench_rate": "K/ps", "T_melt": "K", "T_final": "K", "t_melt": "ps", "t_anneal": "ps",
         "t_production": "ps", "P": "bar", "dt": "fs", "Tdamp": "ps", "Pdamp": "ps", "skin": "Å",
         "min_ftol": "eV/Å", "thermo_every": "steps", "dump_every": "steps", "msd_every": "steps",
         "restart_every": "steps", "min_steps": "steps", "atoms": "atoms", "fu": "formula units"}


def parameters() -> dict[str, str]:
    """Sweepable keys -> "int" or "float": the numeric protocol parameters and the size keys."""
    from lammpskit.workflows.protocol import Params

    out = {f.name: str(f.type) for f in fields(Params) if str(f.type) in ("int", "float") and f.name != "atoms"}
    return {**out, "atoms": "int", "fu": "int"}


def unit(key: str) -> str:
    """The unit written after a swept value ("" where it would only repeat the key: ``atoms``)."""
    u = UNITS.get(key, "")
    return "" if u == key else u


def fmt(value: float) -> str:
    """A swept value as it appears in folder names, labels and overrides (``10.0`` -> ``10``)."""
    return str(value) if isinstance(value, int) else f"{value:.12g}"


def tag(point: dict) -> str:
    """The folder of a sweep point: ``quench_rate10-atoms520`` ("" without a sweep)."""
    return "-".join(f"{k}{fmt(v)}" for k, v in point.items())


def label(point: dict) -> str:
    """``quench_rate=10 atoms=520`` ("" without a sweep)."""
    return " ".join(f"{k}={fmt(v)}" for k, v in point.items())


def overrides(point: dict) -> list[str]:
    """The protocol overrides of a point (``KEY=VALUE``; the size keys are not protocol parameters)."""
    return [f"{k}={v!r}" for k, v in point.items() if k not in SIZE_KEYS]


def size(point: dict, base: dict) -> dict:
    """The case's size: the point's atoms/fu, else the campaign's."""
    mine = {k: point[k] for k in SIZE_KEYS if k in point}
    return mine or dict(base)


def load(table, where: str, profile: str, sets: list[str], base_size: dict) -> tuple[dict, list[dict]]:
    """Check a ``[sweep]`` table (None: no sweep); returns (axes: key -> values, points: [{key: value}]).

    ``profile``/``sets``: the campaign's protocol profile and ``set`` overrides (every point is checked as the
    protocol checks ``--set``); ``base_size``: the campaign's atoms/fu (a swept size may not repeat it)."""
    if table is None:
        return {}, [{}]
    checks.table(table, f"{where}: [sweep]")
    if not table:
        raise UserError(f"{where}: [sweep] names no parameter: give e.g. quench_rate = [100, 30, 10], or leave it out")
    known = parameters()
    axes: dict[str, list] = {}
    for key, values in table.items():
        what = f"{where}: [sweep] {key}"
        if key not in known:
            raise UserError(f"{what}: not a numeric protocol parameter or size (one of {', '.join(known)})")
        if not isinstance(values, list) or not values:
            raise UserError(f"{what} must be a non-empty list of numbers, got {values!r}")
        if len(values) > MAX_VALUES:
            raise UserError(f"{what}: {len(values)} values, at most {MAX_VALUES}")
        if known[key] == "int":
            vals = [checks.count(v, f"{what} value", 0 if key not in SIZE_KEYS else 1,
                                 MAX_SIZE if key in SIZE_KEYS else 10**9) for v in values]
        else:
            vals = [float(checks.real(v, f"{what} value", 0, 1e9)) for v in values]
        if len(set(vals)) != len(vals) or len({fmt(v) for v in vals}) != len(vals):
            raise UserError(f"{what} lists a value twice")
        axes[key] = vals
    if all(k in axes for k in SIZE_KEYS):
        raise UserError(f"{where}: [sweep] give atoms or fu, not both")
    if base_size and any(k in axes for k in SIZE_KEYS):
        raise UserError(f"{where}: the size is swept: leave out the campaign's {', '.join(base_size)}")
    given = {s.partition("=")[0].strip() for s in sets}
    if both := sorted(given & set(axes)):
        raise UserError(f"{where}: {', '.join(both)} is both in 'set' and in [sweep]: keep it in one place")
    n = 1
    for vals in axes.values():
        n *= len(vals)
    if n > MAX_POINTS:
        raise UserError(f"{where}: [sweep] makes {n} points ({' x '.join(str(len(v)) for v in axes.values())}), "
                        f"at most {MAX_POINTS}")
    points = [dict(zip(axes, combo)) for combo in itertools.product(*axes.values())]
    from lammpskit.workflows import protocol

    base = protocol.profile(profile)
    for point in points:
        try:
            base.with_overrides(sets + overrides(point))
        except UserError as exc:
            raise UserError(f"{where}: [sweep] point {label(point)}: {exc}") from None
    return axes, points
