"""Oracle for ``finetune deviation``: a two-model DeePMD ensemble over a trajectory with known halves.

Half the frames are a dilute gas (every atom farther than the cutoff from every other: both
models give zero force, so the deviation is exactly 0); the other half are dense (the models,
trained from different seeds, disagree). A threshold between them must flag exactly the dense
half. The per-frame ``max_devi_f`` the kit reports (from LAMMPS' ``pair_style deepmd``) is also
recomputed here with deepmd-kit's Python ``DP`` calculator on each model:
max over atoms of sqrt(mean over models |F_m,i - <F_i>|^2).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from ..conftest import cli

ELS = ["Na", "Na", "Na", "P", "S", "S", "S", "O"]
TYPE_MAP = ["Na", "P", "S", "O"]
RCUT = 4.0


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    """Two se_e2_a models trained 3 steps from different seeds on random labels (deepmd's own trainer)."""
    from ase import Atoms

    from lammpskit.finetune import deepmd as dp
    from lammpskit.structure import frames as xyz

    wd = tmp_path_factory.mktemp("dpens")
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(4):
        at = Atoms(ELS, positions=rng.random((8, 3)) * 6.0, cell=np.eye(3) * 6.0, pbc=True)
        xyz.store(at, float(rng.normal(-30, 1)), rng.normal(0, 1, (8, 3)), np.zeros((3, 3)))
        frames.append(at)
    systems = dp.write_systems(wd / "data", frames, TYPE_MAP)
    dirs = [dp.write_input(wd / f"model{k}", dp.input_json(TYPE_MAP, systems, systems, steps=3, seed=k + 1,
                                                           rcut=RCUT, sel=16)) for k in range(2)]
    return dp.run_training(dirs)


def trajectory(rng):
    """8 frames: even ones a dilute gas (8 Å apart on a grid, box 32 Å), odd ones dense (box 6.5 Å)."""
    frames = []
    grid = np.array([[i, j, k] for i in range(2) for j in range(2) for k in range(2)], float) * 8.0 + 1.0
    for f in range(8):
        if f % 2 == 0:
            frames.append((grid + rng.normal(0, 0.3, grid.shape), 32.0))
        else:  # random, but no two atoms closer than 1 Å (the kit refuses overlapping frames)
            while True:
                pos = rng.random((8, 3)) * 6.5
                d = pos[:, None] - pos[None]
                d -= 6.5 * np.round(d / 6.5)
                if np.sort(np.linalg.norm(d, axis=-1), axis=None)[8] > 1.0:
                    break
            frames.append((pos, 6.5))
    return frames


def write_dump(path, frames):
    out = []
    for step, (pos, box) in enumerate(frames):
        out += ["ITEM: TIMESTEP", str(step), "ITEM: NUMBER OF ATOMS", "8", "ITEM: BOX BOUNDS pp pp pp"]
        out += [f"0.0 {box:.6f}"] * 3 + ["ITEM: ATOMS id element x y z"]
        out += [f"{i + 1} {e} {x:.8f} {y:.8f} {z:.8f}" for i, (e, (x, y, z)) in enumerate(zip(ELS, pos % box))]
    path.write_text("\n".join(out) + "\n")


@pytest.mark.slow  # two DeePMD trainings + LAMMPS rerun: ~50 s alone on 2 cores, minutes when shared
def test_deviation_flags_exactly_the_frames_the_ensemble_disagrees_on(tmp_path, ensemble, monkeypatch):
    import torch
    from ase import Atoms
    from deepmd.calculator import DP

    from lammpskit.potentials import registry

    monkeypatch.setenv("LAMMPSKIT_HOME", str(tmp_path / "home"))  # the kit loads only pinned models
    for k, model in enumerate(ensemble):
        registry.pin("dp-oracle", f"model{k}", registry.sha256(model))

    frames = trajectory(np.random.default_rng(1))
    write_dump(tmp_path / "traj.lammpstrj", frames)
    # the oracle: deepmd-kit's Python calculator per model, the deviation formula written out here
    with torch.serialization.safe_globals([slice]):  # e3nn's constants file, imported by deepmd's descriptors
        calcs = [DP(model=str(m)) for m in ensemble]
    want = []
    for pos, box in frames:
        forces = []
        for c in calcs:
            at = Atoms(ELS, positions=pos % box, cell=np.eye(3) * box, pbc=True)
            at.calc = c
            forces.append(at.get_forces())
        forces = np.array(forces)
        want.append(float(np.max(np.sqrt(np.mean(np.sum((forces - forces.mean(0)) ** 2, axis=2), axis=0)))))
    want = np.array(want)
    assert np.all(want[0::2] < 1e-9), want  # gas: no neighbours, no force, no disagreement
    assert np.all(want[1::2] > 1e-4), want
    threshold = 1e-5
    r = cli("finetune", "deviation", tmp_path / "traj.lammpstrj", "--model", ensemble[0], "--model", ensemble[1],
            "--threshold", threshold, "--out", tmp_path / "flagged.xyz", "--json")
    assert r.returncode == 0, r.stderr
    dev = json.loads(r.stdout)
    assert dev["frames"] == 8 and dev["flagged"] == 4, dev
    assert np.allclose(dev["max_devi_f"], want, rtol=1e-3, atol=2e-5), (dev["max_devi_f"], want)
    from ase.io import read

    flagged = read(tmp_path / "flagged.xyz", index=":")
    assert sorted(at.info["frame"] for at in flagged) == [1, 3, 5, 7]
    for at in flagged:  # the flagged frame is the dense one written at that step, with its own deviation
        pos, box = frames[at.info["frame"]]
        assert np.allclose(at.cell.lengths(), box) and at.info["max_devi_f"] == pytest.approx(want[at.info["frame"]],
                                                                                               rel=1e-3, abs=2e-5)
