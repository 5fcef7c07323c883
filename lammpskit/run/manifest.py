"""``run.json``, typed: what a run is (deck, potential, stages, parameters) and where it stands.

``load(run_dir)`` reads and validates every field into a ``Manifest``; ``Manifest.to_dict()`` writes the
same JSON keys back (keys the kit does not know are kept as read, in ``extra``). ``update`` is the one
locked read-modify-write the engine and the SLURM submitter use. Units: ``params.dt`` in fs (``dt_ps``
gives ps), temperatures in K, ``begin``/``end`` of a stage in MD steps.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

from lammpskit._util import checks, layout, reading, validate
from lammpskit._util.files import write_json, write_text  # noqa: F401 - write_json: used as manifest.write_json
from lammpskit.errors import UserError
from lammpskit.run.params import RunParams

MANIFEST = layout.MANIFEST
RESULT = layout.RESULT
STATES = ("rendered", "running", "stopped", "failed", "done")
PROTOCOLS = ("quench", "elastic", "diffusion")
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # terminal colour and cursor codes in tool output


def _optional(data: dict, key: str, check, where: str, *args):
    return check(data[key], f"{where}: {key}", *args) if data.get(key) is not None else None


@dataclass
class FileRecord:
    """A file a run uses (potential model, ...) and its sha256 at render time."""

    path: str
    sha256: str

    @classmethod
    def from_dict(cls, data, where: str) -> FileRecord:
        checks.table(data, where)
        return cls(path=checks.text(data.get("path", ""), f"{where}.path"),
                   sha256=checks.sha256(data.get("sha256"), f"{where}.sha256"))


@dataclass
class PotentialRecord:
    """The potential a run was rendered with: registry name, how it runs, its files."""

    name: str
    mode: str                                   # native | bridge
    files: dict[str, FileRecord] = field(default_factory=dict)
    variant: str | None = None                  # the [native] variant id
    kokkos: bool = False
    d3: dict | None = None                      # dispersion/d3 settings, when overlaid
    licence: str | None = None
    source: str | None = None                   # the registry file it came from

    @classmethod
    def from_dict(cls, data, where: str) -> PotentialRecord:
        checks.table(data, where)
        files = {validate.word(k, f"{where}.files key"): FileRecord.from_dict(rec, f"{where}.files.{k}")
                 for k, rec in checks.table(data.get("files", {}), f"{where}.files").items()}
        return cls(name=validate.name(data.get("name"), f"{where}.name"),
                   mode=checks.one_of(data.get("mode"), ("native", "bridge"), f"{where}.mode"), files=files,
                   variant=_optional(data, "variant", checks.text, where),
                   kokkos=bool(_optional(data, "kokkos", checks.boolean, where)),
                   d3=_optional(data, "d3", checks.table, where),
                   licence=_optional(data, "licence", checks.text, where),
                   source=_optional(data, "source", checks.text, where))


@dataclass
class Stage:
    """One stage file of a deck and the MD steps it covers (``begin`` < step <= ``end``)."""

    name: str
    file: str
    begin: int
    end: int
    dump: str | None = None

    @classmethod
    def from_dict(cls, data, where: str) -> Stage:
        checks.table(data, where)
        for key in ("name", "file", "begin", "end"):
            if key not in data:
                raise UserError(f"{where} needs '{key}'")
        begin = checks.count(data["begin"], f"{where}.begin", 0)
        return cls(name=validate.word(checks.text(data["name"], f"{where}.name"), f"{where}.name"),
                   file=checks.plain_file(data["file"], f"{where}.file"), begin=begin,
                   end=checks.count(data["end"], f"{where}.end", begin),
                   dump=checks.plain_file(data["dump"], f"{where}.dump") if data.get("dump") else None)


def params_class(protocol: str) -> type[RunParams]:
    """The parameter dataclass of a protocol (``lammpskit.workflows.WORKFLOWS``; looked up by name: the
    workflows sit above this layer)."""
    return importlib.import_module("lammpskit.workflows").WORKFLOWS[protocol].params_class


def _params(protocol: str, data, where: str) -> RunParams:
    return params_class(protocol).from_dict(data, where)


def _elements(value, where: str) -> list[str]:
    for i, e in enumerate(checks.str_list(value, where)):
        if e not in validate.ELEMENTS:
            raise UserError(f"{where}[{i}] {e!r} is not an element symbol")
    return value


@dataclass
class Manifest:
    """A run directory's ``run.json``."""

    deck: str                                   # the input deck, a file in the run directory
    protocol: str = "quench"                    # the workflow that rendered it (lammpskit.workflows)
    state: str = "rendered"                     # rendered | running | stopped | failed | done
    potential: PotentialRecord | None = None
    stages: list[Stage] = field(default_factory=list)
    elements: list[str] = field(default_factory=list)   # LAMMPS type order
    params: RunParams | None = None             # the workflow's parameter dataclass (dt in fs, T in K, times in ps)
    seed: int | None = None
    total_steps: int | None = None
    composition: dict | None = None             # lammpskit.structure.composition.Composition.as_dict()
    profile: str | None = None
    source: str | None = None                   # the data file a run started from (elastic, diffusion)
    rendered: dict[str, str] = field(default_factory=dict)  # file -> sha256 at render time
    plugins: list[str] = field(default_factory=list)        # plugin loads the kit wrote
    slurm: dict[str, list[str]] = field(default_factory=dict)  # stage -> job ids, newest last
    error: str | None = None
    last_restart: str | None = None             # the newest restart file (relative path)
    extra: dict = field(default_factory=dict)   # every other key (kit_version, created, pid, threads, ...)

    @classmethod
    def from_dict(cls, data, where: str = MANIFEST) -> Manifest:
        """Validate every field of a parsed run.json (one ``UserError`` naming the field)."""
        checks.table(data, where)
        if "deck" not in data:
            raise UserError(f"{where}: missing 'deck'")
        known = {f.name for f in fields(cls)} - {"extra"}
        protocol = checks.one_of(data.get("protocol", "quench"), PROTOCOLS, f"{where}: protocol")
        return cls(
            deck=checks.plain_file(data["deck"], f"{where}: deck"),
            protocol=protocol,
            state=checks.one_of(data.get("state", "rendered"), STATES, f"{where}: state"),
            potential=_optional(data, "potential", PotentialRecord.from_dict, where),
            stages=[Stage.from_dict(s, f"{where}: stages[{i}]")
                    for i, s in enumerate(_list(data.get("stages", []), f"{where}: stages"))],
            elements=_elements(data.get("elements", []), f"{where}: elements"),
            params=_params(protocol, data.get("params", {}), f"{where}: params"),
            seed=_optional(data, "seed", checks.count, where, 0),
            total_steps=_optional(data, "total_steps", checks.count, where, 0),
            composition=_composition(data.get("composition"), f"{where}: composition"),
            profile=_optional(data, "profile", checks.text, where),
            source=_optional(data, "source", checks.text, where),
            rendered={checks.plain_file(n, f"{where}: rendered file"): checks.sha256(d, f"{where}: rendered.{n}")
                      for n, d in checks.table(data.get("rendered", {}), f"{where}: rendered").items()},
            plugins=checks.str_list(data.get("plugins", []), f"{where}: plugins"),
            slurm={validate.word(k, f"{where}: slurm key"): checks.str_list(v, f"{where}: slurm.{k}")
                   for k, v in checks.table(data.get("slurm", {}), f"{where}: slurm").items()},
            error=_optional(data, "error", _message, where),
            last_restart=_optional(data, "last_restart", checks.text, where, 300),
            extra={k: v for k, v in data.items() if k not in known},
        )

    def to_dict(self) -> dict:
        """The JSON form (today's run.json keys; empty optional fields left out)."""
        out = dict(self.extra)
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "extra" or (value is None and f.name not in ("error", "last_restart")):
                continue
            if f.name == "slurm" and not value:
                continue
            out[f.name] = _plain(value)
        return out

    def stage(self, name: str) -> Stage | None:
        """The stage called ``name``, if the deck has one."""
        return next((s for s in self.stages if s.name == name), None)

    @property
    def dt_ps(self) -> float:
        """The MD timestep in ps (``params.dt`` is in fs)."""
        return fs_to_ps(self.params.dt)

    def temperature_K(self, default: float | None = None) -> float | None:
        """The temperature (K) the run ends at or samples: ``T_final`` (quench, diffusion) or ``T`` (elastic)."""
        value = self.params.temperature_K if self.params is not None else None
        return default if value is None else value

    @property
    def pot_name(self) -> str | None:
        return self.potential.name if self.potential else None

    @property
    def composition_label(self) -> str | None:
        """The glass's label (``Na4P2S5O2``); None for a run without a composition."""
        return (self.composition or {}).get("label")

    @property
    def atoms(self) -> int | None:
        """Atoms in the glass, as the composition counts them."""
        return (self.composition or {}).get("atoms")

    def glass_composition(self):
        """The composition as a ``lammpskit.structure.composition.Composition`` (None without one)."""
        from lammpskit.structure.composition import Composition

        return Composition.from_dict(self.composition, f"{MANIFEST}: composition") if self.composition else None


def _list(value, where: str) -> list:
    if not isinstance(value, list):
        raise UserError(f"{where} must be a list, got {type(value).__name__}")
    return value


def _message(value, where: str) -> str:
    """An error message the engine wrote (several lines allowed, no other control characters)."""
    if not isinstance(value, str) or checks.CONTROL_RE.search(value.replace("\n", " ")):
        raise UserError(f"{where} must be text")
    return value[:20000]


def _composition(value, where: str) -> dict | None:
    if value is None:
        return None
    checks.table(value, where)
    checks.text(value.get("label", ""), f"{where}.label", 200)
    if "atoms" in value:
        checks.count(value["atoms"], f"{where}.atoms", 1)
    return value


def _plain(value):
    """Dataclasses inside a manifest as JSON values."""
    if isinstance(value, RunParams):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


def load(run_dir: Path) -> Manifest:
    """The manifest of ``run_dir``; a user error if it is not a run directory or a field is wrong."""
    path = Path(run_dir) / MANIFEST
    if not path.exists():
        raise UserError(f"{run_dir} is not a run directory (no {MANIFEST}); make one with 'lammpskit render'")
    data = reading.read_json(path, "run file")
    if not isinstance(data, dict):
        raise UserError(f"{path} is damaged: not a JSON table")
    return Manifest.from_dict(data, str(path))


def frames_file(path: str | Path) -> Path:
    """A run directory's production dump (its last stage dump in run.json), or ``path`` itself when it is not
    a folder: what the frame-reading commands (``audit``, ``analyze units``, ...) take as FRAMES."""
    path = Path(path)
    if not path.is_dir():
        return path
    if not (path / MANIFEST).exists():
        raise UserError(f"{path} is a folder but not a run directory ({MANIFEST}): give a dump, or a run directory")
    dumps = [s.dump for s in load(path).stages if s.dump]
    if not dumps or not (path / dumps[-1]).is_file():
        raise UserError(f"{path} is a run directory without its production dump ({dumps[-1] if dumps else 'none'}): "
                        "run it first")
    return path / dumps[-1]


def save(run_dir: Path, man: Manifest) -> None:
    """Write ``man`` as ``run_dir/run.json`` (atomically; in place on a full disk, see ``files.write_text``)."""
    write_text(Path(run_dir) / MANIFEST, json.dumps(man.to_dict(), indent=2) + "\n", in_place_when_full=True)


@contextlib.contextmanager
def locked(run_dir: Path):
    """Serialise read-modify-write of run.json between processes (the engine and a submitter)."""
    with open(Path(run_dir) / ".run.json.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def clean_message(text: str) -> str:
    """An error text fit for run.json: terminal codes dropped, tabs and other control characters as spaces."""
    return "".join(c if c == "\n" or (c >= " " and c != "\x7f") else " " for c in ANSI_RE.sub("", text))


def update(run_dir: Path, **changes) -> Manifest:
    """Merge ``changes`` (run.json keys) into the manifest, check it and write it back atomically."""
    if isinstance(changes.get("error"), str):
        changes["error"] = clean_message(changes["error"])
    with locked(run_dir):
        data = load(run_dir).to_dict()
        data.update(changes)
        man = Manifest.from_dict(data, str(Path(run_dir) / MANIFEST))
        save(run_dir, man)
    return man


def fs_to_ps(dt_fs: float) -> float:
    """A timestep in fs (the kit's ``dt``) as ps (LAMMPS metal units)."""
    return float(dt_fs) / 1000.0
