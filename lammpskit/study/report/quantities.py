"""The report's quantities: key, label, unit, the stage file each comes from and how it is read."""

from __future__ import annotations

import re

from lammpskit._util import layout
from lammpskit.run.result_types import AnalysisResult, ElasticResult, QuenchResult, UnitsResult
from lammpskit.study import campaign as campaigns


def _pn(u: UnitsResult, n: str) -> float | None:
    return u.Pn_fraction.get(n, 0.0)


def _na(r: AnalysisResult, key: str) -> float | None:
    return r.transport_of(key, "Na")


# key, label, unit, source file, getter; sources: quench (<case>/result.json), elastic
# (elastic-<method>/result.json), units (analysis/units.json), analysis (analysis/result.json)
QUANTITIES = [
    ("density", "density", "g/cm³", "quench", lambda r: r.density_g_cm3),
    ("Tg", "glass transition T (NPT quench, V(T) kink; depends on the cooling rate)", "K", "quench",
     lambda r: r.Tg_K),
    ("B", "bulk modulus B", "GPa", "elastic", lambda r: r.B_GPa),
    ("G", "shear modulus G", "GPa", "elastic", lambda r: r.G_GPa),
    ("E", "Young's modulus E", "GPa", "elastic", lambda r: r.E_GPa),
    ("nu", "Poisson's ratio", "", "elastic", lambda r: r.nu),
    ("P0", "P0 fraction", "", "units", lambda u: _pn(u, "0")),
    ("P1", "P1 fraction", "", "units", lambda u: _pn(u, "1")),
    ("P2", "P2 fraction", "", "units", lambda u: _pn(u, "2")),
    ("BS", "bridging S fraction", "", "units", lambda u: u.anion_fraction("S", "bridging")),
    ("NBS", "non-bridging S fraction", "", "units", lambda u: u.anion_fraction("S", "nonbridging")),
    ("BO", "fraction of O bridging", "", "units", lambda u: u.anion_fraction("O", "bridging")),
    ("NBO", "non-bridging O fraction", "", "units", lambda u: u.anion_fraction("O", "nonbridging")),
    ("edge_sharing", "edge-sharing pairs per 100 P", "", "units", lambda u: u.per_100_P(u.edge_sharing_pairs)),
    ("pp_bonds", "P-P bonds per 100 P", "", "units", lambda u: u.per_100_P(u.pp_bonds)),
    ("D_Na", "Na diffusion coefficient (production T)", "cm²/s", "analysis", lambda r: _na(r, "D_cm2_s")),
    ("sigma_Na", "Na Nernst-Einstein conductivity (production T)", "S/cm", "analysis",
     lambda r: _na(r, "conductivity_S_cm")),
]
KEYS = [q[0] for q in QUANTITIES]
ARTEFACTS = ("edge_sharing", "pp_bonds")


def values(data: dict) -> dict:
    """The quantities from a case's stage files (source -> its typed result, ``units.json`` as a dict, or
    None): key -> value or None, and ``units``: PS(4-m)Om unit -> fraction of P."""
    out = {}
    for key, _label, _unit, src, get in QUANTITIES:
        try:
            out[key] = None if data[src] is None else get(data[src])
        except (AttributeError, KeyError, TypeError, ZeroDivisionError):
            out[key] = None
    el = data["elastic"]
    out["unstable"] = min(el.eigenvalues_GPa) if el and el.mechanically_stable is False else None
    u = data["units"]
    out["units"] = {k: n / u.P_atoms for k, n in (u.units or {}).items()} if u and u.P_atoms else {}
    return out


def case_values(c: campaigns.Campaign, case: campaigns.Case) -> dict:
    """The quantities of one case (None where its stage has no result)."""
    analysis = case.dir / layout.ANALYSIS_DIR
    files = {"quench": (c.result_file(case, "quench"), QuenchResult.from_file),
             "elastic": (case.dir / layout.elastic_dir(c.elastic["method"]) / layout.RESULT, ElasticResult.from_file),
             "units": (analysis / layout.UNITS, UnitsResult.from_file),
             "analysis": (analysis / layout.RESULT, AnalysisResult.from_file)}
    return values({k: read(p) if p.exists() else None for k, (p, read) in files.items()})


def unit_order(name: str) -> tuple:
    """Sort key: PS4, PS3O, PS2O2, PSO3, PO4 first, then other coordinations; each group by falling S count."""
    n = {el: int(k or 1) for el, k in re.findall(r"([SO])(\d*)", name)}
    return (sum(n.values()) != 4, -n.get("S", 0), name)
