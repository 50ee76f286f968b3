"""Contract checks: fuzz a running API against its spec, and gate breaking spec changes."""
