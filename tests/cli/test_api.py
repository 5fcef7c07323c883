"""The Python API: the tutorial page (docs/tutorial.md, "A first glass") runs as written, block by block, and
gives a glass, its density, its P^n fractions and the CLI's files."""

from __future__ import annotations

import re
import subprocess
import sys

from ..docs.pages import RUNNABLE, TUTORIALS, code_blocks, run_blocks


def test_import_is_light():
    """``import lammpskit`` and ``lammpskit --help`` load no torch, LAMMPS or OVITO."""
    code = ("import sys, lammpskit as lk\nfrom lammpskit.cli import app\n"
            "assert lk.potentials.get('chgnet').name == 'chgnet'\n"
            "heavy = [m for m in sys.modules if m.split('.')[0] in ('torch', 'lammps', 'ovito', 'mace', 'chgnet')]\n"
            "assert not heavy, heavy\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_tutorial_runs_as_written(tmp_path):
    """Every block of every tutorial page, in order in an empty folder: the Python blocks as one session, the
    shell blocks with the venv's commands (tiny settings: 52 atoms, 225 MD steps, a minute or two)."""
    for page in TUTORIALS:
        blocks = code_blocks(page)
        assert blocks and all(lang in RUNNABLE for lang, _ in blocks), [lang for lang, _ in blocks]
        code = "".join(c for lang, c in blocks if lang == "python")
        assert "lk.quench(" in code and "lk.analyze_units(" in code
        r = run_blocks(blocks, tmp_path, timeout=1800)
        assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-3000:])
        assert r.stdout.count("--- block ") == len(blocks)
    out = r.stdout
    m = re.search(r"density (\d+\.\d+) ± (\d+\.\d+) g/cm³", out)
    assert m, out
    rho, err = float(m.group(1)), float(m.group(2))
    assert 0.5 < rho < 4.0 and err >= 0       # a Na4P2S7 glass cell after a short NPT anneal
    pn = re.search(r"P\^n fractions: (\{.*\})", out)
    assert pn, out
    fractions = eval(pn.group(1))  # noqa: S307 - the dict printed by the tutorial
    assert abs(sum(fractions.values()) - 1) < 1e-6
    run_dir = tmp_path / "runs" / "py-x0"
    assert (run_dir / "glass.data").is_file() and (run_dir / "result.json").is_file()
    # the CLI blocks: the same density from 'density --json', the annotated dump, g(r), a rendered run directory
    dens = re.search(r'"mean": (\d+\.\d+)', out)
    assert dens and abs(float(dens.group(1)) - rho) < 5e-4, out
    assert (run_dir / "units.dump").is_file() and (run_dir / "analysis" / "rdf.png").stat().st_size > 1000
    assert (tmp_path / "runs" / "cli-x0" / "run.json").is_file() and not (tmp_path / "runs" / "cli-x0" / "result.json").exists()
    assert re.search(r"^52 atoms, \d+ frames; P\^n of the P atoms in the last frame: \[", out, re.M), out
