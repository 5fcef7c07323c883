"""The LAMMPS input language read lexically, exactly as LAMMPS's own file reader splits it: ``&``
continuations, triple-quoted strings, comments, words, ``$`` variable references, and the commands that would
run other programs, run foreign code or write files where they could run later (used to check registry
entries and rendered decks).

One splitter (``logical_lines``) serves the deck scan and the engine, so the engine sends LAMMPS exactly the
lines the scan checked, and a plain ``lmp -in`` reads the same lines from the file.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

# command words (or style words) that run programs, Python code or foreign libraries
FORBIDDEN = {"shell", "python", "plugin", "mdi", "kim", "kim_init", "kim_query", "kim_interactions",
             "kim_param", "kim_property", "movie"}
# commands that write files: only inside the run directory (a ~/.bashrc or a cron file would run later)
WRITERS = {"log", "print", "write_data", "write_restart", "write_dump", "write_coeff", "restart", "dump", "fix",
           "info", "balance", "labelmap", "compute"}
COMMAND_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_/]*$")
# a file name LAMMPS may write: relative, plain characters (no shell or LAMMPS syntax), no '..' or hidden parts;
# '*' and '%' are LAMMPS's timestep and per-processor wildcards
FILE_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+*%-]*(/[A-Za-z0-9_][A-Za-z0-9_.+*%-]*)*$")
# suffixes LAMMPS reads or writes through a shell pipe (popen of gzip, bzip2, xz, zstd, lz4, ...)
COMPRESSED = {".gz", ".bz2", ".xz", ".zst", ".zstd", ".lzma", ".lz4", ".lz", ".z", ".tgz", ".tbz2", ".7z", ".zip",
              ".br", ".lzo", ".sz"}
# the value of a string-like variable: one plain word (it may end up in a file name or a style)
VALUE_RE = re.compile(r"^[A-Za-z0-9_.+*%/:=,-]+$")
# variable styles whose ${name} is a number; string-like styles whose values the deck spells out
NUMERIC_STYLES = {"equal", "vector", "atom", "loop", "format", "internal", "timer", "uloop"}
LISTED_STYLES = {"string", "index", "world", "universe"}
# keywords whose next word is a file written (print/fix print/fix ave/*: file, append; info/balance: out)
_FILE_KEYWORDS = {"file", "append", "out", "outfile", "output", "fileper"}
_WS = " \t\n\v\f\r"  # C isspace: LAMMPS's whitespace
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_COMBINATIONS = 256  # variable values tried per line


class NotText(ValueError):
    """A deck file that is not plain text: ``args`` = (line number, why)."""


def read(path: Path, strict: bool = False) -> str:
    """The text of a deck file; ``strict`` (the scan): raise ``NotText`` for what is not plain UTF-8 text (NUL
    and other control characters: LAMMPS's C reader stops a line at a NUL where Python would not)."""
    from lammpskit._util import reading

    data = reading.read_bytes(path, "deck file")
    if not strict:
        return data.decode("utf-8", errors="replace")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotText(data.count(b"\n", 0, exc.start) + 1, "it is not UTF-8 text") from None
    if m := _CONTROL_RE.search(text):
        raise NotText(text.count("\n", 0, m.start()) + 1, f"it holds the control character {m.group()!r}")
    return text


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
    """(first line number, command) as LAMMPS's file reader makes them (``Input::file``): lines end at ``\\n``
    only; a line whose last printable character is ``&`` (also inside a comment) goes on with the next line,
    the ``&`` and what follows it replaced by that line, without a space; an odd number of triple quotes
    goes on too, keeping the newline; then the ``#`` comment is stripped. Empty commands are skipped."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    buf, start = "", None
    for no, raw in enumerate(lines, 1):
        if start is None:
            start = no
        buf += raw
        printable = buf.rstrip(_WS)
        if printable.endswith("&"):
            buf = printable[:-1]
            continue
        if buf.count('"""') % 2:
            buf = (buf + "\n")[:len(printable) + 1]  # LAMMPS keeps one character after the last printable one
            continue
        line = strip_comment(printable).strip(_WS)
        if line:
            yield start, line
        buf, start = "", None
    if buf.strip(_WS):
        line = strip_comment(buf).strip(_WS)
        if line:
            yield start, line


def words(line: str) -> list[str]:
    """Words of a LAMMPS line; quoted strings stay one word (without their quotes)."""
    out = []
    for m in re.finditer(r'"""(.*?)"""|"([^"]*)"|\'([^\']*)\'|([^ \t\n\v\f\r]+)', line, re.S):
        out.append(next(g for g in m.groups() if g is not None))
    return out


# -- variables -------------------------------------------------------------------------------------------------

def references(word: str) -> list[tuple[int, int, str | None]]:
    """``$`` references in a word: (start, end, name); name None for an immediate ``$(expression)`` and ''
    for a ``$`` LAMMPS cannot read."""
    out, i = [], 0
    while (i := word.find("$", i)) >= 0:
        nxt = word[i + 1:i + 2]
        if nxt == "{":
            j = word.find("}", i)
            if j < 0:
                out.append((i, len(word), ""))
                break
            out.append((i, j + 1, word[i + 2:j]))
            i = j + 1
        elif nxt == "(":
            depth, j = 0, i + 1
            while j < len(word):
                depth += {"(": 1, ")": -1}.get(word[j], 0)
                if depth == 0:
                    break
                j += 1
            out.append((i, j + 1, None))
            i = j + 1
        elif nxt and (nxt.isalnum() or nxt == "_"):
            out.append((i, i + 2, nxt))
            i += 2
        else:
            out.append((i, i + 1, ""))
            i += 1
    return out


class Variables:
    """What ``${name}`` can stand for, from every ``variable`` command of a deck and the files it includes:
    a listed style (string, index, world, universe) stands for each of its values, a numeric style for a
    number; a style whose value the scan cannot know (getenv, file, atomfile, python) is a problem."""

    def __init__(self):
        self.values: dict[str, set[str]] = {}
        self.problems: dict[str, str] = {}

    def add(self, ws: list[str]) -> str | None:
        """Record one ``variable`` command; the problem with it, or None."""
        if len(ws) < 3 or ws[0] != "variable":
            return None
        name, style, vals = ws[1], ws[2], ws[3:]
        if style == "delete":
            return None
        if style in NUMERIC_STYLES:
            self.values.setdefault(name, set()).add("0")
            return None
        if style in LISTED_STYLES:
            for v in vals:
                if not VALUE_RE.fullmatch(v):
                    return (f"the {style} variable {name!r} holds {v!r}; a deck the kit checks spells out plain "
                            f"one-word values (letters, digits, ._+*%/:=,-)")
            self.values.setdefault(name, set()).update(vals)
            return None
        return f"the variable {name!r} takes its value at run time ({style}), which the scan cannot check"

    def expand(self, word: str) -> list[str] | str:
        """Every value ``word`` can take with its references substituted (a number for numeric ones); a
        problem (str) when a reference is unknown or there are too many."""
        refs = references(word)
        if not refs:
            return [word]
        choices = []
        for start, end, name in refs:
            if name is None:
                choices.append(["0"])
            elif name == "" or name not in self.values:
                return f"{word!r} refers to {word[start:end]!r}, a variable the deck does not define"
            else:
                choices.append(sorted(self.values[name]))
        out = []
        for combo in itertools.product(*choices):
            if len(out) >= MAX_COMBINATIONS:
                return f"{word!r} can take more than {MAX_COMBINATIONS} values; the scan cannot check them all"
            text, last = "", 0
            for (start, end, _), val in zip(refs, combo):
                text, last = text + word[last:start] + val, end
            out.append(text + word[last:])
        return out

    def lines(self, ws: list[str]) -> list[list[str]] | str:
        """Every form the words of one command can take; a problem (str) when the scan cannot know them."""
        options = []
        for w in ws:
            got = self.expand(w)
            if isinstance(got, str):
                return got
            options.append(got)
        out = []
        for combo in itertools.product(*options):
            if len(out) >= MAX_COMBINATIONS:
                return f"'{ws[0]}' can take more than {MAX_COMBINATIONS} forms; the scan cannot check them all"
            out.append(list(combo))
        return out


# -- files written ------------------------------------------------------------------------------------------------

def written_files(ws: list[str]) -> list[str]:
    """The words of one command that name files LAMMPS writes."""
    if not ws:
        return []
    cmd, n = ws[0], len(ws)
    if cmd in ("log", "write_data", "write_restart", "write_coeff"):
        return ws[1:2]
    if cmd == "write_dump":
        return ws[3:4]
    if cmd == "dump":
        return ws[5:6]
    if cmd == "restart":
        return [w for w in ws[2:4] if w not in ("fileper", "nfile")] if n > 2 and ws[1] != "0" else []
    if cmd == "labelmap" and n > 2 and ws[1] == "write":
        return ws[2:3]
    if cmd == "variable":
        return []
    skip = {1} if cmd == "print" else ({5} if cmd == "fix" and n > 3 and ws[3] == "print" else set())
    out = []
    for i in range(1, n - 1):
        if i not in skip and ws[i] in _FILE_KEYWORDS:
            j = i + 1
            if ws[i] == "out" and ws[j] in ("append", "overwrite") and j + 1 < n:
                j += 1
            if ws[i] == "fileper" or ws[j] in ("screen", "log", "yes", "no"):
                continue
            out.append(ws[j])
    return out


def file_name_problem(name: str) -> str | None:
    """Why LAMMPS must not write (or read) a file of this name; None when it is a plain relative name."""
    if name.startswith(("/", "~")) or ".." in Path(name).parts:
        return "outside the run directory (a file there could run later)"
    if compressed(name):
        return f"a compressed file ({compressed(name)}), which LAMMPS writes and reads through a shell pipe"
    if not FILE_NAME_RE.fullmatch(name):
        return "a file name with characters outside the plain set (letters, digits, ._+*%-/)"
    return None


def compressed(word: str) -> str | None:
    """The compressed-file suffix of a word (e.g. ``.gz``), None when it has none."""
    for suffix in Path(word.rstrip("/")).suffixes if word else []:
        if suffix.lower() in COMPRESSED:
            return suffix
    return None


def matches(pattern: str, name: str) -> bool:
    """Whether a written file name (``*``: a timestep, ``%``: a processor or ``base``) can be ``name``."""
    rx = "".join(r"\d+" if c == "*" else r"(\d+|base)" if c == "%" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, name) is not None


def nested(words_: list[str]) -> list[list[str]]:
    """The commands one command executes: ``if ... then "cmd" elif ... else "cmd"``, ``run N every M "cmd"``,
    ``partition yes|no N cmd ...``."""
    cmd, tail = words_[0], words_[1:]
    if cmd == "partition":
        return [tail[2:]] if len(tail) > 2 else []
    if cmd == "if":
        tail = tail[2:] if len(tail) > 1 else []
    elif cmd == "run" and "every" in tail:
        tail = tail[tail.index("every") + 2:]
    else:
        return []
    out, skip = [], False
    for sub in tail:
        if not skip and sub not in ("then", "elif", "else", "NULL"):
            out.append(words(sub))
        skip = sub == "elif"  # the word after elif is a condition
    return out


# -- one command -----------------------------------------------------------------------------------------------------

def line_problem(words_: list[str], allowed_plugins: set[str] = frozenset()) -> str | None:
    """Why one LAMMPS command would run a program or foreign code, or write a file where it could run later or
    through a shell pipe (None: it does not). Words are taken as they stand (no variable substitution)."""
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
    for sub in nested(words_):
        if sub and "$" in sub[0]:
            return f"'{cmd}' executes a command built from a variable ({' '.join(sub)!r})"
        problem = line_problem(sub, allowed_plugins)
        if problem:
            return problem
    if cmd in WRITERS:
        for w in words_[1:]:
            if w.startswith(("/", "~")) or ".." in Path(w).parts:
                return f"'{cmd}' writes to {w!r}, outside the run directory (a file there could run later)"
        for w in written_files(words_):
            if "$" not in w and (why := file_name_problem(w)):
                return f"'{cmd}' writes to {w!r}: {why}"
    for w in words_[1:]:
        if cmd != "print" and (suffix := compressed(w)):
            return f"'{cmd}' names {w!r}, a compressed file ({suffix}) that LAMMPS opens through a shell pipe"
    if cmd in ("include", "jump") and len(words_) > 1 and "$" in words_[1]:
        return f"'{cmd}' of a file named by a variable ({words_[1]!r})"
    return None
