"""Units analysis: exact counts on hand-built units (data file and dump), and against brute force."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lammpskit.analysis import cutoffs
from lammpskit.lammps import dumps as dumpfile
from lammpskit.structure import builder as structure

from .. import bruteforce, known_units
from ..conftest import cli

ELEMENTS = ["Na", "P", "S", "O"]


def write_both(tmp_path, els, pos, cell, seed=0):
    """The same configuration as a data file (# El) and as a dump with shuffled ids."""
    types = np.array([ELEMENTS.index(e) + 1 for e in els])
    s = structure.Structure(ELEMENTS, types, pos, cell, np.zeros(3))
    structure.write_data(tmp_path / "c.data", s, "known units")
    order = np.random.default_rng(seed).permutation(len(els))
    ids = np.arange(1, len(els) + 1)
    dumpfile.write(tmp_path / "c.dump", [(0, ids[order], [els[i] for i in order], pos[order], cell, np.zeros(3))])
    return tmp_path / "c.data", tmp_path / "c.dump"


def analyse(path, *extra):
    r = cli("analyze", "units", path, "--json", *extra)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def expected_total(names):
    tot = {"Pn": {}, "units": {}, "S": np.zeros(3), "O": np.zeros(3), "es": 0, "pp": 0, "ss": 0}
    for name in names:
        e = known_units.EXPECTED[name][1]
        for key in ("Pn", "units"):
            for k, v in e[key].items():
                tot[key][k] = tot[key].get(k, 0) + v
        for key in ("S", "O"):
            tot[key] = tot[key] + np.array(e[key])
        for key in ("es", "pp", "ss"):
            tot[key] += e[key]
    return tot


def check(result, exp):
    assert result["frames"] == 1
    assert {k: v for k, v in result["Pn"].items() if v} == exp["Pn"]
    assert {k: v for k, v in result["units"].items() if v} == exp["units"]
    for el in ("S", "O"):
        a = result["anions"][el]
        assert (a["bridging"], a["nonbridging"], a["free"]) == tuple(exp[el])
    assert result["edge_sharing_pairs"] == exp["es"]
    assert result["pp_bonds"] == exp["pp"]
    assert result["ss_bonds"] == exp["ss"]
    n_p = sum(exp["Pn"].values())
    if n_p:
        assert sum(result["Pn_fraction"].values()) == pytest.approx(1.0)


@pytest.mark.parametrize("name", sorted(known_units.EXPECTED))
def test_single_unit_exact(tmp_path, name):
    els, pos, cell = known_units.assemble([known_units.EXPECTED[name][0]()])
    data, dump = write_both(tmp_path, els, pos, cell)
    exp = expected_total([name])
    check(analyse(data), exp)
    check(analyse(dump), exp)


def test_all_units_together_in_a_triclinic_box(tmp_path):
    names = sorted(known_units.EXPECTED)
    els, pos, cell = known_units.assemble([known_units.EXPECTED[n][0]() for n in names], tilt=True, seed=3)
    data, dump = write_both(tmp_path, els, pos, cell, seed=5)
    exp = expected_total(names)
    for path in (data, dump):
        res = analyse(path)
        check(res, exp)
        assert res["longest_pp_chain"] == 2
        assert res["bridges"] == {"P-S-P": exp["S"][0], "P-O-P": exp["O"][0]}
    # numeric types + --types give the same answer
    text = dump.read_text()
    for i, el in enumerate(ELEMENTS, 1):
        text = text.replace(f" {el} ", f" {i} ")
    typed = tmp_path / "typed.dump"
    typed.write_text(text.replace("id element x y z", "id type x y z"))
    check(analyse(typed, "--types", "Na,P,S,O"), exp)
    r = cli("analyze", "units", typed, "--json")
    assert r.returncode == 2 and r.stderr.startswith("error: atom types have no element names")


def random_glass(seed):
    """A random Na-P-S-O configuration with short contacts, sheared triclinic: every kind of unit occurs."""
    from lammpskit.structure import composition

    comp = composition.make(2, fu=12)
    short = {"P-P": 2.2, "S-S": 1.9, "P-S": 1.9, "P-O": 1.4, "O-O": 1.6, "Na-P": 2.0, "Na-S": 2.0}
    s = structure.build(comp, 3.2, seed, {frozenset(k.split("-")): v for k, v in short.items()})
    L = s.cell[0, 0]
    cell = np.array([[L, 0, 0], [0.15 * L, L, 0], [0.1 * L, -0.2 * L, L]])
    pos = (s.positions / L) @ cell
    return [s.elements[t - 1] for t in s.types], pos, cell


@pytest.mark.parametrize("seed", [1, 2])
def test_matches_brute_force_on_a_random_glass(tmp_path, seed):
    els, pos, cell = random_glass(seed)
    _, dump = write_both(tmp_path, els, pos, cell, seed=seed)
    res = analyse(dump)
    ref = bruteforce.units(els, pos, cell, cutoffs.DEFAULTS)
    assert {k: v for k, v in res["Pn"].items() if v} == ref["Pn"]
    assert {k: v for k, v in res["units"].items() if v} == ref["units"]
    for el in ("S", "O"):
        assert {k: res["anions"][el][k] for k in ("bridging", "nonbridging", "free")} == ref["anions"][el]
    for key in ("edge_sharing_pairs", "pp_bonds", "ss_bonds", "longest_pp_chain"):
        assert res[key] == ref[key], key
    # the configuration really exercises every count
    assert ref["pp_bonds"] > 0 and ref["ss_bonds"] > 0 and ref["edge_sharing_pairs"] > 0
    assert len(ref["Pn"]) >= 3 and len(ref["units"]) >= 4


def test_frames_are_averaged_with_spread(tmp_path):
    frames = []
    for step, name in enumerate(["PS4", "P2S7", "edge"]):
        els, pos, cell = known_units.assemble([known_units.EXPECTED[name][0]()])
        frames.append((step * 10, np.arange(1, len(els) + 1), els, pos, cell, np.zeros(3)))
    dumpfile.write(tmp_path / "t.dump", frames)
    res = analyse(tmp_path / "t.dump", "--frames", "all")
    assert res["frames"] == 3
    assert res["Pn"] == pytest.approx({"0": 1 / 3, "1": 2 / 3, "2": 2 / 3})
    assert res["edge_sharing_pairs"] == pytest.approx(1 / 3)
    assert res["std"]["edge_sharing_pairs"] == pytest.approx(np.std([0, 0, 1], ddof=1))
    assert analyse(tmp_path / "t.dump", "--frames", "1:3")["frames"] == 2
    assert analyse(tmp_path / "t.dump")["edge_sharing_pairs"] == 1  # last frame by default


def test_cutoff_option_changes_bonds(tmp_path):
    els, pos, cell = known_units.assemble([known_units.dimer()])
    data, _ = write_both(tmp_path, els, pos, cell)
    assert analyse(data, "--cutoff", "P-S=2.0")["units"] == {"P": 2}  # 2.08 Å bonds now too long: bare P
    r = cli("analyze", "units", data, "--cutoff", "P-S=abc")
    assert r.returncode == 2 and "error: --cutoff P-S must be a number" in r.stderr
    r = cli("analyze", "units", data, "--frames", "x")
    assert r.returncode == 2 and r.stderr.startswith("error: --frames")


@pytest.mark.parametrize("name, pairs", [("edge", [[0, 1]]), ("P2S7", []), ("PS4", [])])
def test_edge_sharing_pairs_named(name, pairs):
    """The P pairs the OVITO picture highlights: the two P of an edge-sharing P2S6, none for corner sharing."""
    from lammpskit.analysis.units import P, S, edge_sharing

    atoms = known_units.EXPECTED[name][0]()
    kind = np.array([P if el == "P" else S for el, _ in atoms])
    pos = np.array([x for _, x in atoms])
    i, j = np.nonzero(np.triu(np.linalg.norm(pos[:, None] - pos[None], axis=-1) < 2.5, 1))
    assert edge_sharing(kind, np.stack([i, j], 1)).tolist() == pairs


def test_annotated_dump_names_each_atoms_class(tmp_path):
    """analyze units --annotate: per-atom pn, anion, edge, pp, unit_o of hand-built units, read back by OVITO."""
    from ovito.io import import_file

    groups = {"P2S6O": known_units.dimer("O"), "edge": known_units.edge_sharing(), "P2S6": known_units.p2s6_pp(),
              "Na": known_units.sodium()}
    els, pos, cell = known_units.assemble(list(groups.values()), tilt=True, seed=2)
    _, dump = write_both(tmp_path, els, pos, cell, seed=4)
    out = tmp_path / "annotated.dump"
    res = analyse(dump, "--annotate", out)
    assert res["annotated"] == str(out)
    data = import_file(str(out)).compute()
    ids = np.asarray(data.particles.identifiers)
    col = {k: np.asarray(data.particles[k])[np.argsort(ids)] for k in ("pn", "anion", "edge", "pp", "unit_o")}
    # expected, atom by atom in assemble order (ids 1..n): dimer P P O S*6 | edge P P S S S*4 | P2S6 P S S S P S S S | Na
    exp = {"pn": [1, 1] + [-1] * 7 + [2, 2] + [-1] * 6 + [0, -1, -1, -1, 0, -1, -1, -1] + [-1],
           "anion": [-1, -1, 2] + [1] * 6 + [-1, -1, 2, 2] + [1] * 4 + [-1, 1, 1, 1, -1, 1, 1, 1] + [-1],
           "edge": [0] * 9 + [1, 1] + [0] * 6 + [0] * 8 + [0],
           "pp": [0] * 9 + [0] * 8 + [1, 0, 0, 0, 1, 0, 0, 0] + [0],
           "unit_o": [1, 1] + [-1] * 7 + [0, 0] + [-1] * 6 + [0, -1, -1, -1, 0, -1, -1, -1] + [-1]}
    for k, v in exp.items():
        assert col[k].tolist() == v, (k, col[k].tolist())
    assert [t.name for t in data.particles.particle_types.types] and out.read_text().count("ITEM: TIMESTEP") == 1
