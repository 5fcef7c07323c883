"""Hostile and mistaken input, grouped by the kinds of issue 14.

Every case runs the real command line in-process (``lammpskit.cli.app.main``) and checks: exit code 2, one
``error:`` line that names the problem, no traceback, nothing left that looks finished (no run directory,
no result.json, no pin, no registered entry) and no file made by an injected ``shell touch MARKER``.

1. potential TOML entries that would inject into a deck or run code (shipped, user, $LAMMPSKIT_HOME alike)
2. run directories whose run.json or deck was tampered with (``lammpskit run`` refuses; ``--trust-deck`` runs)
3. model files of the wrong family (fetch, add, finetune deviation)
4. ordinary mistakes on the command line (--out in a missing folder, below a file or on a folder, --seed -1)
5. sizes beyond the bounds (atoms, steps, dump size): the number and how to override it
6. analysis input that is not a structure (empty, zero atoms, non-finite, unknown elements, overlapping atoms)
   and elastic tensors that are not mechanically stable (eigenvalues instead of moduli)
7. configuration files with values of the wrong type (campaign, its [slurm] table, site TOML, bound variables)
"""

from __future__ import annotations

import json
import shutil
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import FAST, LJ, assert_user_error

pytestmark = pytest.mark.fast  # in-process: part of make test-fast

MARKER = "MARKER"


@pytest.fixture(scope="module")
def reg(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-reg")
    (folder / "lj-a.toml").write_text(LJ.format(name="lj-a", eps=0.01))
    return folder


@pytest.fixture
def kit(tmp_path, reg, monkeypatch, capsys):
    """``kit(*args)`` runs ``lammpskit args`` in-process in ``tmp_path``; returns returncode/stdout/stderr."""
    home = tmp_path / "home"
    monkeypatch.setenv("LAMMPSKIT_HOME", str(home))
    monkeypatch.setenv("LAMMPSKIT_POTENTIALS", str(reg))
    monkeypatch.delenv("LAMMPSKIT_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)
    import importlib

    app = importlib.import_module("lammpskit.cli.app")  # the module (lammpskit.cli.app is also the Typer)

    def run(*args):
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["lammpskit", *map(str, args)])
        try:
            app.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)

    yield run
    assert not list(tmp_path.rglob(f"{MARKER}*")), "an injected command ran"


def refused(r, *needles):
    assert_user_error(r, *needles)
    assert not list(Path(".").rglob(f"{MARKER}*"))


# =====================================================================================================
# 1. potential TOML entries (code execution and deck injection through the registry)
# =====================================================================================================

BASE = {"name": '"evil"', "title": '"t"', "family": '"classical"', "licence": '"none"'}
NATIVE = {"pair_style": '"lj/cut 6.0"', "pair_coeff": '"* * 0.01 2.6"'}


def entry(top=None, native=None, files=None, extra="") -> str:
    t = {**BASE, **(top or {})}
    n = {**NATIVE, **(native or {})}
    text = "".join(f"{k} = {v}\n" for k, v in t.items() if v is not None)
    for f in files or []:
        text += "[[files]]\n" + "".join(f"{k} = {v}\n" for k, v in f.items())
    text += "[[native]]\n" + "".join(f"{k} = {v}\n" for k, v in n.items() if v is not None)
    return text + extra


TOML_CASES = [
    ("title-newline", entry(top={"title": '"x\\nshell touch MARKER"'}), "title"),
    ("licence-newline", entry(top={"licence": '"MIT\\nshell touch MARKER"'}), "licence"),
    ("notes-control", entry(top={"notes": '"a\\u001b[2Jb"'}), "notes"),
    ("citation-number", entry(top={"citation": "5"}), "citation"),
    ("pair-style-newline", entry(native={"pair_style": '"lj/cut 6.0\\nshell touch MARKER"'}), "pair_style"),
    ("pair-style-python", entry(native={"pair_style": '"python 6.0"'}), "python"),
    ("pair-style-hybrid-python", entry(native={"pair_style": '"hybrid/overlay lj/cut 6 python 6"'}), "python"),
    ("pair-style-variable", entry(native={"pair_style": '"lj/cut ${c}"'}), "pair_style"),
    ("pair-coeff-semicolon", entry(native={"pair_coeff": '"* * 0.01 2.6; shell touch MARKER"'}), "pair_coeff"),
    ("pair-coeff-not-strings", entry(native={"pair_coeff": "[1, 2]"}), "pair_coeff"),
    ("pair-coeff-comment", entry(native={"pair_coeff": '"* * 0.01 2.6 # shell"'}), "pair_coeff"),
    ("pre-shell", entry(native={"pre": '["shell touch MARKER"]'}), "shell"),
    ("pre-not-a-list", entry(native={"pre": '"variable a equal 1"'}), "must be a list"),
    ("pre-fix-python", entry(native={"pre": '["fix 1 all python/invoke 1 end_of_step f"]'}), "python/invoke"),
    ("plugin-foreign", entry(native={"plugin": '"/tmp/evil.so"'}), "plugin"),
    ("styles-string", entry(native={"styles": '"lj/cut"'}), "styles"),
    ("kokkos-string", entry(native={"kokkos": '"yes"'}), "kokkos"),
    ("elements-string", entry(top={"elements": '"Na"'}), "elements"),
    ("elements-unknown", entry(top={"elements": '["Na", "Xx"]'}), "Xx"),
    ("cutoff-string", entry(top={"cutoff": '"6"'}), "cutoff"),
    ("cutoff-nan", entry(top={"cutoff": "nan"}), "cutoff"),
    ("dtype-unknown", entry(top={"dtype": '"float16"'}), "dtype"),
    ("family-two-words", entry(top={"family": '"mace; rm"'}), "family"),
    ("file-path-climbs", entry(files=[{"key": '"eam"', "path": '"../../../etc/passwd"'}],
                               native={"pair_coeff": '"* * {eam}"'}), ".."),
    ("file-path-space", entry(files=[{"key": '"eam"', "path": '"a b.eam"'}], native={"pair_coeff": '"* * {eam}"'}),
     "path"),
    ("file-path-quote", entry(files=[{"key": '"eam"', "path": '"x\\"y"'}], native={"pair_coeff": '"* * {eam}"'}),
     "path"),
    ("file-path-placeholder", entry(files=[{"key": '"eam"', "path": '"{evil}/x"'}], native={"pair_coeff": '"* * {eam}"'}),
     "placeholder"),
    ("file-sha-bad", entry(files=[{"key": '"eam"', "path": '"x.eam"', "sha256": '"xyz"'}],
                           native={"pair_coeff": '"* * {eam}"'}), "sha256"),
    ("file-url-ftp", entry(files=[{"key": '"eam"', "path": '"x.eam"', "url": '"ftp://h/x"'}],
                           native={"pair_coeff": '"* * {eam}"'}), "url"),
    ("file-key-twice", entry(files=[{"key": '"eam"', "path": '"x.eam"'}, {"key": '"eam"', "path": '"y.eam"'}],
                             native={"pair_coeff": '"* * {eam}"'}), "twice"),
    ("file-size-float", entry(files=[{"key": '"eam"', "path": '"x.eam"', "size": "1.5"}],
                              native={"pair_coeff": '"* * {eam}"'}), "size"),
    ("bridge-calculator", entry(extra='[bridge]\ncalculator = "mace; rm -rf"\n'), "calculator"),
    ("bridge-modal", entry(extra='[bridge]\ncalculator = "sevenn"\nmodal = "R2SCAN --x"\n'), "modal"),
    ("d3-functional", entry(extra='[d3]\nfunctional = "pbe\\nshell touch MARKER"\n'), "functional"),
    ("toml-syntax", 'name = "evil"\ntitle = \n', "cannot read potential file"),
    ("unknown-key", entry(top={"exec": '"x"'}), "unknown keys"),
]


@pytest.mark.parametrize("case,text,needle", TOML_CASES, ids=[c[0] for c in TOML_CASES])
def test_kind1_potential_entry_is_checked_field_by_field(kit, tmp_path, monkeypatch, case, text, needle):
    folder = tmp_path / "userreg"
    folder.mkdir()
    (folder / "evil.toml").write_text(text)
    monkeypatch.setenv("LAMMPSKIT_POTENTIALS", str(folder))
    refused(kit("potentials", "show", "evil", "--json"), needle)
    r = kit("render", "--pot", "evil", "--x", "0", "--fu", "2", "--out", "run1")
    refused(r, needle)
    assert not (tmp_path / "run1").exists()


def test_kind1_lammpskit_home_entries_are_checked_too(kit, tmp_path):
    folder = tmp_path / "home" / "potentials"
    folder.mkdir(parents=True)
    (folder / "evil.toml").write_text(entry(native={"pre": '["shell touch MARKER"]'}))
    refused(kit("potentials", "show", "evil", "--json"), "shell")


def test_kind1_potentials_add_cannot_write_an_entry_that_runs_code(kit, tmp_path):
    r = kit("potentials", "add", "evil", "--pair-style", "python 6.0", "--elements", "Na")
    refused(r, "python")
    assert not list((tmp_path / "home" / "potentials").glob("*evil*")) if (tmp_path / "home" / "potentials").exists() \
        else True
    refused(kit("potentials", "add", "evil", "--pair-style", "lj/cut 6.0", "--title", "a\nshell touch MARKER"),
            "--title")


# =====================================================================================================
# 2. run directories: run.json validated on load, rendered files pinned by sha256, decks scanned
# =====================================================================================================

@pytest.fixture(scope="module")
def rendered(tmp_path_factory, reg):
    """One LJ run directory rendered by the kit (copied for each case)."""
    import os

    from lammpskit.potentials import registry as potentials
    from lammpskit.structure import composition
    from lammpskit.workflows import protocol, quench

    old = os.environ.get("LAMMPSKIT_POTENTIALS")
    os.environ["LAMMPSKIT_POTENTIALS"] = str(reg)
    try:
        params = protocol.profile("smoke").with_overrides([s for s in FAST if s != "--set"])
        comp = composition.make(x=0, fu=2)
        out = tmp_path_factory.mktemp("rendered") / "run"
        quench.render(out, comp, potentials.get("lj-a"), params, "smoke", 1, comp.density_estimate())
    finally:
        if old is None:
            os.environ.pop("LAMMPSKIT_POTENTIALS", None)
        else:
            os.environ["LAMMPSKIT_POTENTIALS"] = old
    return out


@pytest.fixture
def run_dir(rendered, tmp_path):
    target = tmp_path / "run"
    shutil.copytree(rendered, target)
    return target


def _man(d: Path) -> dict:
    return json.loads((d / "run.json").read_text())


def _set_man(d: Path, data: dict) -> None:
    (d / "run.json").write_text(json.dumps(data))


def _edit(d: Path, name: str, text: str, rerecord: bool = True) -> None:
    """Append ``text`` to a rendered file; ``rerecord``: update its sha256 in run.json as an attacker would."""
    from lammpskit.potentials.registry import sha256

    p = d / name
    p.write_text(p.read_text() + text)
    if rerecord:
        man = _man(d)
        man["rendered"][name] = sha256(p)
        _set_man(d, man)


def _nothing_ran(d: Path, state: str = "rendered"):
    assert not (d / "result.json").exists() and not (d / "log.lammps").exists()
    assert _man(d)["state"] == state


def test_kind2_render_records_sha256_of_every_rendered_file(run_dir):
    man = _man(run_dir)
    stage_files = [s["file"] for s in man["stages"]]
    assert set(man["rendered"]) == {"in.quench.lmp", "potential.lmp", "data.lmp", *stage_files}
    assert man["plugins"] == []
    from lammpskit.run import integrity

    assert integrity.scan(run_dir, man["deck"]) is None  # the kit's own deck is clean


DECK_CASES = [
    ("shell-in-deck", "in.quench.lmp", "shell touch MARKER\n", "shell"),
    ("shell-continued", "in.quench.lmp", "shell &\n  touch MARKER\n", "shell"),
    ("python-in-stage", "stage.2-melt.lmp", "python f here \"\"\"\nimport os\n\"\"\"\n", "python"),
    ("fix-python", "stage.2-melt.lmp", "fix 9 all python/invoke 1 end_of_step f\n", "python/invoke"),
    ("pair-style-python", "potential.lmp", "pair_style python 6.0\n", "python"),
    ("plugin-foreign", "potential.lmp", "plugin load /tmp/evil.so\n", "plugin"),
    ("variable-python", "stage.2-melt.lmp", "variable f python g\n", "python"),
    ("command-from-variables", "in.quench.lmp", "variable a string sh\nvariable b string ell\n${a}${b} touch MARKER\n",
     "built from a variable"),
    ("if-shell", "in.quench.lmp", 'if "1 > 0" then "shell touch MARKER"\n', "shell"),
    ("if-variable-command", "in.quench.lmp", 'variable c string sh\nif "1 > 0" then "${c} touch MARKER"\n',
     "built from a variable"),
    ("run-every-variable", "stage.2-melt.lmp", 'run 0 every 1 "${c}"\n', "built from a variable"),
    ("dump-movie", "stage.2-melt.lmp", "dump 7 all movie 1 m.mp4 type type\n", "movie"),
    ("include-outside", "in.quench.lmp", "include /etc/hostname\n", "not a file inside the run directory"),
    ("include-climbs", "in.quench.lmp", "include ../evil.lmp\n", "not a file inside the run directory"),
    ("include-variable", "in.quench.lmp", "include ${f}\n", "named by a variable"),
    ("print-to-bashrc", "in.quench.lmp", 'print "touch MARKER" file /root/.bashrc\n', "outside the run directory"),
    ("log-outside", "in.quench.lmp", "log ../../elsewhere.log\n", "outside the run directory"),
    ("write-data-home", "stage.2-melt.lmp", "write_data ~/x.data\n", "outside the run directory"),
    ("fix-print-outside", "stage.2-melt.lmp", 'fix 8 all print 1 "x" file /etc/cron.d/evil\n', "outside the run"),
    ("mdi", "in.quench.lmp", "mdi plugin evil mdi \"-role ENGINE\" command \"run 1\"\n", "mdi"),
]


@pytest.mark.parametrize("case,name,text,needle", DECK_CASES, ids=[c[0] for c in DECK_CASES])
def test_kind2_deck_that_runs_programs_is_refused(kit, run_dir, case, name, text, needle):
    _edit(run_dir, name, text)
    refused(kit("run", run_dir), needle, "--trust-deck")
    _nothing_ran(run_dir)


def test_kind2_jumped_to_file_is_scanned(kit, run_dir):
    from lammpskit.potentials.registry import sha256

    (run_dir / "evil.lmp").write_text("shell touch MARKER\n")
    _edit(run_dir, "in.quench.lmp", "jump evil.lmp\n")
    refused(kit("run", run_dir), "evil.lmp", "not a file rendered and recorded")
    man = _man(run_dir)  # recorded by the attacker too: the scan reads it, and finds the shell command
    man["rendered"]["evil.lmp"] = sha256(run_dir / "evil.lmp")
    _set_man(run_dir, man)
    refused(kit("run", run_dir), "evil.lmp", "shell")
    _nothing_ran(run_dir)


@pytest.mark.parametrize("name", ["in.quench.lmp", "stage.3-quench.lmp", "potential.lmp", "data.lmp"])
def test_kind2_changed_rendered_file_is_refused(kit, run_dir, name):
    _edit(run_dir, name, "\n# edited\n", rerecord=False)
    refused(kit("run", run_dir), name, "changed since it was rendered", "--trust-deck")
    _nothing_ran(run_dir)


def test_kind2_missing_rendered_file_is_refused(kit, run_dir):
    (run_dir / "stage.2-melt.lmp").unlink()
    refused(kit("run", run_dir), "stage.2-melt.lmp", "missing")
    _nothing_ran(run_dir)


def test_kind2_run_json_without_records_is_refused(kit, run_dir):
    man = _man(run_dir)
    del man["rendered"]
    _set_man(run_dir, man)
    refused(kit("run", run_dir), "no sha256 records", "--trust-deck")
    _nothing_ran(run_dir)


def _stage(i, **kw):
    return lambda m: m["stages"][i].update(kw)


MANIFEST_CASES = [
    ("deck-climbs", lambda m: m.update(deck="../../evil.lmp"), "deck"),
    ("deck-absolute", lambda m: m.update(deck="/tmp/evil.lmp"), "deck"),
    ("deck-missing", lambda m: m.pop("deck"), "deck"),
    ("stages-not-a-list", lambda m: m.update(stages="stage.1-minimize.lmp"), "stages must be a list"),
    ("stage-not-a-table", lambda m: m["stages"].__setitem__(0, "x"), "stages[0]"),
    ("stage-begin-string", _stage(1, begin="0"), "begin"),
    ("stage-end-float", _stage(1, end=10.5), "end"),
    ("stage-end-before-begin", _stage(2, end=0), "end"),
    ("stage-file-in-folder", _stage(1, file="sub/evil.lmp"), "file"),
    ("stage-dump-climbs", _stage(4, dump="../../x.lammpstrj"), "dump"),
    ("stage-name-newline", _stage(1, name="melt\nshell"), "name"),
    ("state-unknown", lambda m: m.update(state="hacked"), "state"),
    ("mode-unknown", lambda m: m["potential"].update(mode="evil"), "potential.mode"),
    ("potential-name", lambda m: m["potential"].update(name="lj-a; rm"), "potential.name"),
    ("elements-unknown", lambda m: m.update(elements=["Xx"]), "Xx"),
    ("thermo-every-float", lambda m: m["params"].update(thermo_every=0.5), "thermo_every"),
    ("records-path", lambda m: m["rendered"].update({"../x": "0" * 64}), "rendered"),
    ("records-not-sha", lambda m: m["rendered"].update({"data.lmp": "abc"}), "sha256"),
    ("total-steps-string", lambda m: m.update(total_steps="many"), "total_steps"),
    ("protocol-unknown", lambda m: m.update(protocol="evil"), "protocol"),
]


@pytest.mark.parametrize("case,change,needle", MANIFEST_CASES, ids=[c[0] for c in MANIFEST_CASES])
def test_kind2_run_json_is_checked_on_load(kit, run_dir, case, change, needle):
    man = _man(run_dir)
    change(man)
    _set_man(run_dir, man)
    refused(kit("run", run_dir), needle)
    assert not (run_dir / "result.json").exists() and not (run_dir / "log.lammps").exists()


def test_kind2_damaged_run_json(kit, run_dir):
    (run_dir / "run.json").write_text('{"deck": ')
    refused(kit("run", run_dir), "damaged")


def test_kind2_campaign_plan_copies_are_covered(kit, tmp_path):
    camp = tmp_path / "c.toml"
    camp.write_text('name = "t"\nx = [0]\npotentials = ["lj-a"]\nseeds = [1]\nfu = 2\nstages = ["quench"]\n')
    r = kit("campaign", "plan", camp, "--json")
    assert r.returncode == 0, r.stderr
    case = tmp_path / "t" / "lj-a" / "x0" / "s1"
    assert "in.quench.lmp" in _man(case)["rendered"]
    _edit(case, "in.quench.lmp", "shell touch MARKER\n", rerecord=False)
    refused(kit("run", case), "changed since it was rendered", "--trust-deck")
    _edit(case, "in.quench.lmp", "", rerecord=True)
    refused(kit("run", case), "shell", "--trust-deck")
    _nothing_ran(case)


def test_kind2_kits_own_deck_runs_and_trust_deck_is_the_users_right(kit, run_dir, rendered, tmp_path):
    r = kit("run", run_dir, "--threads", "1", "--json")
    assert r.returncode == 0, r.stderr
    assert _man(run_dir)["state"] == "done"
    # the user's own change, on purpose: --trust-deck runs it (and its shell command)
    other = tmp_path / "mine"
    shutil.copytree(rendered, other)
    (other / "in.quench.lmp").write_text("shell touch USER_OK\n" + (other / "in.quench.lmp").read_text())
    refused(kit("run", other), "--trust-deck")
    r = kit("run", other, "--trust-deck", "--threads", "1", "--json")
    assert r.returncode == 0, r.stderr
    assert (other / "USER_OK").exists()


# =====================================================================================================
# 3. model files: the family is checked before anything is pinned or loaded
# =====================================================================================================

def _garbage(path: Path, text: str = "not a model\n") -> Path:
    path.write_text(text)
    return path


def _zip(path: Path, members: dict) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _fetchable(tmp_path, family: str, url: str) -> None:
    folder = tmp_path / "home" / "potentials"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dl.toml").write_text(
        f'name = "dl"\ntitle = "download test"\nfamily = "{family}"\nlicence = "none"\nelements = ["Na"]\n'
        f'[[files]]\nkey = "model"\npath = "{{home}}/models/dl/x.model"\nurl = "{url}"\n'
        f'[bridge]\ncalculator = "{family}"\n')


def _nothing_pinned(tmp_path):
    home = tmp_path / "home"
    assert not (home / "pins.json").exists() or "dl" not in json.loads((home / "pins.json").read_text())
    assert not [p for p in (home / "models").rglob("*") if p.is_file()] if (home / "models").exists() else True


@pytest.mark.parametrize("family,make,needle", [
    ("mace", lambda p: _garbage(p), "unrecognised format"),
    ("mace", lambda p: _zip(p, {"a/data.pkl": b"just text"}), "not a mace model"),
    ("mace", lambda p: _zip(p, {"a/data.pkl": b"deepmd type_map"}), "looks like deepmd"),
    ("deepmd", lambda p: _zip(p, {"a/data.pkl": b"mace.modules.models"}), "looks like mace"),
    ("chgnet", lambda p: _garbage(p, "\x00" * 100), "not a chgnet model"),
], ids=["text", "zip-no-marks", "deepmd-for-mace", "mace-for-deepmd", "zeros-for-chgnet"])
def test_kind3_fetch_of_the_wrong_family_pins_nothing(kit, tmp_path, family, make, needle):
    src = make(tmp_path / "served.bin")
    _fetchable(tmp_path, family, src.resolve().as_uri())
    refused(kit("potentials", "fetch", "dl", "--json"), needle, "nothing was pinned")
    _nothing_pinned(tmp_path)


def test_kind3_fetch_with_a_bad_sha256_option(kit, tmp_path):
    _fetchable(tmp_path, "mace", (tmp_path / "x").resolve().as_uri())
    refused(kit("potentials", "fetch", "dl", "--sha256", "abc"), "--sha256")


def test_kind3_add_refuses_a_file_of_another_family(kit, tmp_path):
    bad = _zip(tmp_path / "m.model", {"a/data.pkl": b"deepmd type_map"})
    refused(kit("potentials", "add", "ft-mp0", "--model", bad), "not a mace model")
    assert not (tmp_path / "home" / "models").exists()
    refused(kit("potentials", "add", "mine", "--model", _garbage(tmp_path / "g.pth")), "cannot tell the family")
    refused(kit("potentials", "add", "mine", "--model", _garbage(tmp_path / "g2.pth"), "--family", "mace",
                "--elements", "Na"), "not a mace model")
    (tmp_path / "sm").mkdir()
    refused(kit("potentials", "add", "grace-gse", "--model", tmp_path / "sm"), "not a grace model")
    assert not (tmp_path / "home" / "pins.json").exists()
    assert not (tmp_path / "home" / "potentials").exists() or not list((tmp_path / "home" / "potentials").iterdir())


def _dump(path: Path, rows: list[str], n: int | None = None) -> Path:
    path.write_text("ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n" + f"{len(rows) if n is None else n}\n"
                    "ITEM: BOX BOUNDS pp pp pp\n0 10\n0 10\n0 10\nITEM: ATOMS id element x y z\n"
                    + "".join(r + "\n" for r in rows))
    return path


GOOD_ROWS = ["1 Na 1 1 1", "2 S 3 3 3", "3 P 5 5 5", "4 O 7 7 7"]


@pytest.mark.parametrize("make_models,needle", [
    (lambda t: [_garbage(t / "a.pth"), _garbage(t / "b.pth")], "not a deepmd model"),
    (lambda t: [_zip(t / "a.pth", {"m/extra/x.json": b"deepmd type_map"}),
                _zip(t / "b.pth", {"m/extra/x.json": b"deepmd type_map 2"})], "not a registered or pinned model"),
    (lambda t: [t / "missing.pth", t / "missing2.pth"], "no such file"),
], ids=["garbage", "unpinned", "missing"])
def test_kind3_deviation_refuses_unpinned_models_and_writes_nothing(kit, tmp_path, make_models, needle):
    dump = _dump(tmp_path / "d.lammpstrj", GOOD_ROWS)
    models = make_models(tmp_path)
    args = [x for m in models for x in ("--model", m)]
    refused(kit("finetune", "deviation", dump, *args, "--out", tmp_path / "u.xyz"), needle)
    assert not (tmp_path / "u.xyz").exists() and not (tmp_path / "model_devi.out").exists()
    assert not (tmp_path / "deviation.data").exists()


# =====================================================================================================
# 4. ordinary mistakes: one error line, exit 2
# =====================================================================================================

def test_kind4_build_out_in_a_missing_folder(kit, tmp_path):
    refused(kit("build", "--out", tmp_path / "nope" / "d.lmp"), "does not exist")


def test_kind4_build_out_is_a_folder(kit, tmp_path):
    (tmp_path / "dir").mkdir()
    refused(kit("build", "--out", tmp_path / "dir"), "is a folder")


def test_kind4_build_out_below_a_file(kit, tmp_path):
    _garbage(tmp_path / "afile")
    refused(kit("build", "--out", tmp_path / "afile" / "d.lmp"), "does not exist")


def test_kind4_render_out_below_a_file(kit, tmp_path):
    _garbage(tmp_path / "afile")
    refused(kit("render", "--pot", "lj-a", "--fu", "2", "--out", tmp_path / "afile" / "run"), "is a file")


def test_kind4_render_out_existing(kit, tmp_path):
    (tmp_path / "full").mkdir()
    _garbage(tmp_path / "full" / "x")
    refused(kit("render", "--pot", "lj-a", "--fu", "2", "--out", tmp_path / "full"), "exists")


@pytest.mark.parametrize("cmd", [["build", "--out", "d.lmp"], ["render", "--pot", "lj-a", "--out", "r"]])
def test_kind4_negative_seed(kit, tmp_path, cmd):
    refused(kit(*cmd, "--fu", "2", "--seed", "-1"), "--seed")
    assert not (tmp_path / "d.lmp").exists() and not (tmp_path / "r").exists()


def test_kind4_deviation_out_is_a_folder(kit, tmp_path):
    (tmp_path / "o").mkdir()
    dump = _dump(tmp_path / "d.lammpstrj", GOOD_ROWS)
    m = [_zip(tmp_path / f"{k}.pth", {"m/extra/x.json": b"deepmd"}) for k in "ab"]
    from lammpskit.potentials import registry as potentials

    for k, p in zip("ab", m):
        potentials.pin("t", k, potentials.sha256(p))
    refused(kit("finetune", "deviation", dump, "--model", m[0], "--model", m[1], "--out", tmp_path / "o"), "is a folder")


# =====================================================================================================
# 7. configuration files: campaign, [slurm], site TOML, bound variables
# =====================================================================================================

def _campaign(tmp_path, slurm: str = "", top: str = "") -> Path:
    p = tmp_path / "c.toml"
    p.write_text(f'name = "t"\nx = [0]\npotentials = ["lj-a"]\nseeds = [1]\nfu = 2\n{top}\n[slurm]\n{slurm}\n')
    return p


SLURM_CASES = [
    ("partition-number", "partition = 123", "partition"),
    ("account-list", 'account = ["a"]', "account"),
    ("time-int", "time = 3600", "time"),
    ("setup-string", 'setup = "module load x"', "setup"),
    ("setup-number-item", 'setup = ["module load x", 5]', "setup"),
    ("setup-newline", 'setup = ["module load x\\nrm -rf ~"]', "setup"),
    ("cpus-float", "cpus = 2.0", "cpus"),
    ("cpus-bool", "cpus = true", "cpus"),
    ("gpus-string", 'gpus = "1"', "gpus"),
    ("lmp-styles-string", 'lmp_styles = "mliap"', "lmp_styles"),
    ("kokkos-string", 'kokkos = "yes"', "kokkos"),
    ("requeue-int", "requeue = 1", "requeue"),
    ("lmp-path-injection", 'lmp = "/opt/lmp; touch MARKER"', "lmp"),
    ("unknown-key", 'exec = "x"', "unknown [slurm] keys"),
]


@pytest.mark.parametrize("case,line,needle", SLURM_CASES, ids=[c[0] for c in SLURM_CASES])
def test_kind7_campaign_slurm_values_of_the_wrong_type(kit, tmp_path, case, line, needle):
    refused(kit("campaign", "plan", _campaign(tmp_path, line)), needle)
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize("top,needle", [
    ('profile = 5', "profile"), ("d3 = 1", "d3"), ('set = "t_anneal=1"', "'set' must be a list"),
], ids=["profile-number", "d3-int", "set-string"])
def test_kind7_campaign_values_of_the_wrong_type(kit, tmp_path, top, needle):
    refused(kit("campaign", "plan", _campaign(tmp_path, top=top)), needle)
    assert not (tmp_path / "t").exists()


SWEEP_CASES = [
    ("unknown-parameter", "colour = [1, 2]", "[sweep] colour: not a numeric protocol parameter"),
    ("string-parameter", 'quench_ensemble = ["nvt", "npt"]', "[sweep] quench_ensemble: not a numeric"),
    ("string-value", 'quench_rate = [10, "fast"]', "[sweep] quench_rate value must be a number"),
    ("injection-value", 'quench_rate = ["10; touch MARKER"]', "[sweep] quench_rate value must be a number"),
    ("negative", "quench_rate = [10, -5]", "[sweep] quench_rate value must be >= 0"),
    ("nan", "quench_rate = [10, nan]", "[sweep] quench_rate value must be finite"),
    ("inf", "t_anneal = [inf]", "[sweep] t_anneal value must be finite"),
    ("bool", "quench_rate = [true]", "[sweep] quench_rate value must be a number"),
    ("float-for-int", "atoms = [52.5]", "[sweep] atoms value must be a whole number"),
    ("zero-atoms", "atoms = [0]", "[sweep] atoms value must be >= 1"),
    ("zero-rate", "quench_rate = [0]", "quench_rate (K/ps) must be > 0"),
    ("duplicates", "quench_rate = [10, 30, 10]", "[sweep] quench_rate lists a value twice"),
    ("duplicates-int-float", "quench_rate = [10, 10.0]", "[sweep] quench_rate lists a value twice"),
    ("not-a-list", "quench_rate = 10", "[sweep] quench_rate must be a non-empty list"),
    ("empty-list", "quench_rate = []", "[sweep] quench_rate must be a non-empty list"),
    ("nested-list", "quench_rate = [[10]]", "[sweep] quench_rate value must be a number"),
    ("too-many-values", f"quench_rate = {list(range(1, 40))}", "39 values, at most 32"),
    ("huge-product", "quench_rate = [1, 2, 3, 4, 5, 6, 7, 8, 9]\nt_anneal = [1, 2, 3, 4, 5, 6, 7, 8]",
     "makes 72 points (9 x 8), at most 64"),
    ("atoms-and-fu", "atoms = [26]\nfu = [4]", "give atoms or fu, not both"),
    ("size-twice", "fu = [4]", "the size is swept: leave out the campaign's fu"),
    ("in-set-too", "t_melt = [1, 2]", "t_melt is both in 'set' and in [sweep]"),
    ("point-impossible", "T_final = [300, 2000]", "point T_final=2000: T_final (2000 K) must be below T_melt"),
    ("too-big", "dt = [1, 50]", "dt (fs) must be <= 10"),
    ("empty-table", "", "[sweep] names no parameter"),
    ("not-a-table", None, "[sweep] must be a table"),
]


@pytest.mark.parametrize("case,lines,needle", SWEEP_CASES, ids=[c[0] for c in SWEEP_CASES])
def test_kind7_campaign_sweep_refused(kit, tmp_path, case, lines, needle):
    top = 'set = ["t_melt=1"]\nsweep = [1]' if lines is None else f'set = ["t_melt=1"]\n[sweep]\n{lines}'
    refused(kit("campaign", "plan", _campaign(tmp_path, top=top)), needle)
    refused(kit("campaign", "run", _campaign(tmp_path, top=top)), needle)
    assert not (tmp_path / "t").exists()


def test_kind7_campaign_broken_toml_and_bad_lists(kit, tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('name = "t"\nx = [0\n')
    refused(kit("campaign", "plan", p), "cannot read campaign file")
    p.write_text('name = "t"\nx = ["a"]\npotentials = ["lj-a"]\nseeds = [1]\n')
    refused(kit("campaign", "plan", p), "x")
    p.write_text('name = "t"\nx = [0]\npotentials = ["lj-a"]\nseeds = [-1]\n')
    refused(kit("campaign", "plan", p), "seed")
    assert not (tmp_path / "t").exists()


def test_kind7_broken_site_toml(kit, tmp_path):
    sites = tmp_path / "home" / "sites"
    sites.mkdir(parents=True)
    (sites / "broken.toml").write_text('partition = "gpu\n')
    refused(kit("campaign", "plan", _campaign(tmp_path, 'site = "broken"')), "cannot read site profile")
    (sites / "typed.toml").write_text("cpus = 1.5\n")
    refused(kit("campaign", "plan", _campaign(tmp_path, 'site = "typed"')), "cpus")
    assert not (tmp_path / "t").exists()


def test_kind7_bad_limit_variable(kit, tmp_path, monkeypatch):
    monkeypatch.setenv("LAMMPSKIT_MAX_ATOMS", "lots")
    refused(kit("build", "--fu", "2", "--out", "d.lmp"), "LAMMPSKIT_MAX_ATOMS")


# =====================================================================================================
# 5. bounds on derived sizes: the number and how to lift the bound
# =====================================================================================================

def test_kind5_too_many_atoms(kit, tmp_path):
    refused(kit("build", "--atoms", "2000000", "--out", "d.lmp"), "atoms", "LAMMPSKIT_MAX_ATOMS=")
    assert not (tmp_path / "d.lmp").exists()


def test_kind5_too_many_steps(kit, tmp_path):
    r = kit("render", "--pot", "lj-a", "--fu", "2", "--set", "t_production=1000000", "--set", "dt=0.5", "--out", "r")
    refused(r, "MD steps", "LAMMPSKIT_MAX_STEPS=")
    assert not (tmp_path / "r").exists()


def test_kind5_dumps_too_large(kit, tmp_path):
    r = kit("render", "--pot", "lj-a", "--atoms", "100000", "--set", "t_production=1000", "--set", "dump_every=1",
            "--set", "msd_every=1", "--out", "r")
    refused(r, "GB", "LAMMPSKIT_MAX_DUMP_GB=")
    assert not (tmp_path / "r").exists()


def test_kind5_bound_can_be_lifted(kit, tmp_path, monkeypatch):
    monkeypatch.setenv("LAMMPSKIT_MAX_ATOMS", "10")
    refused(kit("build", "--fu", "2", "--out", "d.lmp"), "26 atoms", "LAMMPSKIT_MAX_ATOMS=26")
    monkeypatch.setenv("LAMMPSKIT_MAX_ATOMS", "26")
    assert kit("build", "--fu", "2", "--out", "d.lmp").returncode == 0


# =====================================================================================================
# 6. analysis input that is not a structure
# =====================================================================================================

@pytest.mark.parametrize("rows,n,needle", [
    ([], 0, "no atoms"),
    (["1 Na 1 1 1", "2 S nan 3 3"], None, "non-finite"),
    (["1 Na 1 1 1", "2 S inf 3 3"], None, "non-finite"),
    (["1 Na 1 1 1", "2 Xx 3 3 3"], None, "'Xx'"),
    (["1 Na 1 1 1", "2 S 1.1 1 1"], None, "overlap"),
], ids=["zero-atoms", "nan", "inf", "unknown-element", "overlap"])
def test_kind6_analysis_refuses_broken_frames(kit, tmp_path, rows, n, needle):
    dump = _dump(tmp_path / "d.lammpstrj", rows, n)
    refused(kit("analyze", "rdf", dump, "--out", tmp_path / "an"), needle)
    assert not (tmp_path / "an").exists() or not list((tmp_path / "an").iterdir())


def test_kind6_analysis_refuses_an_empty_file(kit, tmp_path):
    _garbage(tmp_path / "e.lammpstrj", "")
    refused(kit("analyze", "rdf", tmp_path / "e.lammpstrj", "--out", tmp_path / "an"))


def _iso(lam: float, mu: float):
    import numpy as np

    C = np.zeros((6, 6))
    C[:3, :3] = lam
    C[np.arange(3), np.arange(3)] = lam + 2 * mu
    C[np.arange(3, 6), np.arange(3, 6)] = mu
    return C


@pytest.mark.parametrize("lam,mu", [(20.0, -5.0), (-40.0, 10.0)], ids=["negative-shear", "negative-bulk"])
def test_kind6_born_unstable_c_is_reported_with_eigenvalues_not_moduli(lam, mu):
    from rich.console import Console

    from lammpskit.analysis import elasticity as elastic
    from lammpskit.cli.summary import show_elastic
    from lammpskit.run.result_types import ElasticResult

    out = elastic.checked_moduli(_iso(lam, mu))
    assert out["mechanically_stable"] is False and out["B"] is None and out["G"] is None
    assert min(out["eigenvalues_GPa"]) <= 0 and "mechanically unstable" in out["problems"][0]
    console = Console(record=True, width=200)
    show_elastic("run", ElasticResult.from_dict({"method": "static", "strain": 0.005, "potential": "p",
                                                 "C": _iso(lam, mu).tolist(), "isotropy": {"max_dev_GPa": 0.0},
                                                 **out}), console)
    text = console.export_text()
    assert "mechanically unstable" in text and "eigenvalues" in text and "B " not in text


def test_kind6_stable_c_keeps_its_moduli_and_flags_nothing():
    from lammpskit.analysis import elasticity as elastic

    out = elastic.checked_moduli(_iso(20.0, 10.0))
    assert out["mechanically_stable"] is True and out["problems"] == []
    assert out["B"] == pytest.approx(20.0 + 2 * 10.0 / 3, abs=1e-3) and out["G"] == pytest.approx(10.0)


def test_kind6_impossible_moduli_and_broken_tensors_are_flagged():
    import numpy as np

    from lammpskit.analysis import stability
    from lammpskit.analysis.errors import InputError

    assert any("Poisson" in p for p in stability.impossible({"B": 10.0, "G": 5.0, "E": 12.0, "nu": 0.7}))
    assert any("B" in p for p in stability.impossible({"B": -1.0}))
    bad = _iso(20.0, 10.0)
    bad[0, 0] = np.nan
    with pytest.raises(InputError, match="non-finite"):
        stability.born(bad)
    with pytest.raises(InputError, match="6x6"):
        stability.born(np.eye(3))


def test_kind2_verify_only_checks_without_running(kit, run_dir):
    assert kit("run", run_dir, "--verify-only").returncode == 0
    _edit(run_dir, "potential.lmp", "shell touch MARKER\n")
    refused(kit("run", run_dir, "--verify-only"), "shell", "--trust-deck")
    _nothing_ran(run_dir)


def test_kind2_native_lmp_job_scripts_verify_the_case_first():
    from lammpskit.study import slurm

    cmd = slurm.stage_command("quench", slurm.Site(lmp="/opt/lammps/bin/lmp"), True, {})
    assert cmd.index('run "$CASE" --verify-only &&') < cmd.index("srun /opt/lammps/bin/lmp")


@pytest.mark.parametrize("method", ["static", "dynamic"])
def test_kind2_elastic_run_directories_are_recorded_and_scanned(kit, run_dir, tmp_path, method):
    from lammpskit.potentials import registry as potentials
    from lammpskit.run import integrity
    from lammpskit.workflows import elastic

    out = elastic.render(tmp_path / f"el-{method}", run_dir / "data.lmp", potentials.get("lj-a"),
                         elastic.ElasticParams(method=method))
    man = _man(out)
    assert set(man["rendered"]) == {"in.elastic.lmp", "potential.lmp", "data.lmp"}
    assert integrity.scan(out, man["deck"]) is None  # the kit's own elastic deck is clean
    assert kit("run", out, "--verify-only").returncode == 0
    _edit(out, "in.elastic.lmp", "shell touch MARKER\n")
    refused(kit("run", out), "shell", "--trust-deck")
    assert not (out / "result.json").exists()


def test_kind2_diffusion_run_directory_is_recorded_and_clean(kit, run_dir, tmp_path):
    from lammpskit.potentials import registry as potentials
    from lammpskit.run import integrity
    from lammpskit.workflows import diffusion

    out = diffusion.render(tmp_path / "diff", run_dir / "data.lmp", potentials.get("lj-a"),
                           diffusion.DiffusionParams(T=600.0, ps=1.0, equil_ps=0.1, every=10))
    man = _man(out)
    assert man["deck"] in man["rendered"] and integrity.scan(out, man["deck"]) is None
    _edit(out, man["deck"], "python f source here\n")
    refused(kit("run", out, "--verify-only"), "python")


def test_kind2_the_kits_deepmd_plugin_load_recorded_at_render_is_allowed(kit, run_dir):
    from lammpskit.potentials import builds
    from lammpskit.run import integrity

    kit_plugin = str(builds.plugin_path(builds.DEEPMD_PLUGIN))
    p = run_dir / "potential.lmp"
    p.write_text(f"plugin load     {kit_plugin}\n" + p.read_text())
    man = _man(run_dir)
    refused(kit("run", run_dir, "--verify-only"), "changed since it was rendered")
    # as render writes it: the kit's plugin, recorded
    integrity.record(run_dir)
    assert _man(run_dir)["plugins"] == [kit_plugin]
    assert kit("run", run_dir, "--verify-only").returncode == 0
    # the same line, but not recorded at render (an attacker's run.json): refused
    man = _man(run_dir)
    man["plugins"] = []
    _set_man(run_dir, man)
    refused(kit("run", run_dir, "--verify-only"), "plugin")
    # a recorded plugin that is not the kit's: refused
    man["plugins"] = [kit_plugin, "/tmp/evil.so"]
    _set_man(run_dir, man)
    _edit(run_dir, "potential.lmp", "plugin load /tmp/evil.so\n")
    refused(kit("run", run_dir, "--verify-only"), "/tmp/evil.so")


@pytest.mark.parametrize("out,needle", [("afile", "is a file"), ("afile/sub", "is a file")], ids=["file", "below-file"])
def test_kind4_analysis_out_is_not_a_folder(kit, tmp_path, out, needle):
    dump = _dump(tmp_path / "d.lammpstrj", GOOD_ROWS)
    _garbage(tmp_path / "afile")
    refused(kit("analyze", "rdf", dump, "--out", tmp_path / out), needle)
    assert (tmp_path / "afile").read_text() == "not a model\n"


def _truncated_zip(p: Path) -> Path:
    _zip(p, {"a/data.pkl": b"mace.modules" * 1000})
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    return p


@pytest.mark.parametrize("args,make,needle", [
    (["ft-mp0"], lambda p: _zip(p, {"a/data.pkl": b"model_args composition_model"}), "looks like chgnet"),
    (["ft-mp0"], _truncated_zip, "not a mace model"),
    (["deepmd"], lambda p: _zip(p, {"a/code/x.py": b"torch"}), "looks like torchscript"),
    (["mine", "--family", "deepmd", "--elements", "Na"], lambda p: _garbage(p), "not a deepmd model"),
    (["mine", "--family", "chgnet", "--elements", "Na"], lambda p: _zip(p, {"x/data.pkl": b"x"}), "not a chgnet"),
], ids=["chgnet-for-mace", "truncated-zip", "torchscript-for-deepmd", "text-as-deepmd", "zip-as-chgnet"])
def test_kind3_add_wrong_family_registers_and_pins_nothing(kit, tmp_path, args, make, needle):
    model = make(tmp_path / "m.pth")
    refused(kit("potentials", "add", *args, "--model", model), needle)
    home = tmp_path / "home"
    assert not (home / "pins.json").exists() and not (home / "models").exists()
    assert not (home / "potentials").exists() or not list((home / "potentials").iterdir())


def test_kind3_grace_fs_yaml_that_is_not_one(kit, tmp_path):
    sm = tmp_path / "sm"
    sm.mkdir()
    (sm / "saved_model.pb").write_bytes(b"\x08\x01")
    refused(kit("potentials", "add", "grace-gse", "--model", sm, "--fs-yaml", _garbage(tmp_path / "fs.yaml")),
            "not a grace-fs-yaml")
    assert not (tmp_path / "home" / "models").exists() and not (tmp_path / "home" / "pins.json").exists()


def test_kind3_deviation_with_one_pinned_and_one_unknown_model(kit, tmp_path):
    from lammpskit.potentials import registry as potentials

    dump = _dump(tmp_path / "d.lammpstrj", GOOD_ROWS)
    a = _zip(tmp_path / "a.pth", {"m/extra/x.json": b"deepmd type_map"})
    b = _zip(tmp_path / "b.pth", {"m/extra/x.json": b"deepmd type_map b"})
    potentials.pin("dp", "model", potentials.sha256(a))
    refused(kit("finetune", "deviation", dump, "--model", a, "--model", b, "--out", tmp_path / "u.xyz"),
            str(b), "not a registered or pinned model")
    assert not (tmp_path / "u.xyz").exists() and not (tmp_path / "model_devi.out").exists()


def test_kind2_scan_has_no_false_alarm_on_paths_and_prints():
    from lammpskit.lammps import deck

    for line in ("pair_style deepmd /home/u/python/models/shell/m.pth", 'print "the melt is done" file melt.txt',
                 "variable lk_lx equal $(lx)", "run 1000 upto start 0 stop 1000",
                 "dump lk 1 all custom 10 dump.production.lammpstrj id element x y z"):
        assert deck.line_problem(deck.words(line)) is None, line


def test_kind4_out_in_a_read_only_folder(kit, tmp_path, monkeypatch):
    import os

    ro = tmp_path / "ro"
    ro.mkdir()
    real = os.access
    # the tests run as root, for whom every folder is writable: pretend this one is not
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: False if Path(p) == ro else real(p, mode, *a, **k))
    refused(kit("build", "--fu", "2", "--out", ro / "d.lmp"), "not writable")
    refused(kit("render", "--pot", "lj-a", "--fu", "2", "--out", ro / "run"), "not writable")
    assert not list(ro.iterdir())


@pytest.mark.parametrize("name", ["log.lammps", "dump.production.lammpstrj", "restart/step.0.bin"])
def test_kind2_symlinked_output_is_refused(kit, run_dir, tmp_path, name):
    target = tmp_path / "victim"
    _garbage(target, "precious\n")
    (run_dir / name).symlink_to(target)
    refused(kit("run", run_dir), "symbolic link", "--trust-deck")
    assert target.read_text() == "precious\n"
    assert not (run_dir / "result.json").exists() and _man(run_dir)["state"] == "rendered"


def test_kind1_classical_entries_written_by_add_load(kit, tmp_path):
    r = kit("potentials", "add", "lj-mine", "--pair-style", "lj/cut 6.0", "--pair-coeff", "* * 0.01 2.6",
            "--elements", "Na,P,S,O", "--json")
    assert r.returncode == 0, r.stderr
    assert kit("potentials", "show", "lj-mine", "--json").returncode == 0


@pytest.mark.parametrize("body, needle", [
    ("", "found 0 labelled frame"),
    ('2\nLattice="5 0 0 0 5 0 0 0 5" Properties=species:S:1:pos:R:3 REF_energy=-1.0 pbc="T T T"\nNa 0 0 0\n'
     'Na 0.1 0 0\n', "overlap"),
    ('1\nLattice="5 0 0 0 5 0 0 0 5" Properties=species:S:1:pos:R:3 REF_energy=-1.0 pbc="T T T"\nNa nan 0 0\n',
     "non-finite"),
    ('2\nLattice="5 0 0 0 5 0 0 0 5" Properties=species:S:1:pos:R:3 REF_energy=nan pbc="T T T"\n'
     'Na 0 0 0\nS 2 0 0\n', "REF_energy"),
    ('2\nLattice="5 0 0 0 5 0 0 0 5" Properties=species:S:1:pos:R:3:REF_forces:R:3 REF_energy=-1.0 pbc="T T T"\n'
     'Na 0 0 0 0 0 inf\nS 2 0 0 0 0 0\n', "REF_forces"),
], ids=["empty", "overlap", "nan", "nan-label", "inf-force"])
def test_kind6_labelled_extxyz_is_checked_on_load(kit, tmp_path, body, needle):
    bad = tmp_path / "bad.xyz"
    bad.write_text(body)
    refused(kit("finetune", "collect", bad, "--train", tmp_path / "t.xyz", "--valid", tmp_path / "v.xyz"), needle)
    assert not (tmp_path / "t.xyz").exists() and not (tmp_path / "v.xyz").exists()
