"""The Python API speaks Python (issue 23): dicts, lists, slices and tuples in, errors that name the argument.

1. ``lk.analyze_units`` takes ``cutoffs={"P-S": 2.6, ...}`` and ``frames=slice(...)`` on a real dump.
2. A bad Python argument's error names the parameter (``cutoffs['P-S']``, ``select_n``) and no ``--flag``.
3. The command line still prints its option-named ``error:`` line (exit 2) for the same bad value.
4. No library module outside ``lammpskit/cli`` names a ``--flag`` in a message (an AST scan).
5. The exception classes a caller branches on are exported and keep the CLI's exit codes.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import lammpskit as lk

from .. import known_units
from ..conftest import LJ, ROOT

pytestmark = pytest.mark.fast

FRAME13 = ROOT / "tests" / "finetune" / "data" / "na4p2s7_13.xyz"
STUDY_CUTOFFS = {"P-S": 2.6, "P-O": 2.0, "P-P": 2.5, "S-S": 2.5}


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> Path:
    """A three-frame LAMMPS dump of hand-built units (PS4, P2S7, an edge-sharing P2S6), known P^n per frame."""
    from lammpskit.lammps import dumps

    frames = []
    for step, name in enumerate(["PS4", "P2S7", "edge"]):
        els, pos, cell = known_units.assemble([known_units.EXPECTED[name][0]()])
        frames.append((step * 10, np.arange(1, len(els) + 1), els, pos, cell, np.zeros(3)))
    path = tmp_path_factory.mktemp("vocabulary") / "units.dump"
    dumps.write(path, frames)
    return path


@pytest.fixture
def kit(tmp_path, monkeypatch, capsys):
    """``kit(*args)``: the real console entry point in-process; returncode, stdout, stderr."""
    import importlib

    reg = tmp_path / "reg"
    reg.mkdir()
    (reg / "lj-a.toml").write_text(LJ.format(name="lj-a", eps=0.01))
    monkeypatch.setenv("LAMMPSKIT_POTENTIALS", str(reg))
    monkeypatch.setenv("LAMMPSKIT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LAMMPSKIT_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)
    app = importlib.import_module("lammpskit.cli.app")

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

    return run


# -- 1. Python values in ------------------------------------------------------------------------------

def test_analyze_units_takes_a_cutoff_dict_and_a_slice(dump):
    res = lk.analyze_units(dump, cutoffs=STUDY_CUTOFFS)
    assert isinstance(res, lk.UnitsResult)
    assert res.frames == 1 and res.edge_sharing_pairs == 1          # the last frame: edge-sharing P2S6
    assert res.cutoffs["P-S"] == 2.6 and res.cutoffs["Na-S"] == 3.6  # the rest stay the defaults
    every = lk.analyze_units(dump, frames="all", cutoffs=STUDY_CUTOFFS)
    assert every.frames == 3 and every.Pn == pytest.approx({"0": 1 / 3, "1": 2 / 3, "2": 2 / 3})
    assert lk.analyze_units(dump, frames=slice(-2, None)).frames == 2
    assert lk.analyze_units(dump, frames=[0, 2]).frames == 2
    assert lk.analyze_units(dump, frames=0).Pn == {"0": 1.0}                # PS4: one isolated P^0
    # a P-S cutoff below the 2.08 Å bond: no P-S bonds, every P bare
    assert lk.analyze_units(dump, frames=0, cutoffs={("P", "S"): 2.0}).units == {"P": 1}


def test_settings_and_min_dist_are_dicts(tmp_path, kit):
    import json

    run_dir = lk.render_quench("lj-a", x=0, fu=2, seed=3, out=tmp_path / "r",
                               settings={"quench_rate": 200, "t_anneal": 0.5, "dump_velocities": True},
                               min_dist={"Na-Na": 2.0, "S-S": 2.5})
    params = json.loads((run_dir / "run.json").read_text())["params"]
    assert params["quench_rate"] == 200.0 and params["t_anneal"] == 0.5 and params["dump_velocities"] is True
    # the command line's --set KEY=VALUE and --min-dist A-B=d make the same run
    r = kit("render", "--pot", "lj-a", "--x", "0", "--fu", "2", "--seed", "3", "--out", tmp_path / "c",
            "--set", "quench_rate=200", "--set", "t_anneal=0.5", "--set", "dump_velocities=yes",
            "--min-dist", "Na-Na=2.0", "--min-dist", "S-S=2.5")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "c" / "data.lmp").read_text().split("\n", 1)[1] == (run_dir / "data.lmp").read_text().split("\n", 1)[1]
    assert json.loads((tmp_path / "c" / "run.json").read_text())["params"] == params


def test_library_defaults_are_the_commands_defaults():
    """Each public function's defaults are its command's (train_deepmd once trained 200000 steps, the CLI 100000)."""
    import importlib
    import inspect

    app = importlib.import_module("lammpskit.cli.app")
    from lammpskit.cli import analyze, audit, finetune

    def default(p):
        d = p.default
        return getattr(d, "default", d)  # a Typer OptionInfo

    text_forms = {"600,700,800": (600.0, 700.0, 800.0), "300,400,600,800": (300, 400, 600, 800),
                  "40,60,80": (40, 60, 80), "0.2:0.8": (0.2, 0.8)}
    pairs = [(lk.render_quench, app.render, {"settings": "set_"}), (lk.elastic, app.elastic_cmd, {}),
             (lk.arrhenius, app.arrhenius_cmd, {"temperatures": "temps"}),
             (lk.analyze_units, analyze.analyze_units, {"cutoffs": "cutoff"}),
             (lk.anneal_density, app.density_cmd, {"nblocks": "blocks"}),
             (lk.finetune_mace, finetune.mace_cmd, {}), (lk.finetune_sevenn, finetune.sevenn_cmd, {}),
             (lk.train_deepmd, finetune.deepmd_cmd, {}),
             (lk.audit, audit.audit_cmd, {"cutoffs": "cutoff", "select_n": "select"}),
             (lk.label_dft, finetune.dft_cmd, {"slurm": "slurm_site"}),
             (lk.converge_dft, finetune.converge_cmd, {"folder": "out"}), (lk.run, app.run_cmd, {})]
    checked = 0
    for lib, cmd, names in pairs:
        options = inspect.signature(cmd).parameters
        for name, p in inspect.signature(lib).parameters.items():
            opt = options.get(names.get(name, name))
            if opt is None or p.default is inspect.Parameter.empty or opt.default is inspect.Parameter.empty:
                continue
            want = default(opt)
            assert p.default == text_forms.get(want, want), (lib.__name__, name, p.default, want)
            checked += 1
    assert checked > 40


# -- 2. errors name the Python parameter ----------------------------------------------------------------

BAD = [
    (lambda d, t: lk.analyze_units(d, cutoffs={"P-S": "x"}), "cutoffs['P-S'] must be a number, got 'x'"),
    (lambda d, t: lk.analyze_units(d, cutoffs=["P-S=2.6"]), "cutoffs must be a dict"),
    (lambda d, t: lk.analyze_units(d, cutoffs={"P-Xx": 2.0}), "cutoffs['P-Xx']: 'Xx' is not an element"),
    (lambda d, t: lk.analyze_units(d, frames="1:2"), "frames='1:2': expected 'last', 'all', a frame index"),
    (lambda d, t: lk.analyze_units(d, frames=slice(5, 9)), "frames=slice(5, 9, None) selects no frame"),
    (lambda d, t: lk.analyze_units(d, frames=7), "frame 7 is outside the file's 3 frames"),
    (lambda d, t: lk.analyze_units(d, types="Na,P,S,O"), "types must be a list of element symbols"),
    (lambda d, t: lk.audit(d, ["lj-a", "chgnet"], select_n=0), "select_n must be >= 1, got 0"),
    (lambda d, t: lk.audit(d, ["chgnet"]), "without reference the audit compares potentials: give two or more pots"),
    (lambda d, t: lk.audit(d, ["chgnet", "mp0"], out=t / "x.xyz"), "out names the file for select_n"),
    (lambda d, t: lk.arrhenius(t, "600,700,800"), "temperatures must be a list of temperatures in K"),
    (lambda d, t: lk.arrhenius(t, [600]), "temperatures needs at least two values"),
    (lambda d, t: lk.composition(x=9), "x must be <= 7, got 9"),
    (lambda d, t: lk.composition(x=0, fu=2, atoms=26), "give fu or atoms, not both"),
    (lambda d, t: lk.render_quench(settings={"quench_rate": "fast"}, out=t / "r"),
     "settings['quench_rate'] must be a number"),
    (lambda d, t: lk.render_quench(settings={"no_such": 1}, out=t / "r"), "settings: unknown parameter 'no_such'"),
    (lambda d, t: lk.render_quench(min_dist={"Na-Na": -1}, fu=2, out=t / "r"), "min_dist['Na-Na'] must be in (0, 10]"),
    (lambda d, t: lk.elastic(t, strain=1.0), "strain must be <= 0.05"),
    (lambda d, t: lk.anneal_density(t, nblocks=1), "nblocks must be >= 2, got 1"),
    (lambda d, t: lk.train_deepmd(t / "a.xyz", t / "b.xyz", steps=0), "steps must be >= 1, got 0"),
    (lambda d, t: lk.finetune_mace(t / "a.xyz", epochs=0), "epochs must be >= 1, got 0"),
    (lambda d, t: lk.converge_dft(FRAME13, cutoffs=[10], folder=t / "c"), "cutoffs must be >= 50, got 10"),
]


@pytest.mark.parametrize("call, needle", BAD, ids=[b[1][:40] for b in BAD])
def test_a_bad_argument_names_the_parameter_not_a_flag(call, needle, dump, tmp_path, kit):
    with pytest.raises(lk.UserError) as err:
        call(dump, tmp_path)
    message = str(err.value)
    assert needle in message and "--" not in message, message
    assert "\ue000" not in message and "\ue002" not in message  # no parameter marks leak into str()


# -- 3. the command line keeps its own words ------------------------------------------------------------

@pytest.mark.parametrize("args, line", [
    (["analyze", "units", "{dump}", "--cutoff", "P-S=x"], "error: --cutoff P-S must be a number, got 'x'"),
    (["analyze", "units", "{dump}", "--cutoff", "P-Xx=2"], "error: 'Xx' is not an element symbol (e.g. Na, P, S, O)"),
    (["analyze", "units", "{dump}", "--frames", "x"],
     "error: --frames 'x': expected last, all or A:B (frame indices, e.g. 10:100)"),
    (["analyze", "units", "{dump}", "--frames", "5:9"], "error: --frames '5:9' selects no frame (the file has 3)"),
    (["audit", "{dump}", "--pot", "lj-a", "--pot", "chgnet", "--select", "0"], "error: --select must be >= 1, got 0"),
    (["audit", "{dump}", "--pot", "chgnet"],
     "error: without --reference the audit compares potentials: give two or more --pot"),
    (["audit", "{dump}", "--pot", "chgnet", "--pot", "mp0", "--out", "x.xyz"],
     "error: --out names the file for --select N: give --select too"),
    (["arrhenius", "{tmp}", "--temperatures", "600"], "error: --temperatures needs at least two values for an Arrhenius fit"),
    (["arrhenius", "{tmp}", "--temperatures", "6x0"], "error: --temperatures '6x0': expected K values like 600,700,800"),
    (["compositions", "--x", "9"], "error: --x must be <= 7, got 9"),
    (["render", "--pot", "lj-a", "--fu", "2", "--atoms", "26"], "error: give --fu or --atoms, not both"),
    (["render", "--pot", "lj-a", "--set", "no_such=1"], "error: --set 'no_such=1': expected KEY=VALUE with KEY one of"),
    (["render", "--pot", "lj-a", "--fu", "2", "--min-dist", "Na-Na=-1"], "error: --min-dist Na-Na must be in (0, 10] Å"),
    (["elastic", "{tmp}", "--strain", "1"], "error: --strain must be <= 0.05, got 1"),
    (["finetune", "deepmd", "--train", "a.xyz", "--valid", "b.xyz", "--steps", "0"], "error: --steps must be >= 1, got 0"),
    (["finetune", "converge", str(FRAME13), "--cutoffs", "10"], "error: --cutoffs must be >= 50, got 10"),
])
def test_the_cli_names_its_option_for_the_same_value(args, line, kit, dump, tmp_path):
    r = kit(*[a.format(dump=dump, tmp=tmp_path) for a in args])
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith(line), (r.returncode, r.stderr)


def test_marked_parameters_render_in_either_vocabulary():
    from lammpskit.cli.common import message, options
    from lammpskit.errors import UserError, param

    err = UserError(f"{param('select_n')} needs two or more {param('pots')}; use {param('device', 'cpu')} "
                    f"or {param('types', ['Na', 'P'])}")
    assert str(err) == "select_n needs two or more pots; use device='cpu' or types=['Na', 'P']"
    assert message(err) == "--select needs two or more --pot; use --device cpu or --types Na,P"
    import pickle

    again = pickle.loads(pickle.dumps(err))  # an error from another process keeps its marks
    assert str(again) == str(err) and message(again) == message(err)
    with pytest.raises(UserError) as caught, options(pots=lambda tail: "POTS"):  # a command's own words
        raise err
    assert message(caught.value) == "--select needs two or more POTS; use --device cpu or --types Na,P"


# -- 4. no library message names a --flag ------------------------------------------------------------------

FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9_-]*")
KIT_COMMAND = re.compile(r"'lammpskit [^']*'")  # a command to run, quoted in a message: it may name options
# (module, text in the string): why a --flag there is not a library message naming a CLI option
ALLOWED = {
    ("lammpskit/finetune/cp2k.py", "export-dft --code qe"): "names the CLI command that writes pw.x inputs",
    ("lammpskit/study/dft.py", "export-dft --code qe"): "names the CLI command that writes pw.x inputs",
    ("lammpskit/finetune/cp2k_converge.py", "'finetune sample --n 1'"): "names the CLI command that writes one frame",
    ("lammpskit/finetune/deepmd.py", "main([\"--pt\""): "the source of the dp child process (dp's own options)",
    ("lammpskit/finetune/deepmd.py", "(dp --pt)"): "provenance: the trainer's own command",
    ("lammpskit/potentials/converters.py", "dp --pt compress"): "the converter tool's own command line",
    ("lammpskit/study/slurm.py", "--verify-only"): "a job-script line that runs the kit's CLI on a node",
    ("analysis/scattering.py", "use a larger --rmax"): "a note of analyze rdf's result the CLI prints as is",
}


def _argv(node, parents) -> bool:
    """Whether a string is a word of a command line for another program: an item of a list, or what a list's
    ``append`` gets (through a conditional expression)."""
    parent = parents.get(node)
    while isinstance(parent, ast.IfExp):
        node, parent = parent, parents.get(parent)
    if isinstance(parent, ast.List):
        return True
    return isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute) and parent.func.attr == "append"


def _messages(path: Path):
    """(line, text) of every string in ``path`` that is not a docstring or an argv word; an f-string as one
    text with ``{}`` for its fields."""
    tree = ast.parse(path.read_text())
    parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and not isinstance(parents.get(node),
                                                                                             ast.JoinedStr):
            text = node.value
        else:
            continue
        if isinstance(parents.get(node), ast.Expr) or _argv(node, parents):
            continue
        yield node.lineno, text


def library_modules() -> list[Path]:
    kit = [p for p in (ROOT / "lammpskit").rglob("*.py") if p.relative_to(ROOT / "lammpskit").parts[0]
           not in ("cli", "analysis")]
    return sorted(kit + list((ROOT / "analysis").rglob("*.py")))


def test_no_library_message_names_a_cli_flag():
    found, used = [], set()
    for path in library_modules():
        rel = path.relative_to(ROOT).as_posix()
        for line, text in _messages(path):
            rest = KIT_COMMAND.sub("", text)
            allowed = [k for k in ALLOWED if k[0] == rel and k[1] in text]
            used.update(allowed)
            if FLAG.search(rest) and not allowed:
                found.append(f"{rel}:{line}: {text[:100]!r}")
    assert not found, "library strings naming a --flag (use lammpskit.errors.param):\n" + "\n".join(found)
    assert used == set(ALLOWED), f"allowlist entries that match nothing: {set(ALLOWED) - used}"


def test_the_scan_finds_a_flag_in_a_message(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('def f(n):\n    """Docstrings may say --n."""\n    cmd = ["tool", "--verbose"]\n'
                   '    raise ValueError(f"--n {n} is too large; run \'lammpskit build --fu 2\'")\n')
    texts = [t for _, t in _messages(bad)]
    assert [t for t in texts if FLAG.search(KIT_COMMAND.sub("", t))] == ["--n {} is too large; run 'lammpskit build --fu 2'"]


# -- 5. exceptions a caller can branch on -----------------------------------------------------------------

def test_exceptions_are_exported_and_keep_their_roots():
    from lammpskit import errors
    from lammpskit.analysis.errors import InputError, ReadError
    from lammpskit.run import engine

    assert lk.UserError is InputError and lk.RunError is ReadError and issubclass(errors.UserError, lk.UserError)
    for cls in (lk.ModelError, lk.RunFailed, lk.Interrupted):
        assert issubclass(cls, errors.RunError) and issubclass(cls, lk.RunError) and issubclass(cls, lk.Error)
    assert len({lk.ModelError, lk.RunFailed, lk.Interrupted, errors.UserError}) == 4
    assert issubclass(lk.UserError, lk.Error) and engine.Interrupted is lk.Interrupted
    assert {"Error", "UserError", "RunError", "ModelError", "RunFailed", "Interrupted"} <= set(lk.__all__)


def test_a_model_that_cannot_be_loaded_is_a_model_error(tmp_path, monkeypatch):
    """A checkpoint its package refuses: ModelError (a RunError, exit 1) naming the potential and the file."""
    import dataclasses

    from lammpskit.potentials import calculators, families
    from lammpskit.potentials.registry import sha256

    model = tmp_path / "broken.model"
    model.write_bytes(b"not a model")
    reg = tmp_path / "reg"
    reg.mkdir()
    (reg / "broken.toml").write_text(
        'name = "broken"\nfamily = "mace"\nelements = ["Na"]\nlicence = "none"\n'
        f'[[files]]\nkey = "model"\npath = "{model}"\nsha256 = "{sha256(model)}"\n[bridge]\ncalculator = "mace"\n')
    monkeypatch.setenv("LAMMPSKIT_POTENTIALS", str(reg))

    def refuse(pot, files, device):  # what torch.load says of a file that is no checkpoint
        raise RuntimeError("PytorchStreamReader failed reading zip archive: failed finding central directory")

    real = families.get
    monkeypatch.setattr(families, "get", lambda name: dataclasses.replace(real(name), builder=refuse))
    with pytest.raises(lk.ModelError, match=r"cannot load the mace model of potential 'broken' \(.*broken.model\)"):
        calculators.build(lk.potentials.get("broken"))


def test_lk_run_is_callable_however_lammpskit_run_was_imported():
    import inspect

    import lammpskit.run.manifest  # noqa: F401 - the import system sets lammpskit.run to the package

    assert callable(lk.run) and "trust_deck" in inspect.signature(lk.run).parameters
    with pytest.raises(lk.UserError, match="not a run directory"):
        lk.run(ROOT / "no-such-run")


def test_lk_audit_is_callable_however_lammpskit_audit_was_imported():
    import importlib
    import inspect

    package = importlib.import_module("lammpskit.audit.frames") and importlib.import_module("lammpskit.audit")
    for audit in (package, lk.audit):
        assert callable(audit) and "select_n" in inspect.signature(audit).parameters
        with pytest.raises(lk.UserError, match="without reference the audit compares potentials"):
            audit(["x.xyz"], ["lj-a"])
