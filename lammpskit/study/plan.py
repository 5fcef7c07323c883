"""Planning a campaign: every case's run directory and the stages' SLURM job scripts, rendered once."""

from __future__ import annotations

import contextlib
import fcntl

from lammpskit._util import limits
from lammpskit.errors import UserError
from lammpskit.run import manifest
from lammpskit.study import record, slurm, sweep
from lammpskit.study.campaign import Campaign, Case


@contextlib.contextmanager
def locked(c: Campaign):
    """One submitting process per campaign at a time."""
    c.root.mkdir(parents=True, exist_ok=True)
    with open(c.root / ".campaign.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(f"another lammpskit process is submitting campaign {c.name!r}; wait for it") from None
        yield


def plan(c: Campaign) -> list[Case]:
    """Render every case directory that does not exist yet, and the job scripts; returns the new cases."""
    from lammpskit.potentials import registry as potentials
    from lammpskit.structure import composition
    from lammpskit.workflows import protocol, quench

    pots = {name: potentials.get(name) for name in {case.pot for case in c.cases}}
    build = c.site.build()
    todo = []  # every new case's protocol and composition checked before the first is written
    for case in c.cases:
        if (case.dir / manifest.MANIFEST).exists():
            continue
        params = c.params(case)
        size = sweep.size(case.sweep, c.size)
        comp = composition.make(x=case.x, fu=size.get("fu"), atoms=size.get("atoms", params.atoms if
                                not size else None))
        limits.run(comp.natoms, params, protocol.stages(params))
        todo.append((case, params, comp))
    new = []
    for case, params, comp in todo:
        quench.render(case.dir, comp, pots[case.pot], params, c.profile, case.seed, comp.density_estimate(), c.mode,
                      d3=c.d3, build=build)
        new.append(case)
    logs = c.root / "logs"
    logs.mkdir(exist_ok=True)
    (c.root / "jobs").mkdir(exist_ok=True)
    for stage in c.stages:
        for native in ((False, True) if stage == "quench" else (False,)):
            cmd = slurm.stage_command(stage, c.site, native, c.elastic)
            slurm.render_script(c.root / "jobs" / f"{stage}{'-native' if native else ''}.sh", c.site,
                                c.job_name(stage), logs, [k.dir for k in c.cases], cmd,
                                requeue=slurm.requeues(stage, c.site, native))
    record.save(c, {"event": "plan", "new_cases": [k.index for k in new]})
    return new
