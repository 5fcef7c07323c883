"""One run directory: manifest, rendering, the engine that runs or resumes it, the bridge, progress."""
