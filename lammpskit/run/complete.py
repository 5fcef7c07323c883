"""Whether a run directory's outputs are the ones its run.json describes: atom counts, dump frames, steps.

``finished`` is checked before a run LAMMPS finished outside the kit is recorded (``run --record-only``);
``resumable`` before the engine resumes from a restart file. Both compare what is on disk with what the
rendered files say: the atoms of ``data.lmp`` (sha256-recorded at render), the stages' step ranges and
their dumps' frames (one every ``dump_every`` steps, ``msd_every`` for the unwrapped dump).
"""

from __future__ import annotations

import re
from pathlib import Path

from lammpskit._util import layout, reading
from lammpskit.errors import UserError
from lammpskit.lammps import dumps

UNWRAPPED = layout.UNWRAPPED_DUMP
_ATOMS_RE = re.compile(rb"^\s*(\d+)\s+atoms\s*$")
_LOOP_RE = re.compile(r"^Loop time of \S+ on \d+ procs for (\d+) steps with (\d+) atoms")


def data_atoms(path: Path) -> int | None:
    """The atom count in a LAMMPS data file's header; None when it has none (empty or not a data file)."""
    if not Path(path).exists():
        return None
    with reading.open_regular(path, "data file") as fh:
        for i, line in enumerate(fh):
            if m := _ATOMS_RE.match(line):
                return int(m.group(1))
            if i > 100 or line.startswith((b"Atoms", b"Masses")):
                return None
    return None


def expected_frames(begin: int, end: int, every: int, before: int | None = None) -> list[int]:
    """Timesteps a dump written every ``every`` steps over ``begin``..``end`` holds (only those < ``before``)."""
    last = end if before is None else min(end, before - 1)
    first = -(-begin // every) * every
    return list(range(first, last + 1, every)) if every > 0 else []


def _dumps(man) -> list[tuple[str, int, int, int]]:
    """(file, begin, end, every) of each dump the deck writes."""
    out = []
    for s in man.stages:
        if s.dump and man.params.dump_every:
            out.append((s.dump, s.begin, s.end, int(man.params.dump_every)))
            if man.params.msd_every:
                out.append((UNWRAPPED, s.begin, s.end, int(man.params.msd_every)))
    return out


def _check_dumps(run_dir: Path, man, natoms: int | None, before: int | None) -> None:
    for name, begin, end, every in _dumps(man):
        want = expected_frames(begin, end, every, before)
        if before is not None and before <= begin:
            continue
        path = run_dir / name
        if not path.is_file():
            raise UserError(f"{path} is missing; the run writes {len(want)} frames there")
        frames = dumps.frames(path)
        got = [step for step, _n in frames if before is None or step < before]
        if got != want:
            raise UserError(f"{path} holds {len(got)} frames (steps {_span(got)}) where this run writes {len(want)} "
                            f"(steps {_span(want)}): it was cut short or is another run's")
        wrong = next((n for _s, n in frames if natoms is not None and n != natoms), None)
        if wrong is not None:
            raise UserError(f"{path} holds frames of {wrong} atoms; this run has {natoms} (data.lmp): another run's dump")


def _span(steps: list[int]) -> str:
    return f"{steps[0]}..{steps[-1]}" if steps else "none"


def finished(run_dir: Path, man, log_rows: list[dict]) -> None:
    """Refuse to record a run whose log, dumps or final structure are not this finished run's."""
    run_dir = Path(run_dir)
    natoms = data_atoms(run_dir / layout.START_DATA)
    loops = _log_loops(run_dir / layout.LOG)
    if natoms is not None and any(n != natoms for _steps, n in loops):
        other = next(n for _steps, n in loops if n != natoms)
        raise UserError(f"{run_dir}/log.lammps is a run of {other} atoms; this run has {natoms} (data.lmp): "
                        "it is another run's log")
    if log_rows and man.total_steps and int(log_rows[-1]["Step"]) != man.total_steps:
        raise UserError(f"{run_dir}/log.lammps ends at step {int(log_rows[-1]['Step'])}; this run ends at step "
                        f"{man.total_steps}: it is another run's log")
    if (missing := _not_echoed(run_dir, man)) is not None:
        name, line = missing
        raise UserError(f"{run_dir}/log.lammps never ran {name}'s command {line!r}: it is another run's log "
                        "(another seed, potential or protocol)")
    _check_dumps(run_dir, man, natoms, None)
    glass = run_dir / layout.GLASS_DATA
    if man.protocol == "quench":
        got = data_atoms(glass)
        if got is None or (natoms is not None and got != natoms):
            raise UserError(f"{glass} holds {'no atoms' if got is None else f'{got} atoms'}; this run has {natoms} "
                            "(data.lmp): the final structure was not written by this run")


def resumable(run_dir: Path, man, step: int) -> None:
    """Refuse to resume from ``step`` when the dumps before it are cut short or another run's."""
    _check_dumps(Path(run_dir), man, data_atoms(Path(run_dir) / layout.START_DATA), step)


def restart_problem(run_dir: Path, man, path: Path, step: int, natoms: int) -> str | None:
    """Why a readable restart file (``step`` and ``natoms`` as LAMMPS read them) is not this run's; None if it is."""
    want = data_atoms(Path(run_dir) / layout.START_DATA)
    named = int(path.name.split(".")[1])
    if want is not None and natoms != want:
        return f"{path} holds {natoms} atoms; this run has {want} (data.lmp): it is another run's restart"
    if step != named:
        return f"{path} is named for step {named} but holds step {step}: it is another run's restart"
    if man.total_steps is not None and step > man.total_steps:
        return f"{path} is at step {step}, past this run's last step {man.total_steps}: it is another run's restart"
    return None


def _not_echoed(run_dir: Path, man) -> tuple[str, str] | None:
    """The first command of the rendered files (deck, stages, potential) that LAMMPS's log does not echo, as
    (file, command); None when the log ran them all (LAMMPS echoes every command it reads into its log).
    ``include``, ``jump``, ``read_data`` and ``run ... upto`` are left out: the engine handles those itself
    (a resumed run reads a restart; chunks are issued as shorter runs)."""
    from lammpskit.lammps import deck

    needed: dict[str, str] = {}
    for name in man.rendered:
        if name != layout.START_DATA and (run_dir / name).is_file():
            for _no, line in deck.logical_lines(deck.read(run_dir / name)):
                w = line.split()
                if w[0] not in ("include", "jump", "read_data") and not (w[0] == "run" and "upto" in w):
                    needed.setdefault(" ".join(w), name)
    with reading.open_regular(run_dir / layout.LOG, "LAMMPS log") as fh:
        for raw in fh:
            needed.pop(" ".join(deck.strip_comment(raw.decode(errors="replace")).split()), None)
            if not needed:
                return None
    return next(((name, line) for line, name in needed.items()), None)


def _log_loops(log: Path) -> list[tuple[int, int]]:
    """(steps, atoms) of every ``Loop time`` line of a LAMMPS log."""
    out = []
    with reading.open_regular(log, "LAMMPS log") as fh:
        for raw in fh:
            if m := _LOOP_RE.match(raw.decode(errors="replace")):
                out.append((int(m.group(1)), int(m.group(2))))
    return out
