"""The names of the files and folders of a run directory, in one place (their contents: docs/contracts.md).

A run directory holds its deck and stage files, ``run.json`` (what it is and where it stands),
``potential.lmp``, ``data.lmp`` (the start structure), ``log.lammps``, ``restart/``, its dumps and, once
finished, ``result.json``; a quench also ``glass.data``. Beside a quench's files live the folders of the
steps that follow it: ``analysis/`` (``lammpskit analyze run``), ``elastic-<method>/`` and
``diffusion-<T>K/``.
"""

QUENCH_DECK = "in.quench.lmp"          # a quench's input deck
PRODUCTION_DUMP = "dump.production.lammpstrj"  # a quench's production frames (element column)
TG_PLOT = "tg.png"                     # an NPT quench's V(T) fit
MANIFEST = "run.json"
RESULT = "result.json"
POTENTIAL = "potential.lmp"
START_DATA = "data.lmp"
LOG = "log.lammps"
RESTART_DIR = "restart"
GLASS_DATA = "glass.data"
STRESS = "stress.txt"                  # the static elastic deck's stresses
UNWRAPPED_DUMP = "dump.unwrapped.lammpstrj"
ANALYSIS_DIR = "analysis"
UNITS = "units.json"                   # in analysis/
RDF, SQ, MSD = "rdf.csv", "sq.csv", "msd.csv"
GR, ANGLES = "Gr.csv", "angles.csv"


def elastic_dir(method: str) -> str:
    """The folder of a quench's strained runs, ``elastic-<method>``."""
    return f"elastic-{method}"


def diffusion_dir(T: float) -> str:
    """The folder of a quench's NVT run at ``T`` K, ``diffusion-<T>K``."""
    return f"diffusion-{T:g}K"
