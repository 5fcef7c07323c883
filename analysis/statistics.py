"""Statistics of correlated time series: block averages."""

from __future__ import annotations

import math


def block_average(values: list[float], nblocks: int = 5) -> dict[str, float]:
    """Mean and standard error from ``nblocks`` block means.

    With fewer than ``2 * nblocks`` values each value is its own block (the plain standard error
    of the mean, too small if the values are correlated); ``blocks`` says which was used. One
    value has no error (NaN).
    """
    n = len(values)
    if n < 2:
        return {"mean": values[0] if n else math.nan, "err": math.nan, "n": n, "blocks": n}
    mean = sum(values) / n
    if n < 2 * nblocks:
        nblocks = n
    size = n // nblocks
    means = [sum(values[i * size:(i + 1) * size]) / size for i in range(nblocks)]
    var = sum((m - mean) ** 2 for m in means) / (nblocks - 1)
    return {"mean": mean, "err": math.sqrt(var / nblocks), "n": n, "blocks": nblocks}
