"""Model deviation of a DeePMD ensemble over a trajectory, in LAMMPS (``pair_style deepmd m1 m2 ...``).

The dump (the kit's: ``id element x y z``, sorted by id) is replayed with ``rerun``; deepmd-kit
writes ``model_devi.out`` (step, max/min/avg deviation of the virial and of the forces, eV/Å);
frames whose ``max_devi_f`` exceeds the threshold are the ones worth labelling next.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lammpskit.errors import UserError, param


def run(dump: Path, models: list[Path], threshold: float, out: Path) -> dict:
    """Deviation per frame; writes the flagged frames to ``out`` (extxyz) and ``model_devi.out`` beside it."""
    from lammpskit.finetune import frames as finetune

    if not dump.is_file():
        raise UserError(f"{dump} is not a dump file")
    check_models(models)
    from lammpskit._util import outputs

    outputs.out_file(Path(out), param("out"))
    frames = finetune.dump_frames(dump)
    if not frames:
        raise UserError(f"{dump} has no frames")
    elements = sorted(set(frames[0].get_chemical_symbols()), key=frames[0].get_chemical_symbols().index)
    work = Path(out).parent
    data = work / "deviation.data"
    devi = work / "model_devi.out"
    fresh = [f for f in (data, devi, Path(out)) if not f.exists()]
    try:
        return _run(dump, models, threshold, Path(out), frames, elements, data, devi)
    except BaseException:
        for f in fresh:  # no half-written output
            f.unlink(missing_ok=True)
        raise


def check_models(models: list[Path]) -> None:
    """Refuse model files that are not DeePMD archives or whose sha256 is neither registered nor pinned:
    LAMMPS's deepmd pair style loads them, and a TorchScript archive runs code."""
    from lammpskit.potentials import modelfiles
    from lammpskit.potentials import registry as potentials

    known = {d for entry in potentials.pins().values() if isinstance(entry, dict) for d in entry.values()}
    known |= {s.sha256 for p in potentials.registry().values() for s in p.files if s.sha256}
    for m in models:
        m = Path(m)
        if not m.is_file():
            raise UserError(f"{param('models')} {m}: no such file")
        modelfiles.check(m, "deepmd", param("models"))
        if potentials.sha256(m) not in known:
            raise UserError(f"{param('models')} {m} is not a registered or pinned model (its sha256 is in no registry entry "
                            "and not in pins.json): register it with 'lammpskit potentials add NAME --model FILE' "
                            "(models trained by 'finetune deepmd' are pinned)")


def _run(dump, models, threshold, out, frames, elements, data, devi) -> dict:
    from lammpskit.lammps import env as lammps_env
    from lammpskit.potentials import builds
    from lammpskit.structure import builder
    from lammpskit.structure import frames as xyz

    builder.write_data(data, builder.from_atoms(frames[0], elements), "first frame of the replayed dump")
    plugin = builds.plugin_path(builds.DEEPMD_PLUGIN)
    if not plugin.exists():
        raise UserError(f"the DeePMD LAMMPS plugin {plugin} is missing: pip install deepmd-kit (make mlips)")
    with lammps_env.stdout_to_stderr():  # deepmd-kit prints its banners to C stdout
        lmp = lammps_env.new_lammps()
        try:
            lmp.commands_string(f"""
                units metal
                atom_style atomic
                atom_modify map array
                read_data {data}
                plugin load {plugin}
                pair_style deepmd {' '.join(map(str, models))} out_freq 1 out_file {devi}
                pair_coeff * * {' '.join(elements)}
                rerun {dump} dump x y z box yes
            """)
        except Exception as exc:  # LAMMPS errors are plain exceptions
            raise UserError(f"LAMMPS could not replay {dump} with the ensemble: {str(exc).strip()}") from None
        finally:
            lmp.close()
    rows = np.loadtxt(devi, ndmin=2)
    header = devi.read_text().splitlines()[0].lstrip("#").split()
    f_dev = rows[:, header.index("max_devi_f")]
    flagged = [frames[k] for k in range(min(len(frames), len(f_dev))) if f_dev[k] > threshold]
    for at, d in zip(flagged, f_dev[f_dev > threshold]):
        at.info["max_devi_f"] = float(d)
    xyz.write(out, flagged)
    return {"frames": len(f_dev), "flagged": len(flagged), "threshold": threshold, "model_devi": str(devi),
            "max_devi_f": [round(float(x), 5) for x in f_dev], "out": str(out)}

