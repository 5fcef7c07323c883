"""Random-placement glass starting structures and LAMMPS data files.

Atoms go one by one to uniform random positions in a cubic box, each kept only
if it is at least ``d_min(A, B)`` (Å) from every atom already placed (periodic
minimum image). A cell grid makes each trial O(1): 10 000 atoms take a few
seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lammpskit._util import files
from lammpskit.errors import UserError, param
from lammpskit.structure.composition import Composition

# Default minimum distances (Å) for a melt start: about 75 % of the shortest
# distance each pair has in crystals (P-S 2.05, P-O 1.53, Na-S 2.85, Na-O 2.35,
# S-S 3.3 in PS4 edges), low enough that random sequential placement does not
# jam at glass densities. Other pairs: 0.7 x the sum of covalent radii
# (Cordero et al., Dalton Trans. 2008, 2832). Override with --min-dist A-B=d.
PAIR_MIN = {frozenset(p.split("-")): d for p, d in {
    "Na-Na": 2.4, "Na-P": 2.4, "Na-S": 2.2, "Na-O": 1.9, "P-P": 2.6, "P-S": 1.8,
    "P-O": 1.4, "S-S": 2.2, "S-O": 2.1, "O-O": 1.9, "Li-Li": 2.0, "Li-P": 2.2,
    "Li-S": 1.9, "Li-O": 1.6,
}.items()}
_COVALENT_SCALE = 0.7
MAX_TRIALS = 2000  # per atom, before the box is declared full


def default_min_distance(a: str, b: str) -> float:
    """Default minimum distance (Å) between elements ``a`` and ``b``."""
    from ase.data import atomic_numbers, covalent_radii

    key = frozenset([a, b])
    if key in PAIR_MIN:
        return PAIR_MIN[key]
    return round(_COVALENT_SCALE * (covalent_radii[atomic_numbers[a]] + covalent_radii[atomic_numbers[b]]), 2)


def min_distance_matrix(elements: list[str], overrides: dict[frozenset, float] | None = None) -> np.ndarray:
    """Matrix of minimum distances (Å) indexed like ``elements``."""
    overrides = overrides or {}
    n = len(elements)
    d = np.zeros((n, n))
    for i, a in enumerate(elements):
        for j, b in enumerate(elements):
            d[i, j] = overrides.get(frozenset([a, b]), default_min_distance(a, b))
    return d


@dataclass
class Structure:
    """Atoms in an orthogonal or triclinic box; ``types`` are 1-based indices into ``elements``."""

    elements: list[str]
    types: np.ndarray  # (N,) int
    positions: np.ndarray  # (N, 3) Å
    cell: np.ndarray  # (3, 3) rows a, b, c (Å), LAMMPS-restricted (lower triangular)
    origin: np.ndarray  # (3,) Å

    @property
    def natoms(self) -> int:
        return len(self.types)


def build(comp: Composition, density: float, seed: int,
          overrides: dict[frozenset, float] | None = None) -> Structure:
    """Random structure of ``comp`` at ``density`` (g/cm^3), reproducible by ``seed``."""
    from lammpskit._util import limits

    limits.atoms(comp.natoms)
    rng = np.random.default_rng(limits.seed(seed))
    elements = comp.elements
    dmat = min_distance_matrix(elements, overrides)
    L = comp.box_length(density)
    types = np.concatenate([np.full(n, i, dtype=np.int64) for i, n in enumerate(comp.counts.values())])
    # the scarcest species (network formers) first, random within a species
    order = rng.permutation(len(types))
    order = order[np.argsort(np.bincount(types)[types[order]], kind="stable")]
    cut = float(dmat.max())
    ng = max(1, int(L // cut))
    cell_size = L / ng
    slots = max(4, int(np.ceil((cell_size / 1.8) ** 3 * 4)) + 4)
    grid = np.full((ng, ng, ng, slots), -1, dtype=np.int64)
    fill = np.zeros((ng, ng, ng), dtype=np.int64)
    pos = np.zeros((len(types), 3))
    off = np.array([(i, j, k) for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)])
    if ng < 3:
        off = np.unique(off % ng, axis=0)
    batch = 16
    for count, atom in enumerate(order):
        t = types[atom]
        placed = False
        for _ in range(MAX_TRIALS // batch):
            trial = rng.random((batch, 3)) * L
            cidx = np.minimum((trial // cell_size).astype(np.int64), ng - 1)
            for b in range(batch):
                c = (cidx[b] + off) % ng
                nb = grid[c[:, 0], c[:, 1], c[:, 2]].ravel()
                nb = nb[nb >= 0]
                if nb.size:
                    d = pos[nb] - trial[b]
                    d -= L * np.round(d / L)
                    r2 = np.einsum("ij,ij->i", d, d)
                    if np.any(r2 < dmat[t, types[nb]] ** 2):
                        continue
                ci = tuple(cidx[b])
                if fill[ci] >= slots:
                    continue
                grid[ci + (fill[ci],)] = atom
                fill[ci] += 1
                pos[atom] = trial[b]
                placed = True
                break
            if placed:
                break
        if not placed:
            raise UserError(
                f"the box cannot be filled: placed {count} of {len(types)} atoms at "
                f"{density:g} g/cm^3 with the minimum distances in force; lower {param('density')} "
                f"or the minimum distances ({param('min_dist', py='min_dist', cli='A-B=d')})"
            )
    return Structure(elements=elements, types=types + 1, positions=pos,
                     cell=np.diag([L, L, L]), origin=np.zeros(3))


def from_atoms(atoms, elements: list[str]) -> Structure:
    """An ASE ``Atoms`` (any periodic cell) as a ``Structure`` in LAMMPS's restricted triclinic box:
    a along x, b in the xy plane (the cell rotated, atoms wrapped into it); types follow ``elements``."""
    cell = np.asarray(atoms.cell[:], dtype=float)
    a, b, c = cell
    ax = np.linalg.norm(a)
    bx = b @ a / ax
    by = np.sqrt(max(b @ b - bx * bx, 0.0))
    cx = c @ a / ax
    cy = (b @ c - bx * cx) / by
    cz = np.sqrt(max(c @ c - cx * cx - cy * cy, 0.0))
    box = np.array([[ax, 0, 0], [bx, by, 0], [cx, cy, cz]])
    frac = np.linalg.solve(cell.T, np.asarray(atoms.positions, dtype=float).T).T % 1.0
    symbols = atoms.get_chemical_symbols()
    missing = sorted(set(symbols) - set(elements))
    if missing:
        from lammpskit.errors import UserError

        raise UserError(f"elements {', '.join(missing)} are not among the types {', '.join(elements)}")
    types = np.array([elements.index(e) + 1 for e in symbols], dtype=np.int64)
    return Structure(list(elements), types, frac @ box, box, np.zeros(3))


def write_data(path: Path, s: Structure, title: str) -> None:
    """Write a LAMMPS data file (``atom_style atomic``) with ``# El`` on Masses lines."""
    from ase.data import atomic_masses, atomic_numbers

    a, b, c = s.cell
    lo = s.origin
    lines = [f"{title}", "", f"{s.natoms} atoms", f"{len(s.elements)} atom types", "",
             f"{lo[0]:.10f} {lo[0] + a[0]:.10f} xlo xhi",
             f"{lo[1]:.10f} {lo[1] + b[1]:.10f} ylo yhi",
             f"{lo[2]:.10f} {lo[2] + c[2]:.10f} zlo zhi"]
    if abs(b[0]) > 0 or abs(c[0]) > 0 or abs(c[1]) > 0:
        lines.append(f"{b[0]:.10f} {c[0]:.10f} {c[1]:.10f} xy xz yz")
    lines += ["", "Masses", ""]
    for i, el in enumerate(s.elements, 1):
        lines.append(f"{i} {atomic_masses[atomic_numbers[el]]:.6f} # {el}")
    lines += ["", "Atoms # atomic", ""]
    body = "\n".join(f"{i} {t} {x:.8f} {y:.8f} {z:.8f}"
                     for i, (t, (x, y, z)) in enumerate(zip(s.types, s.positions), 1))
    files.write_text(path, "\n".join(lines) + "\n" + body + "\n")


def read_data_elements(path: Path) -> list[str]:
    """Element names of a data file: its ``Atom Type Labels`` section, else ``# El`` comments on Masses."""
    sections: dict[str, dict[int, str]] = {"Masses": {}, "Atom Type Labels": {}}
    current = None
    with open(path) as fh:
        for line in fh:
            s = line.strip()
            if s.split("#")[0].strip() in sections:
                current = s.split("#")[0].strip()
                continue
            if current is None or not s:
                if current and sections[current]:
                    current = None
                continue
            if current == "Masses":
                m = re.match(r"^(\d+)\s+\S+\s*#\s*([A-Z][a-z]?)\b", s)
                if m:
                    sections[current][int(m.group(1))] = m.group(2)
            else:
                m = re.match(r"^(\d+)\s+([A-Z][a-z]?)\s*$", s)
                if m:
                    sections[current][int(m.group(1))] = m.group(2)
            if s[0].isalpha() and current and not re.match(r"^\d", s):
                current = None
    found = sections["Atom Type Labels"] or sections["Masses"]
    if not found:
        raise UserError(f"{path}: no element names (an 'Atom Type Labels' section or '# El' comments on "
                        f"Masses lines); give the elements with {param('types')}")
    return [found[i] for i in sorted(found)]


def build_file(out: str | Path = "data.lmp", x: float | None = 0.0, fu: int | None = None, atoms: int | None = None,
               formula: str = "Na4P2S7-xOx", seed: int = 1, density: float | None = None,
               min_dist: dict[str, float] | None = None) -> dict:
    """A random start structure written to the data file ``out``: composition as for ``composition.select``
    (1000 atoms by default), ``density`` in g/cm^3 (default: the estimate), ``min_dist`` ``{"A-B": d}``
    in Å. Returns the file, the composition and the density used."""
    from lammpskit._util import outputs, validate
    from lammpskit.structure import composition

    path = outputs.out_file(validate.path(out, param("out")), param("out"))
    comp = composition.select(x, fu, atoms, formula, default_atoms=1000)
    rho = composition.start_density(comp, density)
    s = build(comp, rho, seed, composition.min_distances(min_dist))
    write_data(path, s, f"{comp.label} {comp.natoms} atoms, {rho:.4f} g/cm^3, seed {seed}")
    return {"data": str(path), **comp.as_dict(), "density_g_cm3": round(rho, 5), "seed": seed}
