"""What is simulated: compositions, random start structures, LAMMPS data files (no LAMMPS needed)."""
