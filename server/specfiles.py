"""Where the Klear Karma spec files are, in a checkout and in an installed wheel.

`server/spec` links to the checkout's `spec/` and is package data, so a wheel carries copies
(pyproject `[tool.setuptools.package-data]`) and `kk mock`/`kk sandbox` without `--spec` find
them wherever the kit is installed and whatever the working directory.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def spec_dir() -> Path:
    """The directory of openapi.yaml, schema.graphql, asyncapi.yaml and sandbox.yaml."""
    # A path, not a Traversable: the app serves, watches and reads the files next to openapi.yaml
    # by path; the kit is installed unpacked (setuptools wheels are not zip-safe here).
    return Path(str(files("server") / "spec"))


def spec_file(name: str) -> Path:
    """One of the spec files, e.g. `spec_file("openapi.yaml")`."""
    return spec_dir() / name
