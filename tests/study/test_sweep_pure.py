"""Campaign sweeps (issue 15, item 2), the in-process part: the cases, folders and labels; the convergence sentences."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from lammpskit.study import campaign, sweep
from lammpskit.study.report import convergence

pytestmark = pytest.mark.fast


# a quench of a few hundred steps, NPT so that each case has a Tg; Pdamp 0.1 ps so the Tg fit's settling
# time (3 Pdamp) leaves most of the quench
SETTINGS = ["t_melt=0.2", "t_anneal=0.2", "t_production=0.1", "quench_ensemble=npt", "Pdamp=0.1",
            "thermo_every=10", "min_steps=20", "dump_every=100", "msd_every=100"]
RATES, ATOMS = [2000, 1000], [26, 52]  # K/ps; atoms (2 and 4 formula units of Na4P2S7)


def write(folder: Path, pots=("lj-a",), xs=(0,), seeds=(1, 2), sweep_lines: str = "", stages=("quench",)) -> Path:
    path = folder / "sweep.toml"
    path.write_text(f'name = "sw"\nx = {list(xs)}\npotentials = {json.dumps(list(pots))}\nseeds = {list(seeds)}\n'
                    f'stages = {json.dumps(list(stages))}\nset = {json.dumps(SETTINGS)}\n'
                    f"[sweep]\n{sweep_lines or f'quench_rate = {RATES}{chr(10)}atoms = {ATOMS}'}\n")
    return path


def test_agree_two_points_with_known_errors():
    # |2.00 - 2.03| = 0.03 <= hypot(0.02, 0.03) = 0.036: agree
    r = convergence.agree(2.00, 0.02, 2.03, 0.03)
    assert r["agree"] is True and math.isclose(r["delta"], 0.03) and math.isclose(r["error"], math.hypot(0.02, 0.03))
    # |2.00 - 2.10| = 0.10 > 0.036: do not agree
    assert convergence.agree(2.00, 0.02, 2.10, 0.03)["agree"] is False
    # a single replica has no spread: no verdict, the difference is still reported
    r = convergence.agree(2.00, None, 2.10, 0.03)
    assert r["agree"] is None and math.isclose(r["delta"], 0.10) and r["error"] is None


def test_convergence_series_and_sentences():
    axes = {"quench_rate": [100.0, 30.0, 10.0], "atoms": [52, 104]}

    def row(rate, atoms, d, spread, n=2):
        return {"potential": "p", "x": 0.0, "sweep": {"quench_rate": rate, "atoms": atoms}, "replicas": n,
                "density": d, "density_spread": spread}

    rows = [row(10.0, 52, 2.05, 0.01), row(100.0, 52, 1.90, 0.01), row(30.0, 52, 2.04, 0.01),
            row(10.0, 104, 2.20, None, 1), row(30.0, 104, 2.10, None, 1)]
    by = {(s["axis"], s["name"]): s for s in convergence.series(rows, axes, "density")}
    # along quench_rate, in the [sweep] order (100, 30, 10), at each size; along atoms at each rate with two sizes
    s = by[("quench_rate", "p x=0 atoms=52")]
    assert [p[0] for p in s["points"]] == [100.0, 30.0, 10.0] and [p[1] for p in s["points"]] == [1.90, 2.04, 2.05]
    assert set(by) == {("quench_rate", "p x=0 atoms=52"), ("quench_rate", "p x=0 atoms=104"),
                       ("atoms", "p x=0 quench_rate=10"), ("atoms", "p x=0 quench_rate=30")}
    text = convergence.sentences(rows, axes, [("density", "density", "g/cm³")])
    # 30 vs 10 K/ps at 52 atoms: |2.04 - 2.05| = 0.01 <= hypot(0.01, 0.01)
    assert ("density, p x=0 atoms=52: at quench_rate = 30 and 10 K/ps agree within their errors (Δ = 0.01 ≤ 0.0141 "
            "g/cm³)") in text
    # 52 vs 104 atoms at 10 K/ps: the 104-atom point is one replica
    assert any(t.startswith("density, p x=0 quench_rate=10: at atoms = 52 and 104 the values differ by 0.15")
               and "no error is available" in t for t in text), text
    rows[2]["density"] = 2.20  # 30 vs 10 K/ps: |2.20 - 2.05| = 0.15 > 0.0141
    assert any("at quench_rate = 30 and 10 K/ps do not agree" in t and "not converged in quench_rate" in t
               for t in convergence.sentences(rows, axes, [("density", "density", "g/cm³")]))


def test_sweep_makes_the_product_of_cases_with_named_folders(tmp_path):
    c = campaign.load(write(tmp_path, pots=("lj-a", "lj-b"), xs=(0, 1.5)))
    assert c.axes == {"quench_rate": [2000.0, 1000.0], "atoms": [26, 52]}
    assert len(c.cases) == 2 * 2 * 4 * 2 and [k.index for k in c.cases] == list(range(32))
    expected = [(p, x, {"quench_rate": r, "atoms": a}, s) for p in ("lj-a", "lj-b") for x in (0, 1.5)
                for r in RATES for a in ATOMS for s in (1, 2)]
    assert [(k.pot, k.x, k.sweep, k.seed) for k in c.cases] == expected
    k = c.cases[5]  # lj-a, x 0, 1000 K/ps, 26 atoms, seed 2
    assert k.dir == c.root / "lj-a" / "x0" / "quench_rate1000-atoms26" / "s2"
    assert k.label == "lj-a x=0 quench_rate=1000 atoms=26 s2"
    assert sweep.overrides(k.sweep) == ["quench_rate=1000.0"] and sweep.size(k.sweep, {}) == {"atoms": 26}
    p = c.params(k)
    assert (p.quench_rate, p.quench_ensemble, p.t_anneal) == (1000.0, "npt", 0.2)  # the sweep after 'set'
    # without [sweep], today's folders
    plain = tmp_path / "plain.toml"
    plain.write_text('name = "pl"\nx = [0]\npotentials = ["lj-a"]\nseeds = [3]\n')
    (k,) = campaign.load(plain).cases
    assert (k.dir, k.label, k.sweep) == (tmp_path / "pl" / "lj-a" / "x0" / "s3", "lj-a x=0 s3", {})
