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
    """Read and check one registry entry, field by field (shipped, user and $LAMMPSKIT_HOME entries alike)."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"cannot read potential file {path}: {exc}") from None
    _check_keys(data, TOP, str(path))
    if "name" not in data:
        raise UserError(f"{path}: missing 'name'")
    validate.name(data["name"], f"potential name in {path}")
    _check_fields(data, path)
    native = data.get("native", [])
    data["native"] = native = [native] if isinstance(native, dict) else native
    for i, v in enumerate(native):
        _check_keys(v, NATIVE_KEYS, f"{path}: [[native]] #{i + 1}")
        if "pair_style" not in v:
            raise UserError(f"{path}: [[native]] #{i + 1} needs 'pair_style'")
        _check_native(v, f"{path}: [[native]] #{i + 1}")
        v.setdefault("id", v["pair_style"].split()[0])
        v.setdefault("styles", [v["pair_style"].split()[0]])
        v.setdefault("pair_coeff", "* *")
    if "d3" in data:
        _check_keys(data["d3"], D3_KEYS, f"{path}: [d3]")
        _check_d3(data["d3"], f"{path}: [d3]")
    pot = Potential(source=path, **data)
    keys = {s["key"] for s in pot.files}
    for v in pot.native:
        missing = set(pot.native_keys(v)) - keys
        if missing:
            raise UserError(f"{path}: native variant {v['id']!r} uses undefined files {sorted(missing)}")
    return pot


# -- field checks: every value of an entry may reach a LAMMPS deck, a job script or a file system call ----

WORDISH_RE = re.compile(r"^[A-Za-z0-9_.+-]{1,64}$")
STYLE_RE = re.compile(r"^[a-z0-9_/.+-]{1,64}$")
ENTRY_PATH_RE = re.compile(r"^[A-Za-z0-9_./+,=@~{}-]+$")
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")


def _check_fields(data: dict, path: Path) -> None:
    from lammpskit._util import checks

    where = str(path)
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
    files = data.get("files", [])
    if not isinstance(files, list):
        raise UserError(f"{where}: files must be an array of tables ([[files]])")
    seen = set()
    for i, spec in enumerate(files):
        w = f"{where}: [[files]] #{i + 1}"
        _check_keys(spec, FILE_KEYS, w)
        if "key" not in spec or "path" not in spec:
            raise UserError(f"{w} needs 'key' and 'path'")
        checks.text(spec["key"], f"{w} key")
        if not FILE_KEY_RE.fullmatch(spec["key"]):
            raise UserError(f"{where}: file key {spec['key']!r} must be lower-case letters, digits, _")
        if spec["key"] in seen:
            raise UserError(f"{w}: file key {spec['key']!r} is used twice")
        seen.add(spec["key"])
        _check_entry_path(spec["path"], bool(spec.get("package")), f"{w} path")
        if "sha256" in spec:
            checks.text(spec["sha256"], f"{w} sha256")
            if spec["sha256"] and not SHA256_RE.fullmatch(spec["sha256"]):
                raise UserError(f"{where}: sha256 of file {spec['key']!r} is not 64 hex digits")
        for key in ("licence", "derive", "head"):
            if key in spec:
                checks.text(spec[key], f"{w} {key}")
        if "package" in spec:
            checks.text(spec["package"], f"{w} package")
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", spec["package"]):
                raise UserError(f"{w} package {spec['package']!r} is not a Python package name")
        if "from" in spec and not (isinstance(spec["from"], str) and FILE_KEY_RE.fullmatch(spec["from"])):
            raise UserError(f"{w} from {spec['from']!r} must be a file key")
        if "url" in spec:
            checks.text(spec["url"], f"{w} url")
            if not spec["url"].startswith(("https://", "http://", "file://")):
                raise UserError(f"{w} url {spec['url']!r} must start with https://, http:// or file://")
        if "size" in spec:
            checks.count(spec["size"], f"{w} size", 0)
    if "bridge" in data:
        b = data["bridge"]
        _check_keys(b, BRIDGE_KEYS, f"{where}: [bridge]")
        if "calculator" not in b:
            raise UserError(f"{where}: [bridge] needs 'calculator'")
        for key in ("calculator", "model", "head"):
            if key in b:
                checks.text(b[key], f"{where}: [bridge] {key}")
                if not WORDISH_RE.fullmatch(b[key]):
                    raise UserError(f"{where}: [bridge] {key} {b[key]!r} must be one word")
        if "dtype" in b:
            checks.one_of(b["dtype"], ("float64", "float32"), f"{where}: [bridge] dtype")
        if "files" in b:
            for k in checks.str_list(b["files"], f"{where}: [bridge] files"):
                if k not in seen:
                    raise UserError(f"{where}: [bridge] files names {k!r}, which is not a [[files]] key")


def _check_entry_path(value, in_package: bool, where: str) -> None:
    """Entry paths: one line of safe characters, no '..'; inside a package they are relative."""
    from lammpskit._util import checks

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
    from lammpskit._util import checks
    from lammpskit.lammps import deck
    from lammpskit.potentials import builds

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
    if "plugin" in v and v["plugin"] != builds.DEEPMD_PLUGIN:
        checks.text(v["plugin"], f"{where} plugin")
        raise UserError(f"{where} plugin {v['plugin']!r}: the only LAMMPS plugin an entry may load is "
                        f"deepmd-kit's ({builds.DEEPMD_PLUGIN}); loading a shared library runs its code")
    for key in ("kokkos", "d3"):
        if key in v:
            checks.boolean(v[key], f"{where} {key}")


def _check_d3(d: dict, where: str) -> None:
    from lammpskit._util import checks

    for key in ("damping", "functional"):
        if key in d:
            checks.text(d[key], f"{where} {key}")
            if not re.fullmatch(r"[a-z0-9_-]{1,32}", d[key]):
                raise UserError(f"{where} {key} {d[key]!r} must be one lower-case word (e.g. bj, pbe)")
    for key in ("cutoff", "cn_cutoff"):
        if key in d:
            checks.real(d[key], f"{where} {key} (Å)", 0, 200, lo_open=True)


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
