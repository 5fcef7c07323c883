"""The frames an audit evaluates: read from dumps, run directories or extxyz, each atom classified as
``analyze units`` classifies it, and the reference labels (DFT or any labelled extxyz) attached."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lammpskit._util import validate
from lammpskit.errors import UserError, param

MATCH_TOL_A = 0.01  # reference positions must equal the frames' to this (Å, minimum image)


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
    from lammpskit.run import manifest

    return manifest.frames_file(path)


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
    from lammpskit.structure import builder
    from lammpskit.structure import frames as xyz

    atoms = xyz.read(path)
    out = []
    for f in reader.select_frames(spec, len(atoms)):
        at = atoms[f]
        if not at.pbc.all():
            raise UserError(f"{path} frame {f} is not periodic in x, y and z: the audit needs periodic cells")
        data = ase_to_ovito(at)
        kind = units.kinds_of(reader.type_names(data), np.asarray(data.particles.particle_types))
        classes = units.atom_classes(kind, units.frame_bonds(data, cut, cache))
        box = builder.from_atoms(at, list(dict.fromkeys(at.get_chemical_symbols())))  # LAMMPS-restricted cell
        out.append(Frame(at, np.arange(1, len(at) + 1), int(at.info.get("timestep", f)), str(path), f, classes,
                         (box.positions, box.cell, box.origin)))
    return out


def read_frames(paths: list, spec: str = "all", types: list[str] | None = None,
                cut: dict | None = None) -> list[Frame]:
    """The selected frames of every dump, run directory or extxyz in ``paths``, classified per atom."""
    from lammpskit.analysis import cutoffs as _cutoffs

    cut = cut or dict(_cutoffs.DEFAULTS)
    frames, cache = [], {}
    for p in paths:
        p = _dump_path(validate.path(p, param("paths")))
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
    ``energy``/``forces``/``stress`` of any labelled extxyz); stress None when absent. The frame comes from
    ``structure.frames.read``, which has checked the labels' shapes and finiteness."""
    from ase.stress import voigt_6_to_full_3x3_stress

    from lammpskit.potentials.evaluate import Labels
    from lammpskit.structure.frames import KEYS

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
    if s is not None:
        s = np.asarray(s, float)
        s = voigt_6_to_full_3x3_stress(s) if s.shape == (6,) else s.reshape(3, 3)
    return Labels(float(e), np.asarray(f, float), s)


def attach_reference(frames: list[Frame], path: Path) -> None:
    """Read labelled frames from ``path`` and attach them; they must be the audited frames, in order."""
    from lammpskit.structure import frames as xyz

    labelled = xyz.read(validate.path(path, param("reference")))
    if len(labelled) != len(frames):
        raise UserError(f"{param('reference')} {path} holds {len(labelled)} frames but {param('paths')} select "
                        f"{len(frames)}: "
                        "give the labelled copies of exactly the audited frames, in the same order")
    for k, (fr, ref) in enumerate(zip(frames, labelled)):
        where = f"{param('reference')} {path} frame {k}"
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
