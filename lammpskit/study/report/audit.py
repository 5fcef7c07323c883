"""The report's audit: when a campaign names a ``reference_set`` (labelled extxyz, e.g. held-out DFT
frames), every potential of the campaign is audited on it (``lammpskit audit``) and the report shows
its force error per structural class next to the artefact counts."""

from __future__ import annotations

from pathlib import Path

from lammpskit._util import files
from lammpskit.run.result_types import AuditResult


def run(c, folder: Path) -> AuditResult | None:
    """The audit of the campaign's potentials on its reference set (None without one); its ``audit --json``
    table is also written to ``folder/audit.json``."""
    if c.reference_set is None:
        return None
    from lammpskit.audit import core as audit

    pots = list(dict.fromkeys(case.pot for case in c.cases))
    res = audit.audit([c.reference_set], pots, reference=c.reference_set)
    files.write_json(folder / "audit.json", res.to_dict())
    return res


def classes(res: AuditResult) -> list[str]:
    """The structural classes with atoms in the reference set, in the audit's order."""
    return [k for k, atoms in res.classes.items() if atoms]


def table(res: AuditResult, score: list[dict]) -> tuple[list[str], list[list[str]]]:
    """(header, cells): per potential, energy (meV/atom), force (eV/Å) and stress (GPa) RMSE on the reference
    set, the campaign's artefacts per 100 P, and the force RMSE of each structural class (atoms in brackets)."""
    from lammpskit.study.report.writers import fmt

    names, atoms = classes(res), res.classes
    art = {s["potential"]: s["artefacts_per_100P"] for s in score}
    head = ["potential", "E RMSE (meV/atom)", "F RMSE (eV/Å)", "σ RMSE (GPa)", "artefacts per 100 P"] + \
        [f"{k} ({atoms[k]})" for k in names]
    body = []
    for pot, r in res.errors.items():
        e = r.energy_rmse_eV_atom
        body.append([pot, fmt(None if e is None else 1000 * e), fmt(r.force_rmse_eV_A), fmt(r.stress_rmse_GPa),
                     fmt(art.get(pot))] + [fmt(r.classes[k].force_rmse_eV_A) for k in names])
    return head, body
