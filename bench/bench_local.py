"""Local campaign throughput: 2 workers x 1 thread against 1 worker x 2 threads on the same cases.

The same four cases (Na4P2S7-xOx, x = 0 and 1.5, two seeds, 104 atoms, a random-init
float32 MACE model through the bridge, a short smoke quench) run with
``lammpskit campaign run`` twice in this one process: once with --workers 1 --threads 2,
once with --workers 2 --threads 1 (fresh case folders each time). The figure of
merit is the aggregate atom-steps per second (sum over cases of atoms x MD steps,
divided by the campaign's wall time); the ratio says whether running cases side by
side beats threading one case on these cores. Prints JSON lines and a summary.

    python bench/bench_local.py [--atoms 104] [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.models: the tiny test models

SETTINGS = ["t_melt=0.2", "quench_rate=12000", "t_anneal=0.2", "t_production=0.2", "thermo_every=10",
            "dump_every=50", "restart_every=100", "min_steps=10"]


def campaign(folder: Path, name: str, atoms: int) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(f'name = "{name}"\nx = [0, 1.5]\npotentials = ["bench-mace"]\nseeds = [1, 2]\nprofile = "smoke"\n'
                    f'atoms = {atoms}\nset = {json.dumps(SETTINGS)}\nstages = ["quench"]\n')
    return path


def run(folder: Path, name: str, atoms: int, workers: int, threads: int, env: dict) -> dict:
    path = campaign(folder, name, atoms)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "lammpskit", "campaign", "run", str(path), "--workers", str(workers),
                        "--threads", str(threads), "--json"], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if r.returncode:
        raise SystemExit(r.stderr)
    atom_steps = 0
    for man in (folder / name).glob("bench-mace/x*/s*/run.json"):
        m = json.loads(man.read_text())
        atom_steps += m["composition"]["atoms"] * m["total_steps"]
    return {"workers": workers, "threads": threads, "wall_s": round(wall, 1), "atom_steps": atom_steps,
            "atom_steps_per_s": round(atom_steps / wall, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--atoms", type=int, default=104)
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args()
    from tests import models as testing

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        reg = tmp / "reg"
        reg.mkdir()
        model = testing.tiny_mace(reg / "bench.model", ["Na", "P", "S", "O"], channels=16, dtype="float32")
        testing.mace_potential_toml(reg, "bench-mace", model, ["Na", "P", "S", "O"], dtype="float32")
        env = {**os.environ, "LAMMPSKIT_POTENTIALS": str(reg)}
        rows = []
        for k in range(a.rounds):  # interleaved, so machine noise hits both alike
            for workers, threads in ((1, 2), (2, 1)):
                row = run(tmp, f"w{workers}t{threads}r{k}", a.atoms, workers, threads, env)
                print(json.dumps(row), flush=True)
                rows.append(row)
        best = {w: max(r["atom_steps_per_s"] for r in rows if r["workers"] == w) for w in (1, 2)}
        print(f"aggregate atom-steps/s: 1 worker x 2 threads {best[1]:.0f}, 2 workers x 1 thread {best[2]:.0f}, "
              f"ratio {best[2] / best[1]:.2f}")


if __name__ == "__main__":
    main()
