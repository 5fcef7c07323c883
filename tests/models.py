"""Small real models for tests and benchmarks, not part of the wheel (no downloads): a random-init MACE, a random-init
GRACE-FS, random start cells and frames labelled by a registered calculator.

The model is a genuine ``mace.modules.ScaleShiftMACE`` with random weights and
ZBL pair repulsion (so MD does not collapse), saved whole with ``torch.save``
like a trained ``.model`` file and loaded by ``MACECalculator``.
"""

from __future__ import annotations

from pathlib import Path


def tiny_mace(path: Path, elements: list[str], seed: int = 0, r_max: float = 4.5,
              channels: int = 8, dtype: str = "float64") -> Path:
    """Build, randomly initialise and save a small MACE model; returns ``path``."""
    import numpy as np
    import torch
    from ase.data import atomic_numbers
    from mace import modules  # before e3nn: mace allow-lists what e3nn 0.4.4 loads

    # isort: split
    from e3nn import o3

    torch.manual_seed(seed)
    old = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, dtype))
    try:
        zs = sorted(atomic_numbers[e] for e in elements)
        block = modules.interaction_classes["RealAgnosticResidualInteractionBlock"]
        model = modules.ScaleShiftMACE(
            r_max=r_max, num_bessel=6, num_polynomial_cutoff=5, max_ell=2,
            interaction_cls=block, interaction_cls_first=block, num_interactions=2,
            num_elements=len(zs), hidden_irreps=o3.Irreps(f"{channels}x0e+{channels}x1o"),
            MLP_irreps=o3.Irreps("8x0e"), atomic_energies=np.full(len(zs), -2.0),
            avg_num_neighbors=20.0, atomic_numbers=zs, correlation=2,
            gate=torch.nn.functional.silu, pair_repulsion=True,
            atomic_inter_scale=0.5, atomic_inter_shift=0.0,
        )
        torch.save(model, path)
    finally:
        torch.set_default_dtype(old)
    return Path(path)


def mace_potential_toml(folder: Path, name: str, model: Path, elements: list[str], dtype: str = "float64") -> Path:
    """Register ``model`` as potential ``name``: writes ``folder/name.toml`` (bridge, MACE)."""
    from lammpskit.potentials import registry as potentials

    text = f'''name = "{name}"
title = "random-init MACE test model"
family = "mace"
elements = {elements!r}
cutoff = 4.5
dtype = "{dtype}"
licence = "MIT (test model)"
citation = "none: random weights"

[[files]]
key = "model"
path = "{model}"
sha256 = "{potentials.sha256(model)}"

[bridge]
calculator = "mace"
dtype = "{dtype}"

[d3]
functional = "pbe"
'''.replace("'", '"')
    out = Path(folder) / f"{name}.toml"
    out.write_text(text)
    return out


# GRACE-FS preset at its smallest useful size: lmax 3, 6 radial functions, 5 Å cutoff (832 weights)
TINY_FS = dict(rcut=5.0, avg_n_neigh=20.0, lmax=(3, 3, 2, 1), Lmax=(None, 2, 0, 0), max_sum_l=(None, None, 4, 2),
               lmax_hist=(None, None, None, 2), n_rad_base=6, n_rad_max=(6, 4, 3, 2), embedding_size=8, max_order=4)


def tiny_grace(folder: Path, elements: list[str], seed: int = 1) -> Path:
    """A random-init GRACE-FS model (tensorpotential): ``folder/saved_model`` (TensorFlow SavedModel,
    for the bridge and ``pair_style grace``), ``folder/FS_model.yaml`` (``grace/fs``), and
    ``model.yaml`` + ``checkpoint.*`` (gracemaker's format). Returns ``folder``."""
    from lammpskit.potentials import extras

    extras.enable("tensorpotential")
    import numpy as np
    import tensorflow as tf
    import tensorpotential  # noqa: F401  (configures TensorFlow)
    from tensorpotential.instructions.base import save_instructions_dict
    from tensorpotential.potentials.presets import FS
    from tensorpotential.tpmodel import ComputeEnergy, TPModel

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tf.random.set_seed(seed)
    np.random.seed(seed)
    instructions = FS(element_map={e: i for i, e in enumerate(elements)}, **TINY_FS).get_instructions()
    model = TPModel(instructions, aux_compute={"compute_energy": ComputeEnergy()})
    model.build(tf.float64, jit_compile=True)
    model.save_model(str(folder / "saved_model"), jit_compile=True)
    model.export_to_yaml(str(folder / "FS_model.yaml"))
    save_instructions_dict(str(folder / "model.yaml"), instructions, param_dtype=tf.float64)
    tf.train.Checkpoint(model=model).write(str(folder / "checkpoint"))
    return folder


def labelled_frames(pot_name: str, n: int, fu: int = 3, x: float = 1.0, seed: int = 0, rattle: float = 0.1):
    """``n`` random Na4P2S7-xOx cells (``fu`` formula units, density ±10 %) with energy, forces and
    stress from the bridge calculator of registered potential ``pot_name`` (ASE Atoms)."""
    import numpy as np
    from ase import Atoms
    from ase.calculators.singlepoint import SinglePointCalculator

    from lammpskit.potentials import calculators
    from lammpskit.potentials import registry as potentials
    from lammpskit.structure import builder as structure
    from lammpskit.structure import composition

    comp = composition.make(x, fu=fu)
    calc = calculators.build(potentials.get(pot_name))
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n):
        s = structure.build(comp, comp.density_estimate() * rng.uniform(0.9, 1.1), seed + i)
        at = Atoms([s.elements[t - 1] for t in s.types], positions=s.positions, cell=s.cell, pbc=True)
        at.positions += rng.normal(0, rattle, at.positions.shape)
        at.calc = calc
        e, f, st = at.get_potential_energy(), at.get_forces(), at.get_stress()
        at.calc = SinglePointCalculator(at, energy=e, forces=f, stress=st)
        frames.append(at)
    return frames


# thiophosphate motifs (Å, in a local frame) for ``motif_frames``: P at tetrahedral distance 2.05 Å from S
_T = 2.05 / 3 ** 0.5  # tetrahedral corner offset
MOTIFS = {
    # edge-sharing P2S6: two P (x = ±1.45) share the S at y = ±1.6 (P-S 2.16 Å, P...P 2.9 Å: no P-P bond)
    "edge": [("P", (-1.45, 0, 0)), ("P", (1.45, 0, 0)), ("S", (0, 1.6, 0)), ("S", (0, -1.6, 0)),
             ("S", (-2.6, 0, 1.6)), ("S", (-2.6, 0, -1.6)), ("S", (2.6, 0, 1.6)), ("S", (2.6, 0, -1.6))],
    # corner-sharing P2S7: a PS4 tetrahedron and its mirror image through a plane at the bridging S
    # (P-S 2.05 Å, P-S-P 110°)
    "corner": "mirror",
    # P2S6 with a P-P bond (2.2 Å), three S on each P
    "pp": [("P", (-1.1, 0, 0)), ("P", (1.1, 0, 0)),
           *[("S", (sx * 1.8, dy, dz)) for sx in (-1, 1) for dy, dz in ((1.9, 0), (-0.95, 1.65), (-0.95, -1.65))]],
    # PS3O: an isolated tetrahedron with one O (P-O 1.55 Å)
    "ps3o": [("P", (0, 0, 0)), ("O", (0, 0, 1.55)), ("S", (1.93, 0, -0.68)), ("S", (-0.97, 1.67, -0.68)),
             ("S", (-0.97, -1.67, -0.68))],
    "s": [("S", (0, 0, 0))],
}
# the two anions an edge-sharing pair shares (indices into MOTIFS["edge"])
EDGE_SHARED = (2, 3)


def _motif(name: str) -> list:
    """The atoms of a MOTIFS unit; the corner-sharing pair is built from a regular tetrahedron."""
    import numpy as np

    if MOTIFS[name] != "mirror":
        return MOTIFS[name]
    d = np.array([(1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)], float) / 3 ** 0.5 * 2.05
    b = d[0] / np.linalg.norm(d[0])
    perp = np.cross(b, np.cross(b, d[1]))
    perp /= np.linalg.norm(perp)  # the tilt that keeps the two units' terminal S 3.35 Å apart
    n = np.cos(np.radians(35)) * b + np.sin(np.radians(35)) * perp  # mirror normal, 35° from the P-S bond
    mirror = lambda x: x - 2 * ((x - d[0]) @ n) * n  # noqa: E731
    a = [("P", (0.0, 0.0, 0.0))] + [("S", tuple(v)) for v in d]
    return a + [("P", tuple(mirror(np.zeros(3))))] + [("S", tuple(mirror(v))) for v in d[1:]]


def motif_frames(n: int, perturbed: tuple[int, ...] = (), squeeze: float = 0.3, na: int = 20, box: float = 13.0,
                 seed: int = 0):
    """``n`` periodic cells (ASE Atoms, cubic, ``box`` Å) holding one of each MOTIFS unit at fixed sites,
    each randomly rotated and rattled, plus ``na`` Na placed at least 2.6 Å from every atom: P2 (edge-
    sharing), P1, P0 (P-P bonded), P0 (PS3O) P; bridging, non-bridging and free S; a non-bridging O.
    In the frames listed in ``perturbed`` the two shared S of the edge-sharing pair move ``squeeze`` Å
    each towards each other (still bonded to both P: the classes do not change). Deterministic in ``seed``.
    ``info["edge_atoms"]`` lists the atom indices of the edge-sharing pair (2 P, 2 shared S)."""
    import numpy as np
    from ase import Atoms
    from ase.neighborlist import neighbor_list
    from scipy.spatial.transform import Rotation

    rng = np.random.default_rng(seed)
    sites = {"edge": (0.25, 0.25, 0.25), "corner": (0.75, 0.75, 0.25), "pp": (0.75, 0.25, 0.75),
             "ps3o": (0.25, 0.75, 0.75), "s": (0.5, 0.5, 0.5)}
    frames = []
    for k in range(n):
        symbols, positions = [], []
        for name, site in sites.items():
            local = np.array([p for _, p in _motif(name)], float)
            if name == "edge" and k in perturbed:
                for i in EDGE_SHARED:
                    local[i, 1] -= np.sign(local[i, 1]) * squeeze
            local -= local.mean(0)
            rot = Rotation.random(random_state=int(rng.integers(2**31))).as_matrix()
            positions += list(local @ rot.T + np.array(site) * box + rng.normal(0, 0.03, local.shape))
            symbols += [el for el, _ in _motif(name)]
        at = Atoms(symbols, positions=positions, cell=[box] * 3, pbc=True)
        while sum(1 for s in at.get_chemical_symbols() if s == "Na") < na:
            trial = at + Atoms("Na", positions=[rng.uniform(0, box, 3)])
            i, _ = neighbor_list("ij", trial, 2.6)
            if not (i == len(trial) - 1).any():
                at = trial
        at.wrap()
        at.info["edge_atoms"] = [0, 1, *EDGE_SHARED]
        at.info["perturbed"] = int(k in perturbed)
        frames.append(at)
    return frames
