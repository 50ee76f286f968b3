"""A documented `application/problem+json` error answer is written to fit its own schema
(Dialogporten's ASP.NET ProblemDetails has `errors` as an object of string arrays, not the
list kk's RFC 9457 document carries), like every other documented error answer."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.anyspec.conftest import mock_client

pytestmark = pytest.mark.anyio

PROBLEM = {
    "type": "object",
    "additionalProperties": {"nullable": True},
    "properties": {
        "title": {"type": "string", "nullable": True},
        "status": {"type": "integer", "nullable": True},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}
DIALOG = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "problems", "version": "1"},
    "paths": {
        "/dialogs": {
            "get": {
                "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                "responses": {
                    "200": {
                        "description": "the dialogs",
                        "content": {
                            "application/json": {"schema": {"type": "array", "items": DIALOG}}
                        },
                    },
                    "400": {
                        "description": "a bad request",
                        "content": {
                            "application/problem+json": {
                                "schema": {"$ref": "#/components/schemas/ProblemDetails"}
                            }
                        },
                    },
                },
            }
        }
    },
    "components": {"schemas": {"ProblemDetails": PROBLEM}},
}


async def test_a_problem_json_error_answer_fits_the_problem_schema_of_the_spec(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    async with mock_client(spec, tmp_path, auth=False) as c:
        answer = await c.get("/dialogs", params={"limit": "ten"})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    schema = {**PROBLEM, "properties": {**PROBLEM["properties"]}}
    jsonschema.validate(answer.json(), schema)  # nullable is a no-op keyword there
    assert isinstance(answer.json()["errors"], dict)
