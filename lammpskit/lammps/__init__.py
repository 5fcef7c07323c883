"""The LAMMPS process: loading the module with sane settings, running tools, dumps and logs."""
