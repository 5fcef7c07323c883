"""An independent, slow reference for the units analysis: all pairs, all 27 images, plain Python."""

from __future__ import annotations

import itertools

import numpy as np


def bonds(elements, positions, cell, cutoffs):
    """Set of bonded (i, j), i < j, by minimum distance over the 27 nearest images."""
    inv = np.linalg.inv(cell)
    shifts = np.array(list(itertools.product((-1, 0, 1), repeat=3))) @ cell
    out = set()
    n = len(elements)
    for i in range(n):
        d = positions - positions[i]
        frac = d @ inv
        d = (frac - np.round(frac)) @ cell
        for j in range(i + 1, n):
            r = cutoffs.get(frozenset((elements[i], elements[j])))
            if r is None:
                continue
            dist = np.min(np.linalg.norm(d[j] + shifts, axis=1))
            if dist <= r:
                out.add((i, j))
    return out


def units(elements, positions, cell, cutoffs):
    b = bonds(elements, positions, cell, cutoffs)
    nbr = {i: set() for i in range(len(elements))}
    for i, j in b:
        nbr[i].add(j)
        nbr[j].add(i)
    P = [i for i, e in enumerate(elements) if e == "P"]
    def p_count(x):
        return sum(1 for k in nbr[x] if elements[k] == "P")
    res = {"Pn": {}, "units": {}, "anions": {}, "edge_sharing_pairs": 0, "pp_bonds": 0, "ss_bonds": 0}
    for p in P:
        anions = [k for k in nbr[p] if elements[k] in ("S", "O")]
        n = sum(1 for k in anions if p_count(k) >= 2)
        res["Pn"][str(n)] = res["Pn"].get(str(n), 0) + 1
        ns = sum(1 for k in anions if elements[k] == "S")
        no = len(anions) - ns
        name = "P" + ("" if ns == 0 else "S" if ns == 1 else f"S{ns}") + ("" if no == 0 else "O" if no == 1 else f"O{no}")
        res["units"][name] = res["units"].get(name, 0) + 1
    for el in ("S", "O"):
        cls = {"bridging": 0, "nonbridging": 0, "free": 0}
        for i, e in enumerate(elements):
            if e == el:
                c = p_count(i)
                cls["bridging" if c >= 2 else "nonbridging" if c == 1 else "free"] += 1
        res["anions"][el] = cls
    for a, c in itertools.combinations(P, 2):
        shared = {k for k in nbr[a] & nbr[c] if elements[k] in ("S", "O")}
        if len(shared) >= 2:
            res["edge_sharing_pairs"] += 1
    for i, j in b:
        pair = {elements[i], elements[j]}
        if pair == {"P"}:
            res["pp_bonds"] += 1
        if pair == {"S"}:
            res["ss_bonds"] += 1
    # largest P-P cluster (depth-first search)
    seen, best = set(), 1 if P else 0
    for p in P:
        if p in seen:
            continue
        stack, size = [p], 0
        seen.add(p)
        while stack:
            q = stack.pop()
            size += 1
            for k in nbr[q]:
                if elements[k] == "P" and k not in seen:
                    seen.add(k)
                    stack.append(k)
        best = max(best, size)
    res["longest_pp_chain"] = best
    return res
