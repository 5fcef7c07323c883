"""Random-placement builder speed: seconds to place N atoms of Na4P2S7-xOx at the estimated density.

    python bench/bench_structure.py [--atoms 1000,10000] [--x 0,1.5,3.5]
"""

from __future__ import annotations

import argparse
import json
import time

from lammpskit.structure import builder as structure
from lammpskit.structure import composition


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--atoms", default="1000,10000")
    ap.add_argument("--x", default="0,1.5,3.5,7")
    args = ap.parse_args()
    print(f"{'x':>4} {'atoms':>6} {'rho g/cm3':>9} {'seconds':>8}")
    for x in map(float, args.x.split(",")):
        for n in map(int, args.atoms.split(",")):
            comp = composition.make(x, atoms=n)
            rho = comp.density_estimate()
            t0 = time.perf_counter()
            structure.build(comp, rho, seed=1)
            dt = time.perf_counter() - t0
            print(f"{x:>4g} {comp.natoms:>6} {rho:>9.3f} {dt:>8.2f}")
            print(json.dumps({"x": x, "atoms": comp.natoms, "density": round(rho, 4), "seconds": round(dt, 3)}))


if __name__ == "__main__":
    main()
