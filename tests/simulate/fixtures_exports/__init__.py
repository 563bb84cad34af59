"""Hand-made simulation output for the export tests (until the engine's own small run is used)."""
