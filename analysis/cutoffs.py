"""Bond cutoffs per element pair (Å): the defaults and a caller's ``{"A-B": r}`` over them.

Defaults: each sits near the first minimum of the partial g(r) of Na2S-P2S5
and Na4P2S7-xOx glasses, well past the bond length and well before the
second shell: P-S 2.6 (bond 2.03-2.12 Å, PS4 S...S edge 3.3 Å), P-O 2.0
(bond 1.50-1.65 Å), P-P 2.5 (P-P bond of P2S6^4-, 2.2-2.3 Å), S-S 2.5 (S-S bond
2.05-2.1 Å), Na-S 3.6 and Na-O 3.1 (first minima of g_NaS, g_NaO; Na-S
2.8-3.0 Å, Na-O 2.3-2.5 Å). Bond lengths from the crystal structures of
Na3PS4, Na4P2S7, Na4P2S6 and Na4P2O7; the P-X values match those used by the
NaPSO glass studies (e.g. Kmiec et al., J. Non-Cryst. Solids 534, 119776 (2020)).
``propose`` derives cutoffs from a structure's own partial g(r).
"""

from __future__ import annotations

from .checks import pairs
from .errors import param

DEFAULTS: dict[frozenset, float] = {frozenset(k.split("-")): v for k, v in {
    "P-S": 2.6, "P-O": 2.0, "P-P": 2.5, "S-S": 2.5, "Na-S": 3.6, "Na-O": 3.1,
}.items()}


def key(a: str, b: str) -> frozenset:
    return frozenset((a, b))


def label(pair: frozenset) -> str:
    els = sorted(pair, key=lambda e: ("Na", "Li", "P", "S", "O").index(e) if e in ("Na", "Li", "P", "S", "O") else 9)
    return "-".join(els) if len(els) == 2 else f"{els[0]}-{els[0]}"


def with_defaults(cutoffs: dict | None) -> dict[frozenset, float]:
    """The ``cutoffs`` argument (``{"P-S": 2.6, ...}`` in Å, checked) on top of the defaults."""
    return {**DEFAULTS, **pairs(cutoffs, param("cutoffs"), "{'P-S': 2.6}")}
