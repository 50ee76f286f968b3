"""Generation never stops start-up: what a schema cannot give degrades with a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from kkapp.config import AppConfig
from kkapp.factory import build

SPEC = """
openapi: 3.1.0
info: {title: Few ids, version: '1'}
paths:
  /things:
    get:
      responses:
        '200':
          description: Things
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Thing'}}
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
      responses:
        '201':
          description: Made
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
  /things/{thingId}:
    get:
      parameters:
        - {name: thingId, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: A thing
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
components:
  schemas:
    Thing:
      type: object
      required: [id]
      properties:
        id: {type: string, enum: [the-only-one]}
"""


def test_ids_a_schema_cannot_make_unique_fall_back_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(SPEC)
    config = AppConfig("mock", spec=str(spec), data_dir=str(tmp_path), options={"seed_count": 5})
    built = build(config)
    assert built.app is not None
    assert "no fresh id fits its schema" in caplog.text
