"""A workflow's parameters as ``run.json`` holds them: the base every workflow's params dataclass extends.

``Manifest.params`` is the workflow's own dataclass (``lammpskit.workflows.protocol.Params`` for a quench,
``ElasticParams``, ``DiffusionParams``), read from ``run.json`` ``params`` by ``from_dict`` and written back
by ``to_dict`` with the same keys. What the engine needs of every workflow is here, with its unit: ``dt``
(fs), ``thermo_every``, ``dump_every`` and ``msd_every`` (MD steps; None where the deck writes no such
dump), and ``temperature_K``.
"""

from __future__ import annotations

from dataclasses import fields
from typing import ClassVar

from lammpskit._util import checks
from lammpskit.errors import UserError


class RunParams:
    """Mixin for a workflow's parameter dataclass (see the module doc)."""

    JSON_NAMES: ClassVar[dict[str, str]] = {}     # field -> run.json key where they differ
    WRITTEN: ClassVar[tuple[str, ...] | None] = None  # the fields run.json holds (None: all)
    dt: float = 1.0                               # fs
    thermo_every: int = 100                       # steps between thermo rows
    dump_every: int | None = None                 # steps between production dump frames
    msd_every: int | None = None                  # steps between unwrapped-coordinate frames

    @classmethod
    def from_dict(cls, data, where: str = "params"):
        """The parameters in run.json's ``params`` table: single values only; ``dt`` in 0.01-10 fs and
        ``thermo_every`` >= 1 checked; keys this version does not know are kept (``to_dict`` writes them back)."""
        checks.table(data, where)
        for key, v in data.items():
            if isinstance(v, (dict, list)):
                raise UserError(f"{where}.{key} must be a single value")
        if "thermo_every" in data:
            checks.count(data["thermo_every"], f"{where}.thermo_every", 1)
        if "dt" in data:
            checks.real(data["dt"], f"{where}.dt (fs)", 0.01, 10)
        by_key = {cls.JSON_NAMES.get(f.name, f.name): f.name for f in fields(cls)}
        try:
            obj = cls(**{by_key[k]: v for k, v in data.items() if k in by_key})
        except TypeError as exc:  # a required field missing
            raise UserError(f"{where}: {exc}") from None
        object.__setattr__(obj, "_unknown", {k: v for k, v in data.items() if k not in by_key})
        object.__setattr__(obj, "_keys", tuple(data))
        return obj

    def to_dict(self) -> dict:
        """run.json's ``params``: the keys as read, in their order (values as they are now); for parameters
        built in code, the fields in ``WRITTEN``."""
        names = self.WRITTEN if self.WRITTEN is not None else tuple(f.name for f in fields(self))
        out = {self.JSON_NAMES.get(n, n): getattr(self, n) for n in names}
        out.update(getattr(self, "_unknown", {}))
        keys = getattr(self, "_keys", None)
        return out if keys is None else {k: out[k] for k in keys if k in out}

    @property
    def temperature_K(self) -> float | None:
        """The temperature (K) the run ends at or samples."""
        value = getattr(self, "T_final", getattr(self, "T", None))
        return None if value is None else float(value)
