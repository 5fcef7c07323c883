"""The potential registry: one TOML file per potential, no per-potential code.

Search path: the kit's ``potentials/``, then ``$LAMMPSKIT_HOME/potentials``
(``~/.lammpskit/potentials``), then the folders in ``$LAMMPSKIT_POTENTIALS``
(``:``-separated). A later file with the same name overrides an earlier one.

Schema (every key is checked; an unknown one is an error)::

    name, title, family, elements ("all" or a list), cutoff (Å), dtype, licence, citation, notes
    [[files]]   key, path (absolute, relative to the TOML, "{home}/..." = $LAMMPSKIT_HOME, or inside
                `package`), package, url, sha256, licence, derive (how the kit makes it: a converter
                in lammpskit.potentials.conversions), from (the file key it is made from), head, size (bytes)
    [bridge]    calculator (a builder in lammpskit.potentials.calculators), model, dtype, head, files
    [[native]]  id, title, pair_style, pair_coeff (string or list; "{key}" = a file, "{elements}" =
                the type -> element list), styles (pair styles the build needs), packages (LAMMPS
                packages, for the reader), pre (lines before pair_style), plugin (a LAMMPS plugin to
                `plugin load`; "{package:NAME}" = an installed Python package's folder), kokkos
                (run with -k on g N -sf kk -pk kokkos newton on neigh half), d3 (the pair style may
                be overlaid with dispersion/d3)
    [d3]        damping ("bj"), functional ("pbe", "r2scan", ...), cutoff (Å), cn_cutoff (Å)

Files without a published sha256 are pinned on first download (``fetch``) or
conversion in ``$LAMMPSKIT_HOME/pins.json``; a model file (families in
CODE_FAMILIES) is loaded only if its sha256 matches its entry or its pin. Model files (.model, .pth) are Python
pickles or TorchScript archives: loading one runs code from it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lammpskit._util import resources, validate
from lammpskit.errors import UserError

TOP = {"name", "title", "family", "elements", "cutoff", "dtype", "licence", "citation", "notes", "files",
       "bridge", "native", "d3"}
FILE_KEYS = {"key", "path", "package", "url", "sha256", "licence", "derive", "from", "head", "size"}
BRIDGE_KEYS = {"calculator", "model", "dtype", "head", "files"}
NATIVE_KEYS = {"id", "title", "pair_style", "pair_coeff", "styles", "packages", "pre", "plugin", "kokkos", "d3"}
FILE_KEY_RE = re.compile(r"[a-z][a-z0-9_]*")  # [[files]] key: also a {key} placeholder in pair lines
SHA256_RE = re.compile(r"[0-9a-f]{64}")
D3_KEYS = {"damping", "functional", "cutoff", "cn_cutoff"}
D3_DEFAULTS = {"damping": "bj", "functional": "pbe", "cutoff": 30.0, "cn_cutoff": 20.0}
# families whose model files run code when loaded (pickles, TorchScript, SavedModels): sha256 required
CODE_FAMILIES = {"mace", "deepmd", "chgnet", "grace"}


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
    files: list[dict] = field(default_factory=list)
    bridge: dict | None = None
    native: list[dict] = field(default_factory=list)
    d3: dict | None = None

    # -- files ------------------------------------------------------------------------------
    def spec(self, key: str) -> dict:
        for s in self.files:
            if s["key"] == key:
                return s
        raise UserError(f"potential {self.name!r} has no file {key!r} (see {self.source})")

    def file_path(self, spec: dict) -> Path:
        """Where one ``[[files]]`` entry lives on this machine."""
        text = spec["path"].replace("{home}", str(resources.user_dir()))
        p = Path(os.path.expanduser(text))
        if spec.get("package"):
            found = importlib.util.find_spec(spec["package"])
            if found is None or not found.submodule_search_locations:
                raise UserError(f"potential {self.name!r} needs the Python package {spec['package']!r}: "
                                f"pip install {spec['package']}")
            return Path(list(found.submodule_search_locations)[0]) / p
        if p.is_absolute():
            return p
        return (self.source.parent / p).resolve()

    def expected_sha256(self, spec: dict) -> str | None:
        """The entry's sha256, else the pin recorded when the file was fetched or converted."""
        return spec.get("sha256") or pins().get(self.name, {}).get(spec["key"])

    def resolve_files(self, keys: list[str] | None = None, verify: bool = True) -> dict[str, Path]:
        """``key -> path`` for ``keys`` (default: all); missing or unverified files are user errors."""
        out = {}
        for spec in self.files:
            if keys is not None and spec["key"] not in keys:
                continue
            path = self.file_path(spec)
            if not path.exists():
                raise UserError(f"model file {path} for potential {self.name!r} is missing: {self.missing_hint(spec)}")
            if verify:
                want = self.expected_sha256(spec)
                if want is None and self.family in CODE_FAMILIES:
                    raise UserError(f"model file {path} for potential {self.name!r} has no sha256 to check: "
                                    f"run 'lammpskit potentials fetch {self.name}' or register it with "
                                    "'lammpskit potentials add'")
                if want is not None and sha256(path) != want:
                    raise UserError(f"model file {path} for potential {self.name!r} does not match its sha256 "
                                    f"in {self.source}: re-fetch it or register the file again")
            out[spec["key"]] = path
        return out

    def missing_hint(self, spec: dict) -> str:
        if spec.get("url"):
            return f"run 'lammpskit potentials fetch {self.name}'"
        if spec.get("derive"):
            return f"run 'lammpskit potentials convert {self.name}'"
        return (f"register your file with 'lammpskit potentials add {self.name} --model FILE' "
                f"or fix 'path' in {self.source}")

    def bridge_keys(self) -> list[str]:
        if not self.bridge:
            return []
        return list(self.bridge.get("files", ["model"] if any(s["key"] == "model" for s in self.files) else []))

    def native_keys(self, variant: dict) -> list[str]:
        texts = [variant["pair_style"], *_as_list(variant.get("pair_coeff", [])), *variant.get("pre", [])]
        keys = {k for t in texts for _, k, _, _ in string.Formatter().parse(t) if k and k != "elements"}
        return sorted(keys)

    def file_state(self, spec: dict) -> str:
        """present / missing / unverified (no sha256 to check) / mismatch."""
        try:
            path = self.file_path(spec)
        except UserError:
            return "missing"
        if not path.exists():
            return "missing"
        want = self.expected_sha256(spec)
        if want is None:
            return "unverified" if self.family in CODE_FAMILIES else "present"
        return "present" if path.is_dir() or sha256(path) == want else "mismatch"

    # -- checks -------------------------------------------------------------------------------
    def supports(self, elements: list[str]) -> None:
        """Refuse elements the potential was not trained on."""
        if self.elements != "all":
            missing = [e for e in elements if e not in self.elements]
            if missing:
                raise UserError(f"potential {self.name!r} does not cover {', '.join(missing)} "
                                f"(it has {', '.join(self.elements)})")

    def variant(self, vid: str) -> dict:
        for v in self.native:
            if v["id"] == vid:
                return v
        raise UserError(f"potential {self.name!r} has no native variant {vid!r} "
                        f"(it has {', '.join(v['id'] for v in self.native) or 'none'})")

    def d3_params(self) -> dict:
        return {**D3_DEFAULTS, **(self.d3 or {})}

    def summary(self) -> dict:
        modes = (["native"] if self.native else []) + (["bridge"] if self.bridge else [])
        return {"name": self.name, "title": self.title, "family": self.family, "modes": modes,
                "native_variants": [v["id"] for v in self.native],
                "elements": self.elements, "cutoff": self.cutoff, "dtype": self.dtype,
                "licence": self.licence, "citation": self.citation, "notes": self.notes,
                "source": str(self.source)}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


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


def _check_keys(table, allowed: set, where: str) -> dict:
    if not isinstance(table, dict):
        raise UserError(f"{where} must be a table")
    unknown = set(table) - allowed
    if unknown:
        raise UserError(f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(allowed)})")
    return table


def load_file(path: Path) -> Potential:
    """Read and check one registry entry."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"cannot read potential file {path}: {exc}") from None
    _check_keys(data, TOP, str(path))
    if "name" not in data:
        raise UserError(f"{path}: missing 'name'")
    validate.name(data["name"], f"potential name in {path}")
    for i, spec in enumerate(data.get("files", [])):
        _check_keys(spec, FILE_KEYS, f"{path}: [[files]] #{i + 1}")
        if "key" not in spec or "path" not in spec:
            raise UserError(f"{path}: [[files]] #{i + 1} needs 'key' and 'path'")
        if not FILE_KEY_RE.fullmatch(spec["key"]):
            raise UserError(f"{path}: file key {spec['key']!r} must be lower-case letters, digits, _")
        if spec.get("sha256") and not SHA256_RE.fullmatch(spec["sha256"]):
            raise UserError(f"{path}: sha256 of file {spec['key']!r} is not 64 hex digits")
    if "bridge" in data:
        _check_keys(data["bridge"], BRIDGE_KEYS, f"{path}: [bridge]")
    native = data.get("native", [])
    data["native"] = native = [native] if isinstance(native, dict) else native
    for i, v in enumerate(native):
        _check_keys(v, NATIVE_KEYS, f"{path}: [[native]] #{i + 1}")
        if "pair_style" not in v:
            raise UserError(f"{path}: [[native]] #{i + 1} needs 'pair_style'")
        v.setdefault("id", v["pair_style"].split()[0])
        v.setdefault("styles", [v["pair_style"].split()[0]])
        v.setdefault("pair_coeff", "* *")
    if "d3" in data:
        _check_keys(data["d3"], D3_KEYS, f"{path}: [d3]")
    pot = Potential(source=path, **data)
    keys = {s["key"] for s in pot.files}
    for v in pot.native:
        missing = set(pot.native_keys(v)) - keys
        if missing:
            raise UserError(f"{path}: native variant {v['id']!r} uses undefined files {sorted(missing)}")
    return pot


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
