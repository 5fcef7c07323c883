"""Workflows on a run directory: quench protocol, elastic constants, diffusion, analysis of a finished run."""
