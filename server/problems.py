"""Render ApiErrors as the reference's JSON:API error document."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import orjson

from kkcore.errors import ApiError, Problem

DOCS_BASE = "https://docs.klearkarma.com/errors/"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _entry(error: ApiError, problem: Problem) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": "err_" + os.urandom(8).hex(),
        "status": str(error.status),
        "code": problem.code or error.code,
        "title": problem.title or error.title,
        "detail": problem.detail,
    }
    source: dict[str, str] = {}
    if problem.pointer is not None:
        source["pointer"] = problem.pointer
    if problem.parameter is not None:
        source["parameter"] = problem.parameter
    if source:
        entry["source"] = source
    if problem.meta:
        entry["meta"] = dict(problem.meta)
    return entry


def error_document(error: ApiError, request_id: str) -> dict[str, Any]:
    return {
        "errors": [_entry(error, p) for p in error.problems],
        "meta": {
            "request_id": request_id,
            "timestamp": now_iso(),
            "documentation_url": DOCS_BASE + error.documentation,
        },
    }


def error_body(error: ApiError, request_id: str) -> bytes:
    return orjson.dumps(error_document(error, request_id))
