"""``potentials fetch`` of a SavedModel folder pinned file by file, from a local server laid out like
raw.githubusercontent.com (``--mirror`` / ``$LAMMPSKIT_MIRROR``), with licence acceptance.

The model is a real random-init GRACE-FS (tensorpotential) built here; the entry is written like the shipped
grace-gse (whose GlassMLIP files the kit never ships: no licence is published upstream).
"""

from __future__ import annotations

import hashlib
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from lammpskit.errors import UserError
from lammpskit.potentials import registry as potentials

from ..conftest import ELEMENTS, assert_user_error, cli

COMMIT = "0123456789abcdef0123456789abcdef01234567"
ORIGIN = f"https://raw.githubusercontent.com/someone/GlassMLIP/{COMMIT}/potential"
NO_LICENCE = "no licence published upstream (test: the repository has no licence file)"


class Handler(http.server.SimpleHTTPRequestHandler):
    """Files from ``directory``; ``Handler.faults[url path]`` = "truncate" (half the body, full Content-Length)
    or "html" (a 200 HTML error page instead of the file)."""

    faults: dict = {}

    def log_message(self, *args):
        pass

    def do_GET(self):
        fault = Handler.faults.get(self.path)
        path = Path(self.translate_path(self.path))
        if fault == "html":
            body = b"<!DOCTYPE html><html><body>Rate limit exceeded</body></html>"
        elif not path.is_file():
            return self.send_error(404)
        else:
            body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if fault == "truncate" else body)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from tests import models as testing

    return testing.tiny_grace(tmp_path_factory.mktemp("grace"), ELEMENTS)


@pytest.fixture
def mirror(tmp_path, model):
    """(www root with the model under the origin's path, the server's base URL)."""
    root = tmp_path / "www"
    site = root / "someone" / "GlassMLIP" / COMMIT / "potential"
    shutil.copytree(model / "saved_model", site / "saved_model")
    shutil.copy(model / "FS_model.yaml", site / "FS_model.yaml")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a, **k: Handler(*a, directory=str(root), **k))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    Handler.faults = {}
    yield site, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_entry(reg: Path, model: Path, bad_part: str | None = None) -> None:
    """A grace-gse-like entry 'gse-test' for ``model``'s files at ORIGIN (``bad_part``: pinned to a wrong sha256)."""
    folder = model / "saved_model"
    parts = ",\n".join(f'  {{ path = "{p.relative_to(folder)}", sha256 = "{"0" * 64 if p.name == bad_part else sha(p)}", '
                       f"size = {p.stat().st_size} }}" for p in sorted(folder.rglob("*")) if p.is_file())
    reg.mkdir(exist_ok=True)
    (reg / "gse-test.toml").write_text(f'''name = "gse-test"
family = "grace"
elements = {ELEMENTS!r}
licence = "{NO_LICENCE}"

[[files]]
key = "model"
path = "{{home}}/models/gse-test/saved_model"
url = "{ORIGIN}/saved_model/"
sha256 = "{potentials.sha256(folder)}"
licence = "{NO_LICENCE}"
parts = [
{parts}
]

[[files]]
key = "fs_yaml"
path = "{{home}}/models/gse-test/FS_model.yaml"
url = "{ORIGIN}/FS_model.yaml"
sha256 = "{sha(model / 'FS_model.yaml')}"
licence = "{NO_LICENCE}"

[bridge]
calculator = "grace"
'''.replace("'", '"'))


def nothing_finished(home: Path) -> None:
    """No model file or folder under its final name (a resumable FOLDER.part/ may stay)."""
    models = home / "models" / "gse-test"
    assert not (models / "saved_model").exists() and not (models / "FS_model.yaml").exists()


def test_fetch_a_savedmodel_folder_file_by_file(tmp_path, model, mirror):
    site, base = mirror
    reg, home = tmp_path / "reg", tmp_path / "home"
    write_entry(reg, model)
    env = {"LAMMPSKIT_POTENTIALS": str(reg), "LAMMPSKIT_HOME": str(home), "LAMMPSKIT_MIRROR": base}
    # no licence upstream: nothing is fetched until the user accepts that
    r = cli("potentials", "fetch", "gse-test", env=env)
    assert_user_error(r, "no licence published upstream", "potentials fetch gse-test --accept")
    assert not home.exists()
    # a truncated download: runtime error, only a resumable FOLDER.part/ is left
    Handler.faults = {f"/someone/GlassMLIP/{COMMIT}/potential/saved_model/saved_model.pb": "truncate"}
    r = cli("potentials", "fetch", "gse-test", "--accept", env=env)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and r.stderr.startswith("error: "), r.stderr
    assert "stopped" in r.stderr and "run the same command again" in r.stderr
    nothing_finished(home)
    assert (home / "models" / "gse-test" / "saved_model.part").is_dir()
    # the same command, the server healthy again: the folder is completed, verified and put in place
    Handler.faults = {}
    r = cli("potentials", "fetch", "gse-test", "--accept", "--json", env=env)
    assert r.returncode == 0, r.stderr
    folder = home / "models" / "gse-test" / "saved_model"
    assert potentials.sha256(folder) == potentials.sha256(model / "saved_model")
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(model / "saved_model")) for p in (model / "saved_model").rglob("*")
                           if p.is_file())
    assert not (home / "models" / "gse-test" / "saved_model.part").exists()
    # the kit loads it: the files are checked against the entry before the deck is written
    r = cli("render", "--pot", "gse-test", "--fu", "2", "--out", tmp_path / "run", env=env)
    assert r.returncode == 0, r.stderr
    r = cli("potentials", "fetch", "gse-test", "--accept", env=env)
    assert r.returncode == 0 and r.stdout.count("already present") == 2, r.stdout


@pytest.mark.parametrize("fault", ["bad sha256", "html page", "missing file"])
def test_a_bad_part_leaves_nothing_finished(tmp_path, model, mirror, fault):
    site, base = mirror
    reg, home = tmp_path / "reg", tmp_path / "home"
    write_entry(reg, model, bad_part="variables.index" if fault == "bad sha256" else None)
    if fault == "html page":
        Handler.faults = {f"/someone/GlassMLIP/{COMMIT}/potential/saved_model/saved_model.pb": "html"}
    if fault == "missing file":
        (site / "saved_model" / "variables" / "variables.index").unlink()
    r = cli("potentials", "fetch", "gse-test", "--accept", "--mirror", base,
            env={"LAMMPSKIT_POTENTIALS": str(reg), "LAMMPSKIT_HOME": str(home)})
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.stderr, r.stderr
    if fault == "missing file":
        assert r.returncode == 1 and "HTTP 404" in lines[0], lines
    else:
        assert r.returncode == 2 and "does not match" in lines[0] and "deleted" in lines[0], lines
    nothing_finished(home)


def test_shipped_grace_gse_asks_for_acceptance_and_fetches_from_the_mirror(tmp_path):
    """The shipped entry: refused without --accept; with it, a mirror that lacks the files gives one error line."""
    env = {"LAMMPSKIT_HOME": str(tmp_path / "home")}
    r = cli("potentials", "fetch", "grace-gse", env=env)
    assert_user_error(r, "github.com/R-Chr/GlassMLIP has no licence file", "--accept")
    (tmp_path / "www").mkdir()
    r = cli("potentials", "fetch", "grace-gse", "--accept", "--mirror", f"file://{tmp_path / 'www'}", env=env)
    errors = [ln for ln in r.stderr.splitlines() if not ln.startswith("note: ")]  # the ASL note of GRACE itself
    assert r.returncode == 1 and len(errors) == 1 and errors[0].startswith("error: "), r.stderr
    assert f"file://{tmp_path / 'www'}/R-Chr/GlassMLIP/" in r.stderr  # the origin's path on the mirror
    assert not (tmp_path / "home" / "models" / "grace-gse" / "saved_model").exists()
    pot = potentials.get("grace-gse")
    assert pot.cutoff == 6.5 and len(pot.elements) == 17 and {"Na", "P", "S", "O"} <= set(pot.elements)
    assert pot.d3_params() == {"damping": "bj", "functional": "pbe", "cutoff": 12.0, "cn_cutoff": 12.0}
    assert "Christensen" in pot.citation and "Academic Software License" in pot.licence


@pytest.mark.parametrize("part, why", [('{ path = "../x", sha256 = "%s" }' % ("a" * 64), "'..'"),
                                       ('{ path = "/etc/x", sha256 = "%s" }' % ("a" * 64), "relative"),
                                       ('{ path = "x" }', "needs 'path' and 'sha256'"),
                                       ('{ path = "x", sha256 = "abc" }', "64 hex digits"),
                                       ('{ path = "x", sha256 = "%s", mode = 1 }' % ("a" * 64), "unknown keys")])
def test_parts_are_checked(tmp_path, part, why):
    f = tmp_path / "p.toml"
    f.write_text(f'name = "p"\nfamily = "grace"\n[[files]]\nkey = "model"\npath = "m"\nurl = "https://x.org/m/"\n'
                 f'sha256 = "{"b" * 64}"\nparts = [{part}]\n')
    with pytest.raises(UserError, match=why.replace("(", r"\(")):
        potentials.load_file(f)


def test_add_your_own_model_as_grace_gse(tmp_path, model):
    """'potentials add grace-gse --model': a user entry of that name with your files, elements and cutoff from
    the SavedModel's metadata, and the shipped entry's ways to run and D3."""
    import json

    env = {"LAMMPSKIT_HOME": str(tmp_path / "home")}
    r = cli("potentials", "add", "grace-gse", "--model", model / "saved_model", "--fs-yaml", model / "FS_model.yaml",
            "--json", env=env)
    assert r.returncode == 0, r.stderr
    r = cli("potentials", "show", "grace-gse", "--json", env=env)
    info = json.loads(r.stdout)
    assert info["source"] == str(tmp_path / "home" / "potentials" / "grace-gse.toml")
    assert info["elements"] == ELEMENTS and info["cutoff"] == 5.0 and info["licence"].startswith("yours")
    assert info["d3"] == {"damping": "bj", "functional": "pbe", "cutoff": 12.0, "cn_cutoff": 12.0}
    assert {f["key"]: f["state"] for f in info["files"]} == {"model": "present", "fs_yaml": "present"}
    assert [v["id"] for v in info["native"]] == ["grace-fs-kokkos", "grace-fs", "grace-tf"]
