"""Units-analysis speed and memory, and a side-by-side ratio against amorphouspy's compute_qn.

Frames: a metaphosphate-like NaPO3 network (random-walk chains of corner-sharing PO4,
Na in between) of ~3 000 atoms, replicated 3x3x3 (81 000 atoms) for the comparison,
and a Na4P2S5O2-like mixed-anion frame of ~3 000 and ~100 000 atoms. Reported:
(1) analysis time on a frame already in memory (ours: OVITO bonds + counts;
amorphouspy: compute_qn on an ASE Atoms, warm, after its numba compile), their
ratio; (2) read + analysis time; (3) peak RSS (VmHWM) of a fresh process doing (2), and of one that only imports;
(4) a 1 000-frame, 3 000-atom trajectory analysed end to end (reading included).

    python bench/bench_units.py [--frames 1000] [--skip-amorphouspy]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lammpskit.lammps import dumps as dumpfile  # noqa: E402


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


class _Grid:
    """Periodic hash grid for excluded-volume checks while growing chains."""

    def __init__(self, L, h=2.5):
        self.L, self.n = L, max(1, int(L // h))
        self.cells: dict = {}
        self.pos: list = []

    def _key(self, q):
        return tuple((np.floor(q / self.L * self.n).astype(int)) % self.n)

    def clear(self, q, dmin, allowed=()):
        k = self._key(q)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for dz in (-1, 0, 1):
                    for j in self.cells.get(((k[0] + dx) % self.n, (k[1] + dy) % self.n, (k[2] + dz) % self.n), ()):
                        if j in allowed:
                            continue
                        d = self.pos[j] - q
                        d -= self.L * np.round(d / self.L)
                        if d @ d < dmin * dmin:
                            return False
        return True

    def add(self, q):
        self.pos.append(q % self.L)
        self.cells.setdefault(self._key(q % self.L), []).append(len(self.pos) - 1)
        return len(self.pos) - 1


def network(n_p: int, seed=0, density_per_a3=0.055, o_frac=1.0, dmin=2.2):
    """Corner-sharing PX4 chains (metaphosphate-like, X = O or S) plus Na, grown with excluded
    volume (no two atoms closer than ``dmin`` Å unless bonded): (elements, positions, cell)."""
    rng = np.random.default_rng(seed)
    L = (n_p * 5 / density_per_a3) ** (1 / 3)
    grid, els = _Grid(L), []
    placed_p = 0
    while placed_p < n_p:
        p = rng.random(3) * L
        if not grid.clear(p, dmin):
            continue
        prev_dir, prev_bridge = _unit(rng.normal(size=3)), None
        for _ in range(20):
            if placed_p >= n_p:
                break
            el = "O" if rng.random() < o_frac else "S"
            r = 1.6 if el == "O" else 2.05
            for _try in range(30):
                step = _unit(prev_dir + 0.6 * rng.normal(size=3))
                u1, u2 = -prev_dir, step
                d, n = _unit(-(u1 + u2)), _unit(np.cross(u1, u2))
                new = [p + r * (d * 0.58 + sg * n * 0.82) for sg in (1, -1)] + [p + r * step]
                allowed = {prev_bridge} if prev_bridge is not None else set()
                if all(grid.clear(q, dmin * (0.9 if el == "O" else 1.2), allowed) for q in new):
                    break
            else:
                break  # chain ends here
            ip = grid.add(p)
            els.append("P")
            for q in new:
                grid.add(q)
                els.append(el)
            prev_bridge = len(grid.pos) - 1
            placed_p += 1
            nxt = _unit(step + 0.5 * _unit(rng.normal(size=3)))
            p_next = p + r * step + r * nxt
            if not grid.clear(p_next, dmin, {prev_bridge, ip}):
                break
            p, prev_dir = p_next, nxt
    for _ in range(1000 * n_p):  # Na in the gaps (the density is below a real glass's: RSA jams earlier)
        if els.count("Na") >= n_p:
            break
        q = rng.random(3) * L
        if grid.clear(q, 2.0):
            grid.add(q)
            els.append("Na")
    return els, np.array(grid.pos), np.diag([L, L, L])


def replicate(els, pos, cell, k):
    L = cell[0, 0]
    shifts = np.array([(i, j, m) for i in range(k) for j in range(k) for m in range(k)]) * L
    return els * len(shifts), (pos[None, :, :] + shifts[:, None, :]).reshape(-1, 3), cell * k


def write(path, els, pos, cell, frames=1, seed=0):
    rng = np.random.default_rng(seed)
    ids = np.arange(1, len(els) + 1)
    with open(path, "w"):
        pass
    for f in range(frames):
        jitter = pos + (rng.normal(scale=0.02, size=pos.shape) if f else 0)
        dumpfile.write(path, [(f * 100, ids, els, jitter, cell, np.zeros(3))], append=True)


def ours_in_memory(path, repeats=3):
    from lammpskit.analysis import cutoffs, units
    from lammpskit.analysis.reader import open_pipeline, type_names

    pipeline = open_pipeline(path)
    best = float("inf")
    for _ in range(repeats):
        data = pipeline.compute(0)  # read (cached by OVITO after the first call)
        t0 = time.perf_counter()
        bonds = units.frame_bonds(data, cutoffs.DEFAULTS, {})
        counts = units.frame_counts(units.kinds_of(type_names(data), np.asarray(data.particles.particle_types)), bonds)
        best = min(best, time.perf_counter() - t0)
    return best, counts


def amorphouspy_in_memory(els, pos, cell, repeats=3):
    from amorphouspy import compute_qn
    from ase import Atoms

    atoms = Atoms(symbols=els, positions=pos, cell=cell, pbc=True)
    compute_qn(atoms, 2.0, [15], 8)  # numba compile
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        qn, _ = compute_qn(atoms, 2.0, [15], 8)
        best = min(best, time.perf_counter() - t0)
    return best, qn


def read_and_analyse_in_fresh_process(path, frames="last"):
    code = ("import sys, time, json\n"
            "t0 = time.perf_counter()\n"
            "from analysis import reader, units\n"
            f"p = reader.open_pipeline({str(path)!r})\n"
            f"r = units.analyse(p, reader.select_frames({frames!r}, p.source.num_frames))\n"
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
            "print(json.dumps({'s': time.perf_counter() - t0, 'rss_mb': int(hwm) / 1024, 'frames': r['frames']}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    return json.loads(out.stdout.strip().splitlines()[-1])


def baseline_rss():
    code = ("import json\nfrom analysis import reader, units\nimport ovito.io\n"
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
            "print(json.dumps(int(hwm) / 1024))")
    return json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                     cwd=Path(__file__).resolve().parents[1]).stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=1000)
    ap.add_argument("--skip-amorphouspy", action="store_true")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = network(600, seed=1)  # NaPO3, 3 000 atoms
        big = replicate(*base, 3)  # 81 000 atoms
        mixed = network(600, seed=2, o_frac=0.3)
        mixed_big = replicate(*mixed, 3)
        mixed_huge = replicate(*network(741, seed=3, o_frac=0.3), 3)  # 100 035 atoms
        cases = {"NaPO3-3k": base, "NaPO3-81k": big, "NaPSO-3k": mixed, "NaPSO-81k": mixed_big,
                 "NaPSO-100k": mixed_huge}
        rss0 = baseline_rss()
        for name, (els, pos, cell) in cases.items():
            path = tmp / f"{name}.dump"
            write(path, els, pos, cell)
            t_ours, counts = ours_in_memory(path)
            row = {"frame": name, "atoms": len(els), "ours_analysis_s": round(t_ours, 4)}
            if name.startswith("NaPO3") and not args.skip_amorphouspy:
                t_am, qn = amorphouspy_in_memory(els, pos, cell)
                assert {str(k): v for k, v in qn.items() if v} == counts["Pn"], (qn, counts["Pn"])
                row.update(amorphouspy_qn_s=round(t_am, 4), ratio_amorphouspy_over_ours=round(t_am / t_ours, 2))
            fresh = read_and_analyse_in_fresh_process(path)
            row.update(read_and_analysis_s=round(fresh["s"], 3), peak_rss_mb=round(fresh["rss_mb"]),
                       baseline_rss_mb=round(rss0))
            rows.append(row)
            print(json.dumps(row), flush=True)
        traj = tmp / "traj.dump"
        write(traj, *base, frames=args.frames)
        res = read_and_analyse_in_fresh_process(traj, "all")
        row = {"frame": f"trajectory {args.frames} x {len(base[0])} atoms", "frames": res["frames"],
               "read_and_analysis_s": round(res["s"], 2), "peak_rss_mb": round(res["rss_mb"]),
               "file_mb": round(traj.stat().st_size / 2**20)}
        rows.append(row)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
