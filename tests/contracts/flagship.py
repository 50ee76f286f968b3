"""The flagship mock app's Schemathesis schema, built once per test process and only when a test
first asks for it. Building the app and loading its /openapi.json cost seconds, and every
pytest-xdist worker imports every test module: at import time that cost was paid by each worker
for each module, even by `--collect-only` and `--lf`."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import schemathesis
import yaml
from schemathesis.config import SchemathesisConfig

from contracts import rest
from kkapp.config import AppConfig
from kkapp.factory import build
from server.specfiles import spec_dir

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@functools.cache
def mock_schema(config: Path | None = rest.CONFIG) -> Any:
    """The schema as `kk contract` sees it: the mock app's served /openapi.json, with `config`
    (contracts/schemathesis.toml by default) applied. Only read: a test calling the app through
    it changes the mock's store, which the contract tests already share."""
    app = build(AppConfig("mock")).app
    loaded = SchemathesisConfig.from_path(config) if config is not None else None
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=loaded)


def operation_labels() -> list[str]:
    """ "METHOD /path" of every operation in the flagship spec file, the file the mock serves as
    /openapi.json; read without building anything, so it can parametrize tests at collection."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc = yaml.load((spec_dir() / "openapi.yaml").read_bytes(), Loader=loader)  # noqa: S506
    return [
        f"{method.upper()} {path}"
        for path, item in doc["paths"].items()
        for method in item
        if method in METHODS
    ]
