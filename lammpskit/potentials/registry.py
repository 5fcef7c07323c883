"""The potential registry: one TOML file per potential, no per-potential code.

Search path: the kit's ``potentials/``, then ``$LAMMPSKIT_HOME/potentials``
(``~/.lammpskit/potentials``), then the folders in ``$LAMMPSKIT_POTENTIALS``
(``:``-separated). A later file with the same name overrides an earlier one.

Schema (every key is checked; an unknown one is an error)::

    name, title, family, elements ("all" or a list), cutoff (Å), dtype, licence, citation, notes
    [[files]]   key, path (absolute, relative to the TOML, "{home}/..." = $LAMMPSKIT_HOME, or inside
                `package`), package, url, sha256, licence, derive (how the kit makes it: a converter
                in lammpskit.potentials.converters), from (the file key it is made from), head, size (bytes),
                parts (a folder such as a TensorFlow SavedModel, fetched file by file: [{path, sha256, size}],
                each from url + path; then url is the folder's, ending in '/', and sha256 the folder's)
    [bridge]    calculator (a family in lammpskit.potentials.families), model, dtype, head, modal
                (a multi-fidelity SevenNet's modality), files
    [[native]]  id, title, pair_style, pair_coeff (string or list; "{key}" = a file, "{elements}" =
                the type -> element list), styles (pair styles the build needs), packages (LAMMPS
                packages, for the reader), pre (lines before pair_style), plugin (a LAMMPS plugin to
                `plugin load`; "{package:NAME}" = an installed Python package's folder), kokkos
                (run with -k on g N -sf kk -pk kokkos newton on neigh half), d3 (the pair style may
                be overlaid with dispersion/d3)
    [d3]        damping ("bj"), functional ("pbe", "r2scan", ...), cutoff (Å), cn_cutoff (Å)

A file whose licence starts with "no licence published" is fetched only after the user accepts that
(``potentials fetch NAME --accept``); the kit never ships such a file.
Files without a published sha256 are pinned on first download (``fetch``) or
conversion in ``$LAMMPSKIT_HOME/pins.json``; a model file (of a family whose files run code,
``lammpskit.potentials.families``) is loaded only if its sha256 matches its entry or its pin. Model files
(.model, .pth) are Python pickles or TorchScript archives: loading one runs code from it.
"""

from __future__ import annotations

import hashlib
import json
import os
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lammpskit._util import resources, validate
from lammpskit.errors import UserError
from lammpskit.potentials import extras, families
from lammpskit.potentials.schema import D3, WORDISH_RE, Bridge, FileSpec, NativeVariant, check_keys, toml_fields

TOP = {"name", "title", "family", "elements", "cutoff", "dtype", "licence", "citation", "notes", "files",
       "bridge", "native", "d3"}


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
    notes: str = ""
    files: list[FileSpec] = field(default_factory=list)
    bridge: Bridge | None = None
    native: list[NativeVariant] = field(default_factory=list)
    d3: D3 | None = None

    @classmethod
    def from_dict(cls, data: dict, source: Path, where: str) -> Potential:
        """The entry from its TOML keys, checked field by field; errors start with ``where``."""
        check_keys(data, TOP, where)
        if "name" not in data:
            raise UserError(f"{where}: missing 'name'")
        validate.name(data["name"], f"potential name in {where}")
        _check_fields(data, where)
        files = data.get("files", [])
        if not isinstance(files, list):
            raise UserError(f"{where}: files must be an array of tables ([[files]])")
        specs = [FileSpec.from_toml(spec, f"{where}: [[files]] #{i + 1}") for i, spec in enumerate(files)]
        keys = [s.key for s in specs]
        for i, k in enumerate(keys):
            if k in keys[:i]:
                raise UserError(f"{where}: [[files]] #{i + 1}: file key {k!r} is used twice")
        native = data.get("native", [])
        native = [native] if isinstance(native, dict) else native
        if not isinstance(native, list):
            raise UserError(f"{where}: native must be an array of tables ([[native]])")
        pot = cls(**{**data, "source": source, "files": specs,
                     "bridge": Bridge.from_toml(data["bridge"], f"{where}: [bridge]", set(keys)) if "bridge" in data
                     else None,
                     "native": [NativeVariant.from_toml(v, f"{where}: [[native]] #{i + 1}") for i, v in enumerate(native)],
                     "d3": D3.from_toml(data["d3"], f"{where}: [d3]") if "d3" in data else None})
        for v in pot.native:
            missing = set(pot.native_keys(v)) - set(keys)
            if missing:
                raise UserError(f"{where}: native variant {v.id!r} uses undefined files {sorted(missing)}")
        return pot

    def to_dict(self) -> dict:
        """The entry's TOML keys, less those left at their default (a cutoff the entry never stated stays
        unstated); ``from_dict`` reads them back equal."""
        tables = {"files": [s.as_dict() for s in self.files], "native": [v.as_dict() for v in self.native],
                  "bridge": self.bridge and self.bridge.as_dict(), "d3": self.d3 and self.d3.as_dict()}
        return {k: tables.get(k, v) for k, v in toml_fields(self, all_defaults=True).items() if k != "source"}

    # -- files ------------------------------------------------------------------------------
    def spec(self, key: str) -> FileSpec:
        """The ``[[files]]`` entry with this ``key``, or a user error naming the entry's TOML."""
        for s in self.files:
            if s.key == key:
                return s
        raise UserError(f"potential {self.name!r} has no file {key!r} (see {self.source})")

    def file_path(self, spec: FileSpec) -> Path:
        """Where one ``[[files]]`` entry lives on this machine."""
        text = spec.path.replace("{home}", str(resources.user_dir()))
        p = Path(os.path.expanduser(text))
        if spec.package:
            folder = extras.package_dir(spec.package)  # the environment's, else its side folder's
            if folder is None:
                raise UserError(f"potential {self.name!r} needs the Python package {spec.package!r}: "
                                f"{extras.missing_hint(spec.package)}")
            return folder / p
        if p.is_absolute():
            return p
        return (self.source.parent / p).resolve()

    def expected_sha256(self, spec: FileSpec) -> str | None:
        """The entry's sha256, else the pin recorded when the file was fetched or converted."""
        return spec.sha256 or pins().get(self.name, {}).get(spec.key)

    def resolve_files(self, keys: list[str] | None = None, verify: bool = True) -> dict[str, Path]:
        """``key -> path`` for ``keys`` (default: all); missing or unverified files are user errors."""
        out = {}
        for spec in self.files:
            if keys is not None and spec.key not in keys:
                continue
            path = self.file_path(spec)
            if not path.exists():
                raise UserError(f"model file {path} for potential {self.name!r} is missing: {self.missing_hint(spec)}")
            if verify:
                want = self.expected_sha256(spec)
                if want is None and families.runs_code(self.family):
                    raise UserError(f"model file {path} for potential {self.name!r} has no sha256 to check: "
                                    f"run 'lammpskit potentials fetch {self.name}' or register it with "
                                    "'lammpskit potentials add'")
                if want is not None and sha256(path) != want:
                    raise UserError(f"model file {path} for potential {self.name!r} does not match its sha256 "
                                    f"in {self.source}: re-fetch it or register the file again")
            out[spec.key] = path
        return out

    def missing_hint(self, spec: FileSpec) -> str:
        """What the user runs to get a missing file: ``potentials fetch``, ``convert`` or ``add``."""
        if spec.url:
            return f"run 'lammpskit potentials fetch {self.name}'"
        if spec.derive:
            return f"run 'lammpskit potentials convert {self.name}'"
        return (f"register your file with 'lammpskit potentials add {self.name} --model FILE' "
                f"or fix 'path' in {self.source}")

    def bridge_keys(self) -> list[str]:
        """The file keys the bridge calculator loads (``[bridge] files``, else ``model`` if there is one)."""
        if not self.bridge:
            return []
        if self.bridge.files is not None:
            return list(self.bridge.files)
        return ["model"] if any(s.key == "model" for s in self.files) else []

    def native_keys(self, variant: NativeVariant) -> list[str]:
        """The file keys a ``[[native]]`` block names as ``{key}`` placeholders, sorted."""
        texts = [variant.pair_style, *variant.pair_coeff, *variant.pre]
        keys = {k for t in texts for _, k, _, _ in string.Formatter().parse(t) if k and k != "elements"}
        return sorted(keys)

    def file_state(self, spec: FileSpec) -> str:
        """present / missing / unverified (no sha256 to check) / mismatch."""
        try:
            path = self.file_path(spec)
        except UserError:
            return "missing"
        if not path.exists():
            return "missing"
        want = self.expected_sha256(spec)
        if want is None:
            return "unverified" if families.runs_code(self.family) else "present"
        return "present" if path.is_dir() or sha256(path) == want else "mismatch"

    # -- checks -------------------------------------------------------------------------------
    def supports(self, elements: list[str]) -> None:
        """Refuse elements the potential was not trained on."""
        if self.elements != "all":
            missing = [e for e in elements if e not in self.elements]
            if missing:
                raise UserError(f"potential {self.name!r} does not cover {', '.join(missing)} "
                                f"(it has {', '.join(self.elements)})")

    def variant(self, vid: str) -> NativeVariant:
        """The ``[[native]]`` block with this ``id``, or a user error listing the entry's ids."""
        for v in self.native:
            if v.id == vid:
                return v
        raise UserError(f"potential {self.name!r} has no native variant {vid!r} "
                        f"(it has {', '.join(v.id for v in self.native) or 'none'})")

    def d3_params(self) -> dict:
        """D3 settings (the entry's, else the defaults) as the deck templates and run.json take them."""
        from dataclasses import asdict

        return asdict(self.d3 or D3())

    def summary(self) -> dict:
        """The fields ``potentials list/show --json`` start from: name, modes, native variants, elements, licence, ..."""
        modes = (["native"] if self.native else []) + (["bridge"] if self.bridge else [])
        return {"name": self.name, "title": self.title, "family": self.family, "modes": modes,
                "native_variants": [v.id for v in self.native],
                "elements": self.elements, "cutoff": self.cutoff, "dtype": self.dtype,
                "licence": self.licence, "citation": self.citation, "notes": self.notes,
                "source": str(self.source)}


def sha256(path: Path) -> str:
    """Hex sha256 of a file; of a folder (e.g. a TensorFlow SavedModel), of its files' names and contents."""
    h = hashlib.sha256()
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            h.update(str(f.relative_to(path)).encode() + b"\0")
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


# -- pins: sha256 recorded on first download or conversion --------------------------------------

def pins_path() -> Path:
    return resources.user_dir() / "pins.json"


def pins() -> dict:
    p = pins_path()
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text())
    except json.JSONDecodeError:
        raise UserError(f"{p} is damaged: fix or delete it (then fetch the models again)") from None


def pin(name: str, key: str, digest: str) -> None:
    from lammpskit._util.files import write_json

    data = pins()
    data.setdefault(name, {})[key] = digest
    pins_path().parent.mkdir(parents=True, exist_ok=True)
    write_json(pins_path(), data)


# -- loading -------------------------------------------------------------------------------------

def search_path() -> list[Path]:
    dirs = [resources.data_dir("potentials"), resources.user_dir() / "potentials"]
    dirs += [Path(p) for p in os.environ.get("LAMMPSKIT_POTENTIALS", "").split(":") if p]
    return dirs


def load_file(path: Path) -> Potential:
    """Read and check one registry entry, field by field (shipped, user and $LAMMPSKIT_HOME entries alike)."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"cannot read potential file {path}: {exc}") from None
    return Potential.from_dict(data, path, str(path))


def _check_fields(data: dict, where: str) -> None:
    """The entry's top-level facts."""
    from lammpskit._util import checks

    for key in ("title", "licence", "citation", "notes"):
        if key in data:
            checks.text(data[key], f"{where}: {key}")
    if "family" in data:
        checks.text(data["family"], f"{where}: family")
        if not WORDISH_RE.fullmatch(data["family"]):
            raise UserError(f"{where}: family {data['family']!r} must be one word (e.g. mace, deepmd, classical)")
    if "elements" in data and data["elements"] != "all":
        for i, e in enumerate(checks.str_list(data["elements"], f"{where}: elements (\"all\" or a list)")):
            if e not in validate.ELEMENTS:
                raise UserError(f"{where}: elements[{i}] {e!r} is not an element symbol")
    if "cutoff" in data:
        checks.real(data["cutoff"], f"{where}: cutoff (Å)", 0, 100, lo_open=True)
    if "dtype" in data:
        checks.one_of(data["dtype"], ("float64", "float32"), f"{where}: dtype")


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
