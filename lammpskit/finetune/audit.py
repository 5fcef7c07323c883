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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lammpskit._util import files, validate
from lammpskit.errors import UserError

GPA_PER_EV_A3 = 160.21766208
MATCH_TOL_A = 0.01  # reference positions must equal the frames' to this (Å, minimum image)
VOIGT = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))
# integer codes of the dump's ``class`` column (P^n is 10 + n)
CODES = {"other": 0, "Na": 1, "S_free": 20, "S_nonbridging": 21, "S_bridging": 22,
         "O_free": 30, "O_nonbridging": 31, "O_bridging": 32}
ANION = {0: "free", 1: "nonbridging", 2: "bridging"}
BATCH = {"cpu": 1, "cuda": 16}  # default frames per model call (bench/bench_audit.py: no gain on 2 CPU cores)


@dataclass
class Frame:
    atoms: object              # ase.Atoms, periodic
    ids: np.ndarray
    step: int
    source: str
    index: int                 # frame index in its source
    classes: dict              # units.atom_classes
    geometry: tuple            # (positions, cell rows, origin) for the LAMMPS dump
    reference: object = None   # evaluate.Labels
    symbols: np.ndarray = field(default=None)


# -- frames ----------------------------------------------------------------------------------------

def _dump_path(path: Path) -> Path:
    """A run directory's production dump, or ``path`` itself."""
    if not path.is_dir():
        return path
    from lammpskit.run import manifest

    dump = path / "dump.production.lammpstrj"
    if not (path / manifest.MANIFEST).exists() or not dump.is_file():
        raise UserError(f"{path} is a folder but not a run directory with a production dump "
                        f"({manifest.MANIFEST} and dump.production.lammpstrj)")
    return dump


def _from_dump(path: Path, spec: str, types, cut: dict, cache: dict) -> list[Frame]:
    from ovito.io.ase import ovito_to_ase

    from lammpskit.analysis import reader, units

    pipeline = reader.open_pipeline(path, types)
    out = []
    for f in reader.select_frames(spec, pipeline.source.num_frames):
        try:
            data = pipeline.compute(f)
        except RuntimeError as exc:
            raise UserError(f"cannot read frame {f} of {path}: {str(exc).splitlines()[0]}") from None
        names = reader.type_names(data)
        kind = units.kinds_of(names, np.asarray(data.particles.particle_types))
        classes = units.atom_classes(kind, units.frame_bonds(data, cut, cache))
        at = ovito_to_ase(data)
        at.set_pbc(True)
        n = len(at)
        ids = np.asarray(data.particles.identifiers) if data.particles.identifiers is not None else np.arange(1, n + 1)
        cell = np.asarray(data.cell)
        out.append(Frame(at, ids, int(data.attributes.get("Timestep", f)), str(path), f, classes,
                         (np.asarray(data.particles.positions), cell[:, :3].T.copy(), cell[:, 3].copy())))
    return out


def _from_xyz(path: Path, spec: str, cut: dict, cache: dict) -> list[Frame]:
    from ovito.io.ase import ase_to_ovito

    from lammpskit.analysis import reader, units
    from lammpskit.finetune import frames as finetune

    atoms = finetune.read(path)
    out = []
    for f in reader.select_frames(spec, len(atoms)):
        at = atoms[f]
        if not at.pbc.all():
            raise UserError(f"{path} frame {f} is not periodic in x, y and z: the audit needs periodic cells")
        data = ase_to_ovito(at)
        kind = units.kinds_of(reader.type_names(data), np.asarray(data.particles.particle_types))
        classes = units.atom_classes(kind, units.frame_bonds(data, cut, cache))
        rcell, rot = at.cell.standard_form()  # LAMMPS-restricted: a along x, b in the xy plane
        out.append(Frame(at, np.arange(1, len(at) + 1), int(at.info.get("timestep", f)), str(path), f, classes,
                         (at.get_positions() @ rot.T, np.asarray(rcell), np.zeros(3))))
    return out


def read_frames(paths: list, spec: str = "all", types: list[str] | None = None,
                cut: dict | None = None) -> list[Frame]:
    """The selected frames of every dump, run directory or extxyz in ``paths``, classified per atom."""
    from lammpskit.analysis import cutoffs as _cutoffs

    cut = cut or dict(_cutoffs.DEFAULTS)
    frames, cache = [], {}
    for p in paths:
        p = _dump_path(validate.path(p, "FRAMES"))
        if p.suffix in (".xyz", ".extxyz"):
            frames += _from_xyz(p, spec, cut, cache)
        else:
            frames += _from_dump(p, spec, types, cut, cache)
    for fr in frames:
        fr.symbols = np.array(fr.atoms.get_chemical_symbols())
    return frames


# -- reference labels ------------------------------------------------------------------------------

def _labels_of(at, where: str):
    """Energy, forces, stress of a labelled frame (REF_* keys as ``finetune collect`` writes, or the
    ``energy``/``forces``/``stress`` of any labelled extxyz); stress None when absent."""
    from ase.stress import voigt_6_to_full_3x3_stress

    from lammpskit.analysis.checks import finite_positions
    from lammpskit.finetune.frames import KEYS
    from lammpskit.potentials.evaluate import Labels

    if KEYS["energy"] in at.info:
        e, f, s = at.info[KEYS["energy"]], at.arrays.get(KEYS["forces"]), at.info.get(KEYS["stress"])
    elif at.calc is not None and "energy" in at.calc.results:
        r = at.calc.results
        e, f, s = r["energy"], r.get("forces"), r.get("stress")
    else:
        raise UserError(f"{where} has no labels: expected REF_energy and REF_forces (as 'finetune collect' "
                        "writes) or energy= and forces columns")
    if f is None:
        raise UserError(f"{where} has an energy but no forces")
    f = np.asarray(f, float)
    if f.shape != (len(at), 3):
        raise UserError(f"{where}: forces have shape {f.shape}, expected {(len(at), 3)}")
    finite_positions(f, f"{where} forces")
    if not np.isfinite(float(e)):
        raise UserError(f"{where}: the energy is not finite")
    if s is not None:
        s = np.asarray(s, float)
        s = voigt_6_to_full_3x3_stress(s) if s.shape == (6,) else s.reshape(3, 3)
        if not np.isfinite(s).all():
            raise UserError(f"{where}: the stress is not finite")
    return Labels(float(e), f, s)


def attach_reference(frames: list[Frame], path: Path) -> None:
    """Read labelled frames from ``path`` and attach them; they must be the audited frames, in order."""
    from lammpskit.finetune import frames as finetune

    labelled = finetune.read(validate.path(path, "--reference"))
    if len(labelled) != len(frames):
        raise UserError(f"--reference {path} holds {len(labelled)} frames but FRAMES select {len(frames)}: "
                        "give the labelled copies of exactly the audited frames, in the same order")
    for k, (fr, ref) in enumerate(zip(frames, labelled)):
        where = f"--reference {path} frame {k}"
        if len(ref) != len(fr.atoms) or list(ref.get_chemical_symbols()) != list(fr.symbols):
            raise UserError(f"{where} does not match frame {fr.index} of {fr.source}: "
                            f"{len(ref)} atoms against {len(fr.atoms)}, or the elements differ in order")
        cell = np.asarray(fr.atoms.cell)
        cell_off = np.abs(np.asarray(ref.cell) - cell).max()
        d = ref.get_positions() - fr.atoms.get_positions()
        frac = d @ np.linalg.inv(cell)
        off = max(np.abs((frac - np.round(frac)) @ cell).max(), cell_off)
        if off > MATCH_TOL_A:
            raise UserError(f"{where}: atom positions or cell differ from frame {fr.index} of {fr.source} by up "
                            f"to {off:.3g} Å: not the same configuration")
        fr.reference = _labels_of(ref, where)
        # the potentials are evaluated where the labels were computed (the same configuration, to file precision)
        fr.atoms = fr.atoms.copy()
        fr.atoms.set_cell(ref.cell)
        fr.atoms.set_positions(ref.get_positions())


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


def _all_masks(frames: list[Frame]) -> dict[str, np.ndarray]:
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


# -- selection -------------------------------------------------------------------------------------

def select(frames: list[Frame], score: np.ndarray, n: int) -> list[int]:
    """Frame indices to label next: the 2n with the largest ``score``, then n of them by farthest-point
    sampling on the structural descriptor from the worst; ordered by score, largest first."""
    from lammpskit.finetune.frames import descriptor, farthest_points

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

def audit(paths: list, pots: list[str], reference: str | Path | None = None, frames: str = "all",
          types: list[str] | None = None, cutoffs: list[str] | None = None, select_n: int | None = None,
          out: str | Path | None = None, dump: str | Path | None = None, batch: int | None = None, device: str = "cpu",
          progress=None) -> dict:
    """Evaluate every potential in ``pots`` on the frames of ``paths`` (dumps, run directories, extxyz)
    and compare them with ``reference`` (labelled extxyz of the same frames) or with each other.

    ``select_n`` writes the frames to label next to ``out`` (extxyz); ``dump`` writes the per-atom dump
    (``id element x y z class edge pp dF_...``; OVITO lists these as ``df_...``); ``batch``: frames per model
    call where the family batches (default: 1 on cpu, where batching measured no faster on 2 cores (bench/bench_audit.py),
    16 on cuda); ``progress(total)``: a context manager yielding a per-frame ``tick()``. Returns the
    ``audit --json`` dict.
    """
    from lammpskit._util import outputs
    from lammpskit.analysis import cutoffs as _cutoffs
    from lammpskit.potentials import evaluate
    from lammpskit.potentials import registry as potentials

    if not paths:
        raise UserError("give at least one FRAMES file (dump, run directory or extxyz)")
    if not pots:
        raise UserError("give at least one --pot")
    if len(set(pots)) != len(pots):
        raise UserError(f"--pot names a potential twice: {', '.join(pots)}")
    if reference is None and len(pots) < 2:
        raise UserError("without --reference the audit compares potentials: give two or more --pot")
    entries = [potentials.get(validate.name(p, "--pot")) for p in pots]
    validate.choice(device, ("cpu", "cuda"), "--device")
    batch = validate.integer(batch if batch is not None else BATCH[device], "--batch", 1, 4096)
    if select_n is not None:
        validate.integer(select_n, "--select", 1, 10**6)
        if len(pots) < 2 and reference is None:
            raise UserError("--select needs two or more --pot (their disagreement) or a --reference")
        out = outputs.out_file(validate.path(out or "selected.xyz", "--out"), "--out")
    elif out is not None:
        raise UserError("--out names the file for --select N: give --select too")
    if dump is not None:
        dump = outputs.out_file(validate.path(dump, "--dump"), "--dump")
    cut = _cutoffs.parse(cutoffs)
    if reference is not None and not Path(reference).is_file():
        raise UserError(f"--reference {reference}: no such file")

    fr = read_frames(paths, frames, types, cut)
    if select_n is not None and select_n > len(fr):
        raise UserError(f"--select {select_n} is more than the {len(fr)} frames audited")
    if reference is not None:
        attach_reference(fr, Path(reference))
    masks = _all_masks(fr)
    n_atoms = np.array([len(f.symbols) for f in fr])
    atoms = [f.atoms for f in fr]

    labels, info = {}, {}
    bar = progress or (lambda total: _null())
    for pot in entries:
        t0 = time.perf_counter()
        with bar(len(fr)) as tick:
            labels[pot.name] = evaluate.evaluate(pot, atoms, batch, device, lambda k: [tick() for _ in range(k)])
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
    return result


def _write_selection(fr: list[Frame], score: np.ndarray, n: int, out: Path, spread: bool) -> dict:
    from lammpskit.finetune import frames as finetune

    key = "force_spread_max_eV_A" if spread else "force_error_max_eV_A"
    chosen = select(fr, score, n)
    picked = []
    for k in chosen:
        at = fr[k].atoms.copy()
        at.calc = None
        for d in (at.info, at.arrays):
            for lab in finetune.KEYS.values():
                d.pop(lab, None)
        at.info.update({"source": fr[k].source, "frame": fr[k].index, "timestep": fr[k].step, key: float(score[k])})
        picked.append(at)
    finetune.write(out, picked)
    return {"out": str(out), "frames": [{"source": fr[k].source, "frame": fr[k].index, "audit_index": k,
                                        key: round(float(score[k]), 6)} for k in chosen]}


def _null():
    import contextlib

    return contextlib.nullcontext(lambda: None)
