"""GPU cost of the study: bare calculator call, bridged LAMMPS MD step and packing, per model and size.

One table (and JSON with ``--out``) for CHGNet 0.3.0 (the kit's ``chgnet`` potential), 7net-0, 7net-mf-0
(modality R2SCAN), and a random-init MACE of MACE-MP-0-medium size (128x0e+128x1o, 2 interactions, r_max 6 Å,
max_ell 3, correlation 3, float32), on Na4P2S5.5O1.5 glass-like random cells at 1.9 g/cm³ (the kit's structure
builder) of ~100, ~1000 and ~10000 atoms:

- bare: one ``calculators.Evaluator`` call (ASE atoms in, energy/forces/virial out: what the bridge calls), median
  of N after warm-up, ``torch.cuda.synchronize`` around each;
- bridged: one MD step (NVT) of LAMMPS with ``pair_style zero`` + ``fix external`` and the kit's ``run.bridge.Bridge``
  calling that same Evaluator; ratio bridged/bare (target <= 1.10);
- cueq: the same with cuEquivariance kernels (MACE ``enable_cueq``, SevenNet ``enable_cueq``) where the
  cuequivariance packages are importable (``<sites>/cueq``), else the row says why not;
- packing: aggregate atom-steps/s of 1, 2, 4, 8 processes, each a bridged 1000-atom MD run of the packing model
  on the same GPU (all workers load once; each phase runs its first k workers for ``--pack-s`` seconds).

Each model runs in its own child process with its own side folder first on ``sys.path`` (MACE needs e3nn 0.4.4,
SevenNet e3nn 0.5), so ``<sites>`` holds ``common/ mace/ chgnet/ sevenn/ [cueq/]`` (bench/gpu_setup.sh unpacks
them); without ``--sites`` the current environment is used (the kit's venv, SevenNet from its side folder).
``--budget-s`` bounds the whole run: each model gets its share, sizes it cannot afford print 'skipped: time'.

    bash bench/gpu_setup.sh && python3 bench/bench_gpu.py --device cuda --sites /tmp/lk-gpu --budget-s 420 --out gpu.json
    python bench/bench_gpu.py --device cpu --quick            # CPU smoke test: tiny sizes, short runs
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
T0 = float(os.environ.get("LK_BENCH_T0") or time.time())  # children log on the parent's clock
VARIANTS = {  # name: (family, cueq)
    "chgnet": ("chgnet", False),
    "7net-0": ("sevenn", False), "7net-0+cueq": ("sevenn", True),
    "7net-mf-0-r2scan": ("sevenn", False), "7net-mf-0-r2scan+cueq": ("sevenn", True),
    "mace-medium": ("mace", False), "mace-medium+cueq": ("mace", True),
}
ELEMENTS = ["Na", "P", "S", "O"]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} +{time.time() - T0:6.1f}s] {msg}", flush=True)


# ---------------------------------------------------------------- environment of a child
def child_env(family: str, cueq: bool, sites: Path | None, threads: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONUNBUFFERED": "1", "LK_BENCH_T0": str(T0)}
    paths = []
    if not sites and family == "sevenn":  # the kit's SevenNet side folder (make sevenn), or $LK_SEVENN_SITE
        folder = Path(os.environ.get("LK_SEVENN_SITE") or Path(sys.prefix) / "opt" / "sevenn")
        paths = [folder] if folder.is_dir() else []
    if sites:
        paths = [sites / family] + ([sites / "cueq"] if cueq else []) + [sites / "common"]
        env["LD_LIBRARY_PATH"] = os.pathsep.join([str(sites / "common" / "lib")] + ([env["LD_LIBRARY_PATH"]]
                                                                                     if env.get("LD_LIBRARY_PATH") else []))
    env["PYTHONPATH"] = os.pathsep.join([str(p) for p in paths] + [str(REPO)]
                                        + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


def cueq_available(sites: Path | None) -> bool:
    return bool(sites and (sites / "cueq" / "cuequivariance_torch").is_dir())


# ---------------------------------------------------------------- in a child: models
def medium_mace(path: Path) -> Path:
    """A random-init ScaleShiftMACE of MACE-MP-0-medium size (float32), saved whole like a .model file."""
    import numpy as np
    import torch
    from mace import modules  # before e3nn (mace allow-lists what e3nn 0.4.4 loads)

    # isort: split
    from e3nn import o3

    torch.manual_seed(0)
    torch.set_default_dtype(torch.float32)
    zs = [8, 11, 15, 16]
    model = modules.ScaleShiftMACE(
        r_max=6.0, num_bessel=10, num_polynomial_cutoff=5, max_ell=3,
        interaction_cls=modules.interaction_classes["RealAgnosticResidualInteractionBlock"],
        interaction_cls_first=modules.interaction_classes["RealAgnosticResidualInteractionBlock"],
        num_interactions=2, num_elements=len(zs), hidden_irreps=o3.Irreps("128x0e+128x1o"),
        MLP_irreps=o3.Irreps("16x0e"), atomic_energies=np.full(len(zs), -2.0), avg_num_neighbors=30.0,
        atomic_numbers=zs, correlation=3, gate=torch.nn.functional.silu, pair_repulsion=True,
        radial_MLP=[64, 64, 64], atomic_inter_scale=0.5, atomic_inter_shift=0.0)
    torch.save(model, path)
    return path


def make_calc(name: str, device: str, workdir: Path):
    family, cueq = VARIANTS[name]
    if family == "chgnet":  # the kit's own potential entry and builder
        from lammpskit.potentials import calculators
        from lammpskit.potentials import registry as potentials

        return calculators.build(potentials.get("chgnet"), device)
    if family == "mace":
        from mace.calculators import MACECalculator

        model = medium_mace(workdir / "mace-medium.model")
        return MACECalculator(model_paths=str(model), device=device, default_dtype="float32", enable_cueq=cueq)
    from sevenn.calculator import SevenNetCalculator

    if name.startswith("7net-mf-0"):
        return SevenNetCalculator("7net-mf-0", modal="R2SCAN", device=device, enable_cueq=cueq)
    return SevenNetCalculator("7net-0", device=device, enable_cueq=cueq)


def kernels(calc) -> str:
    """'cueq' when the calculator's torch model holds cuEquivariance modules, else 'e3nn' (or the family's own)."""
    import torch

    models = list(getattr(calc, "models", None) or []) + [getattr(calc, "model", None)]
    for m in models:
        if isinstance(m, torch.nn.Module) and any(type(x).__module__.startswith("cuequivariance") for x in m.modules()):
            return "cueq"
    return "e3nn" if VARIANTS.get(getattr(calc, "_lk_name", ""), ("chgnet",))[0] != "chgnet" else "torch"


def sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


DECK = """
units metal
atom_style atomic
atom_modify map array sort 1000 2.0
read_data {data}
pair_style zero {cut}
pair_coeff * *
fix lk_bridge all external pf/callback 1 1
fix_modify lk_bridge energy yes virial yes
neighbor 2.0 bin
timestep 0.001
velocity all create 300 1
fix md all nvt temp 300 300 0.1
thermo 0
"""


def start_md(data: Path, ev):
    """LAMMPS on ``data`` with the kit's bridge (pair_style zero + fix external) calling ``ev``."""
    from lammpskit.lammps import env as lammps_env
    from lammpskit.run.bridge import Bridge

    lmp = lammps_env.new_lammps()
    lmp.commands_string(DECK.format(data=data, cut=1.0))
    bridge = Bridge(lmp, ev)
    bridge.attach()
    return lmp, bridge


def bench_size(ev, data: Path, device: str, reps: int, steps: int) -> dict:
    """Bare Evaluator calls and bridged MD steps on one cell, interleaved in rounds; medians (ms)."""
    import numpy as np

    from lammpskit.run.bridge import lammps_cell

    lmp, bridge = start_md(data, ev)
    try:
        lmp.command("run 2")  # warm-up through the bridge (and the model's first calls)
        if bridge.error:
            raise bridge.error
        n = lmp.get_natoms()
        bare, md = [], []
        for _ in range(reps):
            t0 = time.perf_counter()
            lmp.command(f"run {steps} pre no post no")
            sync(device)
            md.append((time.perf_counter() - t0) / steps)
            if bridge.error:
                raise bridge.error
            order = np.argsort(lmp.numpy.extract_atom("id", nelem=n))
            types = np.array(lmp.numpy.extract_atom("type", nelem=n))[order]
            x = np.array(lmp.numpy.extract_atom("x", nelem=n))[order]
            cell = lammps_cell(lmp)
            for i in range(steps):
                sync(device)
                t0 = time.perf_counter()
                ev(types, x + 1e-9 * (i + 1), cell)
                sync(device)
                bare.append(time.perf_counter() - t0)
    finally:
        lmp.close()
    b, m = statistics.median(bare), statistics.median(md)
    return {"atoms": int(n), "bare_ms": round(b * 1e3, 2), "md_step_ms": round(m * 1e3, 2),
            "ratio": round(m / b, 3), "bare_calls": len(bare), "md_steps": reps * steps,
            "atom_steps_per_s": round(n / m, 1)}


def run_child(args) -> None:
    """One model variant over the sizes, within ``--deadline`` (epoch s); rows to ``--result`` (JSON lines)."""
    from lammpskit.lammps import env as lammps_env

    lammps_env.configure_threads()
    lammps_env.import_lammps()  # before torch side folders load (as the engine does)
    import warnings

    warnings.filterwarnings("ignore")
    from lammpskit.potentials import calculators

    name, device, out = args.child, args.device, Path(args.result)
    rows = []

    def emit(row):
        row = {"model": name, "device": device, **row}
        rows.append(row)
        out.write_text("".join(json.dumps(r) + "\n" for r in rows))
        log(f"{name}: {row}")

    t = time.time()
    try:
        calc = make_calc(name, device, Path(args.data_dir))
    except Exception as exc:  # noqa: BLE001 - one row says why, the other models still run
        emit({"atoms": None, "skipped": f"build failed: {type(exc).__name__}: {str(exc)[:200]}"})
        return
    calc._lk_name = name
    kern = kernels(calc)
    ev = calculators.Evaluator(calc, ELEMENTS)
    log(f"{name}: calculator ready in {time.time() - t:.1f} s ({kern} kernels)")
    if VARIANTS[name][1] and kern != "cueq":
        emit({"atoms": None, "skipped": "cuEquivariance did not engage (the model holds no cuequivariance module)"})
        return
    per_atom_s = None  # seconds per atom per call, from the last size measured
    for size in args.sizes:
        data = Path(args.data_dir) / f"data-{size}.lmp"
        natoms = int(data.read_text().split(" atoms")[0].split()[-1])
        steps = args.steps if natoms < 5000 else max(2, args.steps // 3)  # big cells: fewer, longer calls
        calls = 2 * (args.reps * steps) + 4  # bare + MD + warm-ups
        left = args.deadline - time.time()
        if per_atom_s is not None and per_atom_s * natoms * calls * 1.5 + 5 > left:
            emit({"atoms": natoms, "skipped": f"time (~{per_atom_s * natoms * calls:.0f} s needed, {left:.0f} s left)"})
            continue
        try:
            row = bench_size(ev, data, device, args.reps, steps)
        except Exception as exc:  # noqa: BLE001 - e.g. out of memory at 10000 atoms
            emit({"atoms": natoms, "skipped": f"{type(exc).__name__}: {str(exc)[:200]}"})
            continue
        per_atom_s = max(row["bare_ms"], row["md_step_ms"]) / 1e3 / row["atoms"]
        emit({**row, "kernels": kern})


# ---------------------------------------------------------------- packing workers
def run_pack_worker(args) -> None:
    """Worker ``--pack-worker i``: load, warm up, then for each phase k > i run MD for ``--pack-s`` seconds
    after ``go-k`` appears; writes ``done-k-i`` with steps and seconds."""
    from lammpskit.lammps import env as lammps_env

    lammps_env.configure_threads()
    lammps_env.import_lammps()
    import warnings

    warnings.filterwarnings("ignore")
    from lammpskit.potentials import calculators

    i, d = args.pack_worker, Path(args.data_dir)
    ev = calculators.Evaluator(make_calc(args.pack_model, args.device, d / f"w{i}"), ELEMENTS)
    lmp, bridge = start_md(d / f"data-{args.pack_atoms}.lmp", ev)
    lmp.command("run 3")
    (d / f"ready-{i}").write_text("")
    n = lmp.get_natoms()
    for k in args.pack:
        if i >= k:
            continue
        while not (d / f"go-{k}").exists():
            time.sleep(0.02)
        steps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < args.pack_s:
            lmp.command("run 5 pre no post no")
            steps += 5
        dt = time.perf_counter() - t0
        if bridge.error:
            raise bridge.error
        (d / f"done-{k}-{i}").write_text(json.dumps({"steps": steps, "s": dt, "atoms": n}))
    lmp.close()


def packing(args, workdir: Path, deadline: float) -> list[dict]:
    family, cueq = VARIANTS[args.pack_model]
    kmax = max(args.pack)
    threads = max(1, (os.cpu_count() or 1) // kmax)
    env = child_env(family, cueq, args.sites, threads)
    (workdir / "w").mkdir(exist_ok=True)
    procs = []
    for i in range(kmax):
        (workdir / f"w{i}").mkdir(exist_ok=True)
        procs.append(subprocess.Popen([sys.executable, __file__, "--pack-worker", str(i), "--device", args.device,
                                       "--data-dir", str(workdir), "--pack-model", args.pack_model,
                                       "--pack-atoms", str(args.pack_atoms), "--pack-s", str(args.pack_s),
                                       "--pack", ",".join(map(str, args.pack))], env=env))
    rows = []
    try:
        while not all((workdir / f"ready-{i}").exists() for i in range(kmax)):
            if any(p.poll() not in (None, 0) for p in procs):
                raise RuntimeError("a packing worker failed to start")
            if time.time() > deadline:
                raise TimeoutError("packing workers not ready in time")
            time.sleep(0.2)
        log(f"packing: {kmax} workers of {args.pack_model} ready ({threads} threads each)")
        for k in args.pack:
            if time.time() + args.pack_s + 5 > deadline:
                rows.append({"processes": k, "skipped": "time"})
                log(f"packing k={k}: skipped: time")
                continue
            (workdir / f"go-{k}").write_text("")
            t_end = time.time() + args.pack_s + 60
            while not all((workdir / f"done-{k}-{i}").exists() for i in range(k)):
                if time.time() > t_end or any(p.poll() not in (None, 0) for p in procs[:k]):
                    raise RuntimeError(f"packing phase {k} did not finish")
                time.sleep(0.05)
            res = [json.loads((workdir / f"done-{k}-{i}").read_text()) for i in range(k)]
            agg = sum(r["atoms"] * r["steps"] / r["s"] for r in res)
            rows.append({"processes": k, "atoms_each": res[0]["atoms"], "steps_each": [r["steps"] for r in res],
                         "aggregate_atom_steps_per_s": round(agg, 1)})
            log(f"packing k={k}: {agg:.0f} atom-steps/s")
    except Exception as exc:  # noqa: BLE001 - the model table still prints
        rows.append({"processes": None, "skipped": f"{type(exc).__name__}: {exc}"})
        log(f"packing: {exc}")
    finally:
        for k in args.pack:  # release any worker still waiting
            (workdir / f"go-{k}").write_text("")
        end = time.time() + args.pack_s + 30  # one bound for all of them
        for p in procs:
            try:
                p.wait(timeout=max(0.1, end - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
    if rows and rows[0].get("aggregate_atom_steps_per_s"):
        one = rows[0]["aggregate_atom_steps_per_s"]
        for r in rows:
            if r.get("aggregate_atom_steps_per_s"):
                r["gain_over_one"] = round(r["aggregate_atom_steps_per_s"] / one, 2)
    return rows


# ---------------------------------------------------------------- parent
def write_cells(sizes: list[int], workdir: Path) -> None:
    from lammpskit.structure import builder as structure
    from lammpskit.structure import composition

    for n in sizes:
        comp = composition.make(1.5, atoms=n)
        t = time.time()
        structure.write_data(workdir / f"data-{n}.lmp", structure.build(comp, 1.9, 1), "bench_gpu")
        log(f"cell of {comp.natoms} atoms (Na4P2S5.5O1.5, 1.9 g/cm3) built in {time.time() - t:.1f} s")


def device_info(device: str) -> dict:
    info = {"device": device, "python": sys.version.split()[0]}
    try:
        import torch

        info["torch"] = torch.__version__
        if device.startswith("cuda") and torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    try:
        info["commit"] = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                                        text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        info["commit"] = None
    return info


def table(rows: list[dict], pack: list[dict]) -> str:
    lines = [f"{'model':<22} {'atoms':>6} {'bare ms':>9} {'MD step ms':>11} {'ratio':>6} {'atom-steps/s':>13} kernels"]
    for r in rows:
        if r.get("skipped"):
            lines.append(f"{r['model']:<22} {str(r.get('atoms') or '-'):>6}  skipped: {r['skipped']}")
        else:
            lines.append(f"{r['model']:<22} {r['atoms']:>6} {r['bare_ms']:>9} {r['md_step_ms']:>11} {r['ratio']:>6} "
                         f"{r['atom_steps_per_s']:>13} {r.get('kernels', '')}")
    if pack:
        lines.append("")
        lines.append(f"{'packing: processes':<22} {'atoms each':>10} {'aggregate atom-steps/s':>23} {'gain':>6}")
        for p in pack:
            if p.get("skipped"):
                lines.append(f"{str(p.get('processes') or '-'):<22}  skipped: {p['skipped']}")
            else:
                lines.append(f"{p['processes']:<22} {p['atoms_each']:>10} {p['aggregate_atom_steps_per_s']:>23} "
                             f"{p.get('gain_over_one', '-'):>6}")
    return "\n".join(lines)


def study_cost(rows: list[dict], pack: list[dict], steps: int, cases: int) -> list[str]:
    """GPU-hours of ``cases`` quenches of ``steps`` MD steps at the ~1000-atom point of each model, alone on
    the GPU and with the best packing gain measured (the packing model's gain, applied to every model)."""
    gains = [p["gain_over_one"] for p in pack if p.get("gain_over_one")]
    best = max(gains) if gains else 1.0
    k = next((p["processes"] for p in pack if p.get("gain_over_one") == best), 1)
    out = [f"study cost: {cases} cases x {steps} steps; best packing gain {best} ({k} processes, measured on the "
           f"packing model, applied to all)"]
    for r in rows:
        if r.get("skipped") or not 500 <= r["atoms"] <= 2000:
            continue
        h = cases * steps * r["md_step_ms"] / 1e3 / 3600
        out.append(f"  {r['model']:<22} {r['atoms']:>5} atoms: {h:8.1f} GPU-h alone, {h / best:8.1f} GPU-h packed")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--budget-s", type=float, default=420, help="wall-time bound of the whole run (s)")
    ap.add_argument("--out", help="write the JSON here")
    ap.add_argument("--quick", action="store_true", help="tiny sizes and short runs (CPU smoke test)")
    ap.add_argument("--models", default="chgnet,7net-0,7net-mf-0-r2scan,mace-medium")
    ap.add_argument("--cueq-models", default="7net-0,mace-medium",
                    help="models also run with cuEquivariance on CUDA, when carried ('' for none)")
    ap.add_argument("--sizes", default=None, help="atoms, comma-separated (default 100,1000,10000; quick: 52,104)")
    ap.add_argument("--reps", type=int, default=None, help="interleaved rounds per size")
    ap.add_argument("--steps", type=int, default=None, help="MD steps (and bare calls) per round")
    ap.add_argument("--sites", type=Path, default=None, help="folder of unpacked side folders (bench/gpu_setup.sh)")
    ap.add_argument("--pack", default=None, help="process counts for packing (default 1,2,4,8; '' for none)")
    ap.add_argument("--pack-model", default="mace-medium")
    ap.add_argument("--pack-atoms", type=int, default=None)
    ap.add_argument("--pack-s", type=float, default=None, help="seconds each packing phase runs")
    ap.add_argument("--study-steps", type=int, default=370_000, help="MD steps of one case (paper profile)")
    ap.add_argument("--study-cases", type=int, default=144, help="cases of the seed matrix")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads of each model child (default: all cores)")
    # internal
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--pack-worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", help=argparse.SUPPRESS)
    ap.add_argument("--deadline", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args()
    q = args.quick
    args.sizes = [int(s) for s in (args.sizes or ("52,104" if q else "100,1000,10000")).split(",") if s]
    args.reps = args.reps or (2 if q else 5)
    args.steps = args.steps or (2 if q else 10)
    args.pack = [int(s) for s in (args.pack if args.pack is not None else ("1,2" if q else "1,2,4,8")).split(",") if s]
    args.pack_atoms = args.pack_atoms or (104 if q else 1000)
    args.pack_s = args.pack_s or (3.0 if q else 8.0)
    if args.child:
        return run_child(args)
    if args.pack_worker is not None:
        return run_pack_worker(args)

    deadline = T0 + args.budget_s
    sys.path[:0] = [str(REPO)] + ([str(args.sites / "common")] if args.sites else [])  # the kit's structure builder
    info = device_info(args.device)
    log(f"bench_gpu: {info}")
    models = [m for m in args.models.split(",") if m]
    unknown = [m for m in models if m not in VARIANTS]
    if unknown:
        sys.exit(f"error: unknown model(s) {unknown}; known: {', '.join(VARIANTS)}")
    notes = []
    if args.device.startswith("cuda"):
        for m in [m for m in models if m in args.cueq_models.split(",")]:
            if VARIANTS.get(m + "+cueq"):
                if cueq_available(args.sites):
                    models.insert(models.index(m) + 1, m + "+cueq")
                else:
                    notes.append(f"{m}+cueq: skipped: cuequivariance not carried (no {args.sites}/cueq)")
    rows: list[dict] = []
    pack_rows: list[dict] = []

    def save():  # after every step, so a run stopped at its time limit still leaves what it measured
        if args.out:
            Path(args.out).write_text(json.dumps({"info": info, "rows": rows, "packing": pack_rows, "notes": notes,
                                                  "wall_s": round(time.time() - T0, 1)}, indent=1))
    with tempfile.TemporaryDirectory(prefix="bench_gpu-") as tmp:
        workdir = Path(tmp)
        write_cells(sorted(set(args.sizes) | ({args.pack_atoms} if args.pack else set())), workdir)
        pack_reserve = (30 + 1.5 * args.pack_s * len(args.pack)) if args.pack else 0  # start-up + phases
        for j, m in enumerate(models):
            share = (deadline - pack_reserve - time.time()) / (len(models) - j)
            family, cueq = VARIANTS[m]
            result = workdir / f"{m}.jsonl"
            log(f"{m}: start ({share:.0f} s share)")
            cmd = [sys.executable, __file__, "--child", m, "--device", args.device, "--data-dir", str(workdir),
                   "--deadline", str(time.time() + share), "--result", str(result), "--reps", str(args.reps),
                   "--steps", str(args.steps), "--sizes", ",".join(map(str, args.sizes))]
            env = child_env(family, cueq, args.sites, args.threads or (os.cpu_count() or 1))
            try:
                p = subprocess.run(cmd, env=env, timeout=max(30.0, share + 60))
                if p.returncode:
                    notes.append(f"{m}: child exited {p.returncode}")
            except subprocess.TimeoutExpired:
                notes.append(f"{m}: child stopped at its time share")
            got = [json.loads(x) for x in result.read_text().splitlines()] if result.exists() else []
            rows += got or [{"model": m, "atoms": None, "skipped": "no result (see log)"}]
            save()
        if args.pack:
            log(f"packing: {args.pack} x {args.pack_atoms} atoms of {args.pack_model}, bridged MD")
            pack_rows = packing(args, workdir, deadline)
    print()
    print(f"bench_gpu on {info.get('gpu', args.device)} (torch {info.get('torch')}, commit {info.get('commit')}):")
    print(table(rows, pack_rows))
    for n in notes:
        print(n)
    cost = study_cost(rows, pack_rows, args.study_steps, args.study_cases)
    print("\n".join(cost))
    notes += cost
    print(f"wall {time.time() - T0:.0f} s", flush=True)
    save()


if __name__ == "__main__":
    main()
