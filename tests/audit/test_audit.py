"""lammpskit audit: errors against reference labels and disagreement between potentials, per structural
class, on hand-built thiophosphate frames (tests.models.motif_frames: an edge-sharing P2S6 pair, a
corner-sharing P2S7, a P-P bonded P2S6, a PS3O tetrahedron, a free S and Na; 68 atoms)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import lammpskit as lk
from lammpskit.lammps import dumps
from tests import models as testing

from ..conftest import ELEMENTS, FAST, LJ, assert_user_error, cli, potentials_path


@pytest.fixture(scope="module")
def audit_pots(tmp_path_factory):
    """A registry folder with two random-init MACE models of different seeds, 'tiny-mace' and 'tiny-mace-b'."""
    folder = tmp_path_factory.mktemp("audit-pots")
    for name, seed in (("tiny-mace", 0), ("tiny-mace-b", 1)):
        model = testing.tiny_mace(folder / f"{name}.model", ELEMENTS, seed=seed)
        testing.mace_potential_toml(folder, name, model, ELEMENTS)
    (folder / "lj-a.toml").write_text(LJ.format(name="lj-a", eps=0.01))  # fast runs to audit
    with potentials_path(folder):
        yield folder


def write_dump(path, frames):
    """ASE frames (cubic cells) as a LAMMPS text dump with an element column, ids shuffled per frame."""
    rows = []
    for k, at in enumerate(frames):
        order = np.random.default_rng(k).permutation(len(at))
        rows.append((100 * k, np.arange(1, len(at) + 1)[order], [at.get_chemical_symbols()[i] for i in order],
                     at.get_positions()[order], np.asarray(at.cell), np.zeros(3)))
    dumps.write(path, rows)
    return path


def run_json(*args):
    r = cli(*args, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def read_columns(path):
    """Per-atom columns of every frame of a dump, read by OVITO: {name: concatenated array}."""
    from ovito.io import import_file

    pipeline = import_file(str(path))
    cols: dict = {}
    for f in range(pipeline.source.num_frames):
        data = pipeline.compute(f)
        names = {t.id: t.name for t in data.particles.particle_types.types}
        cols.setdefault("element", []).append([names[t] for t in data.particles.particle_types[...]])
        for key in data.particles.keys():
            cols.setdefault(key, []).append(np.asarray(data.particles[key][...]))
    return {k: np.concatenate(v) for k, v in cols.items()}


def test_self_audit_is_zero_and_other_potential_counts_match_analyze_units(audit_pots, tmp_path):
    """Labels made by tiny-mace audit tiny-mace to zero; tiny-mace-b against them is non-zero, and every
    class's atom count equals analyze units (and its --annotate dump) on the same dump; the per-atom
    audit dump opens in OVITO with class and dF columns whose class counts agree too."""
    from lammpskit.finetune import frames as finetune
    from lammpskit.structure import frames as xyz

    dump = write_dump(tmp_path / "frames.lammpstrj", testing.motif_frames(3, seed=3))
    xyz.write(tmp_path / "frames.xyz", finetune.dump_frames(dump))
    r = cli("finetune", "label", tmp_path / "frames.xyz", "--pot", "tiny-mace", "--out", tmp_path / "ref.xyz")
    assert r.returncode == 0, r.stderr

    own = run_json("audit", dump, "--pot", "tiny-mace", "--reference", tmp_path / "ref.xyz", "--batch", "3")
    assert own["frames"] == 3 and own["reference"] == str(tmp_path / "ref.xyz")
    me = own["potentials"]["tiny-mace"]
    assert me["batched"] is True
    # zero to the precision of the labels in extxyz (8 decimals: 1e-8 eV/Å, 1e-8 eV/Å³ = 1.6e-6 GPa)
    for key, tol in (("energy_rmse_eV_atom", 1e-8), ("force_rmse_eV_A", 1e-7), ("force_mae_eV_A", 1e-7),
                     ("stress_rmse_GPa", 1e-5)):
        assert me[key] < tol, (key, me[key])
    assert all(c["force_rmse_eV_A"] is None or c["force_rmse_eV_A"] < 1e-7 for c in me["by_class"].values())

    # a labelled extxyz is its own reference (docs/audit.md, the loop's "audit again" on held-out labelled frames)
    again = lk.audit([tmp_path / "ref.xyz"], ["tiny-mace"], reference=tmp_path / "ref.xyz", batch=1)
    assert isinstance(again, lk.AuditResult) and again.rows is again.potentials
    assert again.potentials["tiny-mace"]["force_rmse_eV_A"] < 1e-7
    assert again.potentials["tiny-mace"]["by_class"]["P2"]["atoms"] == me["by_class"]["P2"]["atoms"]

    other = run_json("audit", dump, "--pot", "tiny-mace-b", "--reference", tmp_path / "ref.xyz",
                     "--dump", tmp_path / "audit.dump")
    them = other["potentials"]["tiny-mace-b"]
    assert them["force_rmse_eV_A"] > 1e-4 and them["energy_rmse_eV_atom"] > 0 and them["stress_rmse_GPa"] > 0
    assert them["force_mae_eV_A"] <= them["force_rmse_eV_A"]

    units = run_json("analyze", "units", dump, "--frames", "all", "--annotate", tmp_path / "units.dump")
    n, cls = units["frames"], them["by_class"]
    for k, mean in units["Pn"].items():
        assert cls[f"P{k}"]["atoms"] == round(mean * n)
    for el in ("S", "O"):
        for kind in ("bridging", "nonbridging", "free"):
            assert cls[f"{el}_{kind}"]["atoms"] == round(units["anions"][el][kind] * n)
    annotated = read_columns(tmp_path / "units.dump")
    assert cls["P_edge_sharing"]["atoms"] == int((annotated["edge"] == 1).sum()) == 2 * n
    assert cls["P_PP_bonded"]["atoms"] == int((annotated["pp"] > 0).sum()) == 2 * n
    assert cls["Na"]["atoms"] == int((annotated["element"] == "Na").sum()) == 20 * n
    # the motifs' classes: P2 (edge), P1 (corner), P0 (P-P bonded, PS3O); bridging S: 2 + 1 per frame
    assert (cls["P0"]["atoms"], cls["P1"]["atoms"], cls["P2"]["atoms"], cls["S_bridging"]["atoms"]) == \
        (3 * n, 2 * n, 2 * n, 3 * n)
    assert them["by_class"]["P_edge_sharing"]["force_rmse_eV_A"] > 0

    # the per-atom dump: OVITO reads class, edge, pp, dF_tiny_mace_b (lower-cased); class counts = analyze units
    cols = read_columns(tmp_path / "audit.dump")
    assert other["dump_columns"] == ["id", "element", "x", "y", "z", "class", "edge", "pp", "dF_tiny_mace_b"]
    codes = {name: int(code) for code, name in other["class_codes"].items()}
    for name in ("P0", "P1", "P2", "S_bridging", "S_nonbridging", "S_free", "O_nonbridging", "Na"):
        assert int((cols["class"] == codes[name]).sum()) == cls[name]["atoms"], name
    assert int((cols["edge"] == 1).sum()) == cls["P_edge_sharing"]["atoms"]
    df = cols["df_tiny_mace_b"]
    assert len(df) == other["atoms"] and (df >= 0).all() and df.max() > 0
    rms = np.sqrt(np.mean(df ** 2) / 3)  # |dF| per atom -> per-component RMSE
    assert rms == pytest.approx(them["force_rmse_eV_A"], rel=1e-3)


def test_a_run_directory_is_audited_on_its_production_dump(audit_pots, tmp_path):
    """FRAMES may be a run directory: its production dump, with the same class counts as analyze units."""
    run = tmp_path / "run"
    r = cli("quench", "--pot", "lj-a", "--x", "1", "--fu", "3", "--seed", "1", "--out", run, *FAST)
    assert r.returncode == 0, r.stderr
    res = run_json("audit", run, "--pot", "tiny-mace", "--pot", "tiny-mace-b", "--frames=-2:")
    units = run_json("analyze", "units", run / "dump.production.lammpstrj", "--frames=-2:")
    assert res["frames"] == units["frames"] == 2 and res["sources"] == [str(run / "dump.production.lammpstrj")]
    cls = res["pairs"]["tiny-mace vs tiny-mace-b"]["by_class"]
    assert sum(c["atoms"] for k, c in cls.items() if k[1:].isdigit()) == round(units["P_atoms"] * 2)
    for k, mean in units["Pn"].items():
        assert cls[f"P{k}"]["atoms"] == round(mean * 2)
    for el in ("S", "O"):
        for kind in ("bridging", "nonbridging", "free"):
            assert cls[f"{el}_{kind}"]["atoms"] == round(units["anions"][el][kind] * 2)
    assert res["committee"]["force_spread_mean_eV_A"] > 0


def test_perturbed_edge_sharing_frames_are_selected_and_carry_the_disagreement(tmp_path):
    """Frames whose edge-sharing pair has its shared S squeezed 0.3 Å each towards each other: CHGNet and
    its r2SCAN transfer model disagree most there, --select 2 returns two of them, and the pairwise
    error added by the squeeze sits on the edge-sharing P (P1, Na, non-bridging S unchanged)."""
    from ase.io import read, write

    frames = testing.motif_frames(8, perturbed=(1, 3, 4, 6))
    write(tmp_path / "all.xyz", frames, format="extxyz")
    res = run_json("audit", tmp_path / "all.xyz", "--pot", "chgnet", "--pot", "chgnet-r2scan", "--select", "2",
                   "--out", tmp_path / "next.xyz")
    worst = np.argsort(res["committee"]["frame_max_eV_A"])[::-1][:4]
    assert sorted(worst.tolist()) == [1, 3, 4, 6]
    picked = [f["frame"] for f in res["selected"]["frames"]]
    assert len(picked) == 2 and set(picked) <= {1, 3, 4, 6}
    spreads = [f["force_spread_max_eV_A"] for f in res["selected"]["frames"]]
    assert spreads == sorted(spreads, reverse=True)
    chosen = read(tmp_path / "next.xyz", index=":")
    assert [at.info["frame"] for at in chosen] == picked and all(at.info["perturbed"] == 1 for at in chosen)
    assert "REF_energy" not in chosen[0].info

    pair = {}  # the same through the Python API, one frame at a time
    for name, idx in (("perturbed", (1, 3, 4, 6)), ("plain", (0, 2, 5, 7))):
        write(tmp_path / f"{name}.xyz", [frames[k] for k in idx], format="extxyz")
        out = lk.audit([tmp_path / f"{name}.xyz"], ["chgnet", "chgnet-r2scan"], batch=1)
        assert out.potentials["chgnet"]["batched"] is False and out.rows is out.pairs
        pair[name] = out.pairs["chgnet vs chgnet-r2scan"]["by_class"]
    rise = {c: pair["perturbed"][c]["force_rmse_eV_A"] / pair["plain"][c]["force_rmse_eV_A"]
            for c in ("P_edge_sharing", "S_bridging", "P1", "P0", "S_nonbridging", "Na")}
    assert rise["P_edge_sharing"] > 2.5 and rise["S_bridging"] > 2, rise
    assert all(0.7 < rise[c] < 1.4 for c in ("P1", "P0", "S_nonbridging", "Na")), rise
    p_classes = {c: v["force_rmse_eV_A"] for c, v in pair["perturbed"].items() if c.startswith("P") and v["atoms"]}
    assert max(p_classes, key=p_classes.get) in ("P_edge_sharing", "P2"), p_classes


def test_batched_evaluation_equals_one_frame_at_a_time(audit_pots):
    """CHGNet (predict_structure) and MACE (one torch_geometric batch) give the bridge calculator's numbers."""
    from lammpskit.potentials import evaluate
    from lammpskit.potentials import registry as potentials

    frames = testing.motif_frames(3, seed=5)
    for name, tol in (("tiny-mace", 1e-10), ("chgnet", 1e-4)):
        pot = potentials.get(name)
        one, many = evaluate.evaluate(pot, frames, 1), evaluate.evaluate(pot, frames, 3)
        for a, b in zip(one, many):
            assert abs(a.energy - b.energy) < tol * len(frames[0])
            assert np.abs(a.forces - b.forces).max() < tol
            assert np.abs(a.stress - b.stress).max() < tol


def test_bad_input_is_one_error_line(audit_pots, tmp_path):
    """Unknown potential, missing or mismatched reference, --select out of range, unreadable dump."""
    frames = testing.motif_frames(2, seed=1)
    from ase.io import write

    write(tmp_path / "f.xyz", frames, format="extxyz")
    write(tmp_path / "one.xyz", frames[:1], format="extxyz")
    assert_user_error(cli("audit", tmp_path / "f.xyz", "--pot", "no-such-pot", "--pot", "tiny-mace"), "no-such-pot")
    assert_user_error(cli("audit", tmp_path / "f.xyz", "--pot", "tiny-mace", "--reference", tmp_path / "none.xyz"),
                      "--reference")
    assert_user_error(cli("audit", tmp_path / "f.xyz", "--pot", "tiny-mace"), "--reference", "two or more --pot")
    assert_user_error(cli("audit", tmp_path / "f.xyz", "--pot", "tiny-mace", "--pot", "tiny-mace-b", "--select", "0"),
                      "--select")
    assert_user_error(cli("audit", tmp_path / "f.xyz", "--pot", "tiny-mace", "--pot", "tiny-mace-b", "--select", "3"),
                      "--select 3", "2 frames")
    # labels of other frames: a different frame count, then the right count but other positions
    labelled = testing.motif_frames(2, seed=2)
    for at in labelled:
        at.info["REF_energy"] = 0.0
        at.arrays["REF_forces"] = np.zeros((len(at), 3))
    write(tmp_path / "ref1.xyz", labelled[:1], format="extxyz")
    write(tmp_path / "ref2.xyz", labelled, format="extxyz")
    assert_user_error(cli("audit", tmp_path / "f.xyz", "--pot", "tiny-mace", "--reference", tmp_path / "ref1.xyz"),
                      "holds 1 frames but FRAMES select 2")
    assert_user_error(cli("audit", tmp_path / "f.xyz", "--pot", "tiny-mace", "--reference", tmp_path / "ref2.xyz"),
                      "not the same configuration")
    assert_user_error(cli("audit", tmp_path / "f.xyz", "--pot", "tiny-mace", "--reference", tmp_path / "one.xyz"),
                      "holds 1 frames")
    swapped = [at.copy() for at in frames]
    for at in swapped:
        at.info["REF_energy"] = 0.0
        at.arrays["REF_forces"] = np.zeros((len(at), 3))
    swapped[1].symbols[0] = "Na" if swapped[1].symbols[0] != "Na" else "P"
    write(tmp_path / "swapped.xyz", swapped, format="extxyz")
    assert_user_error(cli("audit", tmp_path / "f.xyz", "--pot", "tiny-mace", "--reference", tmp_path / "swapped.xyz"),
                      "frame 1", "elements differ")
    (tmp_path / "bad.lammpstrj").write_text("ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\nten\n")
    assert_user_error(cli("audit", tmp_path / "bad.lammpstrj", "--pot", "tiny-mace", "--pot", "tiny-mace-b"),
                      "bad.lammpstrj")
    assert_user_error(cli("audit", tmp_path, "--pot", "tiny-mace", "--pot", "tiny-mace-b"), "not a run directory")
    assert not list(tmp_path.glob("selected*")) and not list(tmp_path.glob(".*tmp*"))


def test_report_audits_the_campaigns_reference_set(audit_pots, tmp_path):
    """A campaign naming a reference_set: the report carries the per-class force error table (next to the
    artefact counts) and its figure; labels made by tiny-mace give tiny-mace zero error."""
    from lammpskit.finetune import frames as finetune
    from lammpskit.structure import frames as xyz

    xyz.write(tmp_path / "held-out.xyz", finetune.label(testing.motif_frames(2, seed=7), "tiny-mace"))
    (tmp_path / "c.toml").write_text('name = "aud"\nx = [0]\npotentials = ["tiny-mace", "tiny-mace-b"]\n'
                                     'seeds = [1]\nreference_set = "held-out.xyz"\n')
    info = run_json("report", tmp_path / "c.toml")
    audited = json.loads((tmp_path / "aud" / "report" / "audit.json").read_text())
    assert info["audit"] == str(tmp_path / "aud" / "report" / "audit.json")
    assert audited["reference"] == str(tmp_path / "held-out.xyz") and audited["frames"] == 2
    assert audited["potentials"]["tiny-mace"]["force_rmse_eV_A"] < 1e-7
    assert audited["potentials"]["tiny-mace-b"]["force_rmse_eV_A"] > 1e-4
    md = (tmp_path / "aud" / "report" / "report.md").read_text()
    assert "Errors on the reference set" in md and "artefacts per 100 P" in md
    assert "P_edge_sharing (4)" in md and "| tiny-mace-b |" in md
    assert (tmp_path / "aud" / "report" / "audit.png").stat().st_size > 1000
    assert any(f.endswith("audit.png") for f in info["figures"])
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "aud2"\nx = [0]\npotentials = ["tiny-mace"]\nseeds = [1]\nreference_set = 3\n')
    assert_user_error(cli("report", bad), "reference_set")
