"""``potentials add``: register a user's model file or a classical pair style, with sha256 pins.

Study entries that wait for the user's file (no URL: ft-mp0, deepmd) get
the file copied to the entry's path; a built-in entry fetched from an upstream that publishes no licence
(grace-gse) gets a user entry of the same name with the user's files instead; any other name becomes a new
TOML entry in ``$LAMMPSKIT_HOME/potentials``. Everything written into an entry is checked: it
ends up in LAMMPS decks.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from lammpskit._util import files, resources, validate
from lammpskit.errors import UserError, param
from lammpskit.potentials import families, fetch, modelfiles
from lammpskit.potentials import registry as potentials
from lammpskit.potentials.schema import FILE_KEY_RE

LAMMPS_ARGS_RE = re.compile(r"^[A-Za-z0-9_./:{}+*,=@~ -]+$")


def register_trained(name: str, model: Path, family: str, elements: list[str], provenance: dict,
                     dtype: str = "float64") -> dict:
    """Register a model the kit trained, with ``provenance`` (data, hyper-parameters, base model)
    written next to the registered file as ``<file>.provenance.json``."""
    existing = potentials.registry().get(name)
    if existing is not None and _waits_for_user(existing):
        result = _fill(existing, Path(model), None)
    else:
        result = add(name, model=Path(model), family=family, elements=list(elements), dtype=dtype,
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
        elements: list[str] | None = None, pair_style: str | None = None, pair_coeff: list[str] | None = None,
        files: dict[str, str | Path] | None = None, title: str = "", licence: str = "yours", citation: str = "",
        dtype: str = "float64") -> dict:
    """Register ``name`` (``lammpskit potentials add``); returns {"entry": TOML path, "files": [{key, path, sha256}]}.

    Args:
        name (str): the registry name (lower-case letters, digits, ``._+-``).
        model (Path | None): your model file (MACE .model, DeePMD .pth, GRACE SavedModel folder, CHGNet,
            SevenNet checkpoint).
        fs_yaml (Path | None): GRACE: the FS YAML export (``pair_style grace/fs``).
        family (str | None): the model family (default: read from the file).
        elements (list[str] | None): element symbols it covers (``["Na", "P", "S", "O"]``).
        pair_style (str | None): classical: the ``pair_style`` arguments, e.g. ``"eam/alloy"``.
        pair_coeff (list[str] | None): classical: ``pair_coeff`` arguments; ``{key}`` names a file of
            ``files``, ``{elements}`` the element list.
        files (dict[str, str | Path] | None): classical: potential files by lower-case key
            (``{"eam": "Cu.eam.alloy"}``).
        title, licence, citation (str): one line each.
        dtype (str): ``float64`` or ``float32``.
    """
    validate.name(name, "potential name")
    if dtype not in ("float64", "float32"):
        raise UserError(f"{param('dtype')} must be float64 or float32, got {dtype!r}")
    for text, what in ((title, param("title")), (licence, param("licence")), (citation, param("citation"))):
        if any(c in text for c in "\n\r\0"):
            raise UserError(f"{what} must be one line")
    existing = potentials.registry().get(name)
    if pair_style:
        return _classical(name, pair_style, pair_coeff or ["* * {elements}"], files or {}, elements, title,
                          licence, citation, existing)
    if model is None:
        raise UserError(f"give {param('model', cli='FILE')} (an MLIP) or {param('pair_style')} (a classical LAMMPS "
                        "potential)")
    model = _existing(model, param("model"))
    if existing is not None and _waits_for_user(existing):
        return _fill(existing, model, fs_yaml)
    builtin = _builtin(name)
    if builtin is not None and fetch.unlicensed(builtin.files):
        return _yours(builtin, model, fs_yaml, elements)
    if existing is not None and str(existing.source).startswith(str(resources.data_dir("potentials"))):
        raise UserError(f"{name!r} is a built-in entry that is downloaded ('lammpskit potentials fetch {name}'); "
                        "register your file under another name")
    fam = family or modelfiles.family(model)
    fam = "grace" if fam == "grace-fs-yaml" else fam
    if fam not in families.registrable():
        raise UserError(f"cannot tell the family of {model}: give {param('family')} ({', '.join(families.registrable())})")
    modelfiles.check(model, fam, param("model"))
    els = _elements(elements)
    spec = [{"key": "model", "path": str(validate.path(model, param("model"))), "sha256": potentials.sha256(model)}]
    native = []
    kind = families.FAMILIES[fam]
    if kind.native:
        native.append(dict(kind.native))
    if fs_yaml is not None:
        fs_yaml = _existing(fs_yaml, param("fs_yaml"))
        modelfiles.check(fs_yaml, "grace-fs-yaml", param("fs_yaml"))
        spec.append({"key": "fs_yaml", "path": str(validate.path(fs_yaml, param("fs_yaml"))),
                     "sha256": potentials.sha256(fs_yaml)})
        native.insert(0, {"id": "grace-fs", "pair_style": "grace/fs", "pair_coeff": "* * {fs_yaml} {elements}",
                          "styles": ["grace/fs"], "packages": ["ML-PACE"]})
    entry = {"name": name, "title": title or f"{fam} model {model.name} (registered by you)", "family": fam,
             "elements": els, "dtype": dtype, "licence": licence, "citation": citation, "files": spec,
             "bridge": {"calculator": fam, **({"dtype": dtype} if kind.bridge_dtype else {})}, "native": native}
    return _write(_entry(entry, existing))


def _existing(path: Path, what: str) -> Path:
    p = Path(path).expanduser().resolve()
    if not p.exists():
        raise UserError(f"{what} {path}: no such file or folder")
    return p


def _elements(elements: list[str] | None) -> list[str]:
    if not elements:
        raise UserError(f"give {param('elements')}, e.g. {param('elements', ['Na', 'P', 'S', 'O'])}")
    if isinstance(elements, str) or not isinstance(elements, list | tuple):
        raise UserError(f"{param('elements')} must be a list of element symbols such as ['Na', 'P', 'S', 'O'], "
                        f"got {elements!r:.100}")
    return [validate.element(e) for e in elements]


def _waits_for_user(pot: potentials.Potential) -> bool:
    try:
        spec = pot.spec("model")
    except UserError:
        return False
    return not spec.url and not spec.package and "{home}" in spec.path


def _builtin(name: str) -> potentials.Potential | None:
    """The kit's own entry ``name`` (None if it ships none)."""
    path = resources.data_dir("potentials") / f"{name}.toml"
    return potentials.load_file(path) if path.is_file() else None


def _copy_in(src: Path, dest: Path) -> str:
    """Copy a file or folder to ``dest`` (replacing it only once the copy is whole); its sha256."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".adding")
    shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
    (shutil.copytree if src.is_dir() else shutil.copyfile)(src, tmp)
    if dest.is_dir():
        shutil.rmtree(dest)
    tmp.replace(dest)
    return potentials.sha256(dest)


def _yours(pot: potentials.Potential, model: Path, fs_yaml: Path | None, elements: list[str] | None) -> dict:
    """A user entry named like built-in ``pot`` (same family, ways to run and D3) holding the user's files,
    copied under ``$LAMMPSKIT_HOME/models/NAME/yours/``; ``elements`` default: the built-in's."""
    modelfiles.check(model, pot.family, f"{param('model')} for {pot.name} ({pot.family})")
    pairs = [("model", model)]
    if fs_yaml is not None:
        fs_yaml = _existing(fs_yaml, param("fs_yaml"))
        modelfiles.check(fs_yaml, "grace-fs-yaml", param("fs_yaml"))
        pairs.append(("fs_yaml", fs_yaml))
    own = _savedmodel_facts(model)
    els = _elements(elements) if elements else own.get("elements", pot.elements)
    specs = []
    for key, src in pairs:
        dest = resources.user_dir() / "models" / pot.name / "yours" / pot.file_path(pot.spec(key)).name
        specs.append({"key": key, "path": str(dest), "sha256": _copy_in(src, dest)})
    keys = {s["key"] for s in specs}
    native = [v.as_dict() for v in pot.native if set(pot.native_keys(v)) <= keys]
    asl = "; GRACE and tensorpotential: Academic Software License (ASL), non-commercial use only" \
        if pot.family == "grace" else ""
    entry = {"name": pot.name, "title": f"{pot.family} model {model.name} (registered by you, instead of the "
             f"kit's {pot.name})", "family": pot.family, "elements": els, "dtype": pot.dtype,
             **({"cutoff": own["cutoff"]} if "cutoff" in own else {}),
             "licence": "yours" + asl, "citation": "", "files": specs,
             "bridge": pot.bridge.as_dict() if pot.bridge else None, "native": native,
             "d3": pot.d3.as_dict() if pot.d3 else None}
    return _write(_entry({k: v for k, v in entry.items() if v is not None}, None))


def _savedmodel_facts(model: Path) -> dict:
    """{elements, cutoff (Å)} from a GRACE SavedModel's ``metadata.yaml`` (``chemical_symbols:`` list,
    ``cutoff:``), what of them it has; read as text and checked, never loaded."""
    meta = Path(model) / "metadata.yaml"
    if not meta.is_file() or meta.stat().st_size > 65536:
        return {}
    out, els, in_list = {}, [], False
    for line in meta.read_text(errors="replace").splitlines():
        if line.startswith("chemical_symbols:"):
            in_list = True
        elif in_list and line.startswith("- "):
            els.append(line[2:].strip())
        else:
            in_list = False
            if line.startswith("cutoff:"):
                try:
                    out["cutoff"] = float(line.split(":", 1)[1])
                except ValueError:
                    pass
    if els and all(e in validate.ELEMENTS for e in els):
        out["elements"] = els
    if not 0 < out.get("cutoff", 1) <= 100:
        out.pop("cutoff")
    return out


def _fill(pot: potentials.Potential, model: Path, fs_yaml: Path | None) -> dict:
    """Copy the user's files into a study entry's paths and pin them."""
    modelfiles.check(model, pot.family, f"{param('model')} for {pot.name} ({pot.family})")
    pairs = [("model", model)]
    if fs_yaml is not None:
        fs_yaml = _existing(fs_yaml, param("fs_yaml"))
        modelfiles.check(fs_yaml, "grace-fs-yaml", param("fs_yaml"))
        pairs.append(("fs_yaml", fs_yaml))
    out = []
    for key, src in pairs:
        dest = pot.file_path(pot.spec(key))
        digest = _copy_in(src, dest)
        potentials.pin(pot.name, key, digest)
        out.append({"key": key, "path": str(dest), "sha256": digest})
    return {"entry": str(pot.source), "files": out}


def _classical(name, pair_style, pair_coeff, files, elements, title, licence, citation, existing) -> dict:
    for text, what in [(pair_style, param("pair_style")), *[(c, param("pair_coeff")) for c in pair_coeff]]:
        if not LAMMPS_ARGS_RE.fullmatch(text):
            raise UserError(f"{what} {text!r}: only letters, digits, spaces and _ . / : {{ }} + * , = @ ~ - are "
                            "allowed (no newlines, ;, $, quotes)")
    spec = []
    if not isinstance(files, dict):
        raise UserError(f"{param('files')} must be a dict of lower-case keys to paths, e.g. {{'eam': 'Cu.eam.alloy'}}, "
                        f"got {files!r:.100}")
    for key, path in files.items():
        if not isinstance(key, str) or not FILE_KEY_RE.fullmatch(key):
            raise UserError(f"{param('files')}[{key!r}]: expected a lower-case key, e.g. {{'eam': 'Cu.eam.alloy'}}")
        what = param("files", py=f"files[{key!r}]", cli=key)
        p = _existing(Path(path), what)
        spec.append({"key": key, "path": str(validate.path(p, what)), "sha256": potentials.sha256(p)})
    entry = {"name": name, "title": title or f"classical {pair_style.split()[0]} (registered by you)",
             "family": "classical", "elements": _elements(elements) if elements else "all", "licence": licence,
             "citation": citation, "files": spec,
             "native": [{"id": pair_style.split()[0], "pair_style": pair_style, "pair_coeff": pair_coeff,
                         "styles": [pair_style.split()[0]]}]}
    return _write(_entry(entry, existing))


def _entry(data: dict, existing) -> potentials.Potential:
    """``data`` (TOML keys) checked as the entry ``$LAMMPSKIT_HOME/potentials/NAME.toml``, before anything is
    written; a name registered elsewhere (``existing``) is refused first."""
    target = resources.user_dir() / "potentials" / f"{data['name']}.toml"
    if existing is not None and Path(existing.source) != target:
        raise UserError(f"{data['name']!r} is already registered in {existing.source}: choose another name")
    return potentials.Potential.from_dict(data, target, f"entry {data['name']!r}")


def _write(pot: potentials.Potential) -> dict:
    """Write ``pot`` to its TOML atomically (it must load back); {"entry": path, "files": [{key, path, sha256}]}."""
    target = Path(pot.source)
    target.parent.mkdir(parents=True, exist_ok=True)
    with files.atomic_path(target, ".toml") as tmp:
        tmp.write_text(to_toml(pot.to_dict()))
        potentials.load_file(tmp)  # what we wrote must load
    return {"entry": str(target), "files": [{"key": s.key, "path": s.path, "sha256": s.sha256} for s in pot.files]}


def to_toml(entry: dict) -> str:
    """The TOML text of an entry (``Potential.to_dict()``; strings JSON-escaped, which TOML basic strings accept)."""
    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, dict):  # an inline table, e.g. one of a folder's parts
            return "{ " + ", ".join(f"{json.dumps(k)} = {val(x)}" for k, x in v.items()) + " }"
        return json.dumps(v, ensure_ascii=False)

    lines = ["# registered with 'lammpskit potentials add'"]
    tables = {k: v for k, v in entry.items() if isinstance(v, (dict, list)) and k in ("files", "bridge", "native", "d3")}
    lines += [f"{k} = {val(v)}" for k, v in entry.items() if k not in tables]
    for spec in entry.get("files", []):
        lines += ["", "[[files]]", *[f"{k} = {val(v)}" for k, v in spec.items()]]
    if entry.get("bridge"):
        lines += ["", "[bridge]", *[f"{k} = {val(v)}" for k, v in entry["bridge"].items()]]
    for v in entry.get("native", []):
        lines += ["", "[[native]]", *[f"{k} = {val(x)}" for k, x in v.items()]]
    if entry.get("d3"):
        lines += ["", "[d3]", *[f"{k} = {val(v)}" for k, v in entry["d3"].items()]]
    return "\n".join(lines) + "\n"
