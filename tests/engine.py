"""Build engine apps for tests straight from a spec file (no entry points, no generated/)."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from kkcore.loader import load_document
from kkcore.table import build_table
from kkcore.types import ApiTable, Mode
from mocks.engine import MockEngine
from server.app import AppParts, choose_handlers, compile_operations, create_app
from server.binding import OperationGroup, bind
from server.config import Runtime
from server.identity import Authenticator

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent


# Validated fixture documents by their files' content: the meta-schema validation costs about
# 0.15 s a document and the fixture specs are loaded some hundred times a run (at collection in
# every xdist worker, then per app); each caller gets its own copy to build a table from.
_DOCUMENTS: dict[str, dict[str, Any]] = {}


def content_key(folder: Path) -> str:
    """A hash of every file under `folder` (a spec may $ref its neighbours), names included."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def fixture_document(name: str) -> dict[str, Any]:
    """The fixture spec `name`, parsed and validated once per content, as a fresh copy."""
    key = content_key(FIXTURES / name)
    if key not in _DOCUMENTS:
        _DOCUMENTS[key] = load_document(FIXTURES / name / "openapi.yaml")
    return copy.deepcopy(_DOCUMENTS[key])


def fixture_table(name: str) -> ApiTable:
    return build_table(fixture_document(name))


def engine_app(
    spec: str | ApiTable,
    *,
    mode: Mode = "mock",
    groups: Iterable[OperationGroup] = (),
    authenticator: Authenticator | None = None,
    validate_responses: bool = True,
    max_body_size: int | None = None,
    **extras: Any,
) -> tuple[Any, AppParts]:
    table = fixture_table(spec) if isinstance(spec, str) else spec
    runtime = Runtime(
        table=table,
        mode=mode,
        validate_responses=validate_responses,
        authenticator=authenticator,
        max_body_size=max_body_size,
        access_log=False,
        extras=dict(extras),
    )
    app, parts, _ = mock_app(table, runtime, groups)
    return app, parts


def mock_app(
    table: ApiTable,
    runtime: Runtime | None = None,
    groups: Iterable[OperationGroup] = (),
    **options: Any,
) -> tuple[Any, AppParts, MockEngine]:
    """An app mocking `table` and its engine (options as for `kk mock`: seed, state...)."""
    runtime = runtime or Runtime(
        table=table, mode="mock", validate_responses=True, access_log=False
    )
    engine = MockEngine(table, **options)
    bound = bind(groups, table["operations"])
    handlers = choose_handlers(table["operations"], bound, engine, runtime.mode)
    parts = AppParts(operations=compile_operations(runtime, handlers))
    engine.extend(parts)
    return create_app(runtime, parts), parts, engine


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
