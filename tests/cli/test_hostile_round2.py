"""Hostile cases and faults, round 2 (issue 24), by class.

Class 1, injected commands from a shared run folder. The attacker edits a rendered deck and re-records its
sha256 in run.json (as in ``test_hostile``). Every payload would create a ``MARKER`` file if it ran; each is
refused by ``lammpskit run`` and by ``run --verify-only`` (which the native job line runs before ``lmp -in``)
with one ``error:`` line, and no ``MARKER`` appears. Payloads that ran before this round are proved live:
the same text in a copy of the folder, given straight to the wheel's ``lmp -in`` (no kit), makes ``MARKER``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import test_hostile as hostile
from tests.cli.test_hostile import MARKER, _man, _nothing_ran, _set_man, refused

# the fixtures of the first round: a registry with 'lj-a', the in-process CLI, a rendered LJ run folder
reg, kit, rendered, run_dir = hostile.reg, hostile.kit, hostile.rendered, hostile.run_dir

pytestmark = pytest.mark.fast

WHEEL_LMP = Path(sys.executable).with_name("lmp")
ANCHOR = "include         potential.lmp\n"  # the payload goes right after the potential: atoms and styles exist


def _inject(d: Path, payload: str, rerecord: bool = True) -> None:
    """Insert ``payload`` into the deck after the potential and (as an attacker would) re-record its sha256."""
    from lammpskit.potentials.registry import sha256

    deck = d / "in.quench.lmp"
    text = deck.read_text()
    assert ANCHOR in text
    deck.write_text(text.replace(ANCHOR, ANCHOR + payload, 1))
    if rerecord:
        man = _man(d)
        man["rendered"]["in.quench.lmp"] = sha256(deck)
        _set_man(d, man)


def _lmp(d: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "LD_LIBRARY_PATH": str(Path(sys.executable).parent.parent / "lib"), "OMP_NUM_THREADS": "1"}
    return subprocess.run([str(WHEEL_LMP), "-in", "in.quench.lmp", "-screen", "none"], cwd=d, env=env,
                          capture_output=True, text=True, timeout=timeout)


# (id, payload ({outside}: a path outside the run folder), needle of the error, live: ran natively before)
INJECTIONS = [
    ("dump-gz-backtick", 'dump lk_x all atom 1 "d`touch MARKER`.gz"\n', "compressed", True),
    ("write-dump-bz2", 'write_dump all atom "w`touch MARKER`.bz2"\n', "compressed", True),
    ("write-dump-xz", 'write_dump all atom "w`touch MARKER`.xz"\n', "compressed", True),
    ("dump-zst", 'dump lk_x all atom 1 "d`touch MARKER`.zst"\n', "compressed", True),
    ("write-dump-lz4", 'write_dump all atom "w`touch MARKER`.lz4"\n', "compressed", True),
    ("dump-gz-dollar", 'dump lk_x all atom 1 "d$(touch MARKER).gz"\n', "compressed", True),
    ("dump-gz-suffix-from-variable", "variable z string gz\ndump lk_x all atom 1 d.${z}\n", "compressed", False),
    ("read-data-gz", 'read_data "r`touch MARKER`.gz" add append\n', "compressed", False),
    ("write-then-include", 'variable a string she\nprint "${a}ll touch MARKER" file sneaky.lmp screen no\n'
     "include sneaky.lmp\n", "shell", True),
    ("write-then-include-plain", 'print "run 0" file sneaky.lmp screen no\ninclude sneaky.lmp\n',
     "not a file rendered and recorded", False),
    ("overwrite-a-recorded-stage", 'print "run 0" file stage.5-production.lmp screen no\n', "writes over", False),
    ("dump-over-a-stage-by-wildcard", "dump lk_x all atom 1 stage.*-production.lmp\n", "writes over", False),
    ("log-over-run-json", "log run.json\n", "writes over run.json", False),
    ("continuation-splits-command-word", "she&\nll touch MARKER\n", "shell", True),
    ("continuation-splits-style", "fix lk_x all pyt&\nhon/invoke 1 end_of_step f\n", "python", False),
    ("writer-target-variable-outside", 'variable f string {outside}\nprint "x" file ${f} screen no\n', "outside", True),
    ("writer-target-index-outside", 'variable f index ok.txt {outside}\nprint "x" file ${f} screen no\n', "outside",
     False),
    ("writer-target-getenv", 'variable h getenv HOME\nprint "x" file ${h}/MARKER screen no\n', "run time", False),
    ("writer-target-undefined", 'print "x" file ${nope}/MARKER screen no\n', "does not define", False),
    ("writer-target-backtick", 'print "x" file "p`touch MARKER`" screen no\n', "plain set", False),
    ("fix-ave-time-outside", "fix lk_x all ave/time 1 1 1 c_thermo_temp file {outside}\n", "outside", False),
    ("style-from-variables", "variable s string pyth\nfix lk_x all ${s}on/invoke 1 end_of_step f\n", "python", False),
    ("partition-command-from-variables", "variable s string sh\npartition yes 1 ${s}ell touch MARKER\n",
     "built from a variable",
     False),
    ("if-then-include-written", 'print "run 0" file sneaky.lmp screen no\nif "1 > 0" then "include sneaky.lmp"\n',
     "not a file rendered and recorded", False),
    ("run-every-log-over-run-json", 'run 0 every 1 "log run.json"\n', "writes over run.json", False),
    ("partition-dump-gz", 'partition yes 1 write_dump all atom "w`touch MARKER`.gz"\n', "compressed", False),
    ("nul-byte", 'print "x"\x00\nshell touch MARKER\n', "control character", False),
    ("jump-self-loop", "label lk_l\njump SELF lk_l\n", "jump", False),
    ("string-variable-with-spaces", 'variable s string "a b"\n', "one-word", False),
]


@pytest.mark.parametrize("case,payload,needle,live", INJECTIONS, ids=[c[0] for c in INJECTIONS])
def test_class1_injected_command_is_refused(kit, run_dir, tmp_path, case, payload, needle, live):
    _inject(run_dir, _outside(payload, tmp_path))
    refused(kit("run", run_dir, "--verify-only"), needle, "--trust-deck")
    refused(kit("run", run_dir), needle, "--trust-deck")
    _nothing_ran(run_dir)
    assert not list(tmp_path.rglob(f"{MARKER}*"))


LIVE = [c for c in INJECTIONS if c[3]]
# one per variant of the issue for the native job line (each costs a kit and an lmp start)
JOB_LINE = [c for c in LIVE if c[0] in ("dump-gz-backtick", "write-then-include", "continuation-splits-command-word",
                                        "writer-target-variable-outside")]


def _outside(payload: str, where: Path) -> str:
    return payload.replace("{outside}", str(where / "MARKER_outside"))


def test_class1_payloads_are_live_in_plain_lmp(rendered, tmp_path):
    """The control: without the kit, ``lmp -in`` runs every payload that the refusals above stop (so they are
    not vacuous). One deck holds them all, each with its own marker name, then ``run 0``."""
    d = tmp_path / "run"
    shutil.copytree(rendered, d)
    payload = "".join(_outside(p, tmp_path).replace("MARKER", f"MARKER{i}").replace("lk_x", f"lk_x{i}")
                      for i, (_c, p, _n, _l) in enumerate(LIVE))
    _inject(d, payload + "run 0\nquit\n", rerecord=False)
    _lmp(d)
    made = {p.name for p in tmp_path.rglob("MARKER*")}
    missing = [c for i, (c, *_r) in enumerate(LIVE) if not any(m.startswith(f"MARKER{i}") for m in made)]
    assert not missing, f"these payloads did not run in plain lmp: {missing}"


@pytest.mark.parametrize("case,payload,needle,live", JOB_LINE, ids=[c[0] for c in JOB_LINE])
def test_class1_native_job_line_never_starts_lmp(run_dir, tmp_path, case, payload, needle, live):
    """The native SLURM job's own command line (without srun): the kit's check fails, so lmp never runs."""
    from lammpskit.study import slurm

    _inject(run_dir, _outside(payload, tmp_path))
    line = slurm.stage_command("quench", slurm.Site(lmp=str(WHEEL_LMP)), True, {}).replace("srun ", "")
    env = {**os.environ, "CASE": str(run_dir), "LD_LIBRARY_PATH": str(Path(sys.executable).parent.parent / "lib")}
    r = subprocess.run(["bash", "-c", line], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert [x for x in r.stderr.splitlines() if x.startswith("error:")] and "Traceback" not in r.stderr
    assert not (run_dir / "log.lammps").exists() and not list(tmp_path.rglob(f"{MARKER}*"))


def test_class1_comment_continued_by_ampersand_runs_nothing_anywhere(kit, run_dir, rendered, tmp_path):
    """``# note &`` swallows the next line in LAMMPS's reader; the engine once sent it on its own and ran it.
    Now the scan, the engine and ``lmp -in`` all read one comment: the run finishes and nothing is injected."""
    from lammpskit.lammps import deck
    from lammpskit.run import integrity

    payload = "# a note &\nshell touch MARKER\n"
    _inject(run_dir, payload)
    lines = [line for _no, line in deck.logical_lines((run_dir / "in.quench.lmp").read_text())]
    assert not any("MARKER" in line for line in lines)
    assert integrity.scan(run_dir, "in.quench.lmp") is None
    r = kit("run", run_dir, "--threads", "1", "--json")
    assert r.returncode == 0, r.stderr
    assert _man(run_dir)["state"] == "done" and not list(tmp_path.rglob(f"{MARKER}*"))
    native = tmp_path.parent / f"{tmp_path.name}-native"
    shutil.copytree(rendered, native)
    _inject(native, payload + "run 0\nquit\n", rerecord=False)
    _lmp(native)
    assert (native / "log.lammps").exists() and not list(native.rglob(f"{MARKER}*"))


def test_class1_one_splitter_matches_lammps_reader(tmp_path):
    """Each logical line the splitter makes is one LAMMPS ``print`` (continuations, comments, triple quotes,
    CRLF): LAMMPS prints exactly the messages the splitter predicts, in order."""
    from lammpskit.lammps import deck

    text = ('pri&\nnt "one"\n# comment &\nprint "hidden"\nprint "two" &   \n  screen yes\n'
            'print """three\nlines"""\nprint "four"\r\nprint "five # not a comment" # a comment\n'
            "print 'six' &\n&\n\n")
    (tmp_path / "in.t").write_text(text)
    env = {**os.environ, "LD_LIBRARY_PATH": str(Path(sys.executable).parent.parent / "lib")}
    r = subprocess.run([str(WHEEL_LMP), "-in", "in.t", "-log", "none", "-echo", "none"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=60)
    said = [x for x in r.stdout.splitlines() if x and not x.startswith(("LAMMPS", "OMP", "  using", "Total wall",
                                                                          "WARNING", "  ", "Loaded "))]
    expected = []
    for _no, line in deck.logical_lines(text):
        w = deck.words(line)
        assert w[0] == "print"
        expected.extend(w[1].split("\n"))
    assert said == expected, (said, expected)
