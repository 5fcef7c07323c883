"""The documentation site, the in-process part: the Python calls shown on every page bind to the functions' signatures."""

from __future__ import annotations

import ast
import inspect

import pytest

from .pages import DOCS, code_blocks

pytestmark = pytest.mark.fast


def lk_calls(code: str):
    """(dotted name after ``lk.``, number of positional arguments, keyword names) of every ``lk.…(...)`` call."""
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call):
            parts, f = [], node.func
            while isinstance(f, ast.Attribute):
                parts.insert(0, f.attr)
                f = f.value
            if isinstance(f, ast.Name) and f.id == "lk" and parts:
                yield ".".join(parts), len(node.args), [k.arg for k in node.keywords]


def test_python_blocks_on_every_page_bind_to_the_api():
    """Every Python block of every page parses, and each ``lk.`` call in it passes arguments the function
    takes (a renamed keyword breaks the page's example, not only the code)."""
    import lammpskit as lk

    calls = 0
    for page in sorted(DOCS.glob("*.md")):
        for lang, code in code_blocks(page.name):
            if lang != "python":
                continue
            for name, nargs, keywords in lk_calls(code):
                obj = lk
                for part in name.split("."):
                    obj = getattr(obj, part)
                sig = inspect.signature(obj)
                try:
                    sig.bind(*range(nargs), **dict.fromkeys(keywords))
                except TypeError as exc:
                    raise AssertionError(f"{page.name}: lk.{name}(...) does not fit {sig}: {exc}") from None
                calls += 1
    assert calls >= 15
