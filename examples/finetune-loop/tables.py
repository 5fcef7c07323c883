"""Markdown tables of the loop's audits (audit-before.json, audit-after.json): held-out force RMSE per
structural class and per element (eV/Å), stress RMSE (GPa), per potential.

    python examples/finetune-loop/tables.py examples/finetune-loop/audit-before.json [audit-after.json ...]
"""

from __future__ import annotations

import json
import sys


def _f(v: float | None, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def table(audits: list[dict]) -> str:
    """One row per potential, columns: all atoms, each element, each class with atoms; stress."""
    pots = {name: res for a in audits for name, res in a["potentials"].items()}
    first = next(iter(pots.values()))
    elements = list(first["by_element"])
    classes = [k for k, v in first["by_class"].items() if v["atoms"] and k not in elements]
    atoms = {k: first["by_class"][k]["atoms"] for k in classes} | {k: first["by_element"][k]["atoms"] for k in elements}
    head = ["potential", "all", *elements, *classes, "stress (GPa)"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
            "| atoms | " + " | ".join([str(sum(first["by_element"][e]["atoms"] for e in elements)),
                                       *[str(atoms[k]) for k in elements + classes], ""]) + " |"]
    for name, res in pots.items():
        cells = [_f(res["force_rmse_eV_A"]), *[_f(res["by_element"][e]["force_rmse_eV_A"]) for e in elements],
                 *[_f(res["by_class"].get(k, {}).get("force_rmse_eV_A")) for k in classes],
                 _f(res.get("stress_rmse_GPa"), 2)]
        rows.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table([json.load(open(p)) for p in sys.argv[1:]]))
