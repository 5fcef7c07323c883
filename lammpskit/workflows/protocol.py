"""Melt-quench protocol parameters, named profiles and the stages they make.

Stages: minimise -> NVT melt at T_melt -> linear quench to T_final at
quench_rate (NVT or NPT) -> NPT anneal at T_final, P -> NVT production with
dumps. Times in ps, temperatures in K, pressure in bar, dt in fs.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

from lammpskit._util import layout, resources, validate
from lammpskit.errors import UserError, param
from lammpskit.run.params import RunParams


@dataclass
class Params(RunParams):
    """All protocol parameters (units in the comments); run.json ``params`` of a quench."""

    note: str = ""
    atoms: int = 104               # default size (approximate atoms)
    dt: float = 1.0                # fs
    T_melt: float = 1500.0         # K
    t_melt: float = 50.0           # ps
    quench_rate: float = 10.0      # K/ps
    quench_ensemble: str = "nvt"   # nvt | npt
    T_final: float = 300.0         # K
    P: float = 0.0                 # bar
    t_anneal: float = 100.0        # ps
    t_production: float = 100.0    # ps
    Tdamp: float = 0.1             # ps
    Pdamp: float = 1.0             # ps
    skin: float = 2.0              # Å
    min_steps: int = 1000
    min_etol: float = 0.0
    min_ftol: float = 0.01         # eV/Å
    thermo_every: int = 100        # steps
    dump_every: int = 1000         # steps
    msd_every: int = 100           # steps, unwrapped-coordinate dump for MSD
    restart_every: int = 10000     # steps
    dump_velocities: bool = False

    def check(self) -> Params:
        """Validate every value (user errors name the key)."""
        v = validate
        v.number(self.dt, "dt (fs)", 0.01, 10)  # below 0.01 fs: a typo (and a subnormal dt underflows to 0 ps)
        v.number(self.T_melt, "T_melt (K)", 0, 1e5, lo_open=True)
        v.number(self.T_final, "T_final (K)", 0, 1e5, lo_open=True)
        for key in ("t_melt", "t_anneal", "t_production"):
            v.number(getattr(self, key), f"{key} (ps)", 0, 1e6)
        v.number(self.quench_rate, "quench_rate (K/ps)", 0, 1e7, lo_open=True)
        v.number(self.P, "P (bar)", -1e6, 1e7)
        v.number(self.Tdamp, "Tdamp (ps)", 0, 1e3, lo_open=True)
        v.number(self.Pdamp, "Pdamp (ps)", 0, 1e4, lo_open=True)
        v.number(self.skin, "skin (Å)", 0, 10, lo_open=True)
        v.number(self.min_etol, "min_etol", 0, 1)
        v.number(self.min_ftol, "min_ftol (eV/Å)", 0, 100)
        for key in ("atoms", "thermo_every", "dump_every", "msd_every", "restart_every"):
            v.integer(getattr(self, key), key, 1, 10**9)
        v.integer(self.min_steps, "min_steps", 0, 10**7)
        if self.quench_ensemble not in ("nvt", "npt"):
            raise UserError(f"quench_ensemble must be nvt or npt, got {self.quench_ensemble!r}")
        if self.T_final >= self.T_melt:
            raise UserError(f"T_final ({self.T_final:g} K) must be below T_melt ({self.T_melt:g} K)")
        if not isinstance(self.dump_velocities, bool):
            raise UserError("dump_velocities must be true or false")
        return self

    def with_settings(self, settings: Mapping | list[str] | None) -> Params:
        """These parameters with ``settings`` over them (``{"quench_rate": 10, "T_final": 300}``, the units of
        the fields: K, ps, fs, bar, K/ps), all checked; a list is the ``["KEY=VALUE", ...]`` text form of a
        campaign's ``set`` (``parse_settings``)."""
        types = {f.name: f.type for f in fields(self)}
        data = asdict(self)
        if isinstance(settings, list | tuple) and all(isinstance(s, str) for s in settings):
            settings = parse_settings(list(settings))
        if settings is not None and not isinstance(settings, Mapping):
            raise UserError(f"{param('settings')} must be a dict of protocol parameters, e.g. {{'quench_rate': 10}}, "
                            f"got {type(settings).__name__} {settings!r:.100}")
        for key, value in (settings or {}).items():
            if key not in types or key == "note":
                raise UserError(f"{param('settings')}: unknown parameter {key!r} (known: {_known(types)})")
            where = f"{param('settings')}[{key!r}]"
            kind = types[key]
            if kind == "bool":
                if not isinstance(value, bool):
                    raise UserError(f"{where} must be True or False, got {value!r}")
            elif kind in ("int", "float"):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise UserError(f"{where} must be a number, got {type(value).__name__} {value!r:.100}")
                value = validate.integer(value, where) if kind == "int" else float(value)
            elif not isinstance(value, str):
                raise UserError(f"{where} must be a string, got {type(value).__name__} {value!r:.100}")
            data[key] = value
        return Params(**data).check()

    def with_overrides(self, pairs: list[str]) -> Params:
        """``with_settings`` of ``KEY=VALUE`` strings (a campaign's ``set``; ``parse_settings``)."""
        return self.with_settings(parse_settings(list(pairs)))


def _known(types: dict) -> str:
    return ", ".join(k for k in types if k != "note")


def parse_settings(pairs: list[str]) -> dict:
    """``["quench_rate=10", "dump_velocities=yes"]`` (a campaign's ``set``, the command line's ``--set``) ->
    ``{"quench_rate": 10.0, "dump_velocities": True}``, each value converted to its parameter's type."""
    types = {f.name: f.type for f in fields(Params)}
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or key not in types or key == "note":
            raise UserError(f"{param('settings')} {pair!r}: expected KEY=VALUE with KEY one of {_known(types)}")
        value = value.strip()
        kind = types[key]
        if kind == "bool":
            if value.lower() not in ("true", "false", "yes", "no", "1", "0"):
                raise UserError(f"{param('settings')} {key}: expected true or false, got {value!r}")
            out[key] = value.lower() in ("true", "yes", "1")
        elif kind == "int":
            out[key] = validate.integer(value, key)
        elif kind == "float":
            out[key] = validate.number(value, key)
        else:
            out[key] = value
    return out


def profiles() -> dict[str, Params]:
    """Named profiles from templates/quench/profiles.toml."""
    raw = tomllib.loads((resources.data_dir("templates") / "quench" / "profiles.toml").read_text())
    return {name: Params(**values) for name, values in raw.items()}


def profile(name: str) -> Params:
    table = profiles()
    if name not in table:
        raise UserError(f"unknown profile {name!r}; known: {', '.join(table)}")
    return table[name]


@dataclass
class Stage:
    """One stage file of the deck; MD steps (begin, end] on the absolute timestep axis."""

    index: int
    name: str
    template: str
    begin: int
    end: int
    ensemble: str = ""
    T0: float = 0.0
    T1: float = 0.0
    ps: float = 0.0
    dump: str = ""

    @property
    def file(self) -> str:
        return f"stage.{self.index}-{self.name}.lmp"


def stages(p: Params) -> list[Stage]:
    """Stages with their step ranges; zero-length MD stages are left out."""
    dt_ps = p.dt / 1000.0  # fs -> ps
    t_quench = (p.T_melt - p.T_final) / p.quench_rate
    plan = [
        ("melt", "nvt", p.T_melt, p.T_melt, p.t_melt, ""),
        ("quench", p.quench_ensemble, p.T_melt, p.T_final, t_quench, ""),
        ("anneal", "npt", p.T_final, p.T_final, p.t_anneal, ""),
        ("production", "nvt", p.T_final, p.T_final, p.t_production, layout.PRODUCTION_DUMP),
    ]
    out = [Stage(1, "minimize", "minimize.lmp.j2", 0, 0)]
    step = 0
    for name, ens, t0, t1, ps, dump in plan:
        n = round(ps / dt_ps)
        if n <= 0:
            continue
        out.append(Stage(len(out) + 1, name, "md.lmp.j2", step, step + n, ens, t0, t1, round(n * dt_ps, 6), dump))
        step += n
    return out
