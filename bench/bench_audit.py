"""Audit throughput: frames x atoms per second of a potential evaluated one frame at a time (the bridge's
ASE calculator) against batched (CHGNet ``predict_structure``, MACE one torch_geometric batch).

Both ways run in this one process on the same random Na4P2S5.5O1.5 cells, with the thread settings the
kit picks itself, in interleaved rounds so machine noise hits both alike; medians over rounds. Batched
results are checked against the one-frame results first. Prints a table and JSON lines.

    python bench/bench_audit.py [--pots chgnet,small-mace] [--atoms 104] [--frames 16] [--batch 8,16] [--rounds 3]

``small-mace`` is a random-init MACE with 64x0e+64x1o hidden features, 2 interactions, float32,
``tiny-mace`` the test suite's 8-channel model.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.models: the tiny test models

from lammpskit.lammps import env as lammps_env

THREADS = lammps_env.configure_threads()  # before torch loads
ELEMENTS = ["Na", "P", "S", "O"]
MODELS = {"tiny-mace": dict(channels=8, dtype="float64"), "small-mace": dict(channels=64, dtype="float32")}


def frames_of(atoms: int, n: int) -> list:
    from ase import Atoms

    from lammpskit.structure import builder, composition

    comp = composition.make(1.5, atoms=atoms)
    out = []
    for seed in range(n):
        s = builder.build(comp, comp.density_estimate(), seed + 1)
        out.append(Atoms([s.elements[t - 1] for t in s.types], positions=s.positions, cell=s.cell, pbc=True))
    return out


def bench(pot_name: str, frames: list, batches: list[int], rounds: int) -> list[dict]:
    import numpy as np

    from lammpskit.potentials import evaluate
    from lammpskit.potentials import registry as potentials

    pot = potentials.get(pot_name)
    work = len(frames) * len(frames[0])
    ref = evaluate.evaluate(pot, frames[:2], 1)  # warm-up and the numbers batches must reproduce
    for b in batches:
        got = evaluate.evaluate(pot, frames[:2], b)
        assert max(np.abs(x.forces - y.forces).max() for x, y in zip(ref, got)) < 1e-4, pot_name
    times: dict[int, list[float]] = {b: [] for b in [1, *batches]}
    for _ in range(rounds):
        for b in times:
            t0 = time.perf_counter()
            evaluate.evaluate(pot, frames, b)
            times[b].append(time.perf_counter() - t0)
    one = statistics.median(times[1])
    rows = []
    for b, ts in times.items():
        t = statistics.median(ts)
        rows.append({"potential": pot_name, "atoms": len(frames[0]), "frames": len(frames), "batch": b,
                     "threads": THREADS, "seconds": round(t, 3), "frame_atoms_per_s": round(work / t, 1),
                     "speedup": round(one / t, 2)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pots", default="chgnet,small-mace")
    ap.add_argument("--atoms", type=int, default=104)
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--batch", default="8,16", help="batch sizes compared with one frame at a time")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    frames = frames_of(args.atoms, args.frames)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, opts in MODELS.items():
            if name in args.pots:
                from tests import models as testing

                model = testing.tiny_mace(tmp / f"{name}.model", ELEMENTS, channels=opts["channels"], dtype=opts["dtype"])
                testing.mace_potential_toml(tmp, name, model, ELEMENTS, dtype=opts["dtype"])
                os.environ["LAMMPSKIT_POTENTIALS"] = str(tmp)
        rows = [r for p in args.pots.split(",") for r in bench(p, frames, [int(b) for b in args.batch.split(",")],
                                                                args.rounds)]
    print(f"{'potential':<12} {'atoms':>6} {'frames':>6} {'batch':>5} {'threads':>7} {'s':>8} "
          f"{'frame-atoms/s':>14} {'speedup':>7}")
    for r in rows:
        print(f"{r['potential']:<12} {r['atoms']:>6} {r['frames']:>6} {r['batch']:>5} {r['threads']:>7} "
              f"{r['seconds']:>8.3f} {r['frame_atoms_per_s']:>14.1f} {r['speedup']:>7.2f}")
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
