"""The Python API, the in-process part: README's example is the tutorial's first block."""

from __future__ import annotations

import re

import pytest

from ..conftest import ROOT
from ..docs.pages import code_blocks

pytestmark = pytest.mark.fast


def test_readme_python_example_is_the_tutorials_first_block():
    """README's "From Python" example is the tutorial's first block, so test_api.py runs it as written."""
    section = (ROOT / "README.md").read_text().split("## From Python", 1)[1]
    example = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert example == code_blocks("tutorial.md")[0][1]
