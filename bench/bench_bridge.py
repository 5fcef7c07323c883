"""Bridge overhead: one MD step of LAMMPS + fix-external bridge vs one bare calculator call.

Both are measured in this one process, on the same cell, with the thread
settings the kit picks itself (lammps_env.configure_threads), in interleaved
rounds (MD steps, then as many bare calls on the configuration reached) so
machine noise hits both alike; medians over rounds. Prints a table and JSON
lines; the ratio (b)/(a) is the bridge's cost factor.

    python bench/bench_bridge.py [--pots chgnet,tiny-mace] [--atoms 104,520] [--steps 10] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.models: the tiny test models

from lammpskit.lammps import env as lammps_env

THREADS = lammps_env.configure_threads()  # before torch and lammps load


def bench(pot_name: str, atoms: int, steps: int, rounds: int, workdir: Path) -> dict:
    import numpy as np

    from lammpskit.potentials import calculators
    from lammpskit.potentials import registry as potentials
    from lammpskit.run.bridge import Bridge, lammps_cell
    from lammpskit.structure import builder as structure
    from lammpskit.structure import composition

    comp = composition.make(1.5, atoms=atoms)
    s = structure.build(comp, comp.density_estimate(), 1)
    data = workdir / f"{pot_name}-{atoms}.lmp"
    structure.write_data(data, s, "bench")
    ev = calculators.Evaluator(calculators.build(potentials.get(pot_name)), comp.elements)

    # (b) bridged MD steps through LAMMPS (NVT, neighbour lists, atom sorting as in production)
    lmp = lammps_env.new_lammps()
    lmp.commands_string(f"""
        units metal
        atom_style atomic
        atom_modify map array
        read_data {data}
        pair_style zero 1.0
        pair_coeff * *
        fix lk_bridge all external pf/callback 1 1
        fix_modify lk_bridge energy yes virial yes
        neighbor 2.0 bin
        timestep 0.001
        velocity all create 300 1
        fix md all nvt temp 300 300 0.1
    """)
    bridge = Bridge(lmp, ev)
    bridge.attach()
    lmp.command("run 3")  # warm-up
    n = lmp.get_natoms()
    md_times, bare_times = [], []
    for _ in range(rounds):  # interleaved, so machine noise hits both alike
        t0 = time.perf_counter()
        lmp.command(f"run {steps} pre no post no")
        md_times.append((time.perf_counter() - t0) / steps)
        # (a) bare calls on the configuration LAMMPS just reached (tiny shifts defeat caching)
        order = np.argsort(lmp.numpy.extract_atom("id", nelem=n))
        types = np.array(lmp.numpy.extract_atom("type", nelem=n))[order]
        x = np.array(lmp.numpy.extract_atom("x", nelem=n))[order]
        cell = lammps_cell(lmp)
        t0 = time.perf_counter()
        for i in range(steps):
            ev(types, x + 1e-9 * i, cell)
        bare_times.append((time.perf_counter() - t0) / steps)
    lmp.close()
    md, bare = float(np.median(md_times)), float(np.median(bare_times))
    return {"potential": pot_name, "atoms": comp.natoms, "threads": THREADS, "steps": steps, "rounds": rounds,
            "bare_call_ms": round(bare * 1e3, 2), "md_step_ms": round(md * 1e3, 2),
            "ratio_md_over_bare": round(md / bare, 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pots", default="chgnet,tiny-mace")
    ap.add_argument("--atoms", default="104,520")
    ap.add_argument("--steps", type=int, default=10, help="steps (and bare calls) per round")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds; medians are reported")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if "tiny-mace" in args.pots:
            from tests import models as testing

            model = testing.tiny_mace(tmp / "tiny.model", ["Na", "P", "S", "O"])
            testing.mace_potential_toml(tmp, "tiny-mace", model, ["Na", "P", "S", "O"])
            os.environ["LAMMPSKIT_POTENTIALS"] = str(tmp)
        rows = [bench(p, int(a), args.steps, args.rounds, tmp) for p in args.pots.split(",") for a in args.atoms.split(",")]
    print(f"{'potential':<12} {'atoms':>6} {'threads':>7} {'bare ms':>9} {'MD step ms':>11} {'ratio':>6}")
    for r in rows:
        print(f"{r['potential']:<12} {r['atoms']:>6} {r['threads']:>7} {r['bare_call_ms']:>9} "
              f"{r['md_step_ms']:>11} {r['ratio_md_over_bare']:>6}")
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    import warnings

    warnings.filterwarnings("ignore")
    main()
