"""Breaking-change detection between two versions of an OpenAPI, AsyncAPI or GraphQL document.

`rules` holds every rule as data (id, level per direction); `keywords` and `schemas` compare
JSON Schemas; `openapi`, `asyncapi` and `graphql` compare documents; `report` renders;
`gate` is what `kk diff` calls.
"""

from contracts.diff.findings import DiffError, Direction, Finding, Level
from contracts.diff.gate import compare_files, compare_git
from contracts.diff.report import FORMATS, Report, Section
from contracts.diff.sources import default_base

__all__ = [
    "FORMATS",
    "DiffError",
    "Direction",
    "Finding",
    "Level",
    "Report",
    "Section",
    "compare_files",
    "compare_git",
    "default_base",
]
