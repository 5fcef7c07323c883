"""``lammpskit audit``: which potential to trust, and where (errors and disagreement per structural class)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from lammpskit.cli import types as cli_types
from lammpskit.cli.common import Json, options
from lammpskit.cli.common import echo_json as _echo_json

if TYPE_CHECKING:
    from lammpskit.run.result_types import AuditResult


def audit_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Frames: LAMMPS dumps, run directories (their production "
                     "dump) or extxyz files.")],
    pots: Annotated[list[str], typer.Option("--pot", help="Registered potential to audit (repeat).")],
    reference: Annotated[Optional[Path], typer.Option("--reference", help="Labelled extxyz of the same frames "
                         "(DFT labels from 'finetune collect', or any labelled extxyz); without it the potentials "
                         "are compared pairwise.")] = None,
    frames: Annotated[str, typer.Option("--frames", help="last | all | A:B (frame indices of each file).")] = "all",
    types: Annotated[Optional[str], typer.Option("--types", help="Elements of types 1..n, e.g. Na,P,S,O.")] = None,
    cutoff: Annotated[Optional[list[str]], typer.Option("--cutoff", help="Bond cutoff A-B=r in Å (repeatable), "
                      "as for 'analyze units'.")] = None,
    select: Annotated[Optional[int], typer.Option("--select", help="Write the N frames with the largest "
                      "disagreement (diverse among the worst) to --out for labelling.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="extxyz for --select (default selected.xyz).")] = None,
    dump: Annotated[Optional[Path], typer.Option("--dump", help="Write a per-atom dump (id element x y z class "
                    "edge pp df_...) for OVITO.")] = None,
    batch: Annotated[Optional[int], typer.Option("--batch", help="Frames per model call (CHGNet, MACE); "
                     "default 1 (one at a time) on cpu, 16 on cuda.")] = None,
    device: Annotated[str, typer.Option("--device", help="cpu or cuda.")] = "cpu",
    as_json: Json = False,
):
    """Force, energy and stress errors of potentials against reference labels, or their disagreement,
    per element and per structural class (P^n, edge-sharing P, P-P bonded P, bridging/non-bridging/free S, O).

    Example: lammpskit audit runs/glass1 --pot mp0 --pot ft-mp0 --select 20 --out next.xyz --dump audit.dump
    """
    from lammpskit.audit import core as audit
    from lammpskit.cli.progress import FramesBar

    elements = cli_types.element_list(types)
    cut = cli_types.pairs(cutoff, "--cutoff", "P-S=2.6")
    with options(**cli_types.frames_names(frames)):
        res = audit.audit(paths, pots, reference, cli_types.frames(frames), elements, cut, select, out, dump, batch,
                          device, progress=FramesBar(quiet=as_json))
    if as_json:
        return _echo_json(res.to_dict())
    _show(res)


def _fmt(v, digits: int = 4) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _show(res: AuditResult) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    rows = res.errors
    title = f"against {res.reference}" if res.reference else "between potentials (pairwise)"
    t = Table(title=f"audit of {res.frames} frames ({res.atoms} atoms) {title}")
    for col in ("", "E RMSE eV/atom", "F RMSE eV/Å", "F MAE eV/Å", "σ RMSE GPa"):
        t.add_column(col)
    for name, r in rows.items():
        t.add_row(name, _fmt(r.energy_rmse_eV_atom), _fmt(r.force_rmse_eV_A), _fmt(r.force_mae_eV_A),
                  _fmt(r.stress_rmse_GPa, 3))
    console.print(t)
    c = Table(title="force RMSE (eV/Å) per structural class" + ("; committee spread (mean)" if res.committee
                                                                  else ""))
    c.add_column("class")
    c.add_column("atoms")
    for name in rows:
        c.add_column(name)
    if res.committee:
        c.add_column("spread")
    for cls, atoms in res.classes.items():
        cells = [_fmt(rows[name].classes[cls].force_rmse_eV_A) for name in rows]
        if res.committee:
            cells.append(_fmt(res.committee_spread(cls)))
        c.add_row(cls, str(atoms), *cells)
    console.print(c)
    if res.dump:
        console.print(f"per-atom dump: {res.dump} (columns {' '.join(res.dump_columns)})")
    if res.selected:
        n, out = res.selection
        console.print(f"{n} frames to label next: {out}")
