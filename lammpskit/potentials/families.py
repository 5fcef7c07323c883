"""The model families, each declared once: what the kit needs to know to run, check, register and convert a
family's models. Adding a family is one ``Family`` entry here plus one builder in ``builders``.

A registry entry names its family (``family = "mace"``) and its bridge calculator (``[bridge] calculator``, a
family name). Nothing else in the kit lists families.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from lammpskit.potentials import batching, builders, converters

# deepmd-kit's LAMMPS plugin, as entries write it: the only shared library an entry may `plugin load`
DEEPMD_PLUGIN = "{package:deepmd}/lib/libdeepmd_lmpplugin.so"


@dataclass(frozen=True)
class Site:
    """A side folder (``pip install --target``) that holds a family's packages, off the default path."""

    var: str             # environment variable that points elsewhere
    folder: str          # default: <venv>/opt/<folder>
    first: bool = False  # prepended to sys.path (its packages shadow the venv's); else appended after LAMMPS
    shadows: tuple[str, ...] = ()  # modules it must shadow: refused if already imported from elsewhere
    install: str = "make mlips"    # what installs it (run in the kit's folder)


@dataclass(frozen=True)
class Family:
    name: str
    package: str | None = None           # the Python package its bridge calculator imports
    builder: Callable | None = None      # (pot, files, device) -> ASE calculator
    batched: Callable | None = None      # (calc, frames, batch, tick) -> [batching.Labels]
    site: Site | None = None             # side folder holding ``package``
    env: Mapping[str, str] = field(default_factory=dict)  # environment defaults before its first import
    markers: tuple[bytes, ...] = ()      # bytes in a torch archive's pickle that mark this family's file
    checked: bool = False                # its model files are recognised (modelfiles.check) before use
    runs_code: bool = False              # loading its model file runs code: a sha256 is required
    registrable: bool = True             # 'potentials add --model' accepts it
    bridge_dtype: bool = False           # entries 'potentials add' writes carry [bridge] dtype
    native: Mapping | None = None        # [[native]] block for entries 'potentials add' writes
    converters: Mapping[str, Callable] = field(default_factory=dict)  # derive name -> converter
    isolated: bool = False               # evaluated in its own process: its packages conflict with others'
    # (the order of FAMILIES is the order model files are matched against markers: sevenn's checkpoints also
    # hold deepmd's "type_map" and the word "chgnet")


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("sevenn", package="sevenn", builder=builders.sevenn,
           site=Site("LAMMPSKIT_SEVENN_SITE", "sevenn", first=True, shadows=("e3nn",), install="make sevenn"),
           markers=(b"_chemical_species_by_atomic_number", b"sevenn.nn.", b"sevenn.mliap"),
           checked=True, runs_code=True, isolated=True,
           converters={"sevenn-e3gnn": converters.sevenn_e3gnn, "sevenn-mliap": converters.sevenn_mliap}),
    Family("chgnet", package="chgnet", builder=builders.chgnet, batched=batching.chgnet,
           markers=(b"model_args", b"composition_model"), checked=True, runs_code=True),
    Family("mace", package="mace", builder=builders.mace, batched=batching.mace, markers=(b"mace.modules",),
           checked=True, runs_code=True, bridge_dtype=True,
           converters={"mace-mliap": converters.mace_mliap, "mace-libtorch": converters.mace_libtorch}),
    Family("grace", package="tensorpotential", builder=builders.grace,
           site=Site("LAMMPSKIT_GRACE_SITE", "grace"), env={"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"},
           checked=True, runs_code=True,
           native={"id": "grace-tf", "pair_style": "grace pad_verbose", "pair_coeff": "* * {model} {elements}",
                   "styles": ["grace"], "packages": ["ML-PACE"]},
           converters={"grace-fs-yaml": converters.grace_fs_yaml}),
    Family("deepmd", package="deepmd", builder=builders.deepmd, markers=(b"deepmd", b"type_map"),
           checked=True, runs_code=True,
           native={"id": "deepmd", "pair_style": "deepmd {model}", "pair_coeff": "* * {elements}",
                   "styles": ["deepmd"], "plugin": DEEPMD_PLUGIN},
           converters={"deepmd-compress": converters.deepmd_compress}),
    Family("classical", registrable=False),  # a LAMMPS pair style: 'potentials add --pair-style'
)}


def get(name: str) -> Family | None:
    return FAMILIES.get(name)


def of_package(package: str) -> Family | None:
    """The family whose bridge calculator imports ``package``."""
    return next((f for f in FAMILIES.values() if f.package == package), None)


def registrable() -> list[str]:
    """Families 'potentials add --model' takes."""
    return [f.name for f in FAMILIES.values() if f.registrable]


def runs_code(name: str) -> bool:
    return bool(FAMILIES.get(name) and FAMILIES[name].runs_code)


def converter(derive: str | None) -> Callable | None:
    return next((f.converters[derive] for f in FAMILIES.values() if derive in f.converters), None)


def converter_names() -> list[str]:
    return [k for f in FAMILIES.values() for k in f.converters]
