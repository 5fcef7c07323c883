"""CP2K as a labeller: the output parser on fixed text (2023.1 and 2025 formats), the data table against the
installed CP2K data files, and real CP2K single points (one MPI rank, one thread) as oracles:
forces = -dE/dx and pressure = -dE/dV by central finite differences of energies read by the same parser.

The numbers below are written out (1 hartree = 27.211386 eV, 1 bohr = 0.52917721 Å, 1 GPa = 1/160.21766
eV/Å³) so that a wrong constant in the parser cannot agree with itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from ..conftest import assert_user_error, cli

DATA = Path(__file__).parent / "data"
FRAME13 = DATA / "na4p2s7_13.xyz"
SNIPPETS = DATA / "cp2k"
HARTREE, BOHR, GPA = 27.211386245988, 0.529177210903, 1 / 160.21766208
CP2K_DATA = Path("/usr/share/cp2k")
needs_cp2k = pytest.mark.skipif(shutil.which("cp2k.psmp") is None, reason="CP2K not installed (make system)")
ONE_CORE = {"OMP_NUM_THREADS": "1"}


def _frame13():
    from ase.io import read

    return read(FRAME13)


# -- parser on fixed text -------------------------------------------------------------------------

def _printed(text: str):
    """Energy (hartree), forces (hartree/bohr) and stress (GPa, CP2K sign) of the 2023.1 snippet, read here."""
    e = float(re.search(r"ENERGY\| Total FORCE_EVAL \( QS \) energy \[a\.u\.\]:\s+(\S+)", text).group(1))
    f = [[float(v) for v in m] for m in re.findall(r"^\s+\d+\s+\d+\s+[A-Z][a-z]?\s+(\S+)\s+(\S+)\s+(\S+)$", text, re.M)]
    s = [[float(v) for v in m] for m in re.findall(r"^ STRESS\|\s+[xyz]\s+(\S+)\s+(\S+)\s+(\S+)$", text, re.M)]
    return e, np.array(f), np.array(s[:3])  # the rows after the tensor are its eigenvectors


def test_parser_reads_2023_and_2025_formats_in_ev_angstrom_and_ase_sign():
    from lammpskit.finetune import cp2k_output

    text = (SNIPPETS / "out-2023.1.txt").read_text()
    e, f, s = _printed(text)
    assert f.shape == (13, 3) and s.shape == (3, 3)
    old = cp2k_output.read(SNIPPETS / "out-2023.1.txt", 13)
    new = cp2k_output.read(SNIPPETS / "out-2025.1.txt", 13)
    assert (old.fmt, new.fmt) == ("2023", "2025") and old.converged and new.converged
    for res in (old, new):
        assert res.energy == pytest.approx(e * HARTREE, rel=1e-7)  # CODATA 2014 (ASE) vs 2018
        np.testing.assert_allclose(res.forces, f * HARTREE / BOHR, rtol=1e-7)
        np.testing.assert_allclose(res.stress, -s * GPA, rtol=1e-9)  # ASE: + = tensile; CP2K prints + = compressive
        assert res.wall_s == pytest.approx(84.0, abs=1.0)
    assert -np.trace(old.stress) / 3 / GPA == pytest.approx(4.40528292523, rel=1e-9)  # CP2K's "1/3 Trace"


def test_parser_flags_an_unconverged_scf_in_both_formats(tmp_path):
    from lammpskit.finetune import cp2k, cp2k_output

    text = (SNIPPETS / "out-2023.1.txt").read_text().replace(
        "  *** SCF run converged in    17 steps ***",
        "  Leaving inner SCF loop after reaching   200 steps.\n\n"
        " *** WARNING in qs_scf.F:598 :: SCF run NOT converged ***")
    assert cp2k_output.parse(text, 13).converged is False
    sub = tmp_path / "0000"
    sub.mkdir()
    (sub / cp2k.OUTPUT).write_text(text)
    shutil.copy(FRAME13, sub / cp2k.FRAME)
    frame, why = cp2k.result(sub)
    assert frame is None and "NOT converged" in why
    abort = SNIPPETS / "abort-2025.1.txt"
    assert cp2k_output.finished(abort)  # a finished run (not run again), but never a label
    with pytest.raises(cp2k_output.NotConverged):
        cp2k_output.read(abort)
    shutil.copy(abort, sub / cp2k.OUTPUT)
    frame, why = cp2k.result(sub)
    assert frame is None and "NOT converged" in why


@pytest.mark.parametrize("damage, needle", [
    (lambda t: t.split(" STRESS| Analytical")[0], "did not finish"),
    (lambda t: t.replace("-0.05424401", "NaN"), "not a finite number"),
    (lambda t: t.replace("-0.05424401", "**************"), "not a number"),
    (lambda t: t.replace("     10      3      Na", "     11      3      Na", 1), "atom 11 where atom 10"),
    (lambda t: re.sub(r"^     13 .*\n", "", t, flags=re.M), "12 atoms in the force block"),
    (lambda t: t.replace("[GPa]", "[furlong]", 1), "stress unit"),
    (lambda t: t.replace(" ENERGY| Total FORCE_EVAL", " ENERGY| Total FORCE EVAL"), "no 'ENERGY|"),
    (lambda t: t.replace(" ATOMIC FORCES in [a.u.]", " ATOMIC FORCES in [a.u.]\n junk"), "column line"),
])
def test_parser_refuses_damaged_output(damage, needle, tmp_path):
    from lammpskit.finetune import cp2k_output

    path = tmp_path / "cp2k.out"
    path.write_text(damage((SNIPPETS / "out-2023.1.txt").read_text()))
    with pytest.raises(cp2k_output.OutputError, match=re.escape(needle)):
        cp2k_output.read(path, 13)


def test_parser_reads_bounded_regular_files_only(tmp_path, monkeypatch):
    from lammpskit.finetune import cp2k_output

    fifo = tmp_path / "fifo.out"
    os.mkfifo(fifo)
    with pytest.raises(cp2k_output.OutputError, match="not a regular file"):
        cp2k_output.read(fifo)
    assert not cp2k_output.finished(fifo)
    monkeypatch.setattr(cp2k_output, "MAX_BYTES", 1000)
    with pytest.raises(cp2k_output.OutputError, match="larger than"):
        cp2k_output.read(SNIPPETS / "out-2023.1.txt")


# -- data table and input deck --------------------------------------------------------------------

def _names(path: Path, element: str) -> set[str]:
    """Every name (with aliases) the CP2K data file gives ``element``."""
    names = set()
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == element and not line.startswith("#"):
            names.update(parts[1:])
    return names


@pytest.mark.skipif(not CP2K_DATA.is_dir(), reason="cp2k-data not installed")
def test_every_element_has_its_basis_and_pseudopotentials_in_the_cp2k_data_files():
    from lammpskit.finetune import cp2k

    for el, (basis, q) in cp2k.ELEMENTS.items():
        assert basis in _names(CP2K_DATA / "BASIS_MOLOPT", el), (el, basis)
        for family, potential_file, _, _ in cp2k.FUNCTIONALS.values():
            assert f"GTH-{family}-q{q}" in _names(CP2K_DATA / potential_file, el), (el, family, potential_file)
    for (el, q), basis in cp2k.VALENCE_ONLY.items():  # the valence-only pairs come from the UZH files
        for family, _, _, _ in cp2k.FUNCTIONALS.values():
            assert basis.format(family=family) in _names(CP2K_DATA / "BASIS_MOLOPT_UZH", el), (el, q, family)
            assert f"GTH-{family}-q{q}" in _names(CP2K_DATA / "POTENTIAL_UZH", el), (el, q, family)


def test_input_deck_settings_and_refusals():
    from ase import Atoms

    from lammpskit.errors import UserError
    from lammpskit.finetune import cp2k

    at = _frame13()
    text = cp2k.render(at, cp2k.Settings().check())
    assert "&XC_FUNCTIONAL PBE" in text and "TYPE DFTD3(BJ)" in text and "REFERENCE_FUNCTIONAL PBE" in text
    assert f"CUTOFF {cp2k.Settings.cutoff:g}\n" in text and "STRESS_TENSOR ANALYTICAL" in text
    assert "POTENTIAL GTH-PBE-q9" in text and "BASIS_SET DZVP-MOLOPT-SR-GTH" in text
    scan = cp2k.render(at, cp2k.Settings(functional="r2scan").check())
    assert "MGGA_X_R2SCAN" in scan and "GTH-SCAN-q9" in scan and "D3BJ_SCALING" in scan
    for bad in ({"cutoff": float("nan")}, {"cutoff": -1}, {"rel_cutoff": "60\n&END"}, {"functional": "b3lyp"},
                {"eps_scf": 1.0}):
        with pytest.raises(UserError):
            cp2k.Settings(**bad).check()
    # Na without semicore: its basis file is added, its pseudopotential named per KIND; P, S keep theirs
    q1 = cp2k.render(at, cp2k.Settings(valence={"Na": 1}).check())
    assert "BASIS_SET_FILE_NAME BASIS_MOLOPT_UZH" in q1 and "POTENTIAL_FILE_NAME GTH_POTENTIALS" in q1
    na = q1[q1.index("&KIND Na"):q1.index("&END KIND", q1.index("&KIND Na"))]
    assert "BASIS_SET TZVP-MOLOPT-PBE-GTH-q1" in na and "POTENTIAL GTH-PBE-q1" in na and "POTENTIAL_UZH" in na
    assert q1.count("POTENTIAL_UZH") == 1 and "BASIS_MOLOPT_UZH" not in text
    assert cp2k.render(at, cp2k.Settings(valence={"Na": 9}).check()) == text  # the default valence, same deck
    for bad in ({"Na": 2}, {"U": 1}, {"Na": "1\n&END"}, "Na=1"):
        with pytest.raises(UserError, match="valence") as exc:
            cp2k.Settings(valence=bad).check()
        assert "--" not in str(exc.value)
    with pytest.raises(UserError, match="no basis/pseudopotential entry for U"):
        cp2k.render(Atoms("U2", positions=[[0, 0, 0], [1.5, 1.5, 1.5]], cell=[5, 5, 5], pbc=True), cp2k.Settings())
    with pytest.raises(UserError, match="periodic"):
        cp2k.render(Atoms("Na2", positions=[[0, 0, 0], [3, 0, 0]]), cp2k.Settings())


def test_cli_refuses_bad_cp2k_options(tmp_path):
    for args, needle in ((["--cutoff", "-5"], "--cutoff"), (["--rel-cutoff", "inf"], "--rel-cutoff"),
                         (["--code", "qe"], "export-dft --code qe"), (["--workers", "0"], "--workers"),
                         (["--functional", "lda"], "--functional"), (["--valence", "Na=2"], "--valence Na=2"),
                         (["--valence", "Na"], "--valence 'Na'")):
        assert_user_error(cli("finetune", "dft", FRAME13, *args, "--out", tmp_path / "l.xyz"), needle)
    assert_user_error(cli("finetune", "converge", FRAME13, "--cutoffs", "300,abc"), "--cutoffs")
    assert_user_error(cli("finetune", "export-dft", FRAME13, "--cutoff", "300"), "--code cp2k")
    # an --out nobody can write is refused before a frame folder is made or CP2K runs
    assert_user_error(cli("finetune", "dft", FRAME13, "--out", tmp_path / "none" / "l.xyz"), "does not exist")
    assert_user_error(cli("finetune", "dft", FRAME13, "--out", tmp_path), "is a folder")
    assert not (tmp_path / "none").exists() and not list(tmp_path.glob("*-cp2k"))


def test_export_dft_cp2k_writes_one_folder_per_frame_and_runs_nothing(tmp_path):
    from ase.io import read, write

    frames = [_frame13(), _frame13()]
    frames[1].positions[0, 0] += 0.1
    write(tmp_path / "frames.xyz", frames)
    r = cli("finetune", "export-dft", tmp_path / "frames.xyz", "--code", "cp2k", "--cutoff", "500", "--out",
            tmp_path / "dft", "--json")
    assert r.returncode == 0, r.stderr
    inputs = json.loads(r.stdout)["inputs"]
    assert [Path(p).parent.name for p in inputs] == ["0000", "0001"]
    assert "CUTOFF 500\n" in Path(inputs[1]).read_text() and not list((tmp_path / "dft").rglob("cp2k.out*"))
    assert read(tmp_path / "dft" / "0001" / "frame.xyz").info["frame_index"] == 1


# -- real CP2K runs -------------------------------------------------------------------------------

@needs_cp2k
def test_cli_labels_a_frame_reruns_nothing_and_collect_reads_the_folder(tmp_path):
    """One real single point (13 atoms, 150/30 Ry: ~1 min on one loaded core), then the rerun and collect."""
    out = tmp_path / "labelled.xyz"
    args = ("finetune", "dft", FRAME13, "--code", "cp2k", "--cutoff", "150", "--rel-cutoff", "30", "--out", out)
    r = cli(*args, "--json", env=ONE_CORE)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert (info["labelled"], info["ran"], info["failed"]) == (1, 1, [])
    sub = Path(info["folder"]) / "0000"
    assert {"cp2k.inp", "cp2k.out", "frame.xyz"} <= {p.name for p in sub.iterdir()}
    from ase.io import read

    (at,) = read(out, index=":")
    assert at.info["frame_index"] == 0
    e, _, s = _printed((sub / "cp2k.out").read_text())
    assert at.info["REF_energy"] == pytest.approx(e * HARTREE, rel=1e-7)
    np.testing.assert_allclose(at.info["REF_stress"], -s * GPA, rtol=1e-8)  # ASE sign in the extxyz
    r = cli(*args, "--json", env=ONE_CORE)  # the rerun finds the frame finished
    assert r.returncode == 0 and json.loads(r.stdout)["ran"] == 0 and json.loads(r.stdout)["skipped"] == 1
    r = cli("finetune", "collect", info["folder"], out, "--train", tmp_path / "t.xyz", "--valid", tmp_path / "v.xyz",
            "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"train": 1, "valid": 1}
    for part in (read(tmp_path / "t.xyz"), read(tmp_path / "v.xyz")):
        assert part.info["REF_energy"] == pytest.approx(at.info["REF_energy"], rel=1e-12)


@needs_cp2k
def test_unconverged_scf_is_reported_and_left_out(tmp_path):
    """A real CP2K 2023.1 run stopped after 2 SCF steps: it prints energy and forces anyway; no label."""
    import lammpskit as lk
    from lammpskit.finetune import cp2k

    res = lk.label_dft(FRAME13, out=tmp_path / "l.xyz", settings=cp2k.Settings(cutoff=100, rel_cutoff=20, max_scf=2))
    assert (res.labelled, res.out) == (0, None) and not (tmp_path / "l.xyz").exists()
    assert res.failures[0].frame_index == 0 and "NOT converged" in res.failures[0].reason


# Finite differences: h = 0.01 Å on one force component; ±0.1 % linear strain (±0.3 % volume).
H, STRAIN = 0.01, 1e-3
FD = {"cutoff": 200.0, "rel_cutoff": 40.0, "eps_scf": 1e-8}


@pytest.fixture(scope="module")
def fd_labels(tmp_path_factory):
    """The 13-atom frame, two displaced copies and two strained copies, labelled in one ``label_dft`` call."""
    import lammpskit as lk
    from lammpskit.finetune import cp2k

    base = _frame13()
    # a P atom, z: its energy is smooth on the scale of h. Not a Na (GTH-PBE-q9, semicore): at 200 Ry its energy
    # ripples with the grid period (~0.1 Å; the egg-box effect, see lammpskit.finetune.cp2k) and a central
    # difference over 0.02 Å misses its force by 5 % (-26.77 vs -28.30 eV/Å measured)
    atom, axis = 0, 2
    frames = [base]
    for sign in (1, -1):
        at = base.copy()
        at.positions[atom, axis] += sign * H
        frames.append(at)
    for sign in (1, -1):
        at = base.copy()
        at.set_cell(base.cell * (1 + sign * STRAIN), scale_atoms=True)
        frames.append(at)
    wd = tmp_path_factory.mktemp("cp2k-fd")
    res = lk.label_dft(frames, out=wd / "fd.xyz", settings=cp2k.Settings(**FD), workers=1, threads=1)
    assert res.labelled == 5, res.failed
    from ase.io import read

    return read(wd / "fd.xyz", index=":"), atom, axis


@needs_cp2k
@pytest.mark.slow
def test_forces_are_minus_the_energy_gradient(fd_labels):
    labels, atom, axis = fd_labels
    assert [at.info["frame_index"] for at in labels] == [0, 1, 2, 3, 4]
    f = labels[0].arrays["REF_forces"][atom, axis]
    fd = -(labels[1].info["REF_energy"] - labels[2].info["REF_energy"]) / (2 * H)
    print(f"CP2K force {f:.5f} eV/Å, central difference {fd:.5f} eV/Å")
    assert abs(f) > 0.05  # a component worth comparing
    assert f == pytest.approx(fd, abs=3e-3, rel=1e-2)


@needs_cp2k
@pytest.mark.slow
def test_pressure_is_minus_the_volume_derivative_of_the_energy(fd_labels):
    labels, _, _ = fd_labels
    p = -np.trace(labels[0].info["REF_stress"]) / 3  # eV/Å³, + = compressed
    dv = labels[3].get_volume() - labels[4].get_volume()
    fd = -(labels[3].info["REF_energy"] - labels[4].info["REF_energy"]) / dv
    print(f"CP2K pressure {p / GPA:.4f} GPa, -dE/dV {fd / GPA:.4f} GPa")
    assert abs(p) / GPA > 0.5
    assert p == pytest.approx(fd, abs=0.02 * GPA, rel=1e-2)


@needs_cp2k
@pytest.mark.slow
def test_converge_scans_both_cutoffs_and_recommends_a_scanned_setting(tmp_path):
    """Three tiny runs (100/30, 150/20, 150/30 Ry): the table, the reference's zero row, a recommendation."""
    r = cli("finetune", "converge", FRAME13, "--code", "cp2k", "--cutoffs", "100,150", "--rel-cutoffs", "20,30",
            "--out", tmp_path / "scan", "--json", env=ONE_CORE)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert [(row["cutoff"], row["rel_cutoff"]) for row in res["rows"]] == [(100, 30), (150, 30), (150, 20)]
    ref = res["rows"][1]
    assert ref["energy_meV_atom"] == ref["force_meV_A"] == ref["stress_GPa"] == 0 and ref["within"]
    assert res["recommended"]["cutoff"] in (100, 150) and res["recommended"]["rel_cutoff"] in (20, 30)
    assert all(row["wall_s"] > 0 and row["force_sum_eV_A"] >= 0 for row in res["rows"])
    r = cli("finetune", "converge", FRAME13, "--cutoffs", "100,150", "--rel-cutoffs", "20,30",
            "--out", tmp_path / "scan")  # finished runs are reused: the table comes back at once
    assert r.returncode == 0 and "recommended: --cutoff" in r.stdout, r.stderr


# -- SLURM array ----------------------------------------------------------------------------------

@needs_cp2k
def test_slurm_array_runs_the_frames_and_a_local_call_reads_them(cluster, tmp_path):
    import lammpskit as lk
    from lammpskit.finetune import cp2k

    site = tmp_path / "site.toml"
    site.write_text('[slurm]\ntime = "00:10:00"\ncpus = 1\n')
    settings = cp2k.Settings(cutoff=100, rel_cutoff=20)
    info = lk.label_dft(FRAME13, out=tmp_path / "l.xyz", slurm=site, settings=settings)
    assert info.job and info.tasks == 1
    sub = Path(info.folder) / "0000"
    end = time.monotonic() + 400
    while not cp2k.done(sub) and time.monotonic() < end:
        time.sleep(2)
    assert cp2k.done(sub), list(Path(info.folder).glob("*.out"))
    res = lk.label_dft(FRAME13, out=tmp_path / "l.xyz", settings=settings)
    assert (res.ran, res.labelled) == (0, 1)
    again = lk.label_dft(FRAME13, out=tmp_path / "l.xyz", slurm=site, settings=settings)
    assert again.job is None and again.tasks == 0
