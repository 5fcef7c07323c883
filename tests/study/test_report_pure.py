"""The report's pure parts, in process and fast: quantities read from stage files, replica mean and spread,
scores, the P1 -> P0 + P2 check, the reference CSV and the Markdown/HTML templates. Expected values are
worked out by hand in the comments."""

from __future__ import annotations

import ast
import csv
import math
from pathlib import Path

import pytest

from lammpskit import errors as lk_errors
from lammpskit.errors import UserError
from lammpskit.run.result_types import AnalysisResult, ElasticResult, QuenchResult, UnitsResult
from lammpskit.study.report import (
    QUANTITIES,
    REF_COLUMNS,
    REFERENCE,
    cases,
    experiment,
    quantities,
    reference,
    scoring,
    writers,
)

from ..conftest import ROOT

pytestmark = pytest.mark.fast

KEYS = [q[0] for q in QUANTITIES]


def case(units: dict | None = None, **vals) -> dict:
    """A ``quantities.values`` dict: the given quantities, None for the rest."""
    return {**dict.fromkeys(KEYS), **vals, "units": units or {}}


def row(pot: str, x: float, **vals) -> dict:
    return {"potential": pot, "x": x, "replicas": 1, **dict.fromkeys(KEYS), **vals, "units": {}, "units_spread": {}}


# -- quantities -------------------------------------------------------------------------------------

def test_values_from_stage_files():
    data = {"quench": QuenchResult.from_dict({"density_g_cm3": {"mean": 2.5}, "Tg_K": 612.5}),
            "elastic": None,  # the elastic stage has no result
            "units": UnitsResult.from_dict({"Pn_fraction": {"0": 0.25, "1": 0.5}, "P_atoms": 12,
                                            "edge_sharing_pairs": 3, "pp_bonds": 0,
                                            "anions": {"S": {"bridging": 2, "nonbridging": 6, "free": 2}},
                                            "units": {"PS4": 9, "PS3O": 3}}),
            "analysis": AnalysisResult.from_dict({"transport": {}})}  # no Na entry: unreadable, not an error
    v = quantities.values(data)
    assert v["density"] == 2.5 and v["Tg"] == 612.5
    assert [v[k] for k in ("B", "G", "E", "nu")] == [None] * 4
    assert (v["P0"], v["P1"], v["P2"]) == (0.25, 0.5, 0.0)  # a P^n not listed is 0
    assert v["BS"] == pytest.approx(2 / 10) and v["NBS"] == pytest.approx(6 / 10)  # of S = 2 + 6 + 2
    assert v["BO"] is None and v["NBO"] is None  # no O at all
    assert v["edge_sharing"] == pytest.approx(100 * 3 / 12) and v["pp_bonds"] == 0
    assert v["D_Na"] is None and v["sigma_Na"] is None
    assert v["units"] == {"PS4": 0.75, "PS3O": 0.25}  # fractions of P: 9/12, 3/12


def test_elastic_results_of_older_versions_are_read_with_their_units():
    """A result.json written before the elastic keys named their unit (B, C, ...) reads as today's names."""
    old = {"state": "done", "method": "static", "strain": 0.005, "C": [[1.0] * 6] * 6, "B": 20.0, "G": 8.0,
           "E": 21.0, "nu": 0.32, "mechanically_stable": True, "replica_B": [19.0, 21.0]}
    r = ElasticResult.from_dict(old)
    assert (r.B_GPa, r.G_GPa, r.E_GPa, r.nu, r.replica_B_GPa) == (20.0, 8.0, 21.0, 0.32, [19.0, 21.0])
    assert list(r.to_dict()) == ["state", "method", "strain", "C_GPa", "B_GPa", "G_GPa", "E_GPa", "nu",
                                 "mechanically_stable", "replica_B_GPa"]
    v = quantities.values({"quench": None, "elastic": r, "units": None, "analysis": None})
    assert (v["B"], v["G"], v["E"], v["nu"], v["unstable"]) == (20.0, 8.0, 21.0, 0.32, None)


def test_a_result_gives_back_exactly_its_json():
    """to_dict() is the JSON as read: the same keys in the same order, unknown keys kept."""
    data = {"state": "done", "composition": "Na4P2S7", "atoms": 52, "final": {"step": 10, "temp_K": 300.0},
            "steps_per_s": 12.5, "dump": "dump.production.lammpstrj", "glass_data": "glass.data",
            "density_g_cm3": {"mean": 2.1, "err": 0.01, "n": 50}, "something_new": [1, 2]}
    r = QuenchResult.from_dict(data, "runs/a")
    assert r.to_dict() == data and list(r.to_dict()) == list(data)
    assert (r.density_g_cm3, r.density_err_g_cm3, r.atoms) == (2.1, 0.01, 52)
    assert str(r.glass_data) == "runs/a/glass.data" and r.extra["something_new"] == [1, 2]
    with pytest.raises(lk_errors.UserError, match="must be a number"):
        QuenchResult.from_dict({**data, "wall_s": "soon"})


def test_unit_order_puts_tetrahedra_first_by_falling_s():
    names = ["PO4", "PS3", "PS4", "PSO3", "PS2O2", "PS3O", "PS4O"]
    assert sorted(names, key=quantities.unit_order) == ["PS4", "PS3O", "PS2O2", "PSO3", "PO4", "PS4O", "PS3"]


# -- replica mean and spread ------------------------------------------------------------------------

def test_two_seeds_mean_and_spread():
    # density 2.0 and 2.2: mean 2.1, sample std sqrt((0.1² + 0.1²) / 1) = 0.1 * sqrt(2)
    # B only in seed 1: mean 20, no spread; G in neither: None
    # units: seed 1 half PS4 half PS3O, seed 2 all PS4 -> PS4 0.75 ± 0.25 sqrt(2), PS3O 0.25 ± 0.25 sqrt(2)
    s = cases.replica_stats([case({"PS4": 0.5, "PS3O": 0.5}, density=2.0, B=20.0),
                               case({"PS4": 1.0}, density=2.2)])
    assert s["density"] == pytest.approx(2.1) and s["density_spread"] == pytest.approx(0.1 * math.sqrt(2))
    assert s["B"] == 20.0 and s["B_spread"] is None
    assert s["G"] is None and s["G_spread"] is None
    assert list(s["units"]) == ["PS4", "PS3O"]
    assert s["units"] == pytest.approx({"PS4": 0.75, "PS3O": 0.25})
    assert s["units_spread"] == pytest.approx({"PS4": 0.25 * math.sqrt(2), "PS3O": 0.25 * math.sqrt(2)})


def test_one_seed_has_no_spread():
    s = cases.replica_stats([case({"PS4": 1.0}, density=2.0)])
    assert s["density"] == 2.0 and s["density_spread"] is None
    assert s["units"] == {"PS4": 1.0} and s["units_spread"] == {"PS4": None}


# -- scores -----------------------------------------------------------------------------------------

def pn_rows(pot: str, p0, p1, p2, xs=(0.0, 1.0, 2.0)) -> list[dict]:
    return [row(pot, x, P0=a, P1=b, P2=c) for x, a, b, c in zip(xs, p0, p1, p2)]


def test_slope_per_x():
    assert scoring.slope([row("a", 0.0, P1=0.5), row("a", 2.0, P1=0.3)], "P1") == pytest.approx(-0.1)
    assert scoring.slope([row("a", 0.0, P1=0.5), row("a", 2.0)], "P1") is None  # one point


def test_p1_disproportionates_when_p1_falls_and_p0_p2_rise():
    # slopes per x: P0 +0.1, P1 -0.2, P2 +0.1
    rows = pn_rows("a", (0.1, 0.2, 0.3), (0.6, 0.4, 0.2), (0.3, 0.4, 0.5))
    (s,) = scoring.scores(rows, [])
    assert s["slopes_per_x"] == pytest.approx({"P0": 0.1, "P1": -0.2, "P2": 0.1})
    assert s["P1_disproportionates"] is True


def test_p1_does_not_disproportionate_when_p2_falls_too():
    # P1 -> P0 only: P0 +0.2, P1 -0.1, P2 -0.1
    rows = pn_rows("a", (0.1, 0.3, 0.5), (0.6, 0.5, 0.4), (0.3, 0.2, 0.1))
    (s,) = scoring.scores(rows, [])
    assert s["slopes_per_x"] == pytest.approx({"P0": 0.2, "P1": -0.1, "P2": -0.1})
    assert s["P1_disproportionates"] is False
    assert scoring.disproportionates({"P0": 0.1, "P1": 0.1, "P2": 0.1}) is False  # P1 rises


def test_p1_check_needs_two_x():
    (s,) = scoring.scores(pn_rows("a", (0.1,), (0.6,), (0.3,), xs=(0.0,)), [])
    assert s["P1_disproportionates"] is None and s["slopes_per_x"] == {"P0": None, "P1": None, "P2": None}


def ref_row(x: float, quantity: str, value: float) -> dict:
    return {"x": x, "quantity": quantity, "value": value, "uncertainty": "", "unit": "", "source": "s", "doi": "d"}


def test_deviation_closest_and_fewest_artefacts():
    ref = [ref_row(0.0, "density", 2.0), ref_row(0.0, "B", 20.0), ref_row(1.0, "B", 25.0),
           ref_row(5.0, "density", 9.0)]  # no row at x = 5: not compared
    rows = [row("a", 0.0, density=2.2, B=18.0, edge_sharing=2.0, pp_bonds=1.0),  # density 0.1, B 0.1
            row("a", 1.0, B=30.0, edge_sharing=4.0),                             # B 0.2 -> B mean 0.15
            row("b", 0.0, density=2.1, B=19.0, edge_sharing=1.0, pp_bonds=0.0),  # density 0.05, B 0.05
            row("c", 3.0, density=2.0)]                                           # nothing to compare
    a, b, c = scoring.scores(rows, ref)
    assert a["rel_deviation"] == pytest.approx({"density": 0.1, "B": 0.15})
    assert a["mean_rel_deviation"] == pytest.approx(0.125) and a["compared_values"] == 3
    assert a["artefacts_per_100P"] == pytest.approx(7 / 3)  # mean of 2, 1, 4
    assert b["mean_rel_deviation"] == pytest.approx(0.05) and b["artefacts_per_100P"] == pytest.approx(0.5)
    assert c["mean_rel_deviation"] is None and c["compared_values"] == 0 and c["artefacts_per_100P"] is None
    assert [s["closest"] for s in (a, b, c)] == [False, True, False]
    assert scoring.summary([a, b, c]) == [
        "closest to experiment overall: b (mean relative deviation 5.0% over 2 quantities, 2 values)",
        "fewest artefacts: b (0.5 edge-sharing pairs and P-P bonds per 100 P, averaged over x)"]


def test_nothing_to_compare():
    (s,) = scoring.scores([row("a", 0.0, density=2.0)], [ref_row(1.0, "density", 2.0)])
    assert s["closest"] is False and s["rel_deviation"] == {}
    assert scoring.summary([s]) == ["no potential could be compared with experiment: the reference has no value at "
                                   "these x"]


# -- the reference CSV ------------------------------------------------------------------------------

def test_shipped_reference_loads_and_is_complete():
    assert REFERENCE == ROOT / "lammpskit" / "reference" / "na4p2s7-xox.csv" and REFERENCE.is_file()
    with open(REFERENCE, newline="") as fh:
        raw = list(csv.DictReader(fh))
    assert tuple(raw[0]) == REF_COLUMNS
    assert all(r["source"].strip() and r["doi"].strip().startswith("10.") for r in raw)
    rows = reference()
    assert len(rows) == sum(1 for r in raw if r["value"].strip())
    m = next(r for r in rows if r["quantity"] == "fragility_m_cal")
    assert (m["x"], m["value"], m["uncertainty"], m["doi"]) == (2.5, 29.0, "", "10.1016/j.jnoncrysol.2020.120493")
    for r in rows:
        assert 0 <= r["x"] <= 7 and isinstance(r["value"], float)


def test_reference_skips_unknowns_and_refuses_a_missing_column(tmp_path):
    ok = tmp_path / "ok.csv"
    ok.write_text(",".join(REF_COLUMNS) + "\nS,0,density,2.1,0.05,g/cm3,,a,10.1/x,\nS,2.5,Tg,,,K,,a,10.1/x,unknown\n")
    (r,) = experiment.reference(ok)
    assert (r["quantity"], r["x"], r["value"], r["uncertainty"]) == ("density", 0.0, 2.1, 0.05)
    bad = tmp_path / "bad.csv"
    bad.write_text("system,x,quantity,value\nS,0,density,2.1\n")
    with pytest.raises(UserError, match=r"missing columns \['uncertainty'"):
        experiment.reference(bad)


# -- writers ----------------------------------------------------------------------------------------

def test_fmt():
    assert writers.fmt(None) == "–" and writers.fmt(1.23456) == "1.23" and writers.fmt(2.0, 0.1) == "2 ± 0.1"
    assert writers.fmt(2.0, 0.0) == "2"


def doc(problems: list[str]) -> dict:
    return {"title": "Campaign <c>", "intro": "a & b", "summary": ["best: <b>"],
            "tables": [("T", ["potential", "x"], [["<script>", "0"]])],
            "lists": {"Scores": ["s"], writers.BAD: problems or ["none"]}, "bad": writers.BAD}


def test_html_is_escaped_self_contained_and_marks_failures(tmp_path):
    png = tmp_path / "a.png"
    png.write_bytes(b"\x89PNG fake")
    page = writers.html(doc(["x=1 s1: quench failed (<why>)"]), [("fig <1>", png)])
    assert "<title>lammpskit report: Campaign &lt;c&gt;</title>" in page and "<p>a &amp; b</p>" in page
    assert "<td>&lt;script&gt;</td>" in page and "<script>" not in page
    assert '<li class="bad">x=1 s1: quench failed (&lt;why&gt;)</li>' in page
    assert 'src="data:image/png;base64,iVBORyBmYWtl"' in page and 'alt="fig &lt;1&gt;"' in page
    assert page.count("</body>") == 1 and page.endswith("</html>\n")
    assert 'class="bad"' not in writers.html(doc([]), [])  # "none" is not a failure


def test_markdown_is_plain_text(tmp_path):
    text = writers.markdown(doc([]), [("fig", tmp_path / "a.png")])
    assert text == ("# Campaign <c>\n\na & b\n\n**best: <b>**  \n\n## T\n\n| potential | x |\n|---|---|\n"
                    "| <script> | 0 |\n\n## Scores\n\n- s\n\n## Missing or failed cases\n\n- none\n\n"
                    "## Figures\n\n![fig](a.png)\n")


def test_figures_do_not_import_study():
    """lammpskit.figures makes files for people from plain data: it may use lammpskit.analysis, not study."""
    for path in (ROOT / "lammpskit" / "figures").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.startswith("lammpskit.study") for n in names), path


def test_public_names_stay():
    import lammpskit.study.report as report

    for name in ("write", "REFERENCE", "REF_COLUMNS", "QUANTITIES", "reference", "collect", "scores", "summary",
                 "case_values", "unit_order"):
        assert hasattr(report, name), name
    assert callable(report.write) and Path(report.REFERENCE).name == "na4p2s7-xox.csv"
