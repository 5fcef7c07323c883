"""``potentials add``: register a user's model file or a classical pair style, with sha256 pins.

Study entries that wait for the user's file (no URL: ft-mp0, deepmd, grace-gse) get
the file copied to the entry's path; any other name becomes a new TOML entry in
``$LAMMPSKIT_HOME/potentials``. Everything written into an entry is checked: it
ends up in LAMMPS decks.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from lammpskit._util import files, resources, validate
from lammpskit.errors import UserError
from lammpskit.potentials import builds, modelfiles
from lammpskit.potentials import registry as potentials
from lammpskit.potentials.schema import FILE_KEY_RE

FAMILIES = ("mace", "deepmd", "grace", "chgnet", "sevenn", "classical")
LAMMPS_ARGS_RE = re.compile(r"^[A-Za-z0-9_./:{}+*,=@~ -]+$")
NATIVE = {  # native blocks written for new entries of these families
    "deepmd": {"id": "deepmd", "pair_style": "deepmd {model}", "pair_coeff": "* * {elements}", "styles": ["deepmd"],
               "plugin": builds.DEEPMD_PLUGIN},
    "grace": {"id": "grace-tf", "pair_style": "grace pad_verbose", "pair_coeff": "* * {model} {elements}",
              "styles": ["grace"], "packages": ["ML-PACE"]},
}


def register_trained(name: str, model: Path, family: str, elements: list[str], provenance: dict,
                     dtype: str = "float64") -> dict:
    """Register a model the kit trained, with ``provenance`` (data, hyper-parameters, base model)
    written next to the registered file as ``<file>.provenance.json``."""
    existing = potentials.registry().get(name)
    if existing is not None and _waits_for_user(existing):
        result = _fill(existing, Path(model), None)
    else:
        result = add(name, model=Path(model), family=family, elements=",".join(elements), dtype=dtype,
                     title=f"{family} model trained by lammpskit finetune", licence="yours",
                     citation=str(provenance.get("foundation", "")))
    for k, member in enumerate(provenance.get("ensemble", [])[1:], start=1):
        # the other members of a trained ensemble: 'finetune deviation' loads only pinned models
        if Path(member).is_file():
            potentials.pin(name, f"ensemble{k}", potentials.sha256(Path(member)))
    placed = Path(result["files"][0]["path"])
    placed.with_name(placed.name + ".provenance.json").write_text(json.dumps(provenance, indent=1, default=str))
    return result


def add(name: str, model: Path | None = None, fs_yaml: Path | None = None, family: str | None = None,
        elements: str | None = None, pair_style: str | None = None, pair_coeff: list[str] | None = None,
        files: list[str] | None = None, title: str = "", licence: str = "yours", citation: str = "",
        dtype: str = "float64") -> dict:
    """Register ``name``; returns {"entry": TOML path, "files": [{key, path, sha256}]}."""
    validate.name(name, "potential name")
    if dtype not in ("float64", "float32"):
        raise UserError(f"--dtype must be float64 or float32, got {dtype!r}")
    for text, what in ((title, "--title"), (licence, "--licence"), (citation, "--citation")):
        if any(c in text for c in "\n\r\0"):
            raise UserError(f"{what} must be one line")
    existing = potentials.registry().get(name)
    if pair_style:
        return _classical(name, pair_style, pair_coeff or ["* * {elements}"], files or [], elements, title,
                          licence, citation, existing)
    if model is None:
        raise UserError("give --model FILE (an MLIP) or --pair-style (a classical LAMMPS potential)")
    model = _existing(model, "--model")
    if existing is not None and _waits_for_user(existing):
        return _fill(existing, model, fs_yaml)
    if existing is not None and str(existing.source).startswith(str(resources.data_dir("potentials"))):
        raise UserError(f"{name!r} is a built-in entry that is downloaded ('lammpskit potentials fetch {name}'); "
                        "register your file under another name")
    fam = family or modelfiles.family(model)
    fam = "grace" if fam == "grace-fs-yaml" else fam
    if fam not in FAMILIES[:-1]:
        raise UserError(f"cannot tell the family of {model}: give --family ({', '.join(FAMILIES[:-1])})")
    modelfiles.check(model, fam, "--model")
    els = _elements(elements)
    spec = [{"key": "model", "path": str(validate.path(model, "--model")), "sha256": potentials.sha256(model)}]
    native = []
    if fam in NATIVE:
        native.append(dict(NATIVE[fam]))
    if fs_yaml is not None:
        fs_yaml = _existing(fs_yaml, "--fs-yaml")
        modelfiles.check(fs_yaml, "grace-fs-yaml", "--fs-yaml")
        spec.append({"key": "fs_yaml", "path": str(validate.path(fs_yaml, "--fs-yaml")),
                     "sha256": potentials.sha256(fs_yaml)})
        native.insert(0, {"id": "grace-fs", "pair_style": "grace/fs", "pair_coeff": "* * {fs_yaml} {elements}",
                          "styles": ["grace/fs"], "packages": ["ML-PACE"]})
    entry = {"name": name, "title": title or f"{fam} model {model.name} (registered by you)", "family": fam,
             "elements": els, "dtype": dtype, "licence": licence, "citation": citation, "files": spec,
             "bridge": {"calculator": fam, **({"dtype": dtype} if fam == "mace" else {})}, "native": native}
    return _write(name, entry, existing)


def _existing(path: Path, what: str) -> Path:
    p = Path(path).expanduser().resolve()
    if not p.exists():
        raise UserError(f"{what} {path}: no such file or folder")
    return p


def _elements(text: str | None) -> list[str]:
    if not text:
        raise UserError("give --elements, e.g. --elements Na,P,S,O")
    return [validate.element(e.strip()) for e in text.split(",")]


def _waits_for_user(pot: potentials.Potential) -> bool:
    try:
        spec = pot.spec("model")
    except UserError:
        return False
    return not spec.url and not spec.package and "{home}" in spec.path


def _fill(pot: potentials.Potential, model: Path, fs_yaml: Path | None) -> dict:
    """Copy the user's files into a study entry's paths and pin them."""
    modelfiles.check(model, pot.family, f"--model for {pot.name} ({pot.family})")
    pairs = [("model", model)]
    if fs_yaml is not None:
        fs_yaml = _existing(fs_yaml, "--fs-yaml")
        modelfiles.check(fs_yaml, "grace-fs-yaml", "--fs-yaml")
        pairs.append(("fs_yaml", fs_yaml))
    out = []
    for key, src in pairs:
        dest = pot.file_path(pot.spec(key))
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".adding")
        shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copyfile)(src, tmp)
        if dest.is_dir():
            shutil.rmtree(dest)
        tmp.replace(dest)
        digest = potentials.sha256(dest)
        potentials.pin(pot.name, key, digest)
        out.append({"key": key, "path": str(dest), "sha256": digest})
    return {"entry": str(pot.source), "files": out}


def _classical(name, pair_style, pair_coeff, files, elements, title, licence, citation, existing) -> dict:
    for text, what in [(pair_style, "--pair-style"), *[(c, "--pair-coeff") for c in pair_coeff]]:
        if not LAMMPS_ARGS_RE.fullmatch(text):
            raise UserError(f"{what} {text!r}: only letters, digits, spaces and _ . / : {{ }} + * , = @ ~ - are "
                            "allowed (no newlines, ;, $, quotes)")
    spec = []
    for item in files:
        key, sep, path = item.partition("=")
        if not sep or not FILE_KEY_RE.fullmatch(key):
            raise UserError(f"--file {item!r}: expected KEY=PATH with a lower-case key, e.g. eam=Cu.eam.alloy")
        p = _existing(Path(path), f"--file {key}")
        spec.append({"key": key, "path": str(validate.path(p, f"--file {key}")), "sha256": potentials.sha256(p)})
    entry = {"name": name, "title": title or f"classical {pair_style.split()[0]} (registered by you)",
             "family": "classical", "elements": _elements(elements) if elements else "all", "licence": licence,
             "citation": citation, "files": spec,
             "native": [{"id": pair_style.split()[0], "pair_style": pair_style, "pair_coeff": pair_coeff,
                         "styles": [pair_style.split()[0]]}]}
    return _write(name, entry, existing)


def _write(name: str, entry: dict, existing) -> dict:
    folder = resources.user_dir() / "potentials"
    target = folder / f"{name}.toml"
    if existing is not None and Path(existing.source) != target:
        raise UserError(f"{name!r} is already registered in {existing.source}: choose another name")
    folder.mkdir(parents=True, exist_ok=True)
    with files.atomic_path(target, ".toml") as tmp:
        tmp.write_text(to_toml(entry))
        potentials.load_file(tmp)  # what we wrote must load
    return {"entry": str(target), "files": [{k: f[k] for k in ("key", "path", "sha256")} for f in entry["files"]]}


def to_toml(entry: dict) -> str:
    """The TOML text of an entry (strings JSON-escaped, which TOML basic strings accept)."""
    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return json.dumps(v, ensure_ascii=False)

    lines = ["# registered with 'lammpskit potentials add'"]
    tables = {k: v for k, v in entry.items() if isinstance(v, (dict, list)) and k in ("files", "bridge", "native")}
    lines += [f"{k} = {val(v)}" for k, v in entry.items() if k not in tables]
    for spec in entry.get("files", []):
        lines += ["", "[[files]]", *[f"{k} = {val(v)}" for k, v in spec.items()]]
    if entry.get("bridge"):
        lines += ["", "[bridge]", *[f"{k} = {val(v)}" for k, v in entry["bridge"].items()]]
    for v in entry.get("native", []):
        lines += ["", "[[native]]", *[f"{k} = {val(x)}" for k, x in v.items()]]
    return "\n".join(lines) + "\n"
