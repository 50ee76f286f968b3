"""JSON Schema 2020-12 validators, compiled once at startup (jsonschema-rs)."""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from kkcore.errors import Problem, SpecError


def _escape(part: object) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def pointer(parts: list[Any] | tuple[Any, ...]) -> str:
    return "".join("/" + _escape(p) for p in parts)


class CompiledSchema:
    """A compiled validator; `problems()` reports every error with an exact JSON pointer."""

    __slots__ = ("schema", "_validator")

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        try:
            self._validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
        except (ValueError, jsonschema_rs.ReferencingError) as e:
            raise SpecError(f"invalid JSON Schema: {e}") from e

    def is_valid(self, instance: Any) -> bool:
        return bool(self._validator.is_valid(instance))

    def problems(
        self, instance: Any, *, prefix: str = "", parameter: str | None = None
    ) -> list[Problem]:
        out: list[Problem] = []
        for error in self._validator.iter_errors(instance):
            at = prefix + pointer(error.instance_path)
            kind = error.kind
            rule = type(kind).__name__
            targets: list[str] = [at]
            if rule == "Required":
                targets = [at + "/" + _escape(getattr(kind, "property", ""))]
            elif rule == "AdditionalProperties":
                targets = [at + "/" + _escape(n) for n in getattr(kind, "unexpected", [])]
            for target in targets:
                out.append(
                    Problem(
                        detail=error.message,
                        pointer=None if parameter else (target or ""),
                        parameter=parameter,
                        meta={
                            "validation_rule": _rule_name(rule),
                            "field": target.rsplit("/", 1)[-1],
                        },
                    )
                )
        return out


def _rule_name(kind: str) -> str:
    # Required -> required, AdditionalProperties -> additional_properties
    return "".join("_" + c.lower() if c.isupper() else c for c in kind).lstrip("_")
