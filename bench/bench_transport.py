"""MSD speed: the FFT algorithm (analysis.transport.msd) against the direct loop over lags
(msd_direct), side by side on the same random-walk trajectories, with their largest
relative difference. Sizes: the paper profile's production (1 000 frames) with the Na of
a 1 040-atom cell (320 Na) and of a 10 400-atom cell (3 200 Na).

    python bench/bench_transport.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lammpskit.analysis import transport  # noqa: E402


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def main() -> None:
    rng = np.random.default_rng(0)
    for frames, atoms in ((1000, 320), (1000, 3200)):
        pos = 50 + np.cumsum(rng.normal(0, 0.1, (frames, atoms, 3)), axis=0)
        mask = np.ones(atoms, bool)
        fast, t_fast = timed(transport.msd, pos, mask)
        slow, t_slow = timed(transport.msd_direct, pos, mask)
        print(json.dumps({"frames": frames, "atoms": atoms, "fft_s": round(t_fast, 4), "direct_s": round(t_slow, 3),
                          "speedup": round(t_slow / t_fast, 1),
                          "max_rel_diff": float(np.max(np.abs(fast[1:] - slow[1:]) / slow[1:]))}))


if __name__ == "__main__":
    main()
