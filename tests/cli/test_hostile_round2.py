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
from tests.conftest import potentials_path

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


# =====================================================================================================
# 3. runs that look finished and are not: record-only and resume check dumps, atoms and steps
# =====================================================================================================

def _ran(rendered_dir: Path, out: Path, reg: Path) -> Path:
    from lammpskit import workflows

    if rendered_dir != out:
        shutil.copytree(rendered_dir, out)
    with potentials_path(reg):
        workflows.run(out, threads=1)
    return out


@pytest.fixture(scope="module")
def finished(rendered, reg, tmp_path_factory):
    """The rendered LJ run (26 atoms, 300 steps), run to the end by the engine."""
    return _ran(rendered, tmp_path_factory.mktemp("finished") / "run", reg)


@pytest.fixture(scope="module")
def other(reg, tmp_path_factory):
    """Another finished run: 39 atoms (3 formula units), same protocol."""
    from lammpskit.potentials import registry as potentials
    from lammpskit.structure import composition
    from lammpskit.workflows import protocol, quench
    from tests.conftest import FAST

    with potentials_path(reg):
        params = protocol.profile("smoke").with_overrides([s for s in FAST if s != "--set"])
        comp = composition.make(x=0, fu=3)
        out = tmp_path_factory.mktemp("other") / "rendered"
        quench.render(out, comp, potentials.get("lj-a"), params, "smoke", 1, comp.density_estimate())
    return _ran(out, out.parent / "run", reg)


def _as_native(finished: Path, tmp_path: Path) -> Path:
    """A copy of a finished run as lmp would leave it: no result.json, run.json not done."""
    d = tmp_path / "native"
    shutil.copytree(finished, d)
    (d / "result.json").unlink()
    man = _man(d)
    man["state"] = "rendered"
    _set_man(d, man)
    return d


def _not_recorded(d: Path):
    assert not (d / "result.json").exists() and _man(d)["state"] != "done"


def test_class3_record_only_records_a_whole_run(kit, finished, tmp_path):
    d = _as_native(finished, tmp_path)
    r = kit("run", d, "--record-only", "--json")
    assert r.returncode == 0, r.stderr
    assert _man(d)["state"] == "done" and (d / "result.json").is_file()


def test_class3_record_only_refuses_a_cut_dump(kit, finished, tmp_path):
    from lammpskit.lammps import dumps

    d = _as_native(finished, tmp_path)
    dump = d / "dump.production.lammpstrj"
    n = len(dumps.timesteps(dump))
    dumps.truncate(dump, 205)  # keep the first frame (step 200) of 21
    refused(kit("run", d, "--record-only"), "dump.production.lammpstrj holds 1 frames", f"writes {n}")
    _not_recorded(d)


def test_class3_record_only_refuses_another_runs_log_and_an_empty_glass(kit, rendered, other, tmp_path):
    d = tmp_path / "never-run"
    shutil.copytree(rendered, d)
    shutil.copy(other / "log.lammps", d / "log.lammps")
    (d / "glass.data").write_text("")
    refused(kit("run", d, "--record-only"), "log.lammps is a run of 39 atoms", "26")
    _not_recorded(d)
    for name in ("dump.production.lammpstrj", "dump.unwrapped.lammpstrj", "glass.data"):  # all its outputs
        shutil.copy(other / name, d / name)
    refused(kit("run", d, "--record-only"), "39 atoms", "another run's")
    _not_recorded(d)


def test_class3_record_only_refuses_an_empty_glass(kit, finished, tmp_path):
    d = _as_native(finished, tmp_path)
    (d / "glass.data").write_text("")
    refused(kit("run", d, "--record-only"), "glass.data holds no atoms")
    _not_recorded(d)


def _stopped(finished: Path, tmp_path: Path) -> Path:
    """A copy of a finished run as a kill at step 290 leaves it: restart/step.290.bin newest, run.json stopped."""
    d = _as_native(finished, tmp_path)
    (d / "restart" / "step.300.bin").unlink()
    man = _man(d)
    man["state"] = "stopped"
    _set_man(d, man)
    return d


def test_class3_resume_refuses_another_runs_restart(kit, finished, other, tmp_path):
    d = _stopped(finished, tmp_path)
    shutil.copy(other / "restart" / "step.300.bin", d / "restart" / "step.290.bin")
    refused(kit("run", d, "--threads", "1"), "step.290.bin holds 39 atoms", "26")
    _not_recorded(d)


def test_class3_resume_refuses_a_restart_named_for_another_step(kit, finished, tmp_path):
    d = _stopped(finished, tmp_path)
    shutil.copy(finished / "restart" / "step.300.bin", d / "restart" / "step.290.bin")
    refused(kit("run", d, "--threads", "1"), "named for step 290 but holds step 300")
    _not_recorded(d)


def test_class3_resume_refuses_a_restart_past_the_last_step(kit, finished, tmp_path):
    d = _stopped(finished, tmp_path)
    man = _man(d)
    man["total_steps"] = 250  # the restart at step 290 cannot be this run's
    _set_man(d, man)
    refused(kit("run", d, "--threads", "1", "--trust-deck"), "past this run's last step 250")
    _not_recorded(d)


def test_class3_resume_refuses_a_dump_cut_before_the_restart(kit, finished, tmp_path):
    from lammpskit.lammps import dumps

    d = _stopped(finished, tmp_path)
    dumps.truncate(d / "dump.production.lammpstrj", 205)
    refused(kit("run", d, "--threads", "1"), "dump.production.lammpstrj holds 1 frames", "cut short")
    _not_recorded(d)


def test_class3_resume_of_a_whole_stopped_run_finishes(kit, finished, tmp_path):
    d = _stopped(finished, tmp_path)
    r = kit("run", d, "--threads", "1", "--json")
    assert r.returncode == 0, r.stderr
    assert _man(d)["state"] == "done" and _man(d)["resumed_from"] == 290


@pytest.fixture
def small_disk(tmp_path):
    """A 200 kB tmpfs (root only: skipped where mounting is not allowed)."""
    where = tmp_path / "small"
    where.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(where)],
                                           capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_class3_full_disk_leaves_the_run_failed_and_it_resumes_elsewhere(kit, small_disk, tmp_path):
    from tests.conftest import FAST

    r = kit("render", "--pot", "lj-a", "--x", "0", "--fu", "2", "--profile", "smoke", "--out", small_disk / "r",
            *FAST, "--set", "dump_every=1", "--set", "msd_every=1")
    assert r.returncode == 0, r.stderr
    r = kit("run", small_disk / "r", "--threads", "1")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    errors = [x for x in r.stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1 and "No space left on device" in errors[0], r.stderr
    assert _man(small_disk / "r")["state"] == "failed" and not (small_disk / "r" / "result.json").exists()
    bigger = tmp_path / "bigger"
    shutil.copytree(small_disk / "r", bigger)
    r = kit("run", bigger, "--threads", "1", "--json")
    assert r.returncode == 0, r.stderr
    assert _man(bigger)["state"] == "done"


def test_class3_campaign_run_fails_when_a_case_failed(kit, tmp_path):
    import json

    from tests.conftest import FAST

    camp = tmp_path / "c.toml"
    camp.write_text('name = "t"\nx = [0]\npotentials = ["lj-a"]\nseeds = [1, 2]\nfu = 2\nprofile = "smoke"\n'
                    f'stages = ["quench"]\nset = {json.dumps([s for s in FAST if s != "--set"])}\n')
    assert kit("campaign", "plan", camp, "--json").returncode == 0
    bad = tmp_path / "t" / "lj-a" / "x0" / "s2"
    _inject(bad, "shell touch MARKER\n")  # this case fails: the deck scan refuses it
    r = kit("campaign", "run", camp, "--json")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stderr.strip().splitlines()[-1].startswith("error: 1 of 2 cases are not done (1 failed)"), r.stderr
    assert json.loads(r.stdout)["failed"] == 1
    assert _man(tmp_path / "t" / "lj-a" / "x0" / "s1")["state"] == "done"


# =====================================================================================================
# 2. shared files that would hang or exhaust the kit: regular files only, read with a bound
# =====================================================================================================

def _planned(kit, tmp_path, seeds: str = "[1]") -> tuple[Path, Path]:
    camp = tmp_path / "c.toml"
    camp.write_text(f'name = "t"\nx = [0]\npotentials = ["lj-a"]\nseeds = {seeds}\nfu = 2\nstages = ["quench"]\n')
    r = kit("campaign", "plan", camp, "--json")
    assert r.returncode == 0, r.stderr
    return camp, tmp_path / "t" / "lj-a" / "x0" / "s1"


@pytest.mark.parametrize("kind", ["fifo", "dev-zero-link", "folder"])
def test_class2_result_json_that_is_not_a_regular_file(kit, tmp_path, kind):
    from lammpskit.run import result

    camp, case = _planned(kit, tmp_path)
    target = case / "result.json"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dev-zero-link":
        target.symlink_to("/dev/zero")
    else:
        target.mkdir()
    with pytest.raises(Exception, match="not a regular file") as exc:
        result.read(target)
    assert type(exc.value).__name__ == "UserError"
    r = subprocess.run([sys.executable, "-m", "lammpskit", "report", str(camp)], capture_output=True, text=True,
                       timeout=120, env={**os.environ, "LAMMPSKIT_POTENTIALS": os.environ["LAMMPSKIT_POTENTIALS"]})
    assert "Traceback" not in r.stderr, r.stderr  # and it returned: no hang on the FIFO, no 3 GB read of /dev/zero
    if r.returncode:
        assert [x for x in r.stderr.splitlines() if x.startswith("error:")], r.stderr


@pytest.mark.parametrize("kind", ["fifo", "dev-zero-link"])
def test_class2_run_json_that_is_not_a_regular_file(kit, run_dir, kind):
    (run_dir / "run.json").unlink()
    if kind == "fifo":
        os.mkfifo(run_dir / "run.json")
    else:
        (run_dir / "run.json").symlink_to("/dev/zero")
    refused(kit("run", run_dir, "--verify-only"), "not a regular file")
    refused(kit("run", run_dir), "not a regular file")


BOMBS = [
    ("json-nesting", "run.json", "[" * 5000 + "]" * 5000, "damaged"),
    ("json-huge-int", "run.json", '{"deck": "in.quench.lmp", "seed": ' + "9" * 5000 + "}", "damaged"),
    ("json-not-a-table", "run.json", "[1, 2]", "damaged"),
    ("toml-nesting", "c.toml", "x = " + "[" * 5000 + "]" * 5000 + "\n", "cannot read campaign file"),
    ("toml-huge-int", "c.toml", 'name = "t"\nx = [0]\npotentials = ["lj-a"]\nseeds = [' + "9" * 5000 + "]\n",
     "cannot read campaign file"),
]


@pytest.mark.parametrize("case,name,text,needle", BOMBS, ids=[b[0] for b in BOMBS])
def test_class2_json_and_toml_bombs_are_one_error_line(kit, run_dir, tmp_path, case, name, text, needle):
    if name == "run.json":
        (run_dir / "run.json").write_text(text)
        refused(kit("run", run_dir), needle)
    else:
        (tmp_path / name).write_text(text)
        refused(kit("campaign", "plan", tmp_path / name), needle)


def test_class2_a_file_past_the_read_bound_is_refused_and_the_bound_can_be_raised(kit, run_dir, monkeypatch):
    man = _man(run_dir)
    man["error"] = "x" * 300_000  # a 0.3 MB run.json
    _set_man(run_dir, man)
    monkeypatch.setenv("LAMMPSKIT_MAX_READ_MB", "0.1")
    refused(kit("run", run_dir, "--verify-only"), "larger than 0.1 MB", "LAMMPSKIT_MAX_READ_MB")
    monkeypatch.setenv("LAMMPSKIT_MAX_READ_MB", "1")
    assert kit("run", run_dir, "--verify-only").returncode == 0


def test_class2_cases_are_bounded_and_the_bound_can_be_raised(kit, tmp_path, monkeypatch):
    camp = tmp_path / "c.toml"
    camp.write_text(f'name = "t"\nx = [0]\npotentials = ["lj-a"]\nseeds = {list(range(100_000))}\nfu = 2\n')
    refused(kit("campaign", "plan", camp), "100000 cases", "LAMMPSKIT_MAX_CASES")
    assert not (tmp_path / "t").exists()
    monkeypatch.setenv("LAMMPSKIT_MAX_CASES", "100000")
    camp.write_text('name = "t"\nx = [0]\npotentials = ["lj-a"]\nseeds = [1, 2]\nfu = 2\n')
    assert kit("campaign", "plan", camp, "--json").returncode == 0


# =====================================================================================================
# 5. the Python API checks what the CLI checks
# =====================================================================================================

@pytest.mark.parametrize("nblocks", [0, -3, 1, 2.5, 10**400])
def test_class5_api_anneal_density_checks_blocks(finished, nblocks):
    import lammpskit as lk

    with pytest.raises(lk.UserError, match="blocks"):
        lk.anneal_density(finished, nblocks=nblocks)
    assert lk.anneal_density(finished, nblocks=2).err >= 0


def test_class5_api_analysis_errors_are_lk_user_errors(tmp_path):
    import lammpskit as lk

    bad = tmp_path / "bad.lammpstrj"
    bad.write_text("not a dump\n")
    with pytest.raises(lk.UserError):
        lk.analyze_units(bad)


def test_class5_api_audit_takes_one_path_as_a_list_of_one(tmp_path, reg, monkeypatch):
    import lammpskit as lk

    monkeypatch.setenv("LAMMPSKIT_POTENTIALS", str(reg))
    with pytest.raises(lk.UserError) as exc:
        lk.audit(str(tmp_path / "runs-a"), ["lj-a", "lj-a"])
    assert "twice" in str(exc.value)  # the potentials were read as names, not characters
    with pytest.raises(lk.UserError) as exc:
        lk.audit(str(tmp_path / "runs-a"), "lj-a")
    assert "two or more" in str(exc.value)


# =====================================================================================================
# 4. tracebacks that are one error line now; 6. left from round 1
# =====================================================================================================

@pytest.mark.parametrize("name,text", [("local.json", "[" * 5000), ("local.json", '{"cases": 1}'),
                                       ("campaign.json", '{"events": ' + "9" * 5000 + "}"),
                                       ("campaign.json", "[1]")],
                         ids=["local-bomb", "local-wrong-shape", "campaign-huge-int", "campaign-wrong-shape"])
def test_class4_damaged_campaign_records(kit, tmp_path, name, text):
    camp, _case = _planned(kit, tmp_path)
    (tmp_path / "t" / name).write_text(text)
    refused(kit("campaign", "status", camp), name, "damaged")


def test_class4_campaign_root_that_is_a_file_or_a_link(kit, tmp_path):
    camp = tmp_path / "c.toml"
    camp.write_text('name = "t"\nroot = "rootx"\nx = [0]\npotentials = ["lj-a"]\nseeds = [1]\nfu = 2\n')
    (tmp_path / "rootx").write_text("")
    refused(kit("campaign", "plan", camp), "root", "file, not a folder")
    (tmp_path / "rootx").unlink()
    (tmp_path / "rootx").symlink_to(tmp_path / "elsewhere")  # the user's link, dangling: the folder is made there
    assert kit("campaign", "plan", camp, "--json").returncode == 0
    assert (tmp_path / "elsewhere" / "lj-a" / "x0" / "s1" / "run.json").is_file()


def test_class4_thermo_rows_with_nan_or_huge_steps_are_not_rows(finished, tmp_path, kit):
    from lammpskit.lammps import thermo

    d = tmp_path / "run"
    shutil.copytree(finished, d)
    log = d / "log.lammps"
    text = log.read_text()
    header = next(line for line in text.splitlines() if line.split()[:1] == ["Step"])
    width = len(header.split())
    log.write_text(text + header + "\n" + " ".join(["nan"] * width) + "\n" + " ".join(["1e400"] * width) + "\n")
    rows = thermo.read_log(log)
    assert rows and all(float(r["Step"]).is_integer() for r in rows)
    r = kit("density", d, "--json")
    assert r.returncode == 0, r.stderr


def test_class4_a_dump_timestep_that_is_not_an_integer(kit, finished, tmp_path):
    d = _as_native(finished, tmp_path)
    dump = d / "dump.production.lammpstrj"
    dump.write_text(dump.read_text().replace("ITEM: TIMESTEP\n250\n", "ITEM: TIMESTEP\n2.5e2\n", 1))
    refused(kit("run", d, "--record-only"), "timestep '2.5e2' is not an integer")
    _not_recorded(d)


def test_class4_subnormal_dt_in_a_sweep_is_refused_before_any_case_is_written(kit, tmp_path):
    camp = tmp_path / "c.toml"
    camp.write_text('name = "t"\nx = [0]\npotentials = ["lj-a"]\nseeds = [1]\nfu = 2\n[sweep]\ndt = [1, 5e-324]\n')
    refused(kit("campaign", "plan", camp), "dt (fs) must be >= 0.01")
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize("where,needle", [("folder", "is a folder"), ("missing/x.dump", "does not exist")])
def test_class4_annotate_into_a_bad_place_is_refused_before_the_analysis(kit, finished, tmp_path, where, needle):
    (tmp_path / "folder").mkdir()
    refused(kit("analyze", "units", finished / "dump.production.lammpstrj", "--annotate", tmp_path / where),
            "--annotate", needle)


def test_class6_analyze_units_takes_a_run_directory(kit, finished):
    import json

    r = kit("analyze", "units", finished, "--json")
    assert r.returncode == 0, r.stderr
    direct = kit("analyze", "units", finished / "dump.production.lammpstrj", "--json")
    assert json.loads(r.stdout) == json.loads(direct.stdout)


def test_class6_a_folder_that_is_not_a_run_is_named_as_such(kit, tmp_path):
    (tmp_path / "plain").mkdir()
    refused(kit("analyze", "units", tmp_path / "plain"), "not a run directory")


@pytest.mark.parametrize("formula", ["Na0S", "Na2S0", "0Na2S+1P2S5"])
def test_class6_a_zero_count_in_a_formula_is_refused(kit, tmp_path, formula):
    refused(kit("build", "--formula", formula, "--fu", "1", "--out", tmp_path / "d.lmp"), "0")
    assert not (tmp_path / "d.lmp").exists()


def test_class6_a_failed_fetch_prints_only_its_error_line(kit, tmp_path):
    """An ASL model whose download fails: the licence note comes with the files, not before the error."""
    r = kit("potentials", "fetch", "matpes-pbe", "--url", f"file://{tmp_path}/missing.model")
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "missing.model" in lines[0], r.stderr


# =====================================================================================================
# 7. numbers that make no physical sense: no Tg from a curve that is not a glass transition
# =====================================================================================================

@pytest.mark.parametrize("glass,liquid,needle", [
    (-0.002, -0.008, "does not grow with T"),   # an evaporating box: the volume grows as T falls
    (0.002, -0.004, "does not grow with T"),
    (0.008, 0.002, "not above the glass slope"),  # the 'liquid' stiffer than the glass
], ids=["evaporating", "liquid-negative", "inverted"])
def test_class7_tg_fit_refuses_curves_that_are_not_a_glass_transition(glass, liquid, needle):
    import numpy as np

    from lammpskit.analysis import glass_transition as gt
    from lammpskit.analysis.errors import InputError

    T = np.linspace(1500, 300, 300)
    V = 100 + np.where(T < 700, glass, liquid) * (T - 700) + np.random.default_rng(1).normal(0, 0.02, T.size)
    with pytest.raises(InputError, match=needle) as exc:
        gt.fit(T, V, what="V(T)")
    assert "V(T)" in str(exc.value) and "no Tg" in str(exc.value)
    ok = 100 + np.where(T < 700, 0.002, 0.008) * (T - 700)
    assert abs(gt.fit(T, ok)["Tg"] - 700) < 20


def test_class7_npt_quench_of_an_evaporating_box_reports_no_tg(kit, tmp_path):
    """LJ with eps = 0.01 eV boils in an NPT quench (its volume grows as T falls): no Tg, and the reason."""
    import json

    r = kit("quench", "--pot", "lj-a", "--x", "0", "--fu", "2", "--profile", "smoke", "--out", tmp_path / "ev",
            "--set", "t_melt=0.2", "--set", "quench_rate=200", "--set", "t_anneal=0.1", "--set", "t_production=0.2",
            "--set", "restart_every=1000", "--set", "dump_every=500", "--set", "thermo_every=5",
            "--set", "min_steps=20", "--set", "quench_ensemble=npt", "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "ev" / "result.json").read_text())
    assert "Tg_K" not in res and "does not grow with T" in res["Tg_error"], res.get("Tg_error")


# =====================================================================================================
# 8. display: plain progress lines where stderr is a log, not a terminal
# =====================================================================================================

def test_class8_progress_in_a_log_is_plain_whole_lines(kit, run_dir):
    r = kit("run", run_dir, "--threads", "1")  # stderr is captured here: not a terminal
    assert r.returncode == 0, r.stderr
    lines = [x for x in r.stderr.splitlines() if " step " in x]
    assert lines and "━" not in r.stderr and "…" not in r.stderr, r.stderr
    assert any("production step 300/300 (100 %)" in x for x in lines), lines
    assert all("ETA" in x for x in lines)


def test_class8_campaign_table_ends_its_line_before_an_error():
    import io

    from rich.console import Console

    from lammpskit.cli.progress import CampaignProgress

    out = io.StringIO()
    p = CampaignProgress(Console(file=out, force_terminal=True, width=100))
    p.start(2, 0, "case")
    p.advance(0, {"counts": {"cases": 2, "done": 0, "running": 1, "failed": 0, "stopped": 0, "todo": 1},
                  "running": [{"label": "case 1", "stage": "quench", "elapsed_s": 3, "live": {}}]})
    p.finish()
    assert out.getvalue().endswith("\n")


@pytest.mark.parametrize("extra,ensemble", [("", "npt"), ('set = ["quench_ensemble=nvt"]\n', "nvt")],
                         ids=["rate-sweep-npt", "user-says-nvt"])
def test_class8_a_rate_sweep_quenches_under_npt_so_tg_has_a_convergence_panel(tmp_path, reg, monkeypatch, extra,
                                                                                ensemble):
    from lammpskit.study import campaign

    monkeypatch.setenv("LAMMPSKIT_POTENTIALS", str(reg))
    camp = tmp_path / "c.toml"
    camp.write_text(f'name = "t"\nx = [0]\npotentials = ["lj-a"]\nseeds = [1]\nfu = 2\n{extra}'
                    "[sweep]\nquench_rate = [100, 50]\n")
    c = campaign.load(camp)
    assert {c.params(case).quench_ensemble for case in c.cases} == {ensemble}


def test_class4_a_sweep_point_too_big_for_one_x_writes_no_case(kit, tmp_path, monkeypatch):
    """Every case is checked before the first is written: a bound that only the last case breaks leaves nothing."""
    monkeypatch.setenv("LAMMPSKIT_MAX_ATOMS", "60")
    camp = tmp_path / "c.toml"
    camp.write_text('name = "t"\nx = [0]\npotentials = ["lj-a"]\nseeds = [1]\n[sweep]\natoms = [26, 52, 78]\n')
    refused(kit("campaign", "plan", camp), "78 atoms", "LAMMPSKIT_MAX_ATOMS")
    assert not list(tmp_path.rglob("run.json"))


def test_class3_record_only_refuses_a_log_of_another_seed(kit, rendered, finished, reg, tmp_path):
    """Same atoms, same steps, another seed: the log never ran this run's 'velocity ... <seed>' command."""
    import json as _json

    from lammpskit.potentials.registry import sha256

    seed2 = tmp_path / "seed2"
    shutil.copytree(rendered, seed2)
    stage = seed2 / "stage.1-minimize.lmp"
    stage.write_text(stage.read_text().replace(" 1 dist gaussian", " 2 dist gaussian"))
    man = _man(seed2)
    man["rendered"][stage.name], man["seed"] = sha256(stage), 2
    (seed2 / "run.json").write_text(_json.dumps(man))
    _ran(seed2, seed2, reg)
    d = _as_native(finished, tmp_path)
    for name in ("log.lammps", "dump.production.lammpstrj", "dump.unwrapped.lammpstrj", "glass.data"):
        shutil.copy(seed2 / name, d / name)
    refused(kit("run", d, "--record-only"), "velocity", "another run's log")
    _not_recorded(d)
