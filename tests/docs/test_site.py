"""The documentation site: `mkdocs build --strict` passes (links, anchors, the API page's docstring check), the
API page carries every public name, the tutorial pages hold only blocks the suite runs, and the Python calls
shown on every page bind to the functions' signatures."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

from ..conftest import ROOT
from .pages import DOCS, RUNNABLE, TUTORIALS, code_blocks


def docstring_hook():
    spec = importlib.util.spec_from_file_location("api_docstrings", DOCS / "hooks" / "api_docstrings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_site_builds_strict_with_every_public_name(tmp_path):
    """The build `make docs` runs, into a temporary folder; every page and every public object is there."""
    site = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)], cwd=ROOT,
                       env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-4000:]
    assert "WARNING" not in r.stderr, r.stderr[-4000:]
    pages = sorted(p.stem for p in DOCS.glob("*.md"))
    assert all((site / f"{p}.html").is_file() for p in pages), pages
    api = (site / "api.html").read_text()
    for name, target in docstring_hook().public_objects(ROOT).items():
        assert f'id="{target}"' in api, (name, target)
    assert "lk.quench" in api and "Render a melt-quench run directory and run it" in api


def test_docstring_check_names_what_is_missing():
    """The hook reports a public name left off the API page and an object (or a public method) without a
    docstring; the real page has no problem."""
    import griffe

    hook = docstring_hook()
    page = (DOCS / "api.md").read_text()
    assert hook.check(page, ROOT) == []
    cut = page.replace("::: lammpskit.audit.core.audit\n", "")
    assert hook.check(cut, ROOT) == ["lk.audit (lammpskit.audit.core.audit) is public but not on api.md: "
                                     "add '::: lammpskit.audit.core.audit'"]
    code = ('def documented():\n    """Yes."""\n\ndef bare():\n    pass\n\nclass Thing:\n    """A thing."""\n\n'
            '    def method(self):\n        pass\n\n    def _private(self):\n        pass\n\n'
            '    @property\n    def prop(self):\n        return 1\n')
    with griffe.temporary_visited_package("fake", {"__init__.py": code}) as fake:
        assert hook.undocumented(fake, "fake.documented") == []
        assert hook.undocumented(fake, "fake.bare") == ["fake.bare"]
        assert hook.undocumented(fake, "fake.Thing") == ["fake.Thing.method", "fake.Thing.prop"]


def test_tutorial_pages_hold_only_blocks_that_run():
    """mkdocs.yml's Tutorial section is what tests/cli/test_api.py runs, and its pages hold python/bash only."""
    import yaml

    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]
    section = next(item["Tutorial"] for item in nav if isinstance(item, dict) and "Tutorial" in item)
    assert [page for item in section for page in item.values()] == TUTORIALS
    for page in TUTORIALS:
        langs = [lang for lang, _ in code_blocks(page)]
        assert langs and set(langs) <= set(RUNNABLE), (page, langs)
