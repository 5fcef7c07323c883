"""Structural units of thiophosphate / oxy-thiophosphate glasses from bonds.

Bonds come from cutoffs per element pair (analysis.cutoffs). For anions
(S, O): bridging = bonded to >= 2 P, non-bridging = 1 P, free = no P. For each
P: n = number of bridging anions of either kind (P^n), and its unit by anion
composition (PS4, PS3O, ..., PO4). Artefacts: edge-sharing P pairs (two P
sharing >= 2 anions), P-P bonds and the largest P-P-bonded cluster, S-S bonds.
Counts are per frame; ``summarise`` gives means and standard deviations over
frames.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from . import cutoffs as _cutoffs
from .errors import ReadError

if TYPE_CHECKING:  # the protocol's name only (analysis imports nothing from lammpskit when it runs)
    from lammpskit.progress import Progress

KINDS = {"Na": 1, "P": 2, "S": 3, "O": 4}
NA, P, S, O = 1, 2, 3, 4  # noqa: E741  (element symbols)


def unit_name(ns: int, no: int) -> str:
    """``PS3O``-style name of a P with ``ns`` S and ``no`` O neighbours."""
    part = lambda el, k: "" if k == 0 else (el if k == 1 else f"{el}{k}")  # noqa: E731
    return "P" + part("S", ns) + part("O", no)


def bond_ends(bonds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (bonds[:, 0], bonds[:, 1]) if len(bonds) else (np.zeros(0, int), np.zeros(0, int))


def p_anion_bonds(kind: np.ndarray, bonds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P end, anion end) of every P-S and P-O bond."""
    a, b = bond_ends(bonds)
    anion = lambda k: (k == S) | (k == O)  # noqa: E731
    fwd, rev = (kind[a] == P) & anion(kind[b]), (kind[b] == P) & anion(kind[a])
    return np.concatenate([a[fwd], b[rev]]), np.concatenate([b[fwd], a[rev]])


def bridging_per_atom(kind: np.ndarray, bonds: np.ndarray) -> np.ndarray:
    """For each atom, the number of bridging anions (bonded to >= 2 P) it is bonded to: n of P^n for P."""
    return _bridging_counts(len(kind), *p_anion_bonds(kind, bonds))


def _bridging_counts(n: int, p_of: np.ndarray, x_of: np.ndarray) -> np.ndarray:
    bridging = np.bincount(x_of, minlength=n) >= 2
    return np.bincount(p_of, weights=bridging[x_of], minlength=n).astype(int)


def edge_sharing(kind: np.ndarray, bonds: np.ndarray) -> np.ndarray:
    """(k, 2) atom indices of the P pairs that share two or more anions (edge-sharing tetrahedra)."""
    p_of, x_of = p_anion_bonds(kind, bonds)
    return _edge_pairs(len(kind), p_of, x_of, np.bincount(x_of, minlength=len(kind)) >= 2)


def _edge_pairs(n: int, p_of: np.ndarray, x_of: np.ndarray, bridging: np.ndarray) -> np.ndarray:
    shared = bridging[x_of]
    order = np.argsort(x_of[shared], kind="stable")
    xs, ps = x_of[shared][order], p_of[shared][order]
    pairs = []
    if len(xs):
        starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
        ends = np.r_[starts[1:], len(xs)]
        two = ends - starts == 2
        lo = np.minimum(ps[starts[two]], ps[starts[two] + 1])
        hi = np.maximum(ps[starts[two]], ps[starts[two] + 1])
        pairs.append(lo * n + hi)
        for s0, e0 in zip(starts[~two], ends[~two]):  # anions bridging 3+ P (rare)
            group = np.unique(ps[s0:e0])
            ii, jj = np.triu_indices(len(group), 1)
            pairs.append(group[ii] * n + group[jj])
    if not pairs:
        return np.zeros((0, 2), int)
    codes, counts = np.unique(np.concatenate(pairs), return_counts=True)
    codes = codes[counts >= 2]
    return np.stack([codes // n, codes % n], axis=1)


# per-atom structural classes (atom_classes): codes of the anion column
ANION_CODES = {"free": 0, "nonbridging": 1, "bridging": 2}


def atom_classes(kind: np.ndarray, bonds: np.ndarray) -> dict[str, np.ndarray]:
    """Per-atom structural classes of one frame (the same definitions as ``frame_counts``).

    ``pn``: n of P^n for P (bridging anions on it), -1 for other atoms; ``anion``: for S and O
    0 free, 1 non-bridging, 2 bridging (bonded to 0, 1, >= 2 P), -1 for others; ``edge``: 1 for a P
    in an edge-sharing pair; ``pp``: P-P bonds of the atom; ``unit_o``: m of PS(4-m)Om for P (its
    O neighbours), -1 for others.
    """
    n = len(kind)
    a, b = bond_ends(bonds)
    p_of, x_of = p_anion_bonds(kind, bonds)
    n_p = np.bincount(x_of, minlength=n)
    is_p, is_x = kind == P, (kind == S) | (kind == O)
    pn = np.where(is_p, _bridging_counts(n, p_of, x_of), -1)
    anion = np.where(is_x, np.minimum(n_p, 2), -1)
    edge = np.zeros(n, int)
    edge[_edge_pairs(n, p_of, x_of, n_p >= 2).ravel()] = 1
    pp_mask = (kind[a] == P) & (kind[b] == P)
    pp = np.bincount(np.concatenate([a[pp_mask], b[pp_mask]]), minlength=n)
    unit_o = np.where(is_p, np.bincount(p_of[kind[x_of] == O], minlength=n), -1)
    return {"pn": pn, "anion": anion, "edge": edge, "pp": pp, "unit_o": unit_o}


def frame_counts(kind: np.ndarray, bonds: np.ndarray) -> dict:
    """Counts for one frame. ``kind``: per-atom code (KINDS, 0 = other); ``bonds``: (nb, 2) atom indices."""
    n = len(kind)
    a, b = bond_ends(bonds)
    ka, kb = kind[a], kind[b]
    p_of, x_of = p_anion_bonds(kind, bonds)
    n_p = np.bincount(x_of, minlength=n)  # P neighbours per atom (anions only)
    bridging = n_p >= 2
    is_p = kind == P
    n_bridge = _bridging_counts(n, p_of, x_of)[is_p]
    n_s = np.bincount(p_of[kind[x_of] == S], minlength=n)[is_p]
    n_o = np.bincount(p_of[kind[x_of] == O], minlength=n)[is_p]

    out: dict = {"P": int(is_p.sum())}
    out["Pn"] = {str(k): int(v) for k, v in enumerate(np.bincount(n_bridge)) if v} if len(n_bridge) else {}
    out["Pn_fraction"] = {k: v / out["P"] for k, v in out["Pn"].items()}
    units: dict[str, int] = {}
    units_n: dict[str, dict[str, int]] = {}
    if len(n_s):
        codes, counts = np.unique(np.stack([n_s, n_o, n_bridge]), axis=1, return_counts=True)
        for (ns, no, nb), c in zip(codes.T, counts):
            name = unit_name(int(ns), int(no))
            units[name] = units.get(name, 0) + int(c)
            units_n.setdefault(name, {})[str(int(nb))] = int(c)
    out["units"] = units
    out["units_by_n"] = units_n
    out["anions"] = {}
    for el, code in (("S", S), ("O", O)):
        m = kind == code
        out["anions"][el] = {"bridging": int((m & bridging).sum()), "nonbridging": int((m & (n_p == 1)).sum()),
                             "free": int((m & (n_p == 0)).sum()), "bridging_3plus": int((m & (n_p >= 3)).sum())}
    out["bridges"] = {"P-S-P": out["anions"]["S"]["bridging"], "P-O-P": out["anions"]["O"]["bridging"]}

    out["edge_sharing_pairs"] = len(_edge_pairs(n, p_of, x_of, bridging))

    pp = (ka == P) & (kb == P)
    out["pp_bonds"] = int(pp.sum())
    out["longest_pp_chain"] = _largest_cluster(a[pp], b[pp], n) if pp.any() else (1 if out["P"] else 0)
    out["ss_bonds"] = int(((ka == S) & (kb == S)).sum())
    out["coordination"] = _coordination(kind, ka, kb)
    return out


def _largest_cluster(a: np.ndarray, b: np.ndarray, n: int) -> int:
    """Atoms in the largest connected cluster of the given bonds."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    nodes = np.unique(np.concatenate([a, b]))
    idx = np.searchsorted(nodes, a), np.searchsorted(nodes, b)
    g = coo_matrix((np.ones(len(a)), idx), shape=(len(nodes), len(nodes)))
    _, labels = connected_components(g, directed=False)
    return int(np.bincount(labels).max())


def _coordination(kind, ka, kb) -> dict[str, float]:
    out = {}
    for centre, other, name in ((P, S, "P-S"), (P, O, "P-O"), (NA, S, "Na-S"), (NA, O, "Na-O")):
        n_centre = int((kind == centre).sum())
        if n_centre:
            nb = int((((ka == centre) & (kb == other)) | ((kb == centre) & (ka == other))).sum())
            out[name] = nb / n_centre
    return out


def kinds_of(names: dict[int, str], type_ids: np.ndarray) -> np.ndarray:
    """Per-atom kind codes from type ids and ``type id -> element``."""
    table = np.zeros(max(names) + 1, dtype=np.int8)
    for tid, el in names.items():
        table[tid] = KINDS.get(el, 0)
    return table[type_ids]


def bonds_modifier(cut: dict, present: Iterable[str]):
    """OVITO CreateBondsModifier with the pairwise cutoffs among the elements present (None if no pair)."""
    from ovito.modifiers import CreateBondsModifier

    mod = CreateBondsModifier(mode=CreateBondsModifier.Mode.Pairwise)
    present = set(present)
    used = 0
    for pair, r in cut.items():
        els = sorted(pair) * (2 if len(pair) == 1 else 1)
        if set(els) <= present:
            mod.set_pairwise_cutoff(els[0], els[1], r)
            used += 1
    return mod if used else None


def frame_bonds(data, cut: dict, cache: dict) -> np.ndarray:
    """Bond topology (nb, 2) of one frame; modifiers are cached per set of elements present."""
    from .reader import type_names

    present = frozenset(type_names(data).values())
    if present not in cache:
        cache[present] = bonds_modifier(cut, present)
    mod = cache[present]
    if mod is None:
        return np.zeros((0, 2), dtype=np.int64)
    data.apply(mod)
    return np.asarray(data.particles.bonds.topology)


def analyse(pipeline, frames: list[int], cut: dict | None = None, progress: Progress | None = None) -> dict:
    """Counts for each selected frame of an OVITO pipeline, summarised (mean, std)."""

    from .reader import frame_counter, type_names

    cut = cut or dict(_cutoffs.DEFAULTS)
    per_frame, cache = [], {}
    with frame_counter(progress, len(frames)) as advance:
        for done, f in enumerate(frames, 1):
            try:
                data = pipeline.compute(f)
            except RuntimeError as exc:
                raise ReadError(f"OVITO could not read frame {f}: {str(exc).splitlines()[0]}") from None
            bonds = frame_bonds(data, cut, cache)
            kind = kinds_of(type_names(data), np.asarray(data.particles.particle_types))
            per_frame.append(frame_counts(kind, bonds))
            advance(done)
    return summarise(per_frame, cut)


def _mean_std(values: list[float]) -> tuple[float, float]:
    m = sum(values) / len(values)
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return m, sd


def summarise(per_frame: list[dict], cut: dict) -> dict:
    """Means over frames under the contract keys, standard deviations under ``std``."""
    nf = len(per_frame)

    def agg(get, keys):
        means, stds = {}, {}
        for k in keys:
            means[k], stds[k] = _mean_std([get(fr).get(k, 0) for fr in per_frame])
        return means, stds

    pn_keys = sorted({k for fr in per_frame for k in fr["Pn"]}, key=int)
    pn, pn_sd = agg(lambda fr: fr["Pn"], pn_keys)
    pnf, pnf_sd = agg(lambda fr: fr["Pn_fraction"], pn_keys)
    unit_keys = sorted({k for fr in per_frame for k in fr["units"]})
    units, units_sd = agg(lambda fr: fr["units"], unit_keys)
    units_n = {u: agg(lambda fr, u=u: fr["units_by_n"].get(u, {}),
                      sorted({k for fr in per_frame for k in fr["units_by_n"].get(u, {})}, key=int))[0]
               for u in unit_keys}
    anions, anions_sd = {}, {}
    for el in ("S", "O"):
        anions[el], anions_sd[el] = agg(lambda fr, el=el: fr["anions"][el],
                                        ["bridging", "nonbridging", "free", "bridging_3plus"])
    bridges, _ = agg(lambda fr: fr["bridges"], ["P-S-P", "P-O-P"])
    scalars = ["edge_sharing_pairs", "pp_bonds", "longest_pp_chain", "ss_bonds", "P"]
    sc, sc_sd = agg(lambda fr: fr, scalars)
    coord, _ = agg(lambda fr: fr["coordination"], sorted({k for fr in per_frame for k in fr["coordination"]}))
    return {
        "frames": nf,
        "Pn": pn,
        "Pn_fraction": pnf,
        "anions": anions,
        "edge_sharing_pairs": sc["edge_sharing_pairs"],
        "pp_bonds": sc["pp_bonds"],
        "ss_bonds": sc["ss_bonds"],
        "units": units,
        "units_by_n": units_n,
        "bridges": bridges,
        "longest_pp_chain": sc["longest_pp_chain"],
        "P_atoms": sc["P"],
        "coordination": coord,
        "cutoffs": {_cutoffs.label(k): v for k, v in sorted(cut.items(), key=lambda kv: _cutoffs.label(kv[0]))},
        "std": {"Pn": pn_sd, "Pn_fraction": pnf_sd, "anions": anions_sd, "units": units_sd,
                "edge_sharing_pairs": sc_sd["edge_sharing_pairs"], "pp_bonds": sc_sd["pp_bonds"],
                "ss_bonds": sc_sd["ss_bonds"], "longest_pp_chain": sc_sd["longest_pp_chain"]},
    }
