"""The potential registry: one TOML file per potential, no per-potential code.

Search path: the kit's ``potentials/``, then ``$LAMMPSKIT_HOME/potentials``
(``~/.lammpskit/potentials``), then the folders in ``$LAMMPSKIT_POTENTIALS``
(``:``-separated). A later file with the same name overrides an earlier one.

Schema (see potentials/chgnet.toml): ``name``, ``title``, ``family``,
``elements`` ("all" or a list), ``cutoff`` (Å), ``dtype``, ``licence``,
``citation``; ``[[files]]`` with ``key``, ``path`` (absolute, relative to the
TOML file, or inside ``package``), ``sha256``, ``url``, ``licence``;
``[bridge]`` with ``calculator`` (a builder in lammpskit.calculators) and its
options; ``[native]`` with ``pair_style``, ``pair_coeff`` (``{model}``-style
placeholders for files, ``{elements}`` for the type->element list) and
``styles`` the LAMMPS build must have.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import resources, validate
from .errors import UserError


@dataclass
class Potential:
    """One registry entry (see the module docstring for the schema)."""

    name: str
    source: Path
    title: str = ""
    family: str = ""
    elements: list[str] | str = "all"
    cutoff: float = 6.0
    dtype: str = "float64"
    licence: str = ""
    citation: str = ""
    files: list[dict] = field(default_factory=list)
    bridge: dict | None = None
    native: dict | None = None

    def file_path(self, spec: dict) -> Path:
        """Where one ``[[files]]`` entry lives on this machine."""
        p = Path(os.path.expanduser(spec["path"]))
        if spec.get("package"):
            found = importlib.util.find_spec(spec["package"])
            if found is None or not found.submodule_search_locations:
                raise UserError(f"potential {self.name!r} needs the Python package {spec['package']!r}: "
                                f"pip install {spec['package']}")
            return Path(list(found.submodule_search_locations)[0]) / p
        if p.is_absolute():
            return p
        return (self.source.parent / p).resolve()

    def resolve_files(self, verify: bool = True) -> dict[str, Path]:
        """``key -> path`` for all files; missing or mismatching files are user errors."""
        out = {}
        for spec in self.files:
            path = self.file_path(spec)
            if not path.is_file():
                hint = (f"run 'lammpskit potentials fetch {self.name}'" if spec.get("url")
                        else f"put it there or fix 'path' in {self.source}")
                raise UserError(f"model file {path} for potential {self.name!r} is missing: {hint}")
            if verify and spec.get("sha256") and sha256(path) != spec["sha256"]:
                raise UserError(f"model file {path} for potential {self.name!r} does not match its sha256 "
                                f"in {self.source}: re-fetch it or register the file again")
            out[spec["key"]] = path
        return out

    def supports(self, elements: list[str]) -> None:
        """Refuse elements the potential was not trained on."""
        if self.elements != "all":
            missing = [e for e in elements if e not in self.elements]
            if missing:
                raise UserError(f"potential {self.name!r} does not cover {', '.join(missing)} "
                                f"(it has {', '.join(self.elements)})")

    def summary(self) -> dict:
        modes = [m for m in ("native", "bridge") if getattr(self, m)]
        return {"name": self.name, "title": self.title, "family": self.family, "modes": modes,
                "elements": self.elements, "cutoff": self.cutoff, "dtype": self.dtype,
                "licence": self.licence, "citation": self.citation, "source": str(self.source)}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def search_path() -> list[Path]:
    dirs = [resources.data_dir("potentials"), resources.user_dir() / "potentials"]
    dirs += [Path(p) for p in os.environ.get("LAMMPSKIT_POTENTIALS", "").split(":") if p]
    return dirs


def load_file(path: Path) -> Potential:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"cannot read potential file {path}: {exc}") from None
    known = set(Potential.__dataclass_fields__) - {"source"}
    unknown = set(data) - known
    if unknown:
        raise UserError(f"{path}: unknown keys {sorted(unknown)} (allowed: {sorted(known)})")
    if "name" not in data:
        raise UserError(f"{path}: missing 'name'")
    validate.name(data["name"], f"potential name in {path}")
    return Potential(source=path, **data)


def registry() -> dict[str, Potential]:
    """All potentials on the search path, by name."""
    out: dict[str, Potential] = {}
    for d in search_path():
        if d.is_dir():
            for f in sorted(d.glob("*.toml")):
                pot = load_file(f)
                out[pot.name] = pot
    return out


def get(name: str) -> Potential:
    """A potential by name, or a user error that lists the known ones."""
    validate.name(name, "potential name")
    reg = registry()
    if name not in reg:
        raise UserError(f"unknown potential {name!r}; known: {', '.join(sorted(reg))} "
                        "(see 'lammpskit potentials list')")
    return reg[name]
