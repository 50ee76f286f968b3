"""The prefixes and separators of path parameter styles `label` (`.a,b` / `.a.b`) and
`matrix` (`;x=a,b` / `;x=a;x=b`), per OpenAPI's style table (RFC 6570 expansions).

`pieces()` turns one raw value into what the coercer splits no further: the items of an
array, the `key=value` pairs of an exploded object, alternating keys and values of a
non-exploded one, or the one text of a primitive. A value without its style's prefix is a
CoercionError, which the parser answers with a 400 naming the parameter.
"""

from __future__ import annotations

PREFIXED = frozenset({"label", "matrix"})


class CoercionError(ValueError):
    """A raw parameter or form value that is not of its declared type or style."""


def _matrix_value(name: str, piece: str) -> str:
    """`x=v` → `v`; a bare `x` is the empty value (RFC 6570 `;x`)."""
    if piece == name:
        return ""
    if not piece.startswith(name + "="):
        raise CoercionError(f"must be given as ;{name}=value (matrix style)")
    return piece[len(name) + 1 :]


def pieces(style: str, explode: bool, name: str, kind: str, raw: str) -> list[str]:
    prefix = "." if style == "label" else ";"
    if raw == "" and style == "matrix" and kind in ("array", "object"):
        return []  # RFC 6570 expands an empty list or map under `;` to nothing at all
    if not raw.startswith(prefix):
        raise CoercionError(f"must start with {prefix!r} ({style} style)")
    body = raw[1:]
    if kind not in ("array", "object"):
        return [body if style == "label" else _matrix_value(name, body)]
    if style == "label":
        return body.split("." if explode else ",") if body else []
    if explode and kind == "object":  # `;a=1;b=2`: the pairs themselves
        return body.split(";") if body else []
    if explode:  # `;x=a;x=b`
        return [_matrix_value(name, p) for p in body.split(";")]
    value = _matrix_value(name, body)
    return value.split(",") if value else []
