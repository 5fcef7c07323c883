"""Potentials as data: registry entries, pins, what a LAMMPS build runs, calculators, fetch, convert, register."""
