"""SLURM: site settings, job scripts (Jinja2) and the client commands (sbatch, squeue, scontrol, scancel).

A site profile is a TOML table (``$LAMMPSKIT_HOME/sites/<name>.toml`` or the
``[slurm]`` table of a campaign file): partition, account, time (SLURM time
string), cpus (per task), gpus (per task), gpu_flag ("gpus" or "gres"),
gpu_share (runs per GPU through SLURM's ``shard`` GRES; 1 = a GPU each),
mem (e.g. "16G"), setup (shell lines run first: modules, environments; taken
verbatim from the site file, one line each), lammpskit (the command that runs
the kit on the nodes), lmp (a native LAMMPS binary; empty = the kit's engine),
kokkos (bool), lmp_styles (pair styles of that binary), requeue (bool: ask
SLURM for SIGUSR1 ``signal_s`` seconds before the limit; the run writes a
restart and the job requeues itself; only quench runs of the kit's engine,
see ``requeues``).
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path

from lammpskit._util import layout, reading, resources, templates, validate
from lammpskit._util.tools import run_tool
from lammpskit.errors import UserError, param
from lammpskit.study import stages

STYLE_RE = re.compile(r"^[a-z0-9_/.+-]{1,64}$")
TIME_RE = re.compile(r"^(\d+-)?\d{1,3}(:\d{2}){0,2}$")
MEM_RE = re.compile(r"^\d+[KMGT]?$")
ACTIVE = ("PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED",
          "REQUEUE_HOLD", "REQUEUE_FED", "SIGNALING", "STAGE_OUT", "RESV_DEL_HOLD")
KOKKOS_ARGS = "-k on g {gpus} -sf kk -pk kokkos newton on neigh half"


@dataclass
class Site:
    """Where and how jobs run (see the module docstring)."""

    partition: str = ""
    account: str = ""
    time: str = "04:00:00"
    cpus: int = 1
    gpus: int = 0
    gpu_flag: str = "gpus"
    gpu_share: int = 1
    mem: str = ""
    setup: list[str] = field(default_factory=list)
    lammpskit: str = ""
    lmp: str = ""
    kokkos: bool = False
    lmp_styles: list[str] = field(default_factory=list)
    requeue: bool = False
    signal_s: int = 120

    def check(self, where: str) -> Site:
        """Refuse anything that could break out of a ``#SBATCH`` line or a command."""
        self._check_types(where)
        for key in ("partition", "account"):
            value = getattr(self, key)
            if value and not validate.WORD_RE.fullmatch(value):
                raise UserError(f"{where}: {key} {value!r} is not a SLURM name (letters, digits, _ . : + - only)")
        if not TIME_RE.fullmatch(self.time):
            raise UserError(f"{where}: time {self.time!r} is not a SLURM time (e.g. 04:00:00 or 1-00:00:00)")
        if self.mem and not MEM_RE.fullmatch(self.mem):
            raise UserError(f"{where}: mem {self.mem!r} is not a SLURM memory size (e.g. 16G)")
        validate.integer(self.cpus, f"{where}: cpus", 1, 1024)
        validate.integer(self.gpus, f"{where}: gpus", 0, 64)
        validate.integer(self.gpu_share, f"{where}: gpu_share", 1, 64)
        validate.integer(self.signal_s, f"{where}: signal_s", 10, 86400)
        if self.gpu_flag not in ("gpus", "gres"):
            raise UserError(f"{where}: gpu_flag must be 'gpus' or 'gres', got {self.gpu_flag!r}")
        for key in ("lammpskit", "lmp"):
            if getattr(self, key):
                validate.path(getattr(self, key), f"{where}: {key}")
        for style in self.lmp_styles:
            if not isinstance(style, str) or not STYLE_RE.fullmatch(style):
                raise UserError(f"{where}: lmp_styles entry {style!r} is not a LAMMPS style name")
        for line in self.setup:
            if not isinstance(line, str) or any(c in line for c in "\n\r\0"):
                raise UserError(f"{where}: each setup entry must be one line of shell")
        return self

    def _check_types(self, where: str) -> None:
        """Each key has its type: strings are strings, counts are integers (not 2.0, not true), lists are lists."""
        from lammpskit._util import checks

        for key in ("partition", "account", "time", "gpu_flag", "mem", "lammpskit", "lmp"):
            value = getattr(self, key)  # their content is checked below, key by key
            if not isinstance(value, str):
                raise UserError(f"{where}: [slurm] {key} must be a string, got {type(value).__name__} {value!r}")
        for key in ("cpus", "gpus", "gpu_share", "signal_s"):
            checks.count(getattr(self, key), f"{where}: [slurm] {key}")
        for key in ("kokkos", "requeue"):
            checks.boolean(getattr(self, key), f"{where}: [slurm] {key}")
        checks.str_list(self.setup, f"{where}: [slurm] setup (a list of shell lines)", _shell_line)
        checks.str_list(self.lmp_styles, f"{where}: [slurm] lmp_styles")

    def gpu_lines(self) -> list[str]:
        """``#SBATCH`` GPU requests: whole GPUs, or a shard of one when several runs share it."""
        if not self.gpus:
            return []
        if self.gpu_share > 1:
            return [f"--gres=shard:{self.gpus}"]
        return [f"--gres=gpu:{self.gpus}"] if self.gpu_flag == "gres" else [f"--gpus={self.gpus}"]

    def kit_command(self) -> str:
        """How job scripts call the kit: the site's command or this installation's console script."""
        if self.lammpskit:
            return self.lammpskit
        exe = Path(sys.executable).with_name("lammpskit")
        return str(validate.path(exe if exe.exists() else shutil.which("lammpskit") or "lammpskit",
                                 "lammpskit executable"))

    def build(self):
        """The LAMMPS build the jobs will run: the kit's module, the ``lmp`` binary (if this host sees it),
        or the pair styles the site lists."""
        from lammpskit.potentials import builds

        if not self.lmp:
            return builds.module()
        if Path(self.lmp).is_file():  # the job scripts use -k on ... exactly when the site says kokkos
            return dataclasses.replace(builds.binary(self.lmp), kokkos=self.kokkos)
        return builds.declared(self.lmp_styles, self.kokkos, f"site LAMMPS {self.lmp}")


def _shell_line(value, where: str) -> str:
    if not isinstance(value, str) or any(c in value for c in "\n\r\0"):
        raise UserError(f"{where}: each setup entry must be one line of shell, got {value!r}")
    return value


def load_site(table: dict, where: str) -> Site:
    """A Site from a ``[slurm]`` table; ``site = "NAME"`` pulls defaults from the user's site file."""
    table = dict(table)
    base: dict = {}
    if "site" in table:
        name = validate.name(table.pop("site"), f"{where}: site")
        path = resources.user_dir() / "sites" / f"{name}.toml"
        if not path.is_file():
            raise UserError(f"{where}: site profile {path} not found")
        try:
            base = reading.read_toml(path, "site profile")
        except UserError as exc:
            raise UserError(f"{where}: {exc}") from None
    merged = {**base, **table}
    known = {f.name for f in fields(Site)}
    unknown = sorted(set(merged) - known)
    if unknown:
        raise UserError(f"{where}: unknown [slurm] keys {unknown} (allowed: {sorted(known)})")
    try:
        site = Site(**merged)
    except TypeError as exc:
        raise UserError(f"{where}: {exc}") from None
    return site.check(where)


def requeues(stage: str, site: Site, native: bool) -> bool:
    """Whether a stage's job requeues itself before its time limit: only a quench run by the kit's engine
    resumes from its restart; a native ``lmp`` or an elastic run would start again, every time."""
    return site.requeue and stage == "quench" and not (native and site.lmp)


def render_script(path: Path, site: Site, job_name: str, log_dir: Path, cases: list[Path], command: str,
                  requeue: bool = False) -> Path:
    """Write an array job script: task ``i`` runs ``command`` with ``$CASE`` = ``cases[i]``; ``requeue``:
    on SLURM's USR1 ``site.signal_s`` s before the limit, stop the run (TERM) and requeue the job."""
    for c in cases:
        validate.path(c, "case directory")
    text = templates.render("slurm/job.sh.j2",
        site=site, job_name=job_name, log_dir=str(validate.path(log_dir, "log folder")),
        cases=[shlex.quote(str(c)) for c in cases], command=command, requeue=requeue)
    path.write_text(text)
    path.chmod(0o755)
    return path


def submit_one(site: Site, job_name: str, argv: list[str], folder: Path) -> str:
    """Write ``folder/job.sh`` running ``argv`` (each word shell-quoted) and sbatch it; returns the job id."""
    folder.mkdir(parents=True, exist_ok=True)
    if not validate.WORD_RE.fullmatch(job_name):
        raise UserError(f"job name {job_name!r} is not a SLURM name")
    script = folder / "job.sh"
    script.write_text(templates.render("slurm/single.sh.j2",
        site=site, job_name=job_name, log=f"{validate.path(folder, 'job folder')}/slurm-%j.out",
        command=shlex.join(argv)))
    script.chmod(0o755)
    return _client(["sbatch", "--parsable", str(script)], f"sbatch {script.name}", folder).strip().split(";")[0]


def submit_kit_command(site_file: Path, words: list[str], options: dict, folder: Path,
                       args: list[str] | None = None) -> dict:
    """Submit ``lammpskit WORDS ARGS --KEY VALUE ... --out FOLDER --json`` (options and positional ``args``
    checked by the caller; files made absolute; None left out) as one SLURM job with the settings of
    ``site_file``: job id, script, log."""
    site = load_site_file(site_file)
    argv = [site.kit_command(), *words, *(args or [])]
    for key, value in options.items():
        if value is None:
            continue
        if isinstance(value, Path) or (key == "foundation" and Path(value).exists()):  # files: absolute, safe
            value = validate.path(Path(value).resolve(), param(key))
        argv += [f"--{key}", str(value)]
    folder = Path(folder).resolve()
    argv += ["--out", str(folder), "--json"]
    job = submit_one(site, f"lk-{'-'.join(words)}", argv, folder)
    return {"job": job, "script": str(folder / "job.sh"), "log": str(folder / f"slurm-{job}.out")}


def load_site_file(path: Path) -> Site:
    """A Site from a TOML file holding the ``[slurm]`` keys (at the top level or in a [slurm] table)."""
    path = validate.path(path, param("slurm"))
    table = reading.read_toml(path, "site file")
    inner = table.get("slurm", table)
    if not isinstance(inner, dict):
        raise UserError(f"{path}: [slurm] must be a table")
    return load_site(inner, str(path))


def stage_command(stage: str, site: Site, native: bool, elastic: dict) -> str:
    """The shell command one array task runs in ``$CASE`` for ``stage``."""
    if stage == "quench" and native and site.lmp:
        kk = " " + KOKKOS_ARGS.format(gpus=max(site.gpus, 1)) if site.kokkos else ""
        # lmp runs the deck directly: the kit checks it first, as 'lammpskit run' would
        kit = shlex.quote(site.kit_command())
        return (f'{kit} run "$CASE" --verify-only && (cd "$CASE" && srun {shlex.quote(site.lmp)}{kk} -in {layout.QUENCH_DECK}) '
                f'&& {kit} run "$CASE" --record-only > /dev/null')
    args = stages.kit_args(stage, CASE, elastic, site.cpus, "cuda" if site.gpus else "cpu")
    line = " ".join('"$CASE"' if a == CASE else shlex.quote(a) for a in [site.kit_command(), *args])
    return line if stage == "quench" else f"{line} > /dev/null"


CASE = "\0case"  # stands for "$CASE" in kit_args


# -- client commands ----------------------------------------------------------------------

def _client(args: list[str], what: str, cwd: Path | None = None) -> str:
    exe = shutil.which(args[0])
    if exe is None:
        raise UserError(f"{args[0]} not found: run on a SLURM login node (or install slurm-client)")
    return run_tool([exe, *args[1:]], what, cwd=cwd, timeout=None, tail=20).stdout


def sbatch(script: Path, array: list[int], dependency: str | None, cwd: Path) -> str:
    """Submit ``script`` as an array over ``array`` task ids; returns the array job id."""
    args = ["sbatch", "--parsable", f"--array={','.join(map(str, array))}"]
    if dependency:
        args.append(f"--dependency={dependency}")
    out = _client([*args, str(script)], f"sbatch {script.name}", cwd)
    return out.strip().split(";")[0]


def jobs(names: list[str]) -> dict[str, dict]:
    """SLURM's records of the jobs with these names, by task id ``ARRAY_TASK`` (all states it still holds).

    An array whose tasks never started (e.g. cancelled while pending) has one record, kept
    under its array id as well.
    """
    if not names:
        return {}
    fmt = "%i|%A|%K|%j|%T|%r|%S|%e"
    out = _client(["squeue", "-h", "-t", "all", "--array", "-n", ",".join(names), "-o", fmt], "squeue")
    rows = {}
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) != 8:
            continue
        jid, array_id, task, name, state, reason, start, end = parts
        rec = {"name": name, "state": state, "reason": reason, "start": start, "end": end}
        tasks = _task_ids(task)
        for t in tasks:
            rows[f"{array_id}_{t}"] = {"job": f"{array_id}_{t}", **rec}
        if not tasks:
            rows[array_id] = {"job": array_id, **rec}
    return rows


def _task_ids(text: str) -> list[int]:
    """``3`` / ``[0-3,7]`` / ``0-3%2`` -> task ids; ``N/A`` -> []."""
    text = text.strip("[]").split("%")[0]
    ids = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        if lo.isdigit() and (not hi or hi.isdigit()):
            ids += range(int(lo), int(hi or lo) + 1)
    return ids


def job_record(job: str) -> dict:
    """``scontrol show job`` of one job as a dict (empty if SLURM no longer knows it)."""
    exe = shutil.which("scontrol")
    if exe is None:
        return {}
    out = subprocess.run([exe, "show", "job", "-o", job], capture_output=True, text=True)
    if out.returncode != 0:
        return {}
    rec = {}
    for token in out.stdout.split():
        key, sep, value = token.partition("=")
        if sep:
            rec[key] = value
    return rec


def cancel(job_ids: list[str]) -> None:
    if job_ids:
        _client(["scancel", *job_ids], "scancel")
