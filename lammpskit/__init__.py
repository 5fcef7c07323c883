"""lammpskit: melt-quench LAMMPS workflows with machine-learning interatomic potentials.

The Python API (every CLI command calls one of these)::

    import lammpskit as lk
    run = lk.quench(pot="chgnet", x=1.5, profile="smoke", settings={"quench_rate": 100},
                    min_dist={"Na-Na": 2.0}, out="runs/a")                  # -> lk.QuenchResult
    run.density_g_cm3, run.density_err_g_cm3, run.dump, run.glass_data, run.steps_per_s
    lk.analyze_units(run.dump, frames=slice(-10, None), cutoffs={"P-S": 2.6, "P-O": 2.0})  # P^n, anions, artefacts
    lk.elastic(run.run_dir, method="static")       # C_ij, B, G, E, nu (GPa)
    lk.arrhenius(run.run_dir, [600, 700, 800])     # D(T), Ea (eV)
    lk.run("runs/a")                               # run or resume any run directory
    lk.potentials.get("mp0")                       # a registry entry
    lk.Campaign.load("study.toml")                 # a checked campaign
    lk.audit(["runs/a"], ["mp0", "ft-mp0"], select_n=20)  # force errors / disagreement per structural class
    lk.label_dft("frames.xyz", out="labelled.xyz")    # CP2K PBE-D3(BJ) labels (REF_*), frame_index kept
    lk.converge_dft("frame.xyz", cutoffs=[300, 400, 600, 800])  # CP2K cutoff scan + recommendation

Arguments are Python values (numbers in the units the docstrings give, lists, dicts, slices), not the
command line's text forms; errors name the argument (``lk.UserError: select_n must be >= 1, got 0``), and
``lk.UserError``, ``lk.RunError``, ``lk.ModelError``, ``lk.RunFailed`` and ``lk.Interrupted`` can be caught
apart (``lammpskit.errors``). A long call takes ``progress=``, any ``lk.Progress`` (an object with ``start``,
``stage``, ``advance``, ``finish``); the command line passes its bars.

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
    "QuenchResult": ("lammpskit.run.result_types", "QuenchResult"),
    "ElasticResult": ("lammpskit.run.result_types", "ElasticResult"),
    "ArrheniusResult": ("lammpskit.run.result_types", "ArrheniusResult"),
    "DiffusionResult": ("lammpskit.run.result_types", "DiffusionResult"),
    "AnalysisResult": ("lammpskit.run.result_types", "AnalysisResult"),
    "RunResult": ("lammpskit.run.result_types", "RunResult"),
    "elastic": ("lammpskit.workflows.elastic", "elastic"),
    "arrhenius": ("lammpskit.workflows.diffusion", "arrhenius"),
    "analyze_units": ("lammpskit.workflows.dump_analysis", "units"),
    "UnitsResult": ("lammpskit.run.result_types", "UnitsResult"),
    "AuditResult": ("lammpskit.run.result_types", "AuditResult"),
    "anneal_density": ("lammpskit.workflows.quench", "anneal_density"),
    "DensityResult": ("lammpskit.run.result_types", "DensityResult"),
    "composition": ("lammpskit.structure.composition", "select"),
    "Campaign": ("lammpskit.study.campaign", "Campaign"),
    "finetune_mace": ("lammpskit.finetune.mace", "finetune_mace"),
    "finetune_sevenn": ("lammpskit.finetune.sevennet", "finetune_sevenn"),
    "train_deepmd": ("lammpskit.finetune.deepmd", "train_deepmd"),
    "TrainingResult": ("lammpskit.finetune.results", "TrainingResult"),
    "audit": ("lammpskit.audit.core", "audit"),
    "label_dft": ("lammpskit.study.dft", "label_dft"),
    "converge_dft": ("lammpskit.finetune.cp2k_converge", "converge"),
    "LabelResult": ("lammpskit.finetune.results", "LabelResult"),
    "ConvergenceResult": ("lammpskit.finetune.results", "ConvergenceResult"),
    # what a long call reports to (progress=...): any object with start/stage/advance/finish
    "Progress": ("lammpskit.progress", "Progress"),
    # errors a caller can branch on (lammpskit.errors): lk.UserError and lk.RunError are the bases every layer
    # raises (the analysis has its own pair, which lammpskit.errors extends): 'except lk.UserError' catches bad
    # input from any function above, as the CLI's exit 2 does; 'except lk.RunError' what failed while working
    # (exit 1), of which ModelError, RunFailed and Interrupted are kinds
    "Error": ("lammpskit.errors", "Error"),
    "UserError": ("lammpskit.errors", "InputError"),
    "RunError": ("lammpskit.errors", "ReadError"),
    "ModelError": ("lammpskit.errors", "ModelError"),
    "RunFailed": ("lammpskit.errors", "RunFailed"),
    "Interrupted": ("lammpskit.errors", "Interrupted"),
}
__all__ = ["__version__", "potentials", "run", *_API]


def __getattr__(name: str):
    if name in ("potentials", "run"):  # subpackages; lammpskit.run is callable: lk.run(run_dir)
        return importlib.import_module(f"lammpskit.{name}")
    if name in _API:
        module, attr = _API[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lammpskit' has no attribute {name!r}")
