"""The runtime: serves any OpenAPI document from its generated table (spec-agnostic)."""
