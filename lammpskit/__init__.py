"""lammpskit: melt-quench LAMMPS workflows with machine-learning interatomic potentials.

The Python API (every CLI command calls one of these)::

    import lammpskit as lk
    run = lk.quench(pot="chgnet", x=1.5, profile="smoke", out="runs/a")   # -> lk.QuenchResult
    run.density_g_cm3, run.density_err_g_cm3, run.dump, run.glass_data, run.steps_per_s
    lk.analyze_units(run.dump)                     # P^n, anion classes, artefacts (the --json contract)
    lk.elastic(run.run_dir, method="static")       # C_ij, B, G, E, nu (GPa)
    lk.arrhenius(run.run_dir, [600, 700, 800])     # D(T), Ea (eV)
    lk.potentials.get("mp0")                       # a registry entry
    lk.Campaign.load("study.toml")                 # a checked campaign
    lk.audit(["runs/a"], ["mp0", "ft-mp0"])           # force errors / disagreement per structural class
    lk.label_dft("frames.xyz", out="labelled.xyz")    # CP2K PBE-D3(BJ) labels (REF_*), frame_index kept
    lk.converge_dft("frame.xyz", cutoffs=[300, 400, 600, 800])  # CP2K cutoff scan + recommendation

Light on import: names load on first use, and heavy packages (torch, lammps,
ovito) only inside the functions that need them, so ``lammpskit --help``
stays fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> (module, attribute)
_API = {
    "quench": ("lammpskit.workflows.quench", "quench"),
    "render_quench": ("lammpskit.workflows.quench", "render_run"),
    "QuenchResult": ("lammpskit.workflows.quench", "QuenchResult"),
    "run": ("lammpskit.workflows", "run"),
    "elastic": ("lammpskit.workflows.elastic", "elastic"),
    "arrhenius": ("lammpskit.workflows.diffusion", "arrhenius"),
    "analyze_units": ("lammpskit.analysis.units", "analyze_file"),
    "anneal_density": ("lammpskit.workflows.quench", "anneal_density"),
    "composition": ("lammpskit.structure.composition", "select"),
    "Campaign": ("lammpskit.study.campaign", "Campaign"),
    "finetune_mace": ("lammpskit.finetune.mace", "finetune_mace"),
    "finetune_sevenn": ("lammpskit.finetune.sevennet", "finetune_sevenn"),
    "train_deepmd": ("lammpskit.finetune.deepmd", "train_deepmd"),
    "audit": ("lammpskit.finetune.audit", "audit"),
    "label_dft": ("lammpskit.study.dft", "label_dft"),
    "converge_dft": ("lammpskit.finetune.cp2k_converge", "converge"),
    # the API's two errors are the bases every layer raises (the analysis has its own pair, lammpskit.errors
    # extends them): 'except lk.UserError' catches bad input from any function above, as the CLI's exit 2 does
    "UserError": ("lammpskit.errors", "InputError"),
    "RunError": ("lammpskit.errors", "ReadError"),
}
__all__ = ["__version__", "potentials", *_API]


def __getattr__(name: str):
    if name == "potentials":
        return importlib.import_module("lammpskit.potentials")
    if name in _API:
        module, attr = _API[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lammpskit' has no attribute {name!r}")
