"""Campaigns: compositions x potentials x replicas, each case a run directory, stages run by SLURM.

A campaign file (TOML)::

    name = "mos"                 # job names lk-<name>-<stage>
    root = "runs/mos"            # case folders (default: <file folder>/<name>)
    x = [0, 1.5]                 # O per formula unit in Na4P2S7-xOx
    potentials = ["chgnet", "mp0"]
    seeds = [1, 2]               # one replica per seed
    profile = "smoke"            # protocol profile; 'set' overrides its values
    atoms = 104                  # or fu = 8
    set = ["t_anneal=10"]
    stages = ["quench", "elastic", "analysis"]   # run in this order, each after the last succeeded
    reference_set = "dft/valid.xyz"   # labelled frames: the report audits every potential on them
    [sweep]                      # optional axes, see lammpskit.study.sweep
    quench_rate = [100, 30, 10]  # K/ps; any numeric protocol parameter, or the size (atoms or fu)
    [elastic]
    method = "static"            # or dynamic (steps, equil); static: ftol (eV/Å), maxiter
    strain = 0.005
    [slurm]                      # see lammpskit.study.slurm: partition, account, time, cpus, gpus, setup, ...

Case ``i`` lives in ``<root>/<potential>/x<x>/s<seed>`` (with a sweep
``<root>/<potential>/x<x>/<point>/s<seed>``, e.g. ``quench_rate10-atoms520``) and is task ``i`` of every
array job; cases run potential by potential, then x, sweep point and seed.
Job ids are recorded in each case's run.json (``slurm``: stage -> list
of job ids, newest last) and in ``<root>/campaign.json``. What is done is read from
result files; what is queued from SLURM; so status is right whoever asks.

This module holds the file and its cases; the rest of a campaign's life is in ``study.plan`` (rendering),
``study.record`` (campaign.json), ``study.status`` (where each case stands) and ``study.submit``
(SLURM submission and cancellation); ``study.local`` runs one here.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from lammpskit._util import limits, reading, validate
from lammpskit.errors import UserError
from lammpskit.run import manifest
from lammpskit.study import slurm, sweep
from lammpskit.study.stages import STAGES, result_dir

KEYS = {"name", "root", "x", "potentials", "seeds", "profile", "atoms", "fu", "set", "stages", "mode", "d3",
        "elastic", "slurm", "sweep", "reference_set"}


@dataclass
class Case:
    """One composition x potential x seed; its run directory is ``dir``."""

    index: int
    pot: str
    x: float
    seed: int
    dir: Path
    sweep: dict = field(default_factory=dict)  # swept key -> value (empty without [sweep])
    point: int = 0                              # index of the sweep point, in the campaign's order

    @property
    def label(self) -> str:
        return " ".join(filter(None, (f"{self.pot} x={self.x:g}", sweep.label(self.sweep), f"s{self.seed}")))


@dataclass
class Campaign:
    """A loaded, validated campaign file (``lk.Campaign.load(path)``; the file's format is in this module's
    docstring).

    Attributes:
        name (str): the campaign's name (job names ``lk-<name>-<stage>``).
        file (Path): the campaign file.
        root (Path): the folder of its case run directories.
        cases (list[Case]): composition x potential x (sweep point) x seed, each with its run directory.
        stages (list[str]): ``quench``, then any of ``elastic``, ``analysis``, in order.
        profile (str): the protocol profile; ``overrides`` (``["KEY=VALUE", ...]``, the file's ``set``) on top.
        size (dict): ``atoms`` or ``fu`` of every case.
        mode (str): ``auto`` | ``native`` | ``bridge``; d3 (bool): Grimme D3(BJ) dispersion.
        elastic (dict): the ``[elastic]`` settings (method, strain, steps, equil, ftol eV/Å, maxiter).
        site (slurm.Site): the ``[slurm]`` settings.
        axes (dict): ``[sweep]`` axes, key -> values.
        reference_set (Path | None): labelled extxyz the report audits the potentials on.
    """

    name: str
    file: Path
    root: Path
    cases: list[Case]
    stages: list[str]
    profile: str
    size: dict
    overrides: list[str]
    mode: str
    d3: bool
    elastic: dict
    site: slurm.Site
    spec: dict = field(default_factory=dict)
    axes: dict = field(default_factory=dict)  # [sweep]: key -> values in the file's order
    reference_set: Path | None = None  # labelled extxyz the report audits the potentials on

    def params(self, case: Case):
        """The protocol parameters of ``case``: the profile, then ``set``, then its sweep point (checked)."""
        from lammpskit.workflows import protocol

        return protocol.profile(self.profile).with_overrides(self.overrides + sweep.overrides(case.sweep))

    @property
    def tag(self) -> str:
        """Job-name prefix, unique per campaign root."""
        return f"lk-{self.name}-{hashlib.sha256(str(self.root).encode()).hexdigest()[:6]}"

    @classmethod
    def load(cls, path: str | Path) -> Campaign:
        """Read and check the campaign file ``path`` (TOML); nothing is written."""
        return load(path)

    def job_name(self, stage: str) -> str:
        """The SLURM job name of ``stage``: ``lk-<name>-<hash>-<stage>`` (the campaign's tag)."""
        return f"{self.tag}-{stage}"

    def result_file(self, case: Case, stage: str) -> Path:
        """The file whose presence means ``stage`` of ``case`` is done."""
        return case.dir / result_dir(stage, self.elastic) / manifest.RESULT


def load(path: str | Path) -> Campaign:
    """Read and check a campaign file; nothing is written."""
    path = validate.path(path, "campaign file")
    spec = reading.read_toml(path, "campaign file")
    where = str(path)
    unknown = sorted(set(spec) - KEYS)
    if unknown:
        raise UserError(f"{where}: unknown keys {unknown} (allowed: {sorted(KEYS)})")
    for key in ("name", "x", "potentials", "seeds"):
        if key not in spec:
            raise UserError(f"{where}: missing '{key}'")
    name = validate.name(spec["name"], f"{where}: name")
    root = validate.path(spec.get("root", str(path.parent / name)), f"{where}: root")
    if not root.is_absolute():
        root = validate.path((path.parent / root).resolve(), f"{where}: root")
    if root.is_symlink() and not root.exists():
        raise UserError(f"{where}: root {root} is a link to nothing ({os.readlink(root)})")
    if root.exists() and not root.is_dir():
        raise UserError(f"{where}: root {root} is a file, not a folder")
    xs = [validate.number(x, f"{where}: x", 0, 7) for x in _list(spec["x"], "x", where)]
    pots = [validate.name(p, f"{where}: potential") for p in _list(spec["potentials"], "potentials", where)]
    seeds = [validate.integer(s, f"{where}: seed", 0, 2**31 - 1) for s in _list(spec["seeds"], "seeds", where)]
    for key, values in (("x", xs), ("potentials", pots), ("seeds", seeds)):
        if len(set(values)) != len(values):
            raise UserError(f"{where}: '{key}' lists a value twice")
    stages = _list(spec.get("stages", list(STAGES)), "stages", where)
    if not stages or stages != [s for s in STAGES if s in stages] or stages[0] != "quench":
        raise UserError(f"{where}: stages must start with quench and keep the order {', '.join(STAGES)}")
    size = {}
    for key in ("atoms", "fu"):
        if key in spec:
            size[key] = validate.integer(spec[key], f"{where}: {key}", 1, 10**8)
    if len(size) > 1:
        raise UserError(f"{where}: give atoms or fu, not both")
    overrides = _list(spec.get("set", []), "set", where)
    for item in overrides:
        if not isinstance(item, str) or not re.fullmatch(r"[A-Za-z_]+=[A-Za-z0-9_.+-]+", item):
            raise UserError(f"{where}: set entry {item!r} must look like KEY=VALUE")
    mode = spec.get("mode", "auto")
    from lammpskit.potentials.builds import MODES

    validate.choice(mode, MODES, f"{where}: mode")
    from lammpskit.workflows.elastic import ElasticParams

    defaults = ElasticParams().settings()
    elastic = {**defaults, **_table(spec.get("elastic", {}), "elastic", where)}
    if set(elastic) - set(defaults):
        raise UserError(f"{where}: unknown [elastic] keys {sorted(set(elastic) - set(defaults))}")
    elastic = ElasticParams.from_settings(elastic, lambda key: f"{where}: [elastic] {key}").settings()
    site = slurm.load_site(_table(spec.get("slurm", {}), "slurm", where), where)
    profile = validate.name(spec.get("profile", "smoke"), f"{where}: profile")
    axes, points = sweep.load(spec.get("sweep"), where, profile, overrides, size)
    if "quench_rate" in axes and not any(o.startswith("quench_ensemble=") for o in overrides):
        # a rate sweep is there for Tg(rate), which needs the volume of an NPT quench; a 'set' says otherwise
        overrides = [*overrides, "quench_ensemble=npt"]
    limits.cases(len(pots) * len(xs) * len(points) * len(seeds), where)
    cases = [Case(i, p, x, s, validate.path(root / p / f"x{x:g}" / sweep.tag(points[k]) / f"s{s}", "case directory"),
                  points[k], k)
             for i, (p, x, k, s) in enumerate((p, x, k, s) for p in pots for x in xs for k in range(len(points))
                                              for s in seeds)]
    d3 = spec.get("d3", False)
    if not isinstance(d3, bool):
        raise UserError(f"{where}: d3 must be true or false")
    reference_set = spec.get("reference_set")
    if reference_set is not None:
        if not isinstance(reference_set, str):
            raise UserError(f"{where}: reference_set must be a file name (labelled extxyz)")
        reference_set = validate.path(reference_set, f"{where}: reference_set")
        if not reference_set.is_absolute():
            reference_set = validate.path((path.parent / reference_set).resolve(), f"{where}: reference_set")
    return Campaign(name, path, root, cases, stages, profile, size, overrides, mode, d3, elastic, site, spec, axes,
                    reference_set)


def _list(value, key: str, where: str) -> list:
    if not isinstance(value, list):
        raise UserError(f"{where}: '{key}' must be a list")
    return value


def _table(value, key: str, where: str) -> dict:
    if not isinstance(value, dict):
        raise UserError(f"{where}: [{key}] must be a table")
    return value
