"""Mean-square displacement per element, diffusion coefficients, Nernst-Einstein conductivity.

MSD(t) = <|r_i(t0 + t) - r_i(t0)|^2>, averaged over atoms of an element and
over all time origins t0, from unwrapped coordinates (``xu yu zu``). D is
fitted as MSD = 6 D t + c over a window of lag times (default: 20 % to 80 %
of the longest lag, leaving out the ballistic start and the noisy tail).
Units: Å^2, ps; D reported in cm^2/s (1 Å^2/ps = 1e-4 cm^2/s). Nernst-Einstein
conductivity sigma = n q^2 D / (kB T) (S/cm), Haven ratio 1.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError

if TYPE_CHECKING:  # the protocol's name only (analysis imports nothing from lammpskit when it runs)
    from lammpskit.progress import Progress

E_CHARGE = 1.602176634e-19  # C
KB = 1.380649e-23  # J/K
CHARGES = {"Li": 1, "Na": 1, "K": 1, "Ag": 1, "Cu": 1, "Mg": 2, "Ca": 2}


def read_unwrapped(pipeline, frames: list[int], timestep_ps: float, progress: Progress | None = None):
    """Positions (frames, atoms, 3) sorted by id, times (ps), element per atom, mean volume (Å^3)."""
    from .reader import frame_counter, type_names

    pos, times, vols, els = [], [], [], None
    with frame_counter(progress, len(frames)) as advance:
        for done, f in enumerate(frames, 1):
            data = pipeline.compute(f)
            ids = np.asarray(data.particles.identifiers)
            order = np.argsort(ids)
            pos.append(np.asarray(data.particles.positions)[order])
            times.append(data.attributes["Timestep"] * timestep_ps)
            vols.append(abs(np.linalg.det(np.asarray(data.cell[:3, :3]))))
            if els is None:
                names = type_names(data)
                els = np.array([names[t] for t in np.asarray(data.particles.particle_types)[order]])
            advance(done)
    return np.array(pos), np.array(times) - times[0], els, float(np.mean(vols))


def msd(pos: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """MSD (Å^2) for each lag in frames, all time origins, atoms in ``mask``.

    O(T log T) per atom (the FFT algorithm of nMoldyn/Calandrini et al. 2011):
    MSD(m) = S1(m) - 2 S2(m), S2 the position autocorrelation by FFT, S1 by a running sum.
    Equal to the direct average over all origins (``msd_direct``) to rounding.
    """
    x = pos[:, mask, :] - pos[:1, mask, :]  # shift each atom to start at 0: same MSD, less cancellation
    n = len(x)
    if n == 0 or x.shape[1] == 0:
        return np.zeros(n)
    left = n - np.arange(n)  # origins per lag
    f = np.fft.rfft(x, 2 * n, axis=0)
    s2 = np.fft.irfft(f * f.conj(), axis=0)[:n].sum(axis=-1).mean(axis=1) / left
    d = np.sum(x * x, axis=-1).mean(axis=1)  # |r(k)|^2, atom mean
    q = 2 * d.sum()
    s1 = np.empty(n)
    for m in range(n):
        s1[m] = q / left[m]
        q -= d[m] + d[n - 1 - m]
    out = s1 - 2 * s2
    out[0] = 0.0
    return out


def msd_direct(pos: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The same MSD by the direct O(T^2) loop over lags (the reference for tests and bench/)."""
    x = pos[:, mask, :]
    out = np.zeros(len(x))
    for lag in range(1, len(x)):
        d = x[lag:] - x[:-lag]
        out[lag] = np.mean(np.sum(d * d, axis=-1))
    return out


def fit_d(t: np.ndarray, m: np.ndarray, window: tuple[float, float] = (0.2, 0.8)) -> dict:
    """D (cm^2/s) from the slope of MSD vs t over the fraction ``window`` of the longest lag."""
    sel = (t >= window[0] * t[-1]) & (t <= window[1] * t[-1])
    if sel.sum() < 2:
        raise InputError("too few frames in the fit window: dump more often (msd_every) or run longer")
    slope, icpt = np.polyfit(t[sel], m[sel], 1)
    out = {"D_cm2_s": slope / 6 * 1e-4, "D_A2_ps": slope / 6, "fit_ps": [float(t[sel][0]), float(t[sel][-1])],
           "intercept_A2": float(icpt)}
    pos = sel & (t > 0) & (m > 0)
    alpha = float(np.polyfit(np.log(t[pos]), np.log(m[pos]), 1)[0]) if pos.sum() >= 2 else math.nan
    out["msd_exponent"] = alpha  # MSD ~ t^alpha: 1 when diffusive
    out["problems"] = diffusion_problems(out["D_cm2_s"], alpha, float(m[sel][-1]))
    return out


MIN_MSD_A2 = 4.0  # Å^2: 2 Å RMS, about half a Na-Na hop; below it ions rattle in their cages or hopped too rarely


def diffusion_problems(d_cm2_s: float, alpha: float, msd_end_A2: float = float("inf"),
                       tolerance: float = 0.3) -> list[str]:
    """Why a fitted D is not a diffusion coefficient: not positive; the MSD not yet linear in t (its log-log
    slope ``alpha`` further than ``tolerance`` from 1: caged or ballistic motion); or the MSD at the end of the
    fit window (Å^2) below ``MIN_MSD_A2``: the ions have not left their sites, so the slope is vibration."""
    out = []
    if not d_cm2_s > 0:
        out.append(f"D = {d_cm2_s:.3g} cm^2/s is not positive: no net motion in the fit window")
    if not abs(alpha - 1) <= tolerance:
        out.append(f"the MSD is not diffusive in the fit window (MSD ~ t^{alpha:.2f}, not t^1): run longer or hotter")
    if not msd_end_A2 >= MIN_MSD_A2:
        out.append(f"the MSD reaches only {msd_end_A2:.2f} Å^2 in the fit window (< {MIN_MSD_A2:g} Å^2): the ions "
                   "rattle in their sites, the slope is not diffusion; run longer or hotter")
    return out


def nernst_einstein(d_cm2_s: float, n_ions: int, volume_a3: float, temperature: float, charge: int = 1) -> float:
    """Conductivity sigma (S/cm) from D (cm^2/s), ion count, volume (Å^3) and T (K)."""
    n_per_cm3 = n_ions / (volume_a3 * 1e-24)
    return n_per_cm3 * (charge * E_CHARGE) ** 2 * d_cm2_s / (KB * temperature)


def arrhenius(temperatures, diffusivities) -> dict:
    """Fit D = D0 exp(-Ea / kB T): Ea (eV), D0 (cm^2/s)."""
    x = 1 / np.asarray(temperatures, float)
    slope, icpt = np.polyfit(x, np.log(diffusivities), 1)
    return {"Ea_eV": -slope * 8.617333262e-5, "D0_cm2_s": math.exp(icpt)}


def analyse(pipeline, frames, timestep_ps: float, temperature: float, window=(0.2, 0.8),
            progress: Progress | None = None) -> dict:
    """MSD per element (Å^2) vs lag (ps), D per element, Nernst-Einstein conductivity at ``temperature`` (K)."""
    if len(frames) < 3:
        raise InputError(f"MSD needs at least 3 frames, got {len(frames)}")
    pos, t, els, vol = read_unwrapped(pipeline, frames, timestep_ps, progress)
    out = {"frames": len(frames), "time_ps": t.tolist(), "temperature_K": temperature, "volume_A3": vol,
           "msd_A2": {}, "D": {}, "conductivity_S_cm": {}}
    for el in sorted(set(els)):
        m = msd(pos, els == el)
        out["msd_A2"][el] = m.tolist()
        out["D"][el] = fit_d(t, m, window)
        if el in CHARGES:
            out["conductivity_S_cm"][el] = nernst_einstein(out["D"][el]["D_cm2_s"], int((els == el).sum()), vol,
                                                           temperature, CHARGES[el])
    return out


def from_dump(path, timestep_ps: float, temperature: float, window=(0.2, 0.8)) -> dict:
    """``analyse`` over every frame of an unwrapped dump file (``xu yu zu``)."""
    from .reader import open_pipeline

    pipeline = open_pipeline(path)
    return analyse(pipeline, list(range(pipeline.source.num_frames)), timestep_ps, temperature, window)


def msd_table(res: dict) -> dict[str, list]:
    """Columns of msd.csv: lag t (ps) and the MSD of each element (Å^2)."""
    return {"t_ps": res["time_ps"], **{f"msd_{k}_A2": v for k, v in res["msd_A2"].items()}}


def summary(res: dict) -> dict:
    """The scalars of an ``analyse`` result: D per element (cm^2/s), conductivity (S/cm), fit window (ps)."""
    return {"temperature_K": res["temperature_K"], "frames": res["frames"],
            "D_cm2_s": {el: d["D_cm2_s"] for el, d in res["D"].items()},
            "fit_ps": next(iter(res["D"].values()))["fit_ps"] if res["D"] else None,
            "conductivity_S_cm": res["conductivity_S_cm"],
            "problems": {el: d["problems"] for el, d in res["D"].items() if d.get("problems")}}
