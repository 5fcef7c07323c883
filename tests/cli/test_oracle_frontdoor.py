"""Oracles for the front door: ``lammpskit compositions``, ``lammpskit build`` and an NPT quench with a velocity
dump (``lammpskit quench``) checked by content.

Counts, sizes, molar masses and boxes are computed here by hand from the formula
Na4P2S(7-x)Ox and IUPAC standard atomic weights typed below; the data file ``build`` writes is
parsed here line by line (no kit reader), its density and minimum distances recomputed.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest

from ..conftest import KA_ARGS, cli, ka_env

# IUPAC standard atomic weights (conventional values), g/mol
WEIGHT = {"Na": 22.98976928, "P": 30.973761998, "S": 32.06, "O": 15.999, "Li": 6.94}
AVOGADRO = 6.02214076e23
BOLTZMANN_EV_K = 8.617333262e-5  # eV/K (CODATA 2018, exact)
MVV2E = 1.0364269e-4  # (g/mol) (Å/ps)^2 in eV: LAMMPS units metal
# crystal densities at room temperature, g/cm^3 (CRC Handbook)
CRYSTAL = {"Na2S": 1.856, "Li2S": 1.66, "Na2O": 2.27, "Li2O": 2.013, "P4S10": 2.09, "P4O10": 2.39, "Na4P2O7": 2.534}


def hand_size(x: float, target_atoms: int = 1000):
    """Smallest fu step making (7 - x) * fu integral, and the valid fu nearest ``target_atoms``."""
    step = Fraction(x).limit_denominator(100).denominator
    per_fu = 13  # 4 + 2 + (7 - x) + x
    best = min(range(step, 10 * target_atoms, step), key=lambda fu: (abs(fu * per_fu - target_atoms), fu))
    return step, best


def counts_of(x: float, fu: int) -> dict:
    return {"Na": 4 * fu, "P": 2 * fu, "S": round((7 - x) * fu), "O": round(x * fu)}


def mass_of(counts: dict) -> float:
    return sum(n * WEIGHT[e] for e, n in counts.items())


def test_compositions_series_json_against_hand_counts():
    r = cli("compositions", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [row["x"] for row in rows] == [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5]
    for row in rows:
        x = row["x"]
        step, fu = hand_size(x)
        want = counts_of(x, fu)
        assert row["fu_step"] == step and row["formula_units"] == fu, row
        assert row["counts"] == want and row["atoms"] == sum(want.values()) == 13 * fu
        assert row["mass_g_mol"] == pytest.approx(mass_of(want), abs=0.01)
        # cubic box of the estimated density: L^3 = M / (rho N_A)
        box = (mass_of(want) / (row["density_estimate_g_cm3"] * AVOGADRO)) ** (1 / 3) * 1e8
        assert row["box_A"] == pytest.approx(box, abs=2e-3)
        assert row["label"] == f"Na4P2S{7 - x:g}O{x:g}" if x else row["label"] == "Na4P2S7"
    # the O-richer glass is the denser one: the estimate rises along the series
    dens = [row["density_estimate_g_cm3"] for row in rows]
    assert all(b > a for a, b in zip(dens, dens[1:]))


def test_compositions_table_and_invalid_size_message():
    r = cli("compositions", "--x", "1.5", "--fu", "6")
    assert r.returncode == 0, r.stderr
    for token in ("Na4P2S5.5O1.5", "78", "Na24", "P12", "S33", "O9"):
        assert token in r.stdout, (token, r.stdout)
    r = cli("compositions", "--x", "1.5", "--fu", "7")
    assert r.returncode == 2
    # 7 fu give 38.5 S; the valid neighbours are 6 fu (78 atoms) and 8 fu (104 atoms)
    assert "--fu 6 (78 atoms)" in r.stderr and "--fu 8 (104 atoms)" in r.stderr


@pytest.mark.parametrize("formula", sorted(CRYSTAL))
def test_density_estimate_within_20_percent_of_the_crystal(formula):
    r = cli("compositions", "--formula", formula, "--fu", "4", "--json")
    assert r.returncode == 0, r.stderr
    row = json.loads(r.stdout)
    row = row[0] if isinstance(row, list) else row
    assert abs(row["density_estimate_g_cm3"] / CRYSTAL[formula] - 1) < 0.20, (formula, row["density_estimate_g_cm3"])


def parse_data(path):
    """(box lengths, {type: element}, [(id, type, xyz)]) from a LAMMPS data file, by hand."""
    lines = path.read_text().splitlines()
    box = {}
    elements = {}
    atoms = []
    section = None
    for line in lines:
        s = line.strip()
        if not s:
            continue
        if s.endswith(("xlo xhi", "ylo yhi", "zlo zhi")):
            lo, hi = map(float, s.split()[:2])
            box[s.split()[2][0]] = (lo, hi)
            continue
        if s in ("Masses",) or s.startswith("Atoms"):
            section = s.split()[0]
            continue
        if section == "Masses":
            t, _mass, _hash, el = s.split()
            elements[int(t)] = el
        elif section == "Atoms":
            i, t, x, y, z = s.split()[:5]
            atoms.append((int(i), int(t), np.array([float(x), float(y), float(z)])))
    assert "xy" not in path.read_text()
    return box, elements, atoms


def test_build_writes_the_counts_density_and_distances_asked_for(tmp_path):
    out = tmp_path / "start.data"
    r = cli("build", "--x", "1.5", "--atoms", "100", "--seed", "7", "--density", "2.0",
            "--min-dist", "Na-S=2.6", "--out", out, "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    want = counts_of(1.5, 8)  # 8 fu (104 atoms) is the valid size nearest 100 (6 fu: 78)
    assert info["formula_units"] == 8 and info["counts"] == want and info["atoms"] == 104
    assert info["density_g_cm3"] == 2.0 and info["mass_g_mol"] == pytest.approx(mass_of(want), abs=0.01)

    box, elements, atoms = parse_data(out)
    assert sorted(elements.values()) == sorted(want)
    got = {el: sum(1 for _, t, _ in atoms if elements[t] == el) for el in want}
    assert got == want and sorted(i for i, _, _ in atoms) == list(range(1, 105))
    lengths = np.array([hi - lo for lo, hi in (box["x"], box["y"], box["z"])])
    assert np.allclose(lengths, lengths[0])
    density = mass_of(want) / AVOGADRO / (np.prod(lengths) * 1e-24)
    assert density == pytest.approx(2.0, rel=1e-6)
    pos = np.array([p for _, _, p in atoms])
    assert np.all(pos >= 0) and np.all(pos < lengths[0])
    els = np.array([elements[t] for _, t, _ in atoms])
    d = pos[:, None, :] - pos[None, :, :]
    d -= lengths[0] * np.round(d / lengths[0])
    dist = np.linalg.norm(d, axis=2)
    nas = np.outer(els == "Na", els == "S")
    assert dist[nas].min() >= 2.6 - 1e-6
    np.fill_diagonal(dist, np.inf)
    assert dist.min() > 1.0  # nothing on top of anything
    # same seed, same file; another seed, other positions
    out2 = tmp_path / "again.data"
    assert cli("build", "--x", "1.5", "--atoms", "100", "--seed", "7", "--density", "2.0",
               "--min-dist", "Na-S=2.6", "--out", out2).returncode == 0
    assert out2.read_text() == out.read_text()


def test_build_default_density_is_the_compositions_estimate(tmp_path):
    r = cli("compositions", "--x", "3", "--fu", "4", "--json")
    est = json.loads(r.stdout)
    est = (est[0] if isinstance(est, list) else est)["density_estimate_g_cm3"]
    r = cli("build", "--x", "3", "--fu", "4", "--seed", "1", "--out", tmp_path / "s.data", "--json")
    assert r.returncode == 0, r.stderr
    box, elements, atoms = parse_data(tmp_path / "s.data")
    want = counts_of(3, 4)
    L = box["x"][1] - box["x"][0]
    assert math.isclose(mass_of(want) / AVOGADRO / (L**3 * 1e-24), est, rel_tol=1e-3)


def masses_of(path) -> dict[str, float]:
    """{element: mass (g/mol)} from the Masses section of a LAMMPS data file (``1 22.99 # Na``), by hand."""
    out, section = {}, None
    for line in path.read_text().splitlines():
        s = line.strip()
        if s and not s[0].isdigit():
            section = s.split()[0]
        elif s and section == "Masses":
            _, mass, _, el = s.split()
            out[el] = float(mass)
    return out


def dump_frames(path) -> list[tuple[int, list[str], np.ndarray]]:
    """``(timestep, columns, rows of the per-atom table as text)`` of each frame of a text dump, by hand."""
    out = []
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        assert lines[i] == "ITEM: TIMESTEP", lines[i]
        step, n = int(lines[i + 1]), int(lines[i + 3])
        cols = lines[i + 8].split()[2:]
        out.append((step, cols, np.array([row.split() for row in lines[i + 9:i + 9 + n]])))
        i += 9 + n
    return out


def thermo_rows(log) -> dict[int, dict[str, float]]:
    """Thermo rows of ``log.lammps`` by step (the later row of a step printed twice), parsed by hand."""
    rows, header = {}, None
    for line in log.read_text().splitlines():
        words = line.split()
        if words[:1] == ["Step"]:
            header = words
        elif header and len(words) == len(header) and words[0].isdigit():
            rows[int(words[0])] = dict(zip(header, map(float, words)))
        elif words[:1] == ["Loop"]:
            header = None
    return rows


def test_npt_quench_with_velocity_dump_runs_and_reports_the_anneal_density(tmp_path):
    """A Kob-Andersen LJ glass (100 atoms, classical) quenched under NPT with ``dump_velocities``: the box moves
    only in the NPT stages, the density is the mean of mass / volume over the second half of the NPT anneal,
    and the dumped velocities give, with the data file's masses, the thermo temperature of their step."""
    env = ka_env(tmp_path)
    run = tmp_path / "npt"
    r = cli("quench", *KA_ARGS, "--fu", "20", "--set", "dt=1",
            "--set", "T_melt=6000", "--set", "t_melt=0.5", "--set", "quench_rate=2500",
            "--set", "T_final=1000", "--set", "quench_ensemble=npt", "--set", "P=75000", "--set", "Pdamp=0.2",
            "--set", "t_anneal=1", "--set", "t_production=0.2", "--set", "thermo_every=10",
            "--set", "dump_every=20", "--set", "dump_velocities=true", "--set", "min_steps=20",
            "--out", run, "--json", env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(r.stdout)
    stages = {s["name"]: s for s in json.loads((run / "run.json").read_text())["stages"]}
    rows = thermo_rows(run / "log.lammps")

    def volumes(name, first=False):
        st = stages[name]
        return [rows[s]["Volume"] for s in sorted(rows) if st["begin"] + (not first) <= s <= st["end"]]

    # NVT holds the box, NPT (quench, anneal) moves it
    for name in ("melt", "production"):
        assert len(set(volumes(name, first=True))) == 1, name
    for name in ("quench", "anneal"):
        v = volumes(name)
        assert (max(v) - min(v)) / max(v) > 0.01, (name, min(v), max(v))
    assert volumes("production", first=True)[0] == volumes("anneal")[-1]

    # the density: mass over volume, averaged over the second half of the anneal (not the whole run)
    masses = masses_of(run / "data.lmp")
    assert masses == pytest.approx({"Na": WEIGHT["Na"], "S": WEIGHT["S"]}, rel=1e-6)
    mass_g = (80 * masses["Na"] + 20 * masses["S"]) / AVOGADRO
    an = stages["anneal"]
    half = [mass_g / (rows[s]["Volume"] * 1e-24) for s in sorted(rows) if (an["begin"] + an["end"]) / 2 <= s <= an["end"]]
    assert len(half) == 51
    assert res["density_g_cm3"]["mean"] == pytest.approx(np.mean(half), rel=1e-6)
    whole = [mass_g / (row["Volume"] * 1e-24) for row in rows.values()]
    assert abs(np.mean(whole) - np.mean(half)) > 10 * res["density_g_cm3"]["err"] > 0
    assert "Tg_K" in res or "Tg_error" in res  # an NPT quench fits the glass transition

    # the velocity dump: vx vy vz (Å/ps) give the thermo temperature of the step, with dof = 3 N - 3
    prod = stages["production"]
    frames = dump_frames(run / "dump.production.lammpstrj")
    assert [f[0] for f in frames] == list(range(prod["begin"], prod["end"] + 1, 20))
    for step, cols, table in frames:
        assert cols == ["id", "element", "x", "y", "z", "vx", "vy", "vz"], cols
        m = np.array([masses[el] for el in table[:, 1]])
        v = table[:, 5:8].astype(float)
        temp = MVV2E * np.sum(m[:, None] * v**2) / ((3 * len(m) - 3) * BOLTZMANN_EV_K)
        # the dump prints 6 significant digits: measured 0.5-1.5e-6 apart, far closer than the few % asked
        # (a dof of 3 N would be 1 % off)
        assert temp == pytest.approx(rows[step]["Temp"], rel=1e-4), (step, temp, rows[step]["Temp"])
