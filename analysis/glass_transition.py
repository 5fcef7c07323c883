"""The glass transition temperature from a cooling curve: two straight lines that meet at Tg.

A property y (volume, enthalpy) against the set-point temperature T of a
linear quench is fitted by a continuous piecewise-linear ("bilinear", hinge)
model

    y = a + b_glass (T - Tg)   for T <= Tg,      y = a + b_liquid (T - Tg)   for T > Tg,

the usual reading of a simulated Tg (e.g. Vollmayr, Kob & Binder, Phys. Rev. B
54, 15808 (1996)). For each trial Tg the three other parameters are a linear
least-squares problem; Tg is the minimum of that profile over a grid (then a
finer grid). Its error is the half-width of the profile where
SSE(Tg) <= SSE_min (1 + 1/(n - 4)), the 68 % interval of one nonlinear
parameter (F(1, n-4) ~ 1). Trial Tg stay inside the inner 80 % of the T range,
so each line has data. A simulated Tg depends on the cooling rate (faster
quenches freeze in earlier: higher Tg); compare it with experiment only
through a rate sweep.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError


def _sse(T: np.ndarray, y: np.ndarray, tg: float) -> tuple[float, np.ndarray]:
    """Sum of squared residuals and (a, b_glass, b_liquid) of the hinge fit at ``tg``."""
    d = T - tg
    A = np.column_stack([np.ones_like(T), np.minimum(d, 0.0), np.maximum(d, 0.0)])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    r = y - A @ coef
    return float(r @ r), coef


def fit(T, y, inner: float = 0.8, grid: int = 200, what: str = "y(T)") -> dict:
    """Tg (in T's unit) of the cooling curve ``y(T)`` (``what``: its name, e.g. ``V(T)``) with its error and
    the two lines.

    Returns ``{"Tg", "Tg_err", "a", "slope_glass", "slope_liquid", "T_range", "n", "rmse"}``;
    slopes in y per T. Needs at least 8 points spanning a T range. A glass transition has both slopes
    positive (volume and enthalpy grow with T) and the liquid's steeper than the glass's; a curve that
    breaks either is not one (a box that evaporates, a crystallising melt), and no Tg is given (InputError).
    """
    T, y = np.asarray(T, float), np.asarray(y, float)
    ok = np.isfinite(T) & np.isfinite(y)
    T, y = T[ok], y[ok]
    if len(T) < 8 or np.ptp(T) <= 0:
        raise InputError(f"a Tg fit needs at least 8 points over a temperature range, got {len(T)}")
    lo, hi = T.min(), T.max()
    margin = (1 - inner) / 2 * (hi - lo)
    coarse = np.linspace(lo + margin, hi - margin, grid)
    sse = np.array([_sse(T, y, t)[0] for t in coarse])
    k = int(np.argmin(sse))
    step = coarse[1] - coarse[0]
    fine = np.linspace(max(coarse[0], coarse[k] - step), min(coarse[-1], coarse[k] + step), grid)
    grid_all = np.concatenate([coarse, fine])
    sse_all = np.concatenate([sse, [_sse(T, y, t)[0] for t in fine]])
    order = np.argsort(grid_all)
    grid_all, sse_all = grid_all[order], sse_all[order]
    best = int(np.argmin(sse_all))
    tg = float(grid_all[best])
    smin, coef = _sse(T, y, tg)
    n = len(T)
    inside = grid_all[sse_all <= smin * (1 + 1 / max(n - 4, 1))]
    err = float(max(tg - inside.min(), inside.max() - tg, step / 2))
    glass, liquid = float(coef[1]), float(coef[2])
    if not (glass > 0 and liquid > 0):
        raise InputError(f"{what} does not grow with T (slopes: glass {glass:.3g}, liquid {liquid:.3g} per K): "
                         "not a glass transition (a box that evaporates or collapses?), no Tg")
    if not liquid > glass:
        raise InputError(f"{what}: the liquid slope ({liquid:.3g} per K) is not above the glass slope "
                         f"({glass:.3g}): no glass transition in this range, no Tg")
    return {"Tg": tg, "Tg_err": err, "a": float(coef[0]), "slope_glass": float(coef[1]),
            "slope_liquid": float(coef[2]), "T_range": [float(lo), float(hi)], "n": n,
            "rmse": float(np.sqrt(smin / n))}


def lines(result: dict, T) -> np.ndarray:
    """The fitted hinge evaluated at ``T``."""
    d = np.asarray(T, float) - result["Tg"]
    return result["a"] + result["slope_glass"] * np.minimum(d, 0) + result["slope_liquid"] * np.maximum(d, 0)
