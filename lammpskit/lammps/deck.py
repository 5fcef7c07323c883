"""The LAMMPS input language read lexically: comments, ``&`` continuations, words, and the commands
that would run other programs or foreign code (used to check registry entries and rendered decks)."""

from __future__ import annotations

import re
from pathlib import Path

# command words (or style words) that run programs, Python code or foreign libraries
FORBIDDEN = {"shell", "python", "plugin", "mdi", "kim", "kim_init", "kim_query", "kim_interactions",
             "kim_param", "kim_property", "movie"}
# commands that write files: only inside the run directory (a ~/.bashrc or a cron file would run later)
WRITERS = {"log", "print", "write_data", "write_restart", "write_dump", "write_coeff", "restart", "dump", "fix"}
COMMAND_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_/]*$")
# commands whose arguments are other commands
_NESTED = {"if", "run"}



def strip_comment(line: str) -> str:
    """Drop a ``#`` comment as LAMMPS does: not inside single, double or triple quotes."""
    quote = None
    i = 0
    while i < len(line):
        if quote is None and line.startswith('"""', i):
            quote, i = '"""', i + 3
            continue
        if quote == '"""' and line.startswith('"""', i):
            quote, i = None, i + 3
            continue
        c = line[i]
        if quote is None and c in "'\"":
            quote = c
        elif quote == c:
            quote = None
        elif quote is None and c == "#":
            return line[:i]
        i += 1
    return line


def logical_lines(text: str):
    """(line number, line) after LAMMPS's comment stripping and ``&`` continuation joining."""
    buf, start = "", None
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if start is None:
            start = no
        if line.endswith("&"):
            buf += line[:-1] + " "
            continue
        buf += line
        yield start, strip_comment(buf).strip()
        buf, start = "", None
    if buf:
        yield start, strip_comment(buf).strip()


def words(line: str) -> list[str]:
    """Words of a LAMMPS line; quoted strings stay one word (without their quotes)."""
    out = []
    for m in re.finditer(r'"""(.*?)"""|"([^"]*)"|\'([^\']*)\'|(\S+)', line, re.S):
        out.append(next(g for g in m.groups() if g is not None))
    return out


def line_problem(words_: list[str], allowed_plugins: set[str] = frozenset()) -> str | None:
    """Why one LAMMPS command would run a program or foreign code (None: it does not)."""
    if not words_:
        return None
    cmd = words_[0]
    if not COMMAND_RE.fullmatch(cmd):
        return f"the command word {cmd!r} is built from a variable or is not a LAMMPS command"
    if cmd == "plugin":
        if len(words_) == 3 and words_[1] == "load" and words_[2] in allowed_plugins:
            return None
        return f"'{' '.join(words_[:3])}' loads a shared library that is not deepmd-kit's plugin recorded at render"
    subwords = [w for word in words_ for w in re.split(r"[\s]+", word) if w]
    for w in subwords:
        low = w.lower()
        if low in FORBIDDEN or low.startswith("python/"):  # styles python, python/invoke, python/move, ...
            return f"'{cmd}' uses {w!r}, which runs programs or Python code"
    if cmd in _NESTED:  # if ... then "cmd" else "cmd"; run N every M "cmd" ...
        tail = words_[1:]
        if cmd == "if":
            tail = tail[2:] if len(tail) > 1 else []
        elif "every" in tail:
            tail = tail[tail.index("every") + 2:]
        else:
            tail = []
        for sub in tail:
            if sub in ("then", "elif", "else"):
                continue
            if "$" in sub:
                return f"'{cmd}' executes a command built from a variable ({sub!r})"
            problem = line_problem(words(sub), allowed_plugins)
            if problem:
                return problem
    if cmd in WRITERS:
        for w in words_[1:]:
            if w.startswith(("/", "~")) or ".." in Path(w).parts:
                return f"'{cmd}' writes to {w!r}, outside the run directory (a file there could run later)"
    if cmd in ("include", "jump") and len(words_) > 1 and "$" in words_[1]:
        return f"'{cmd}' of a file named by a variable ({words_[1]!r})"
    return None
