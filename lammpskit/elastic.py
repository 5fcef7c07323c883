"""Elastic constants from strained cells, and the isotropic moduli of glasses (GPa).

Static method: relax, strain +/- e along the six Voigt directions (1 xx, 2 yy,
3 zz, 4 yz, 5 xz, 6 xy; shear as engineering strain through the tilt factors),
relax atoms at fixed cell, C_ij = -(p_i(+e_j) - p_i(-e_j)) / (2 e) with the
pressure tensor p in bar (stress = -p). Voigt, Reuss and Hill bulk and shear
moduli; Young's modulus E = 9BG/(3B+G) and Poisson's ratio
nu = (3B-2G)/(2(3B+G)) from the Hill averages.
"""

from __future__ import annotations

import datetime as _dt
import shutil
import tempfile
from pathlib import Path

import numpy as np

from . import __version__, manifest, potentials, validate
from .errors import UserError

BAR_TO_GPA = 1e-4
DIRECTIONS = ((1, "x", "lx"), (2, "y", "ly"), (3, "z", "lz"), (4, "yz", "lz"), (5, "xz", "lz"), (6, "xy", "ly"))
_VOIGT_OF_P = (0, 1, 2, 3, 4, 5)  # columns pxx pyy pzz pyz pxz pxy are already Voigt-ordered


def moduli(C) -> dict:
    """Voigt/Reuss/Hill B and G, E, nu (GPa) and an isotropy measure from a 6x6 C (GPa)."""
    C = np.asarray(C, float)
    S = np.linalg.inv(C)
    bv = (C[0, 0] + C[1, 1] + C[2, 2] + 2 * (C[0, 1] + C[1, 2] + C[0, 2])) / 9
    gv = (C[0, 0] + C[1, 1] + C[2, 2] - (C[0, 1] + C[1, 2] + C[0, 2]) + 3 * (C[3, 3] + C[4, 4] + C[5, 5])) / 15
    br = 1 / (S[0, 0] + S[1, 1] + S[2, 2] + 2 * (S[0, 1] + S[1, 2] + S[0, 2]))
    gr = 15 / (4 * (S[0, 0] + S[1, 1] + S[2, 2]) - 4 * (S[0, 1] + S[1, 2] + S[0, 2]) + 3 * (S[3, 3] + S[4, 4] + S[5, 5]))
    b, g = (bv + br) / 2, (gv + gr) / 2
    e = 9 * b * g / (3 * b + g)
    nu = (3 * b - 2 * g) / (2 * (3 * b + g))
    # isotropy: an isotropic C has C11 = C22 = C33, C12 = C13 = C23, C44 = C55 = C66 = (C11 - C12)/2
    c11, c12, c44 = np.mean(np.diag(C)[:3]), np.mean([C[0, 1], C[0, 2], C[1, 2]]), np.mean(np.diag(C)[3:])
    iso = np.zeros((6, 6))
    iso[:3, :3] = c12
    iso[np.arange(3), np.arange(3)] = c11
    iso[np.arange(3, 6), np.arange(3, 6)] = (c11 - c12) / 2
    return {"B": b, "G": g, "E": e, "nu": nu, "B_voigt": bv, "B_reuss": br, "G_voigt": gv, "G_reuss": gr,
            "zener_ratio": 2 * c44 / (c11 - c12) if c11 != c12 else None,
            "anisotropy_rel": float(np.linalg.norm(C - iso) / np.linalg.norm(C))}


def c_from_stress(path: Path, strain: float) -> np.ndarray:
    """C (GPa) from the ``stress.txt`` the static deck writes."""
    rows = np.loadtxt(path, comments="#", ndmin=2)
    C = np.zeros((6, 6))
    got = set()
    for d in range(1, 7):
        plus = rows[(rows[:, 0] == d) & (rows[:, 1] == 1)]
        minus = rows[(rows[:, 0] == d) & (rows[:, 1] == -1)]
        if not len(plus) or not len(minus):
            continue
        C[:, d - 1] = -(plus[0, 2:8] - minus[0, 2:8]) / (2 * strain) * BAR_TO_GPA
        got.add(d)
    if got != set(range(1, 7)):
        from .errors import RunError

        raise RunError(f"{path} lacks strained stresses for directions {sorted(set(range(1, 7)) - got)}")
    return (C + C.T) / 2


def result(run_dir: Path, man: dict) -> dict:
    """The engine's result for an elastic run directory."""
    strain = man["params"]["strain"]
    C = c_from_stress(Path(run_dir) / "stress.txt", strain)
    return {"state": "done", "method": man["params"]["method"], "strain": strain, "potential": man["potential"]["name"],
            "source": man["source"], "C": np.round(C, 4).tolist(),
            **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in moduli(C).items()}}


def check_strain(strain: float) -> float:
    return validate.number(strain, "--strain", 0, 0.05, lo_open=True)


def source_of(target: Path) -> tuple[Path, str | None]:
    """Data file to strain, and the potential a run directory was made with (None for a data file)."""
    target = Path(target)
    if target.is_dir():
        man = manifest.load(target)
        if not any(s["name"] == "anneal" for s in man.get("stages", [])):
            raise UserError(f"{target} has no NPT (anneal) stage: the glass is not at its own zero-pressure "
                            "density; quench it with a profile that anneals (t_anneal > 0)")
        if man.get("state") != "done" or not (target / "glass.data").exists():
            raise UserError(f"{target} is not finished: run it first with 'lammpskit run {target}'")
        return target / "glass.data", man["potential"]["name"]
    if not target.is_file():
        raise UserError(f"{target} is neither a run directory nor a data file")
    return target, None


def render(out: Path, data: Path, pot: potentials.Potential, strain: float, method: str, mode: str,
           relax_cell: bool = True, ftol: float = 1e-8, maxiter: int = 5000) -> Path:
    """Write an elastic run directory ``out`` (must not exist) with run.json."""
    from .render import _env, choose_mode
    from .structure import read_data_elements

    if method != "static":
        raise UserError("--method dynamic is not available yet; use --method static")
    out = Path(out)
    if out.exists():
        raise UserError(f"{out} exists: choose another --out or remove it")
    elements = read_data_elements(data)
    pot.supports(elements)
    files = pot.resolve_files()
    mode = choose_mode(pot, mode)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.rendering-", dir=out.parent))
    try:
        env = _env()
        ctx = dict(version=__version__, pot=pot, mode=mode, source=str(data), strain=strain, ftol=ftol,
                   maxiter=maxiter, relax_cell=relax_cell, directions=DIRECTIONS, elements=elements,
                   files={k: str(v) for k, v in files.items()})
        shutil.copyfile(data, tmp / "data.lmp")
        (tmp / "potential.lmp").write_text(env.get_template(f"potential/{mode}.lmp.j2").render(**ctx))
        (tmp / "in.elastic.lmp").write_text(env.get_template(f"elastic/{method}.lmp.j2").render(**ctx))
        manifest.write_json(tmp / manifest.MANIFEST, {
            "kit_version": __version__,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "protocol": "elastic", "deck": "in.elastic.lmp", "source": str(data), "elements": elements,
            "potential": {"name": pot.name, "mode": mode, "source": str(pot.source),
                          "files": {k: {"path": str(v), "sha256": potentials.sha256(v)} for k, v in files.items()}},
            "params": {"method": method, "strain": strain, "ftol": ftol, "maxiter": maxiter,
                       "relax_cell": relax_cell, "thermo_every": 100},
            "stages": [], "total_steps": 0, "state": "rendered",
        })
        tmp.replace(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
