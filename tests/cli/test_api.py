"""The Python API: the README's "From Python" example runs as written and gives a glass, its density and P^n."""

from __future__ import annotations

import re
import subprocess
import sys

from ..conftest import ROOT


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## From Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_import_is_light():
    """``import lammpskit`` and ``lammpskit --help`` load no torch, LAMMPS or OVITO."""
    code = ("import sys, lammpskit as lk\nfrom lammpskit.cli import app\n"
            "assert lk.potentials.get('chgnet').name == 'chgnet'\n"
            "heavy = [m for m in sys.modules if m.split('.')[0] in ('torch', 'lammps', 'ovito', 'mace', 'chgnet')]\n"
            "assert not heavy, heavy\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_readme_from_python_example_runs(tmp_path):
    code = readme_example()
    assert "lk.quench(" in code and "lk.analyze_units(" in code
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr[-3000:]
    m = re.search(r"density (\d+\.\d+) ± (\d+\.\d+) g/cm³", r.stdout)
    assert m, r.stdout
    rho, err = float(m.group(1)), float(m.group(2))
    assert 0.5 < rho < 4.0 and err >= 0       # a Na4P2S7 glass cell after a short NPT anneal
    pn = re.search(r"P\^n fractions: (\{.*\})", r.stdout)
    assert pn, r.stdout
    fractions = eval(pn.group(1))  # noqa: S307 - the dict printed by the example
    assert abs(sum(fractions.values()) - 1) < 1e-6
    run_dir = tmp_path / "runs" / "py-x0"
    assert (run_dir / "glass.data").is_file() and (run_dir / "result.json").is_file()
