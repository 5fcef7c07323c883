"""A real single-node SLURM cluster (slurmctld + slurmd + munged) in a temp folder.

Needs root and the Debian packages ``slurm-wlm munge`` (``.ci/run`` installs
them). The settings that work on a container without systemd or cgroups are
listed in DEVELOPERS.md. Start it from a shell for manual tests::

    python tests/slurm_cluster.py /tmp/lkslurm     # prints 'export SLURM_CONF=...'; Ctrl-C stops it
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")


def available() -> str | None:
    """None if a cluster can be started here, else why not."""
    if os.geteuid() != 0:
        return "the test SLURM cluster runs its daemons as root"
    missing = [d for d in DAEMONS + ("sbatch",) if not shutil.which(d, path=os.environ.get("PATH", "") + ":/usr/sbin")]
    return f"missing {', '.join(missing)}: apt-get install slurm-wlm munge" if missing else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """``with Cluster(folder) as c:`` exports SLURM_CONF for clients; daemons stop by PID on exit."""

    def __init__(self, root: Path, cpus: int = 2, node: str = "lknode"):
        self.root, self.cpus, self.node = Path(root), cpus, node
        self.conf = self.root / "slurm.conf"
        self.jobcomp = self.root / "jobcomp.txt"
        self.procs: list[subprocess.Popen] = []

    def _write(self) -> None:
        r = self.root
        for sub in ("state", "spool", "log", "munge"):
            (r / sub).mkdir(parents=True, exist_ok=True)
        (r / "munge").chmod(0o711)  # munged wants the socket folder searchable
        key = r / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        self.munge_socket = r / "munge" / "munge.socket"
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
        self.conf.write_text(f"""\
ClusterName=lammpskit-test
SlurmctldHost={socket.gethostname().split(".")[0]}(127.0.0.1)
MailProg=/bin/true
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket}
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldLogFile={r}/log/slurmctld.log
SlurmdLogFile={r}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={self.jobcomp}
SchedulerParameters=batch_sched_delay=0
DependencyParameters=kill_invalid_depend
SlurmdParameters=config_overrides
MinJobAge=600
KillWait=5
InactiveLimit=0
NodeName={self.node} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={mem} State=UNKNOWN
PartitionName=debug Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
""")

    def start(self, timeout: float = 30.0) -> Cluster:
        self._write()
        r = self.root
        self._spawn(["munged", "-F", "--force", f"--socket={self.munge_socket}",
                     f"--key-file={r}/munge/munge.key", f"--pid-file={r}/munge/munged.pid",
                     f"--seed-file={r}/munge/munged.seed", f"--log-file={r}/log/munged.log"])
        self._wait(lambda: self.munge_socket.exists(), timeout, "munged")
        env = {"SLURM_CONF": str(self.conf)}
        self._spawn(["slurmctld", "-D", "-i", "-f", str(self.conf)], env)
        self._spawn(["slurmd", "-D", "-N", self.node, "-f", str(self.conf)], env)
        os.environ["SLURM_CONF"] = str(self.conf)
        self._wait(self._node_up, timeout, "slurmd to register")
        return self

    def _spawn(self, cmd: list[str], env: dict | None = None) -> None:
        exe = shutil.which(cmd[0], path=os.environ.get("PATH", "") + ":/usr/sbin")
        log = open(self.root / "log" / f"{cmd[0]}.out", "ab")
        self.procs.append(subprocess.Popen([exe, *cmd[1:]], stdout=log, stderr=subprocess.STDOUT,
                                           env={**os.environ, **(env or {})}, start_new_session=True))

    def _node_up(self) -> bool:
        out = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], capture_output=True, text=True,
                             env={**os.environ, "SLURM_CONF": str(self.conf)})
        return out.returncode == 0 and out.stdout.strip() in ("idle", "mixed", "allocated")

    def _wait(self, ok, timeout: float, what: str) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if ok():
                return
            dead = [p.args[0] for p in self.procs if p.poll() is not None]
            if dead:
                break
            time.sleep(0.1)
        logs = "\n".join(f"--- {f.name}\n{f.read_text()[-2000:]}" for f in sorted((self.root / "log").glob("*")))
        self.stop()
        raise RuntimeError(f"test SLURM cluster: timed out waiting for {what}\n{logs}")

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs.clear()

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        if os.environ.get("SLURM_CONF") == str(self.conf):
            del os.environ["SLURM_CONF"]


if __name__ == "__main__":  # pragma: no cover - manual use
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/lammpskit-slurm")
    with Cluster(folder) as c:
        print(f"export SLURM_CONF={c.conf}", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


def wait_for_job(job: str, timeout: float = 900) -> str:
    """The final SLURM state of ``job`` (scontrol while SLURM holds it), waiting on SLURM, not on a clock guess."""
    end = time.monotonic() + timeout
    state = ""
    while time.monotonic() < end:
        out = subprocess.run(["scontrol", "show", "job", "-o", job], capture_output=True, text=True).stdout
        state = dict(t.split("=", 1) for t in out.split() if "=" in t).get("JobState", "")
        if state and state not in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING"):
            return state
        time.sleep(1)
    raise AssertionError(f"job {job} still {state or 'unknown'} after {timeout} s")
