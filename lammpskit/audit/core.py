"""Audit potentials on the same frames: errors against reference labels (DFT or any labelled extxyz), or
disagreement between potentials, resolved per element and per structural class of the atom.

Classes come from ``lammpskit.analysis.units.atom_classes`` at the analysis's cutoffs, so their counts
are those of ``analyze units`` on the same frames: P by n of P^n (``P0``, ``P1``, ...), P in an
edge-sharing pair (``P_edge_sharing``), P with a P-P bond (``P_PP_bonded``), S and O as bridging /
non-bridging / free (``S_bridging``, ...), and every other element by its symbol (``Na``). A P is
counted in its P^n class and also in the two artefact classes it belongs to.

Errors: energy per atom (eV/atom), forces per Cartesian component (eV/Å; RMSE = sqrt of the mean
squared component difference, MAE = mean absolute one), stress per Voigt component (GPa). Without a
reference, the same numbers per pair of potentials. With two or more potentials, the committee
spread of each atom's force, sqrt(mean_k |F_k - <F>|^2) (eV/Å, DeePMD's model deviation), and
``select`` picks frames to label: the 2N with the largest spread (with one potential and a
reference: the largest force error), then N of them by farthest-point sampling on the structural
descriptor of ``finetune sample``, starting from the worst, so they are not all alike.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np

from lammpskit._util import files, validate
from lammpskit.audit.frames import Frame, attach_reference, read_frames
from lammpskit.audit.metrics import CODES, all_masks, class_codes, committee, compare
from lammpskit.errors import UserError, param
from lammpskit.progress import Progress, counting
from lammpskit.run.result_types import AuditResult

BATCH = {"cpu": 1, "cuda": 16}  # default frames per model call (bench/bench_audit.py: no gain on 2 CPU cores)


# -- selection -------------------------------------------------------------------------------------

def select(frames: list[Frame], score: np.ndarray, n: int) -> list[int]:
    """Frame indices to label next: the 2n with the largest ``score``, then n of them by farthest-point
    sampling on the structural descriptor from the worst; ordered by score, largest first."""
    from lammpskit.structure.sampling import descriptor, farthest_points

    pool = [int(k) for k in np.argsort(-score, kind="stable")[:min(len(frames), 2 * n)]]
    elements = sorted({s for fr in frames for s in fr.symbols})
    x = np.array([descriptor(frames[k].atoms, elements) for k in pool])
    picked = [pool[i] for i in farthest_points(x, n, start=0)]
    return sorted(picked, key=lambda k: -score[k])


def _column(name: str, taken: set) -> str:
    col = "dF_" + re.sub(r"\W", "_", name)
    while col in taken:
        col += "_"
    taken.add(col)
    return col


def write_dump(path: Path, frames: list[Frame], columns: dict[str, np.ndarray]) -> None:
    """The frames as a LAMMPS text dump ``id element x y z class edge pp`` + ``columns`` (per-atom, concatenated)."""
    from lammpskit.lammps import dumps

    bounds = np.r_[0, np.cumsum([len(fr.symbols) for fr in frames])]
    with files.atomic_path(path) as tmp:
        tmp.write_text("")
        for k, fr in enumerate(frames):
            a, b = bounds[k], bounds[k + 1]
            pos, cell, origin = fr.geometry
            extra = {"class": class_codes(fr.symbols, fr.classes), "edge": fr.classes["edge"], "pp": fr.classes["pp"],
                     **{c: v[a:b] for c, v in columns.items()}}
            dumps.write(tmp, [(fr.step, fr.ids, list(fr.symbols), pos, cell, origin, extra)], append=True)


# -- the audit -------------------------------------------------------------------------------------

def audit(paths: list, pots: list[str], reference: str | Path | None = None,
          frames: str | int | slice | list[int] = "all", types: list[str] | None = None, cutoffs: dict | None = None,
          select_n: int | None = None, out: str | Path | None = None, dump: str | Path | None = None,
          batch: int | None = None, device: str = "cpu", progress: Progress | None = None) -> AuditResult:
    """Evaluate every potential in ``pots`` on the frames of ``paths`` and compare them with ``reference`` or
    with each other (``lk.audit``).

    Args:
        paths (list[str | Path]): LAMMPS dumps, run directories (their production dump) or extxyz files; one
            path is a list of one.
        pots (list[str]): registered potentials to audit; one name is a list of one.
        reference (str | Path | None): labelled extxyz of exactly the audited frames, in order (DFT labels from
            ``finetune collect`` or any labelled extxyz); without it two or more ``pots`` are compared pairwise.
        frames (str | int | slice | list[int]): the frames of each file: ``"all"`` (default), ``"last"``, an
            index, a slice (``slice(-10, None)``) or a list of indices.
        types (list[str] | None): element symbols of atom types 1, 2, ... for dumps without element names.
        cutoffs (dict[str, float] | None): bond cutoffs in Å by element pair over the defaults (``{"P-S": 2.6}``),
            as for ``analyze_units``.
        select_n (int | None): write the N frames with the largest disagreement (diverse among the worst) to
            ``out`` for labelling.
        out (str | Path | None): extxyz for ``select_n`` (default ``selected.xyz``).
        dump (str | Path | None): write a per-atom LAMMPS dump (``id element x y z class edge pp dF_...``;
            OVITO lists these as ``df_...``).
        batch (int | None): frames per model call where the family batches (default: 1 on cpu, where
            batching measured no faster on 2 cores (bench/bench_audit.py), 16 on cuda).
        device (str): ``cpu`` or ``cuda``.
        progress (Progress | None): told the frames each potential has evaluated (``lk.Progress``, unit
            ``frame``; one ``start`` ... ``finish`` per potential).

    Returns:
        AuditResult: errors (energy eV/atom, forces eV/Å, stress GPa) per potential or per pair, per element
        and per structural class; ``to_dict()`` is the ``audit --json`` table.
    """
    from lammpskit._util import outputs
    from lammpskit.analysis import cutoffs as _cutoffs
    from lammpskit.potentials import evaluate
    from lammpskit.potentials import registry as potentials

    paths, pots = validate.listed(paths, param("paths")), validate.listed(pots, param("pots"))
    if not paths:
        raise UserError(f"give at least one {param('paths')} file (dump, run directory or extxyz)")
    if not pots:
        raise UserError(f"give at least one {param('pots')}")
    if len(set(pots)) != len(pots):
        raise UserError(f"{param('pots')} names a potential twice: {', '.join(pots)}")
    if reference is None and len(pots) < 2:
        raise UserError(f"without {param('reference')} the audit compares potentials: give two or more {param('pots')}")
    entries = [potentials.get(validate.name(p, param("pots"))) for p in pots]
    validate.choice(device, ("cpu", "cuda"), param("device"))
    batch = validate.integer(batch if batch is not None else BATCH[device], param("batch"), 1, 4096)
    if select_n is not None:
        validate.integer(select_n, param("select_n"), 1, 10**6)
        if len(pots) < 2 and reference is None:
            raise UserError(f"{param('select_n')} needs two or more {param('pots')} (their disagreement) or a "
                            f"{param('reference')}")
        out = outputs.out_file(validate.path(out or "selected.xyz", param("out")), param("out"))
    elif out is not None:
        raise UserError(f"{param('out')} names the file for {param('select_n', cli='N')}: give {param('select_n')} too")
    if dump is not None:
        dump = outputs.out_file(validate.path(dump, param("dump")), param("dump"))
    cut = _cutoffs.with_defaults(cutoffs)
    if reference is not None and not Path(reference).is_file():
        raise UserError(f"{param('reference')} {reference}: no such file")

    fr = read_frames(paths, frames, types, cut)
    if select_n is not None and select_n > len(fr):
        raise UserError(f"{param('select_n')} {select_n} is more than the {len(fr)} frames audited")
    if reference is not None:
        attach_reference(fr, Path(reference))
    masks = all_masks(fr)
    n_atoms = np.array([len(f.symbols) for f in fr])
    atoms = [f.atoms for f in fr]

    labels, info = {}, {}
    for pot in entries:
        t0 = time.perf_counter()
        with counting(progress, len(fr), unit="frame") as report:
            done = [0]  # frames evaluated: evaluate's tick(k) says k more

            def tick(k: int, report=report, done=done) -> None:
                done[0] += k
                report.advance(done[0])

            labels[pot.name] = evaluate.evaluate(pot, atoms, batch, device, tick)
        secs = time.perf_counter() - t0
        info[pot.name] = {"batched": batch > 1 and evaluate.batchable(pot), "seconds": round(secs, 3),
                          "frame_atoms_per_s": round(float(n_atoms.sum()) / secs, 1) if secs > 0 else None}

    result: dict = {"frames": len(fr), "atoms": int(n_atoms.sum()),
                    "reference": str(reference) if reference is not None else None,
                    "sources": sorted({f.source for f in fr}), "potentials": {}}
    columns, taken = {}, {"dF_spread"}
    if reference is not None:
        ref = [f.reference for f in fr]
        for name in pots:
            res, dF = compare(labels[name], ref, fr, masks)
            result["potentials"][name] = {**res, **info[name]}
            columns[_column(name, taken)] = dF
    else:
        result["potentials"] = info
        result["pairs"] = {}
        for i, a in enumerate(pots):
            for b in pots[i + 1:]:
                res, dF = compare(labels[a], labels[b], fr, masks)
                result["pairs"][f"{a} vs {b}"] = {"a": a, "b": b, **res}
                columns[_column(f"{a}__{b}", taken)] = dF
    score = None
    if len(pots) >= 2:
        summary, spread, score = committee([np.concatenate([lab.forces for lab in labels[p]]) for p in pots],
                                           masks, n_atoms)
        result["committee"] = summary
        columns["dF_spread"] = spread
    else:
        dF = columns[next(iter(columns))]
        bounds = np.r_[0, np.cumsum(n_atoms)]
        score = np.array([dF[a:b].max() for a, b in zip(bounds[:-1], bounds[1:])])
    result["class_codes"] = {**{str(v): k for k, v in CODES.items()},
                             **{str(10 + n): f"P{n}" for n in range(int(max(f.classes["pn"].max() for f in fr)) + 1)
                                if any((f.symbols == "P").any() for f in fr)}}
    result["dump_columns"] = ["id", "element", "x", "y", "z", "class", "edge", "pp", *columns]
    result["cutoffs"] = {_cutoffs.label(k): v for k, v in sorted(cut.items(), key=lambda kv: _cutoffs.label(kv[0]))}
    if dump is not None:
        write_dump(Path(dump), fr, columns)
        result["dump"] = str(dump)
    if select_n is not None:
        result["selected"] = _write_selection(fr, score, select_n, Path(out), len(pots) >= 2)
    return AuditResult.from_dict(result, where="audit")


def _write_selection(fr: list[Frame], score: np.ndarray, n: int, out: Path, spread: bool) -> dict:
    from lammpskit.structure import frames as xyz

    key = "force_spread_max_eV_A" if spread else "force_error_max_eV_A"
    chosen = select(fr, score, n)
    picked = []
    for k in chosen:
        at = fr[k].atoms.copy()
        at.calc = None
        for d in (at.info, at.arrays):
            for lab in xyz.KEYS.values():
                d.pop(lab, None)
        at.info.update({"source": fr[k].source, "frame": fr[k].index, "timestep": fr[k].step, key: float(score[k])})
        picked.append(at)
    xyz.write(out, picked)
    return {"out": str(out), "frames": [{"source": fr[k].source, "frame": fr[k].index, "audit_index": k,
                                        key: round(float(score[k]), 6)} for k in chosen]}
