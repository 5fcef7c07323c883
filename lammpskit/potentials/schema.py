"""The sub-tables of a potential entry as dataclasses, each checked field by field when read.

``[[files]]`` -> ``FileSpec``, ``[bridge]`` -> ``Bridge``, ``[[native]]`` -> ``NativeVariant``, ``[d3]`` -> ``D3``.
Every value may reach a LAMMPS deck, a job script or a file-system call, so every one is checked
(``lammpskit.potentials.registry`` documents the schema). ``as_dict()`` gives the TOML keys back.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

from lammpskit._util import checks
from lammpskit.errors import UserError
from lammpskit.potentials import families

FILE_KEYS = {"key", "path", "package", "url", "sha256", "licence", "derive", "from", "head", "size", "parts"}
PART_KEYS = {"path", "sha256", "size"}
BRIDGE_KEYS = {"calculator", "model", "dtype", "head", "modal", "files"}
NATIVE_KEYS = {"id", "title", "pair_style", "pair_coeff", "styles", "packages", "pre", "plugin", "kokkos", "d3"}
D3_KEYS = {"damping", "functional", "cutoff", "cn_cutoff"}
FILE_KEY_RE = re.compile(r"[a-z][a-z0-9_]*")  # [[files]] key: also a {key} placeholder in pair lines
WORDISH_RE = re.compile(r"^[A-Za-z0-9_.+-]{1,64}$")
STYLE_RE = re.compile(r"^[a-z0-9_/.+-]{1,64}$")
ENTRY_PATH_RE = re.compile(r"^[A-Za-z0-9_./+,=@~{}-]+$")
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")


def check_keys(table, allowed: set, where: str) -> dict:
    """A table with no keys outside ``allowed``."""
    if not isinstance(table, dict):
        raise UserError(f"{where} must be a table")
    unknown = set(table) - allowed
    if unknown:
        raise UserError(f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(allowed)})")
    return table


def toml_fields(obj, renames: dict | None = None, all_defaults: bool = False) -> dict:
    """A dataclass's fields under their TOML names, less those left at an empty default (None, "", []); with
    ``all_defaults``, less any field left at its default."""
    def kept(f) -> bool:
        v = getattr(obj, f.name)
        default = f.default_factory() if f.default_factory is not MISSING else f.default
        return v != default if all_defaults else (v not in (None, [], "") or v != default)

    renames = renames or {}
    return {renames.get(f.name, f.name): getattr(obj, f.name) for f in fields(obj) if kept(f)}


@dataclass
class FileSpec:
    """One ``[[files]]`` entry: where a model file lives and how it is checked or made."""

    key: str
    path: str                   # absolute, relative to the TOML, "{home}/...", or inside ``package``
    package: str | None = None  # a Python package holding the file
    url: str | None = None
    sha256: str | None = None
    licence: str | None = None
    derive: str | None = None   # a converter in lammpskit.potentials.conversions
    source: str | None = None   # TOML ``from``: the file key it is made from
    head: str | None = None     # the head of a multihead model to export
    size: int | None = None     # bytes
    parts: list[dict] | None = None  # a folder fetched file by file: [{path (in the folder), sha256, size}]

    @classmethod
    def from_toml(cls, spec, where: str) -> FileSpec:
        check_keys(spec, FILE_KEYS, where)
        if "key" not in spec or "path" not in spec:
            raise UserError(f"{where} needs 'key' and 'path'")
        checks.text(spec["key"], f"{where} key")
        if not FILE_KEY_RE.fullmatch(spec["key"]):
            raise UserError(f"{where}: file key {spec['key']!r} must be lower-case letters, digits, _")
        _check_entry_path(spec["path"], bool(spec.get("package")), f"{where} path")
        if "sha256" in spec:
            checks.text(spec["sha256"], f"{where} sha256")
            if spec["sha256"] and not checks.SHA256_RE.fullmatch(spec["sha256"]):
                raise UserError(f"{where}: sha256 of file {spec['key']!r} is not 64 hex digits")
        for key in ("licence", "derive", "head"):
            if key in spec:
                checks.text(spec[key], f"{where} {key}")
        if "package" in spec:
            checks.text(spec["package"], f"{where} package")
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", spec["package"]):
                raise UserError(f"{where} package {spec['package']!r} is not a Python package name")
        if "from" in spec and not (isinstance(spec["from"], str) and FILE_KEY_RE.fullmatch(spec["from"])):
            raise UserError(f"{where} from {spec['from']!r} must be a file key")
        if "url" in spec:
            checks.text(spec["url"], f"{where} url")
            if not spec["url"].startswith(("https://", "http://", "file://")):
                raise UserError(f"{where} url {spec['url']!r} must start with https://, http:// or file://")
        if "size" in spec:
            checks.count(spec["size"], f"{where} size", 0)
        if "parts" in spec:
            _check_parts(spec, where)
        return cls(**{("source" if k == "from" else k): v for k, v in spec.items()})

    def as_dict(self) -> dict:
        return toml_fields(self, {"source": "from"})


@dataclass
class Bridge:
    """``[bridge]``: the Python calculator that computes forces through ``fix external``."""

    calculator: str             # a family in lammpskit.potentials.families (its builder)
    model: str | None = None
    dtype: str | None = None    # float64 | float32 (default: the entry's dtype)
    head: str | None = None     # the head of a multihead MACE model
    modal: str | None = None    # the modality (fidelity) of a multi-fidelity SevenNet model, e.g. R2SCAN
    files: list[str] | None = None  # the file keys it loads (default: ["model"] when there is one)

    @classmethod
    def from_toml(cls, b, where: str, file_keys: set[str]) -> Bridge:
        check_keys(b, BRIDGE_KEYS, where)
        if "calculator" not in b:
            raise UserError(f"{where} needs 'calculator'")
        for key in ("calculator", "model", "head", "modal"):
            if key in b:
                checks.text(b[key], f"{where} {key}")
                if not WORDISH_RE.fullmatch(b[key]):
                    raise UserError(f"{where} {key} {b[key]!r} must be one word")
        if "dtype" in b:
            checks.one_of(b["dtype"], ("float64", "float32"), f"{where} dtype")
        if "files" in b:
            for k in checks.str_list(b["files"], f"{where} files"):
                if k not in file_keys:
                    raise UserError(f"{where} files names {k!r}, which is not a [[files]] key")
        return cls(**b)

    def as_dict(self) -> dict:
        return toml_fields(self)


@dataclass
class NativeVariant:
    """One ``[[native]]`` way to run the potential inside LAMMPS."""

    id: str
    pair_style: str                 # "{key}" = a file path
    pair_coeff: list[str]           # "{elements}" = the type -> element list
    styles: list[str]               # pair styles the build must have
    title: str = ""
    packages: list[str] = field(default_factory=list)   # LAMMPS packages, for the reader
    pre: list[str] = field(default_factory=list)        # lines before pair_style
    plugin: str | None = None       # a LAMMPS plugin to `plugin load` (only deepmd-kit's)
    kokkos: bool = False            # runs with -k on g N -sf kk -pk kokkos newton on neigh half
    d3: bool = False                # may be overlaid with dispersion/d3

    @classmethod
    def from_toml(cls, v, where: str) -> NativeVariant:
        check_keys(v, NATIVE_KEYS, where)
        if "pair_style" not in v:
            raise UserError(f"{where} needs 'pair_style'")
        _check_native(v, where)
        coeffs = v.get("pair_coeff", "* *")
        return cls(**{**v, "id": v.get("id", v["pair_style"].split()[0]),
                      "styles": v.get("styles", [v["pair_style"].split()[0]]),
                      "pair_coeff": coeffs if isinstance(coeffs, list) else [coeffs]})

    def as_dict(self) -> dict:
        return toml_fields(self)


@dataclass
class D3:
    """``[d3]``: Grimme D3 settings for ``pair_style dispersion/d3`` (cutoffs in Å)."""

    damping: str = "bj"
    functional: str = "pbe"         # the functional the potential was trained on
    cutoff: float = 30.0
    cn_cutoff: float = 20.0

    @classmethod
    def from_toml(cls, d, where: str) -> D3:
        check_keys(d, D3_KEYS, where)
        for key in ("damping", "functional"):
            if key in d:
                checks.text(d[key], f"{where} {key}")
                if not re.fullmatch(r"[a-z0-9_-]{1,32}", d[key]):
                    raise UserError(f"{where} {key} {d[key]!r} must be one lower-case word (e.g. bj, pbe)")
        for key in ("cutoff", "cn_cutoff"):
            if key in d:
                checks.real(d[key], f"{where} {key} (Å)", 0, 200, lo_open=True)
        return cls(**d)

    def as_dict(self) -> dict:
        return toml_fields(self)


def _check_parts(spec: dict, where: str) -> None:
    """``parts`` of a folder (a TensorFlow SavedModel): each file pinned by sha256, fetched from ``url`` + its path;
    the folder's own ``sha256`` (``registry.sha256`` of a folder) is what the kit checks before loading it."""
    parts = spec["parts"]
    if not isinstance(parts, list) or not parts:
        raise UserError(f"{where} parts must be a non-empty array of tables {{path, sha256, size}}")
    if not spec.get("url", "").endswith("/") or not spec.get("sha256"):
        raise UserError(f"{where}: a folder with parts needs 'url' (the folder's URL, ending in '/') and 'sha256' "
                        "(of the whole folder)")
    seen = set()
    for i, part in enumerate(parts):
        what = f"{where} parts[{i}]"
        check_keys(part, PART_KEYS, what)
        if "path" not in part or "sha256" not in part:
            raise UserError(f"{what} needs 'path' and 'sha256'")
        _check_entry_path(part["path"], True, f"{what} path")
        if "{" in part["path"] or part["path"] in seen:
            raise UserError(f"{what} path {part['path']!r} must be a plain relative path, given once")
        seen.add(part["path"])
        checks.text(part["sha256"], f"{what} sha256")
        if not checks.SHA256_RE.fullmatch(part["sha256"]):
            raise UserError(f"{what} sha256 is not 64 hex digits")
        if "size" in part:
            checks.count(part["size"], f"{what} size", 0)


def _check_entry_path(value, in_package: bool, where: str) -> None:
    """Entry paths: one line of safe characters, no '..'; inside a package they are relative."""
    checks.text(value, where, 1000, empty=False)
    if not ENTRY_PATH_RE.fullmatch(value):
        raise UserError(f"{where} {value!r} is not allowed: letters, digits and _ . / + , = @ ~ - only "
                        "(no spaces, quotes, $, ; or newlines)")
    bad = [m for m in PLACEHOLDER_RE.findall(value) if m != "home"]
    if bad or value.count("{") != value.count("}") or ("{home}" in value and not value.startswith("{home}/")):
        raise UserError(f"{where} {value!r}: the only placeholder is a leading {{home}}/")
    if ".." in Path(value).parts:
        raise UserError(f"{where} {value!r} must not climb out with '..'")
    if in_package and (value.startswith(("/", "~", "{home}"))):
        raise UserError(f"{where} {value!r} must be relative to its package")


def _check_native(v: dict, where: str) -> None:
    from lammpskit.lammps import deck

    lines = [("pair_style", f"pair_style {checks.deck_args(v['pair_style'], f'{where} pair_style')}")]
    if not v["pair_style"].strip():
        raise UserError(f"{where} pair_style is empty")
    coeffs = v.get("pair_coeff", "* *")
    for i, c in enumerate(coeffs if isinstance(coeffs, list) else [coeffs]):
        lines.append(("pair_coeff", f"pair_coeff {checks.deck_args(c, f'{where} pair_coeff[{i}]')}"))
        if len(c.split()) < 2:
            raise UserError(f"{where} pair_coeff {c!r} needs at least two type arguments (e.g. '* *')")
    if "pre" in v:
        for i, line in enumerate(checks.str_list(v["pre"], f"{where} pre", checks.deck_args)):
            lines.append((f"pre[{i}]", line))
    for what, line in lines:
        problem = deck.line_problem(deck.words(line))
        if problem:
            raise UserError(f"{where} {what}: {problem}; registry entries may not do that")
        for name in PLACEHOLDER_RE.findall(line):
            if name != "elements" and not FILE_KEY_RE.fullmatch(name):
                raise UserError(f"{where} {what}: placeholder {{{name}}} is not a file key or {{elements}}")
    for key in ("id", "title"):
        if key in v:
            checks.text(v[key], f"{where} {key}")
    if "id" in v and not re.fullmatch(r"[A-Za-z0-9_./+-]{1,64}", v["id"]):
        raise UserError(f"{where} id {v['id']!r} must be one word")
    for key, rx in (("styles", STYLE_RE), ("packages", WORDISH_RE)):
        if key in v:
            for s in checks.str_list(v[key], f"{where} {key}"):
                if not rx.fullmatch(s):
                    raise UserError(f"{where} {key} entry {s!r} is not a LAMMPS style or package name")
    if "plugin" in v and v["plugin"] != families.DEEPMD_PLUGIN:
        checks.text(v["plugin"], f"{where} plugin")
        raise UserError(f"{where} plugin {v['plugin']!r}: the only LAMMPS plugin an entry may load is "
                        f"deepmd-kit's ({families.DEEPMD_PLUGIN}); loading a shared library runs its code")
    for key in ("kokkos", "d3"):
        if key in v:
            checks.boolean(v[key], f"{where} {key}")
