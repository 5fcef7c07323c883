"""Experimental reference values: a CSV with one value per row, each with its source and DOI."""

from __future__ import annotations

import csv
from pathlib import Path

from lammpskit._util import validate
from lammpskit.errors import UserError

# the shipped values for Na4P2S7-xOx (lammpskit/reference/)
REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "na4p2s7-xox.csv"
REF_COLUMNS = ("system", "x", "quantity", "value", "uncertainty", "unit", "method", "source", "doi", "note")


def reference(path: Path = REFERENCE) -> list[dict]:
    """Experimental values with a number: one row per value (REF_COLUMNS; x in O per formula unit, value and
    uncertainty floats in the row's unit). Rows whose value is empty (unknown) are allowed and left out; every
    row needs x in [0, 7], a quantity, a source and a DOI."""
    try:
        with open(path, newline="") as fh:
            table = csv.DictReader(fh)
            missing = [k for k in REF_COLUMNS if k not in (table.fieldnames or [])]
            if missing:
                raise UserError(f"{path}: missing columns {missing} (expected {', '.join(REF_COLUMNS)})")
            rows = list(table)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise UserError(f"cannot read the reference values {path}: {e}") from None
    out = []
    for line, r in enumerate(rows, start=2):
        where = f"{path}, line {line}"
        if not (r["quantity"] or "").strip() or not (r["source"] or "").strip() or not (r["doi"] or "").strip():
            raise UserError(f"{where}: quantity, source and doi are required")
        r["x"] = validate.number(r["x"], f"{where}: x", 0, 7)
        if (r["value"] or "").strip():
            r["value"] = validate.number(r["value"], f"{where}: value")
            r["uncertainty"] = validate.number(r["uncertainty"], f"{where}: uncertainty", 0) if r["uncertainty"] else ""
            out.append(r)
    return out
