"""Studies: campaigns of compositions x potentials x replicas, SLURM, the comparison report."""
