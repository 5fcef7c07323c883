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
  a command word built from a variable (``${a}${b} ...``), or variables inside the commands that ``if``,
  ``run ... every`` and ``partition`` execute;
* whose commands write a file outside the run directory, under a name outside the plain set
  (``deck.FILE_NAME_RE``), over a rendered file or run.json, or name a compressed file anywhere (LAMMPS
  opens ``.gz``, ``.bz2``, ``.xz``, ``.zst``, ... through ``popen``, so a quote or backtick in the name reaches
  ``sh``);
* that includes or jumps to a file not recorded in run.json (a deck could write it first, then include it);
* whose ``${variables}`` the scan cannot resolve (getenv, file, python styles; undefined names): every command
  is checked in every form its variables can take (``deck.Variables``);

unless the user says ``lammpskit run DIR --trust-deck`` (their deck, their right). The kit's own decks
hold none of these. The scan is a lexical one over the files on disk, split into commands by
``deck.logical_lines`` exactly as LAMMPS's reader and the engine split them.
"""

from __future__ import annotations

import os
from pathlib import Path

from lammpskit._util import layout
from lammpskit.errors import UserError
from lammpskit.lammps import deck


def _records(run_dir: Path, deck: str, stages: list) -> list[str]:
    names = [deck, layout.POTENTIAL, layout.START_DATA, *[s.file for s in stages]]
    return [n for i, n in enumerate(names) if n not in names[:i] and (Path(run_dir) / n).is_file()]


def record(run_dir: Path):
    """Add sha256 records of the rendered files (and the kit's plugin loads) to ``run_dir/run.json``."""
    from lammpskit.potentials.registry import sha256
    from lammpskit.run import manifest

    run_dir = Path(run_dir)
    man = manifest.load(run_dir)
    man.rendered = {n: sha256(run_dir / n) for n in _records(run_dir, man.deck, man.stages)}
    man.plugins = [str(p) for p in _kit_plugin_loads(run_dir, man.deck)]
    manifest.save(run_dir, man)
    return man


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

PROTECTED = (layout.MANIFEST, layout.RESULT)  # besides the rendered files: what the kit reads back as its own


def _walk(run_dir: Path, name: str, seen: set):
    """(file, line number, words) of a deck and every file it includes or jumps to, inside ``run_dir``, split
    into commands by ``deck.logical_lines`` (the engine's splitter and LAMMPS's own)."""
    if name in seen:
        return
    seen.add(name)
    path = run_dir / name
    try:
        text = deck.read(path, strict=True)
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    except deck.NotText as exc:
        yield name, exc.args[0], ["lk-problem", exc.args[1]]
        return
    for no, line in deck.logical_lines(text):
        w = deck.words(line)
        yield name, no, w
        if w and w[0] in ("include", "jump") and len(w) > 1 and w[1] != "SELF" and "$" not in w[1]:
            target = w[1]
            if Path(target).is_absolute() or ".." in Path(target).parts or not (run_dir / target).is_file():
                yield name, no, ["lk-outside", target]
                continue
            yield from _walk(run_dir, target, seen)


def _command_problem(w: list[str], recorded: set[str], allowed_plugins: set[str]) -> str | None:
    """Why one command (variables substituted) must not run from a checked deck; None when it may."""
    if w[0] in ("include", "jump"):
        if w[0] == "jump" and (len(w) != 2 or w[1] == "SELF"):
            return "'jump' to a label or to SELF (a loop); the kit's decks only include their rendered files"
        if len(w) > 1 and (Path(w[1]).is_absolute() or ".." in Path(w[1]).parts):
            return f"it includes {w[1]!r}, which is not a file inside the run directory"
        if len(w) < 2 or w[1] not in recorded:
            verb = "includes" if w[0] == "include" else "jumps to"
            return (f"it {verb} {w[1] if len(w) > 1 else ''!r}, which is not a file rendered and recorded "
                    "(with its sha256) in run.json")
    problem = deck.line_problem(w, allowed_plugins)
    if problem:
        return problem
    for sub in deck.nested(w):  # if ... then "include x": the same rules inside
        if sub and (problem := _command_problem(sub, recorded, allowed_plugins)):
            return problem
    if w[0] in deck.WRITERS:
        protected = set(recorded) | set(PROTECTED)
        for word in {*deck.written_files(w), *w[1:]}:
            hit = next((p for p in sorted(protected) if word == p or deck.matches(word, p)), None)
            if hit:
                return f"'{w[0]}' writes over {hit}, a file the kit rendered or reads back (it could then be included)"
    return None


def scan(run_dir: Path, deck_name: str, allowed_plugins: set[str] = frozenset(),
         recorded: set[str] | None = None) -> tuple[str, int, str] | None:
    """The first (file, line, why) in the deck or its included files that runs programs, writes where it should
    not, or includes a file not ``recorded`` (default: run.json's sha256 records); None if clean.

    Every command is checked as it stands and in every form its ``${variables}`` can take (``deck.Variables``);
    a reference the scan cannot resolve is a problem of its own."""
    from lammpskit.run import manifest

    run_dir = Path(run_dir)
    if recorded is None:
        recorded = set(manifest.load(run_dir).rendered or {})
    commands = list(_walk(run_dir, deck_name, set()))
    variables = deck.Variables()
    for name, no, w in commands:
        if w and w[0] == "variable" and (problem := variables.add(w)):
            return name, no, problem
    for name, no, w in commands:
        if not w:
            continue
        if w[0] == "lk-problem":
            return name, no, w[1]
        if w[0] == "lk-outside":
            return name, no, f"it includes {w[1]!r}, which is not a file inside the run directory"
        problem = deck.line_problem(w, allowed_plugins)
        if problem:
            return name, no, problem
        forms = variables.lines(w)
        if isinstance(forms, str):
            return name, no, forms
        for form in forms:
            problem = _command_problem(form, recorded, allowed_plugins)
            if problem:
                shown = f" (as {' '.join(form)!r})" if form != w else ""
                return name, no, problem + shown
    return None


def verify(run_dir: Path, man, trust: bool = False) -> None:
    """Refuse a run directory whose rendered files changed or whose deck runs programs (see the module doc)."""
    from lammpskit.potentials import builds
    from lammpskit.potentials.registry import sha256

    if trust:
        return
    run_dir = Path(run_dir)
    records = man.rendered
    if not records:
        raise UserError(f"{run_dir}/run.json has no sha256 records of its rendered files (rendered by an older kit "
                        f"or by hand): render it again, or run it anyway with 'lammpskit run {run_dir} --trust-deck'")
    for name in dict.fromkeys([*_records(run_dir, man.deck, man.stages), *records]):
        if name not in records:
            raise UserError(f"{run_dir}/{name} has no sha256 record in run.json: render again, or run it anyway "
                            f"with 'lammpskit run {run_dir} --trust-deck'")
        path = run_dir / name
        if not path.is_file():
            raise UserError(f"{path} is missing (rendered files: {', '.join(records)}): render again")
        if sha256(path) != records[name]:
            raise UserError(f"{path} changed since it was rendered (sha256 differs from run.json): restore it, "
                            f"render again, or run it anyway with 'lammpskit run {run_dir} --trust-deck'")
    for p in sorted(run_dir.rglob("*")):
        if p.is_symlink():  # LAMMPS would write its log, dumps or restarts through it, anywhere
            raise UserError(f"{p} is a symbolic link (to {os.readlink(p)}); a run directory holds plain files: "
                            f"remove it, or run it anyway with 'lammpskit run {run_dir} --trust-deck'")
    kit = str(builds.plugin_path(builds.DEEPMD_PLUGIN))
    allowed = {p for p in man.plugins if p == kit}
    found = scan(run_dir, man.deck, allowed, set(records))
    if found:
        name, no, why = found
        raise UserError(f"{run_dir}/{name} line {no}: {why}; the kit never writes this. Run it only if you "
                        f"trust the deck: 'lammpskit run {run_dir} --trust-deck'")
