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


BAD_EXAMPLE = """
openapi: 3.0.3
info: {title: An example that is a JSON text, version: '1'}
paths:
  /pet:
    put:
      responses:
        '200':
          description: The pet
          content:
            application/json:
              schema:
                type: object
                required: [name]
                properties: {name: {type: string}, kind: {type: string, enum: [Cat, Dog]}}
              examples:
                text: {value: "{\\n  \\"name\\": \\"Fluffy\\"\\n}"}
                fine: {value: {name: Fluffy, kind: Cat}}
  /plain:
    get:
      responses:
        '200':
          description: Only a bad example
          content:
            application/json:
              schema: {type: array, items: {type: integer}}
              example: "[1, 2]"
"""


@pytest.mark.anyio
async def test_an_example_that_breaks_its_schema_is_not_the_answer(tmp_path: Path) -> None:
    from tests.anyspec.conftest import mock_client

    spec = tmp_path / "openapi.yaml"
    spec.write_text(BAD_EXAMPLE)
    async with mock_client(spec, tmp_path) as c:
        pet = await c.put("/pet")
        plain = await c.get("/plain")
    assert pet.json() == {"name": "Fluffy", "kind": "Cat"}  # the first example that fits
    assert isinstance(plain.json(), list)
    assert all(isinstance(n, int) for n in plain.json())
