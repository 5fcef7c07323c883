"""The stages of a campaign case, one table for every executor (SLURM and this machine).

Each stage is one kit command on the case's run directory, and is done when its
``result.json`` exists: quench (``lammpskit run``: the case folder), elastic
(``lammpskit elastic``: ``elastic-<method>/``), analysis (``lammpskit analyze run``:
``analysis/``). They run in this order, each after the last succeeded.
"""

from __future__ import annotations

from lammpskit._util import layout

STAGES = ("quench", "elastic", "analysis")


def result_dir(stage: str, elastic: dict) -> str:
    """The folder, relative to the case, whose ``result.json`` means ``stage`` is done."""
    return {"quench": ".", "elastic": layout.elastic_dir(elastic["method"]), "analysis": layout.ANALYSIS_DIR}[stage]


def kit_args(stage: str, case: str, elastic: dict, threads: int, device: str = "cpu") -> list[str]:
    """The arguments after ``lammpskit`` that run ``stage`` on the case folder ``case``.

    ``elastic``: the campaign's [elastic] settings; ``threads``: CPU threads of the run;
    ``device``: cpu or cuda (bridged models).
    """
    if stage == "quench":
        return ["run", case, "--threads", str(threads), *(["--device", "cuda"] if device == "cuda" else [])]
    if stage == "elastic":
        opts = ["--method", elastic["method"], "--strain", f"{elastic['strain']:g}"]
        if elastic["method"] == "dynamic":
            opts += ["--steps", str(elastic["steps"]), "--equil", str(elastic["equil"])]
        else:
            opts += ["--ftol", f"{elastic['ftol']:g}", "--maxiter", str(elastic["maxiter"])]
        return ["elastic", case, *opts, "--json"]
    if stage == "analysis":
        return ["analyze", "run", case, "--json"]
    raise ValueError(stage)
