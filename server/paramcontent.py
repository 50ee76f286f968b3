"""Parameters described by `content` instead of `schema` (OpenAPI 3.x): one value in a media
type, e.g. a JSON filter in a query (`?filter={"status":"draft"}`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from server.paramstyles import CoercionError


def content_coercer(media: str, unquote: Callable[[str], str]) -> Callable[[list[str]], Any]:
    """A `content` parameter: its one value (percent-decoded as its location is) in that media
    type (JSON decoded, else text)."""
    json = media.split(";")[0].strip().lower().endswith(("/json", "+json"))

    def decode(values: list[str]) -> Any:
        if len(values) > 1:
            raise CoercionError(f"must be given once, got {len(values)} values")
        if not json:
            return unquote(values[0])
        try:
            return orjson.loads(unquote(values[0]))
        except orjson.JSONDecodeError as e:
            raise CoercionError(f"is not valid JSON ({media}): {e}") from e

    return decode
