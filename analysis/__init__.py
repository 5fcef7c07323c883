"""OVITO pipelines that read dumps and data files and return numbers (no simulation code here)."""
