"""The typed result of each workflow: what ``result.json`` (or a command's ``--json``) holds, as attributes.

Every class has ``from_dict(data)`` (checked as untrusted input by ``lammpskit.run.result.check``),
``from_directory(run_dir)`` (its ``result.json``) and ``to_dict()``, which gives back exactly the JSON
contract (the same keys in the same order; what a class does not name stays in ``extra``). Units are in
the attribute names, as in the JSON keys: ``B_GPa``, ``density_g_cm3``, ``Ea_eV``.

Elastic results name their units since this version (``C_GPa``, ``B_GPa``, ...); a result.json written
before, with ``C``, ``B``, ``G``, ``E``, ... is still read (``ELASTIC_OLD_NAMES``) and written back with the
new names.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import ClassVar

from lammpskit._util.layout import GLASS_DATA, RESULT
from lammpskit.run import result as checked


@dataclass
class RunResult:
    """Base of the typed results: the JSON keys a subclass names become its attributes; the rest is ``extra``.

    Attributes:
        run_dir (Path | None): the run directory the result came from (None when built from a dict alone).
        extra (dict): the JSON keys the class does not name, as written.
    """

    run_dir: Path | None = field(default=None, repr=False)
    extra: dict = field(default_factory=dict, repr=False)

    RENAMED: ClassVar[dict[str, str]] = {}   # old JSON key -> today's key

    @classmethod
    def _named(cls) -> list[str]:
        """The JSON keys the class names, in field order."""
        return [f.name for f in fields(cls) if f.name not in ("run_dir", "extra")]

    @classmethod
    def from_dict(cls, data: dict, run_dir: str | Path | None = None, where: str = RESULT):
        """The result in the JSON table ``data`` (checked: a user error names what is wrong)."""
        from lammpskit.errors import UserError

        data = checked.check(data, where)
        if not isinstance(data, dict):
            raise UserError(f"{where} must hold a JSON table")
        if data.get("state", "done") != "done":
            raise UserError(f"{where}: state {data.get('state')!r:.40}: a result file is written only for a finished run")
        return cls.from_values(data, run_dir)

    @classmethod
    def from_values(cls, data: dict, run_dir: str | Path | None = None):
        """The result of a table the kit has just computed (not checked: ``from_dict`` checks what is read);
        ``to_dict()`` gives ``data`` back, old key names renamed."""
        data = {cls.RENAMED.get(k, k): v for k, v in data.items()}
        named = set(cls._named())
        obj = cls(run_dir=Path(run_dir) if run_dir is not None else None,
                  extra={k: v for k, v in data.items() if k not in named},
                  **{k: v for k, v in data.items() if k in named})
        obj._keys = tuple(data)  # to_dict gives the keys back in this order
        return obj

    @classmethod
    def from_directory(cls, run_dir: str | Path):
        """The result of the finished run in ``run_dir`` (its ``result.json``); a user error if there is none."""
        return cls.from_file(Path(run_dir) / RESULT)

    @classmethod
    def from_file(cls, path: str | Path):
        """The result in the JSON file ``path`` (its folder is ``run_dir``)."""
        path = Path(path)
        return cls.from_dict(checked.read(path), path.parent, str(path))

    def to_dict(self) -> dict:
        """The JSON contract: the keys as read or built, in their order; attributes set since go last (in
        field order)."""
        order = self._named()
        named = set(order)
        read = getattr(self, "_keys", ())
        keys = list(read) + [k for k in self.extra if k not in read]
        keys += [k for k in order if k not in keys and getattr(self, k) is not None]
        return {k: getattr(self, k) if k in named else self.extra[k] for k in keys}

    def __getitem__(self, key: str):
        """``result[key]`` as on the dict these functions returned before they were typed: deprecated, with a
        DeprecationWarning (use the attribute, or ``to_dict()[key]``)."""
        warnings.warn(f"{type(self).__name__}[{key!r}] is deprecated: use the attribute or to_dict()[{key!r}]",
                      DeprecationWarning, stacklevel=2)
        return self.to_dict()[self.RENAMED.get(key, key)]

    def __contains__(self, key: str) -> bool:
        """``key in result``, as on the dict of before (deprecated like ``result[key]``)."""
        return self.RENAMED.get(key, key) in self.to_dict()


@dataclass
class FinalState:
    """The last thermo row of a run: ``step``, ``temp_K`` (K), ``press_bar`` (bar), ``pe_eV`` and ``etotal_eV``
    (eV), ``volume_A3`` (Å³), ``density_g_cm3`` (g/cm³)."""

    step: int | None = None
    temp_K: float | None = None
    press_bar: float | None = None
    pe_eV: float | None = None
    etotal_eV: float | None = None
    volume_A3: float | None = None
    density_g_cm3: float | None = None


@dataclass
class QuenchResult(RunResult):
    """A finished melt-quench (``lk.quench``, ``lk.run`` of a quench directory, ``lammpskit run --json``).

    Attributes:
        run_dir (Path | None): the run directory.
        composition (str | None): the glass's label; ``atoms`` its size.
        potential (str | None): the registered potential; ``mode`` ``native`` or ``bridge``.
        profile (str | None): ``smoke`` or ``paper``; ``steps`` the deck's MD steps.
        final (dict | None): the last thermo row: ``step``, ``temp_K``, ``press_bar``, ``pe_eV``, ``etotal_eV``,
            ``volume_A3``, ``density_g_cm3``.
        md_steps_this_run (int | None): MD steps the finishing call ran (fewer after a resume).
        threads (int | None): threads it ran on.
        bridge (dict | None): bridged models: ``calls`` and ``model_s_per_call`` (s).
        density_g_cm3 (float | None): NPT-anneal density in g/cm³ (second half of the anneal; None for a
            protocol without an anneal); ``density_err_g_cm3`` its block-averaged standard error.
        dump (Path | None): the production dump (element column).
        glass_data (Path | None): the final structure (LAMMPS data file).
        steps_per_s (float | None): MD speed of the call that finished it (steps/s).
        wall_s (float | None): its wall time (s).
        Tg_K (float | None): glass transition temperature (K) of an NPT quench; ``Tg_err_K`` its error.
        problems (list | None): numbers that make no physical sense, named.
        result (dict): the whole ``result.json`` (``to_dict()``).
    """

    state: str = "done"
    composition: str | None = None
    atoms: int | None = None
    potential: str | None = None
    mode: str | None = None
    profile: str | None = None
    steps: int | None = None
    final: dict | None = None
    md_steps_this_run: int | None = None
    steps_per_s: float | None = None
    threads: int | None = None
    wall_s: float | None = None
    bridge: dict | None = None
    Tg_K: float | None = None
    Tg_err_K: float | None = None
    problems: list | None = None

    @property
    def density_stats(self) -> dict | None:
        """The anneal density as written: ``mean``, ``err`` (g/cm³), ``n`` thermo rows, ``blocks``."""
        return self.extra.get("density_g_cm3")

    @property
    def density(self) -> DensityResult | None:
        """The anneal density, typed (None for a protocol without an anneal)."""
        stats = self.density_stats
        return DensityResult.from_values(stats) if isinstance(stats, dict) else None

    @property
    def final_state(self) -> FinalState:
        """The last thermo row, typed."""
        return as_row(FinalState, self.final)

    @property
    def model_s_per_call(self) -> float | None:
        """A bridged model's seconds per force call (None for a native run)."""
        return (self.bridge or {}).get("model_s_per_call")

    @property
    def density_g_cm3(self) -> float | None:
        """The anneal's mean density (g/cm³; second half of the NPT anneal), None without an anneal."""
        return (self.density_stats or {}).get("mean")

    @property
    def density_err_g_cm3(self) -> float | None:
        """Its block-averaged standard error (g/cm³)."""
        return (self.density_stats or {}).get("err")

    @property
    def dump(self) -> Path | None:
        """The production dump (element column), ``run_dir / result["dump"]``."""
        return _path(self.run_dir, self.extra.get("dump"))

    @property
    def glass_data(self) -> Path | None:
        """The final structure (LAMMPS data file)."""
        return _path(self.run_dir, self.extra.get("glass_data", GLASS_DATA))

    @property
    def result(self) -> dict:
        """The whole ``result.json`` (``to_dict()``)."""
        return self.to_dict()


@dataclass
class DensityResult(RunResult):
    """The density over the second half of a quench's NPT anneal (``lk.anneal_density``, ``density --json``'s
    ``density_g_cm3``, a quench result's ``density_stats``).

    Attributes:
        mean (float | None): mean density (g/cm³).
        err (float | None): its block-averaged standard error (g/cm³); with fewer than 2 x ``blocks`` rows each
            row is its own block (``blocks`` says so); NaN from a single row (null once written to JSON).
        n (int | None): thermo rows averaged.
        blocks (int | None): blocks of the error estimate.
    """

    mean: float | None = None
    err: float | None = None
    n: int | None = None
    blocks: int | None = None


ELASTIC_OLD_NAMES = {k: f"{k}_GPa" for k in ("C", "C_err", "B", "G", "E", "B_voigt", "B_reuss", "G_voigt",
                                             "G_reuss", "B_err", "G_err", "E_err", "replica_B", "replica_G")}


@dataclass
class ElasticResult(RunResult):
    """Elastic constants of a glass or the mean of replicas (``lk.elastic``, ``lammpskit elastic --json``).

    Attributes:
        method (str): ``static`` (0 K, relaxed) or ``dynamic`` (NVT at ``temperature_K``).
        strain (float): magnitude of the +/- strains (dimensionless).
        potential (str | None): the registered potential.
        C_GPa (list): 6x6 Voigt stiffness (GPa); ``C_err_GPa`` its errors where known.
        B_GPa, G_GPa, E_GPa (float | None): Hill bulk, shear and Young's moduli (GPa); None when C is not
            Born-stable. ``B_err_GPa`` etc. their errors (dynamic runs, replicas).
        nu (float | None): Poisson's ratio (dimensionless); ``nu_err`` its error.
        B_voigt_GPa, B_reuss_GPa, G_voigt_GPa, G_reuss_GPa (float | None): the bounds the Hill moduli average.
        zener_ratio (float | None): cubic anisotropy 2 C44 / (C11 - C12), 1 when isotropic.
        mechanically_stable (bool | None): all eigenvalues of C > 0 (``eigenvalues_GPa``).
        isotropy (dict | None): the largest deviation from the nearest isotropic tensor (GPa, and in errors).
        replicas (int | None): glasses averaged (``replica_B_GPa``, ``replica_G_GPa`` their moduli).
        problems (list | None): numbers that make no physical sense, named.
        source (str | None): the structure strained (a data file); ``sources`` those of the replicas.
    """

    RENAMED: ClassVar[dict[str, str]] = ELASTIC_OLD_NAMES

    state: str = "done"
    method: str | None = None
    strain: float | None = None
    potential: str | None = None
    C_GPa: list | None = None
    C_err_GPa: list | None = None
    B_GPa: float | None = None
    G_GPa: float | None = None
    E_GPa: float | None = None
    nu: float | None = None
    B_voigt_GPa: float | None = None
    B_reuss_GPa: float | None = None
    G_voigt_GPa: float | None = None
    G_reuss_GPa: float | None = None
    zener_ratio: float | None = None
    B_err_GPa: float | None = None
    G_err_GPa: float | None = None
    E_err_GPa: float | None = None
    nu_err: float | None = None
    mechanically_stable: bool | None = None
    eigenvalues_GPa: list | None = None
    isotropy: dict | None = None
    temperature_K: float | None = None
    replicas: int | None = None
    replica_B_GPa: list | None = None
    replica_G_GPa: list | None = None
    problems: list | None = None
    source: str | None = None
    sources: list | None = None

    @property
    def isotropy_dev_GPa(self) -> float | None:
        """The largest deviation of C from the nearest isotropic tensor (GPa)."""
        return (self.isotropy or {}).get("max_dev_GPa")

    @property
    def isotropy_dev_sigma(self) -> float | None:
        """That deviation in units of its error (None without errors)."""
        return (self.isotropy or {}).get("max_dev_sigma")


@dataclass
class DiffusionResult(RunResult):
    """One NVT diffusion run (``lk.run`` of a ``diffusion-<T>K`` directory).

    Attributes:
        protocol (str | None): ``diffusion``.
        potential (str | None): the registered potential.
        temperature_K (float | None): the run's temperature (K); ``frames`` the unwrapped frames fitted.
        D_cm2_s (dict | None): diffusion coefficient per element (cm²/s).
        fit_ps (list | None): the MSD fit window (ps).
        conductivity_S_cm (dict | None): Nernst-Einstein conductivity per element (S/cm).
        problems (dict | None): per element, what makes its D doubtful (sub-diffusive MSD, rattling), named.
    """

    state: str = "done"
    protocol: str | None = None
    potential: str | None = None
    temperature_K: float | None = None
    frames: int | None = None
    D_cm2_s: dict | None = None
    fit_ps: list | None = None
    conductivity_S_cm: dict | None = None
    problems: dict | None = None


@dataclass
class ArrheniusResult(RunResult):
    """D = D0 exp(-Ea/kB T) over NVT runs at several temperatures (``lk.arrhenius``, ``arrhenius --json``).

    Attributes:
        element (str | None): the diffusing element fitted.
        temperatures_K (list | None): the temperatures (K).
        D_cm2_s (list | None): its diffusion coefficient at each (cm²/s).
        conductivity_S_cm (list | None): its Nernst-Einstein conductivity at each (S/cm).
        Ea_eV (float | None): activation energy (eV); ``D0_cm2_s`` the prefactor (cm²/s).
    """

    element: str | None = None
    temperatures_K: list | None = None
    D_cm2_s: list | None = None
    conductivity_S_cm: list | None = None
    Ea_eV: float | None = None
    D0_cm2_s: float | None = None


@dataclass
class AnalysisResult(RunResult):
    """The analyses of a finished quench (``lk.analyze_run``; ``analysis/result.json``).

    Attributes:
        potential (str | None): the registered potential.
        composition (str | None): the glass's label.
        frames (int | None): frames analysed.
        density_g_cm3 (dict | None): the quench's anneal density (g/cm³).
        transport (dict | None): D (cm²/s) and sigma (S/cm) per element at T_final, or ``{"error": why}``.
        cutoffs_proposed (dict | None): bond cutoffs (Å) at the first minimum of each partial g(r).
    """

    potential: str | None = None
    composition: str | None = None
    frames: int | None = None
    density_g_cm3: dict | None = None
    transport: dict | None = None
    cutoffs_proposed: dict | None = None

    @property
    def msd_table(self) -> str | None:
        """The MSD table written beside it (``msd.csv``), None when the transport could not be computed."""
        return (self.transport or {}).get("msd")

    def transport_of(self, key: str, element: str = "Na") -> float | None:
        """``D_cm2_s`` (cm²/s) or ``conductivity_S_cm`` (S/cm) of ``element`` at T_final; None where the
        transport was not computed (``transport["error"]`` says why)."""
        value = (self.transport or {}).get(key)
        return value.get(element) if isinstance(value, dict) else None


@dataclass
class UnitsResult(RunResult):
    """Structural units of a dump's frames, means over frames (``lk.analyze_units``, ``analyze units --json``,
    ``analysis/units.json``).

    Attributes:
        frames (int | None): frames analysed.
        P_atoms (float | None): P atoms per frame.
        Pn (dict | None): P atoms per P^n class ("0".."4", n = bridging anions); ``Pn_fraction`` of all P.
        units (dict | None): P atoms per PS(4-m)Om unit; ``units_by_n`` split by n.
        anions (dict | None): per anion element (S, O): ``bridging``, ``nonbridging``, ``free`` atoms.
        edge_sharing_pairs, pp_bonds, ss_bonds (float | None): artefacts per frame (pairs, bonds).
        longest_pp_chain (float | None): P atoms in the largest P-P bonded cluster.
        bridges (dict | None): P-S-P and P-O-P bridges per frame.
        coordination (dict | None): mean neighbours of each pair within its cutoff.
        cutoffs (dict | None): the bond cutoffs used (Å).
        std (dict | None): the spread over frames of the same quantities.
    """

    frames: int | None = None
    Pn: dict | None = None
    Pn_fraction: dict | None = None
    anions: dict | None = None
    edge_sharing_pairs: float | None = None
    pp_bonds: float | None = None
    ss_bonds: float | None = None
    units: dict | None = None
    units_by_n: dict | None = None
    bridges: dict | None = None
    longest_pp_chain: float | None = None
    P_atoms: float | None = None
    coordination: dict | None = None
    cutoffs: dict | None = None
    std: dict | None = None

    def anion_fraction(self, element: str, kind: str) -> float | None:
        """The fraction of ``element`` atoms that are ``kind`` (``bridging``, ``nonbridging``, ``free``); None
        without any."""
        a = (self.anions or {}).get(element, {})
        total = sum(a.get(k, 0.0) for k in ("bridging", "nonbridging", "free"))
        return a.get(kind, 0.0) / total if total else None

    def anion_count(self, element: str, kind: str) -> float:
        """``element`` atoms per frame that are ``kind`` (``bridging``, ``nonbridging``, ``free``)."""
        return (self.anions or {}).get(element, {}).get(kind, 0.0)

    @property
    def spread(self) -> UnitsResult:
        """The standard deviations over frames of the same quantities (``std``), as a ``UnitsResult``."""
        return UnitsResult.from_values(self.std or {})

    def per_100_P(self, count: float | None) -> float | None:
        """A per-frame count per 100 P atoms; None without P."""
        return 100 * count / self.P_atoms if self.P_atoms and count is not None else None


@dataclass
class RdfResult(RunResult):
    """Partial g(r) of a dump's frames (``analyze rdf --json``; ``workflows.dump_analysis.rdf``).

    Attributes:
        frames (int | None): frames averaged.
        csv, png (str | None): the table and the plot written.
        cutoffs_proposed (dict | None): per pair, the first minimum of its g(r) (Å); ``cutoffs_not_proposed``
            why a pair got none.
        density_atoms_per_A3 (float | None): number density (1/Å³); ``concentrations`` per element.
    """

    frames: int | None = None
    csv: str | None = None
    png: str | None = None
    cutoffs_proposed: dict | None = None
    cutoffs_not_proposed: dict | None = None
    density_atoms_per_A3: float | None = None
    concentrations: dict | None = None


@dataclass
class SqResult(RunResult):
    """Neutron and X-ray S(Q) and G(r) of a dump's frames (``analyze sq --json``).

    Attributes:
        frames (int | None): frames averaged.
        csv, png (list | None): ``sq.csv`` and ``Gr.csv``, and their plots.
        q_resolved_invA (float | None): below this Q (1/Å) the box does not resolve S(Q).
    """

    frames: int | None = None
    csv: list | None = None
    png: list | None = None
    q_resolved_invA: float | None = None


@dataclass
class AnglesResult(RunResult):
    """Bond-angle distributions of a dump's frames (``analyze angles --json``).

    Attributes:
        frames (int | None): frames averaged.
        csv, png (str | None): the table and the plot written.
        angles_per_frame (dict | None): per triplet (``S-P-S``, ...), angles per frame; ``mean_deg`` their mean
            (degrees).
    """

    frames: int | None = None
    csv: str | None = None
    png: str | None = None
    angles_per_frame: dict | None = None
    mean_deg: dict | None = None


@dataclass
class Diffusivity:
    """One element's MSD fit: ``D_cm2_s`` (cm²/s) and ``D_A2_ps`` (Å²/ps), ``fit_ps`` the window fitted (ps),
    ``intercept_A2`` the fit's MSD at t = 0 (Å²), ``msd_exponent`` (1 when diffusive) and ``problems`` named."""

    D_cm2_s: float | None = None
    D_A2_ps: float | None = None
    fit_ps: list | None = None
    intercept_A2: float | None = None
    msd_exponent: float | None = None
    problems: list = field(default_factory=list)


@dataclass
class MsdResult(RunResult):
    """MSD per element of an unwrapped dump (``analyze msd --json``; ``workflows.dump_analysis.msd``).

    Attributes:
        frames (int | None): frames used; ``temperature_K`` (K) and ``volume_A3`` (Å³) of the conductivity.
        D (dict | None): per element, its fit (``diffusivities`` typed).
        conductivity_S_cm (dict | None): Nernst-Einstein conductivity per charged element (S/cm).
        csv, png (str | None): the table and the plot written.
    """

    frames: int | None = None
    temperature_K: float | None = None
    volume_A3: float | None = None
    D: dict | None = None
    conductivity_S_cm: dict | None = None
    csv: str | None = None
    png: str | None = None

    @property
    def diffusivities(self) -> dict[str, Diffusivity]:
        """Each element's fit, typed."""
        return {el: as_row(Diffusivity, d) for el, d in (self.D or {}).items()}


@dataclass
class ClassError:
    """Force errors of one structural class (``P_edge_sharing``, ``S_bridging``, ...): ``atoms`` in it,
    ``force_rmse_eV_A`` and ``force_mae_eV_A`` (eV/Å; None for an empty class)."""

    atoms: int | None = None
    force_rmse_eV_A: float | None = None
    force_mae_eV_A: float | None = None


@dataclass
class ErrorRow:
    """One potential's (or one pair's) errors in an audit: energy per atom (eV/atom), forces (eV/Å), stress
    (GPa, None without stress labels), per structural class (``classes``) and per element (``by_element``)."""

    energy_rmse_eV_atom: float | None = None
    energy_mae_eV_atom: float | None = None
    force_rmse_eV_A: float | None = None
    force_mae_eV_A: float | None = None
    stress_rmse_GPa: float | None = None
    stress_mae_GPa: float | None = None
    by_class: dict = field(default_factory=dict)
    by_element: dict = field(default_factory=dict)

    @property
    def classes(self) -> dict[str, ClassError]:
        """The per-class errors, typed, in the audit's order."""
        return {k: as_row(ClassError, v) for k, v in self.by_class.items()}


@dataclass
class AuditResult(RunResult):
    """Potentials' errors on the same frames, against labels or each other (``lk.audit``, ``audit --json``).

    Attributes:
        frames (int | None): frames audited; ``atoms`` their atoms together.
        reference (str | None): the labelled extxyz compared against; None for a pairwise audit.
        sources (list | None): the files the frames came from.
        potentials (dict | None): per potential: ``energy_rmse_eV_atom`` (eV/atom), ``force_rmse_eV_A`` and
            ``force_mae_eV_A`` (eV/Å), ``stress_rmse_GPa`` (GPa), per element and ``by_class`` (structural
            class), and its speed; against a reference, the errors; pairwise, the speed only.
        pairs (dict | None): pairwise: the same errors per pair ``"a vs b"``.
        committee (dict | None): two or more potentials: their force spread per class (eV/Å).
        cutoffs (dict | None): the bond cutoffs (Å) of the structural classes.
        dump (str | None): the per-atom dump written; ``dump_columns`` its columns, ``class_codes`` their codes.
        selected (dict | None): the frames written for labelling (``select_n``).
    """

    frames: int | None = None
    atoms: int | None = None
    reference: str | None = None
    sources: list | None = None
    potentials: dict | None = None
    pairs: dict | None = None
    committee: dict | None = None
    class_codes: dict | None = None
    dump_columns: list | None = None
    cutoffs: dict | None = None
    dump: str | None = None
    selected: dict | None = None

    @property
    def rows(self) -> dict:
        """The error rows: per potential against a reference, else per pair."""
        return (self.potentials if self.reference else self.pairs) or {}

    @property
    def errors(self) -> dict[str, ErrorRow]:
        """``rows``, typed."""
        return {name: as_row(ErrorRow, row) for name, row in self.rows.items()}

    @property
    def classes(self) -> dict[str, int]:
        """The structural classes, in the audit's order, with their atoms (over all frames)."""
        first = next(iter(self.errors.values()), None)
        return {k: c.atoms for k, c in first.classes.items()} if first else {}

    def committee_spread(self, cls: str) -> float | None:
        """The committee's mean force spread in structural class ``cls`` (eV/Å); None without a committee."""
        return ((self.committee or {}).get("by_class", {}).get(cls) or {}).get("force_spread_mean_eV_A")

    @property
    def selection(self) -> tuple[int, str | None]:
        """The frames written for labelling (``select_n``): how many, and the file; (0, None) without."""
        sel = self.selected or {}
        return len(sel.get("frames", [])), sel.get("out")


BY_PROTOCOL = {"quench": QuenchResult, "elastic": ElasticResult, "diffusion": DiffusionResult}


def for_protocol(protocol: str) -> type[RunResult]:
    """The result class of a run directory's protocol (``run.json`` ``protocol``)."""
    return BY_PROTOCOL.get(protocol, RunResult)


def as_row(cls, row: dict | None):
    """A row dataclass from a JSON table (keys it does not name left out)."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in (row or {}).items() if k in names})


def _path(run_dir: Path | None, name: str | None) -> Path | None:
    if name is None:
        return None
    return Path(run_dir) / name if run_dir is not None else Path(name)
