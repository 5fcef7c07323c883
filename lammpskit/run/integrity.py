"""What a run directory may run: sha256 records of the rendered files and a scan for program-running commands.

At render time ``record`` writes ``run.json["rendered"]`` (file name -> sha256 of the deck, every stage
file, ``potential.lmp`` and ``data.lmp``) and ``run.json["plugins"]`` (the ``plugin load`` paths the kit
itself wrote: only deepmd-kit's LAMMPS plugin). Before a run, ``verify`` refuses a directory

* whose rendered files changed or went missing since render (or that has no records),
* that holds a symbolic link (LAMMPS would write its log or dumps through it, anywhere), and
* whose deck, or any file it includes or jumps to, holds a command that runs other programs or Python
  (or writes a file outside the run directory, which could run later):
  ``shell``, ``python``, ``fix ... python/*``, ``pair_style python``, ``variable ... python``,
  ``plugin load`` of anything but the recorded deepmd plugin, ``mdi``, ``kim``, movie dumps (ffmpeg),
  a command word built from a variable (``${a}${b} ...``), or variables inside the commands that ``if``
  and ``run ... every`` execute;

unless the user says ``lammpskit run DIR --trust-deck`` (their deck, their right). The kit's own decks
hold none of these. The scan is a lexical one over the files on disk, the ones the engine executes.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from lammpskit.errors import UserError
from lammpskit.lammps.deck import line_problem, logical_lines, words

TRUST_FLAG = "--trust-deck"
RECORDS = "rendered"
PLUGINS = "plugins"
def _records(run_dir: Path, deck: str, stages: list[dict]) -> list[str]:
    names = [deck, "potential.lmp", "data.lmp", *[s["file"] for s in stages]]
    return [n for i, n in enumerate(names) if n not in names[:i] and (Path(run_dir) / n).is_file()]


def record(run_dir: Path) -> dict:
    """Add sha256 records of the rendered files (and the kit's plugin loads) to ``run_dir/run.json``."""
    from lammpskit.potentials.registry import sha256
    from lammpskit.run import manifest

    run_dir = Path(run_dir)
    path = run_dir / manifest.MANIFEST
    data = json.loads(path.read_text())
    names = _records(run_dir, data["deck"], data.get("stages", []))
    data[RECORDS] = {n: sha256(run_dir / n) for n in names}
    data[PLUGINS] = [str(p) for p in _kit_plugin_loads(run_dir, data["deck"])]
    manifest.write_json(path, data)
    return data


def _kit_plugin_loads(run_dir: Path, deck: str) -> list[str]:
    """``plugin load`` paths in the rendered files that are deepmd-kit's plugin (the only one the kit writes)."""
    from lammpskit.potentials import builds

    kit = builds.plugin_path(builds.DEEPMD_PLUGIN)
    out = []
    for _file, _line, ws in _walk(Path(run_dir), deck, set()):
        if ws[:2] == ["plugin", "load"] and len(ws) == 3 and Path(ws[2]) == kit:
            out.append(ws[2])
    return out


# -- scanning -------------------------------------------------------------------------------------------

def _walk(run_dir: Path, name: str, seen: set):
    """(file, line number, words) of a deck and every file it includes or jumps to, inside ``run_dir``."""
    if name in seen:
        return
    seen.add(name)
    path = run_dir / name
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    for no, line in logical_lines(text):
        w = words(line)
        yield name, no, w
        if w and w[0] in ("include", "jump") and len(w) > 1 and w[1] != "SELF" and "$" not in w[1]:
            target = w[1]
            if Path(target).is_absolute() or ".." in Path(target).parts or not (run_dir / target).is_file():
                yield name, no, ["lk-outside", target]
                continue
            yield from _walk(run_dir, target, seen)


def scan(run_dir: Path, deck: str, allowed_plugins: set[str] = frozenset()) -> tuple[str, int, str] | None:
    """The first (file, line, why) in the deck or its included files that runs programs; None if clean."""
    for name, no, w in _walk(Path(run_dir), deck, set()):
        if w and w[0] == "lk-outside":
            return name, no, f"it includes {w[1]!r}, which is not a file inside the run directory"
        problem = line_problem(w, allowed_plugins)
        if problem:
            return name, no, problem
    return None


def verify(run_dir: Path, man: dict, trust: bool = False) -> None:
    """Refuse a run directory whose rendered files changed or whose deck runs programs (see the module doc)."""
    from lammpskit.potentials import builds
    from lammpskit.potentials.registry import sha256

    if trust:
        return
    run_dir = Path(run_dir)
    records = man.get(RECORDS)
    if not isinstance(records, dict) or not records:
        raise UserError(f"{run_dir}/run.json has no sha256 records of its rendered files (rendered by an older kit "
                        f"or by hand): render it again, or run it anyway with 'lammpskit run {run_dir} {TRUST_FLAG}'")
    for name in dict.fromkeys([*_records(run_dir, man["deck"], man.get("stages", [])), *records]):
        if name not in records:
            raise UserError(f"{run_dir}/{name} has no sha256 record in run.json: render again, or run it anyway "
                            f"with 'lammpskit run {run_dir} {TRUST_FLAG}'")
        path = run_dir / name
        if not path.is_file():
            raise UserError(f"{path} is missing (rendered files: {', '.join(records)}): render again")
        if sha256(path) != records[name]:
            raise UserError(f"{path} changed since it was rendered (sha256 differs from run.json): restore it, "
                            f"render again, or run it anyway with 'lammpskit run {run_dir} {TRUST_FLAG}'")
    for p in sorted(run_dir.rglob("*")):
        if p.is_symlink():  # LAMMPS would write its log, dumps or restarts through it, anywhere
            raise UserError(f"{p} is a symbolic link (to {os.readlink(p)}); a run directory holds plain files: "
                            f"remove it, or run it anyway with 'lammpskit run {run_dir} {TRUST_FLAG}'")
    kit = str(builds.plugin_path(builds.DEEPMD_PLUGIN))
    allowed = {p for p in man.get(PLUGINS, []) if p == kit}
    found = scan(run_dir, man["deck"], allowed)
    if found:
        name, no, why = found
        raise UserError(f"{run_dir}/{name} line {no}: {why}; the kit never writes this. Run it only if you "
                        f"trust the deck: 'lammpskit run {run_dir} {TRUST_FLAG}'")


# -- run.json, field by field -----------------------------------------------------------------------

SHA_RE = re.compile(r"^[0-9a-f]{64}$")
PROTOCOLS = ("quench", "elastic", "diffusion")


def check_manifest(data, where: str) -> dict:
    """Refuse a run.json whose fields have the wrong types or name files outside the run directory."""
    from lammpskit._util import checks, validate
    from lammpskit.run.manifest import STATES

    checks.table(data, where)
    if "deck" not in data:
        raise UserError(f"{where}: missing 'deck'")
    checks.plain_file(data["deck"], f"{where}: deck")
    if "protocol" in data:
        checks.one_of(data["protocol"], PROTOCOLS, f"{where}: protocol")
    if "state" in data:
        checks.one_of(data["state"], STATES, f"{where}: state")
    stages = data.get("stages", [])
    if not isinstance(stages, list):
        raise UserError(f"{where}: stages must be a list, got {type(stages).__name__}")
    for i, st in enumerate(stages):
        w = f"{where}: stages[{i}]"
        checks.table(st, w)
        for key in ("name", "file", "begin", "end"):
            if key not in st:
                raise UserError(f"{w} needs '{key}'")
        validate.word(checks.text(st["name"], f"{w}.name"), f"{w}.name")
        checks.plain_file(st["file"], f"{w}.file")
        checks.count(st["begin"], f"{w}.begin", 0)
        checks.count(st["end"], f"{w}.end", st["begin"])
        if st.get("dump"):
            checks.plain_file(st["dump"], f"{w}.dump")
    for key in ("total_steps", "seed"):
        if key in data:
            checks.count(data[key], f"{where}: {key}", 0)
    if "elements" in data:
        for i, e in enumerate(checks.str_list(data["elements"], f"{where}: elements")):
            if e not in validate.ELEMENTS:
                raise UserError(f"{where}: elements[{i}] {e!r} is not an element symbol")
    pot = data.get("potential")
    if pot is not None:
        checks.table(pot, f"{where}: potential")
        validate.name(pot.get("name"), f"{where}: potential.name")
        checks.one_of(pot.get("mode"), ("native", "bridge"), f"{where}: potential.mode")
        for key, rec in checks.table(pot.get("files", {}), f"{where}: potential.files").items():
            checks.table(rec, f"{where}: potential.files.{key}")
            if not isinstance(rec.get("sha256"), str) or not SHA_RE.fullmatch(rec["sha256"]):
                raise UserError(f"{where}: potential.files.{key}.sha256 is not 64 hex digits")
    params = data.get("params")
    if params is not None:
        checks.table(params, f"{where}: params")
        for key, v in params.items():
            if isinstance(v, (dict, list)):
                raise UserError(f"{where}: params.{key} must be a single value")
        if "thermo_every" in params:
            checks.count(params["thermo_every"], f"{where}: params.thermo_every", 1)
    if RECORDS in data:
        for name, digest in checks.table(data[RECORDS], f"{where}: {RECORDS}").items():
            checks.plain_file(name, f"{where}: {RECORDS} file")
            if not isinstance(digest, str) or not SHA_RE.fullmatch(digest):
                raise UserError(f"{where}: {RECORDS}.{name} is not a sha256 (64 hex digits)")
    if PLUGINS in data:
        checks.str_list(data[PLUGINS], f"{where}: {PLUGINS}")
    if "slurm" in data:
        for stage, jobs in checks.table(data["slurm"], f"{where}: slurm").items():
            checks.str_list(jobs, f"{where}: slurm.{stage}")
    return data
