"""Klear Karma's REST operations, one module per spec tag (beside `handlers.graphql`)."""
