"""The audit's numbers: per-class atom masks and dump codes, errors against reference labels (eV/atom,
eV/Å, GPa) and the committee spread of forces between potentials (eV/Å)."""

from __future__ import annotations

import re

import numpy as np

from lammpskit.audit.frames import Frame

GPA_PER_EV_A3 = 160.21766208
VOIGT = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))
# integer codes of the dump's ``class`` column (P^n is 10 + n)
CODES = {"other": 0, "Na": 1, "S_free": 20, "S_nonbridging": 21, "S_bridging": 22,
         "O_free": 30, "O_nonbridging": 31, "O_bridging": 32}
ANION = {0: "free", 1: "nonbridging", 2: "bridging"}


# -- classes ---------------------------------------------------------------------------------------

def class_masks(symbols: np.ndarray, classes: dict) -> dict[str, np.ndarray]:
    """Class name -> per-atom mask of one frame (a P is in its P^n class and in the artefact classes)."""
    out = {}
    is_p = symbols == "P"
    if is_p.any():
        for n in range(max(4, int(classes["pn"].max()) + 1)):
            out[f"P{n}"] = is_p & (classes["pn"] == n)
        out["P_edge_sharing"] = is_p & (classes["edge"] == 1)
        out["P_PP_bonded"] = is_p & (classes["pp"] > 0)
    for el in ("S", "O"):
        if (symbols == el).any():
            for code in (2, 1, 0):
                out[f"{el}_{ANION[code]}"] = (symbols == el) & (classes["anion"] == code)
    for el in sorted(set(symbols) - {"P", "S", "O"}):
        out[str(el)] = symbols == el
    return out


def class_codes(symbols: np.ndarray, classes: dict) -> np.ndarray:
    """One integer per atom for the dump's ``class`` column (see ``CODES``; P^n is 10 + n)."""
    code = np.where(symbols == "Na", CODES["Na"], CODES["other"])
    code = np.where(symbols == "P", 10 + classes["pn"], code)
    for el in ("S", "O"):
        code = np.where(symbols == el, CODES[f"{el}_free"] + classes["anion"], code)
    return code


def all_masks(frames: list[Frame]) -> dict[str, np.ndarray]:
    """Class masks over the concatenated atoms of all frames."""
    per = [class_masks(fr.symbols, fr.classes) for fr in frames]
    names = []
    for m in per:
        names += [k for k in m if k not in names]
    p_names = sorted((k for k in names if re.fullmatch(r"P\d+", k)), key=lambda k: int(k[1:]))
    order = p_names + [k for k in names if k not in p_names]
    return {k: np.concatenate([m.get(k, np.zeros(len(fr.symbols), bool)) for m, fr in zip(per, frames)])
            for k in order}


# -- errors ----------------------------------------------------------------------------------------

def _rmse_mae(d: np.ndarray) -> tuple[float | None, float | None]:
    if d.size == 0:
        return None, None
    return float(np.sqrt(np.mean(d ** 2))), float(np.mean(np.abs(d)))


def compare(pred: list, ref: list, frames: list[Frame], masks: dict) -> tuple[dict, np.ndarray]:
    """Errors of labels ``pred`` against ``ref`` (one per frame); and the per-atom |dF| (eV/Å)."""
    n_atoms = np.array([len(fr.symbols) for fr in frames])
    de = np.array([(p.energy - r.energy) / n for p, r, n in zip(pred, ref, n_atoms)])
    df = np.concatenate([p.forces - r.forces for p, r in zip(pred, ref)])
    res: dict = {}
    res["energy_rmse_eV_atom"], res["energy_mae_eV_atom"] = _rmse_mae(de)
    res["force_rmse_eV_A"], res["force_mae_eV_A"] = _rmse_mae(df)
    if all(r.stress is not None for r in ref):
        ds = np.array([[(p.stress - r.stress)[i, j] for i, j in VOIGT] for p, r in zip(pred, ref)]) * GPA_PER_EV_A3
        res["stress_rmse_GPa"], res["stress_mae_GPa"] = _rmse_mae(ds)
    else:
        res["stress_rmse_GPa"] = res["stress_mae_GPa"] = None
    res["by_class"] = {}
    for name, m in masks.items():
        rmse, mae = _rmse_mae(df[m])
        res["by_class"][name] = {"atoms": int(m.sum()), "force_rmse_eV_A": rmse, "force_mae_eV_A": mae}
    symbols = np.concatenate([fr.symbols for fr in frames])
    res["by_element"] = {}
    for el in sorted(set(symbols)):
        rmse, mae = _rmse_mae(df[symbols == el])
        res["by_element"][str(el)] = {"atoms": int((symbols == el).sum()), "force_rmse_eV_A": rmse,
                                      "force_mae_eV_A": mae}
    return res, np.linalg.norm(df, axis=1)


def committee(forces: list[np.ndarray], masks: dict, n_atoms: np.ndarray) -> tuple[dict, np.ndarray, np.ndarray]:
    """Per-atom force spread sqrt(mean_k |F_k - <F>|^2) (eV/Å) of K >= 2 potentials (each (N_total, 3));
    its summary with a per-class breakdown, the per-atom spread and each frame's largest spread."""
    f = np.stack(forces)
    spread = np.sqrt(np.mean(np.sum((f - f.mean(0)) ** 2, axis=2), axis=0))
    bounds = np.r_[0, np.cumsum(n_atoms)]
    frame_max = np.array([spread[a:b].max() for a, b in zip(bounds[:-1], bounds[1:])])

    def stats(s: np.ndarray) -> dict:
        if s.size == 0:
            return {"atoms": 0, "force_spread_mean_eV_A": None, "force_spread_max_eV_A": None}
        return {"atoms": int(s.size), "force_spread_mean_eV_A": float(s.mean()),
                "force_spread_max_eV_A": float(s.max())}

    out = {**stats(spread), "by_class": {k: stats(spread[m]) for k, m in masks.items()},
           "frame_max_eV_A": [round(float(x), 6) for x in frame_max]}
    return out, spread, frame_max
