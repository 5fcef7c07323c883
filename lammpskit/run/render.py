"""Rendering helpers every workflow shares: the potential block, staging, the manifest head, data-file starts.

Everything is written into a hidden temporary folder beside the target and
renamed into place at the end, so a failed render leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import shutil
import tempfile
from pathlib import Path

from lammpskit import __version__
from lammpskit._util import layout, outputs
from lammpskit._util.templates import env
from lammpskit.errors import UserError, param
from lammpskit.potentials import registry as potentials
from lammpskit.run import integrity, manifest


def choose_mode(pot: potentials.Potential, mode: str, build=None, d3: bool = False) -> tuple[str, object | None]:
    """(``native`` | ``bridge``, native variant): native if asked for or possible, else the bridge.

    ``build`` is the LAMMPS build that will run the deck (default: the kit's LAMMPS module);
    ``d3``: the deck overlays ``dispersion/d3``, which that build must have, with parameters for the entry's
    damping and functional.
    """
    from lammpskit.potentials import builds

    build = build or builds.module()
    if d3:
        builds.require_d3(build, pot.d3_params())
    return builds.choose(pot, mode, build)


def potential_ctx(pot: potentials.Potential, mode: str, variant, d3: bool,
                  elements: list[str]) -> tuple[dict, dict]:
    """Template values for potential/<mode>.lmp.j2 and the files this way of running needs (key -> path)."""
    from lammpskit.potentials import builds

    keys = pot.native_keys(variant) if variant else pot.bridge_keys()
    files = pot.resolve_files(keys)
    if d3 and not (pot.d3 or (variant and variant.d3)):
        raise UserError(f"potential {pot.name!r} has no [d3] settings: D3 is only offered where the entry says "
                        "which functional it was trained on")
    plugin = builds.plugin_path(variant.plugin) if variant else None
    ctx = dict(pot=pot, mode=mode, variant=variant, elements=elements, d3=pot.d3_params() if d3 else None,
               plugin=str(plugin) if plugin else None, files={k: str(v) for k, v in files.items()})
    return ctx, files


def potential_text(pctx: dict) -> str:
    """The potential block (``potential.lmp``) for a context made by ``potential_ctx``."""
    return env().get_template(f"potential/{pctx['mode']}.lmp.j2").render(**pctx)


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


def new_manifest(protocol_name: str, deck: str, pot: potentials.Potential, mode: str, files: dict,
                 variant=None, d3: dict | None = None, extra: dict | None = None, **fields) -> manifest.Manifest:
    """The ``Manifest`` of a freshly rendered run: kit version and time (``extra``, with any other keys
    given there), deck, potential with file sha256, and the ``Manifest`` fields given (params, stages, ...)."""
    record = manifest.PotentialRecord(
        name=pot.name, mode=mode, variant=variant.id if variant else None, kokkos=bool(variant and variant.kokkos),
        d3=d3, licence=pot.licence, source=str(pot.source),
        files={k: manifest.FileRecord(path=str(v), sha256=potentials.sha256(v)) for k, v in files.items()})
    head = {"kit_version": __version__, "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    return manifest.Manifest(deck=deck, protocol=protocol_name, state="rendered", potential=record,
                             extra={**head, **(extra or {})}, **fields)


def render_from_data(out: Path, data: Path, pot: potentials.Potential, mode: str, protocol_name: str,
                     template: str, ctx: dict, fields: dict, d3: bool = False) -> Path:
    """A run directory that starts from an existing data file (elastic, diffusion).

    Writes ``data.lmp`` (a copy), ``potential.lmp``, ``in.<protocol>.lmp`` from ``template``
    rendered with ``ctx`` (plus pot, mode, elements, files, version, source) and run.json
    (``new_manifest`` with the ``Manifest`` fields in ``fields``: params, total_steps). ``out`` must not exist.
    """
    from lammpskit.structure.builder import read_data_elements

    out = Path(out)
    if out.exists():
        raise UserError(f"{out} exists: choose another {param('out')} or remove it")
    outputs.out_dir(out, param("out"))
    elements = read_data_elements(data)
    pot.supports(elements)
    mode, variant = choose_mode(pot, mode, d3=d3)
    pctx, files = potential_ctx(pot, mode, variant, d3, elements)
    deck = f"in.{protocol_name}.lmp"
    with staging(out) as tmp:
        tmpl = env()
        full = dict(version=__version__, source=str(data), **pctx, **ctx)
        shutil.copyfile(data, tmp / layout.START_DATA)
        (tmp / layout.POTENTIAL).write_text(potential_text(pctx))
        (tmp / deck).write_text(tmpl.get_template(template).render(**full))
        manifest.save(tmp, new_manifest(protocol_name, deck, pot, mode, files, variant, pctx["d3"],
                                         source=str(data), elements=elements, **fields))
        integrity.record(tmp)
    return out
