"""The generator: spec/ -> generated/. Spec-agnostic."""
