"""Every serialization style of OpenAPI's style table (RFC 6570 expansions as OpenAPI 3.x
defines them), read back from the wire.

Values arrive as the client sent them: path segments and query values still percent-encoded,
so a delimiter written inside a value (`%2C`, `%3B`, `%2E`, `%2F`, `%7C`) is text of that
value, and each piece is decoded only after the split. Headers are not percent-encoded.

`array()` gives the items of an array, `pairs()` the `(key, value)` pairs of an object,
`primitive()` the one text of a primitive. A value without its style's prefix, or not UTF-8
once decoded, is a CoercionError, which the parser answers with a 400 naming the parameter.
Two readings are lenient where clients are not RFC 6570: `spaceDelimited`'s delimiter is an
encoded space, so a space inside an item cannot be told from it; and a `,`/`|` list written
without one literal delimiter but with escaped ones (`1%2C2`, a joined string encoded whole by
URLSearchParams or httpx) is split there, so a one-item list whose item holds the delimiter
reads as several items.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote, unquote_plus

PREFIXED = frozenset({"label", "matrix"})
Decode = Callable[[str], str]
_SPACES = re.compile(r"%20|\+| ")
_DELIMITER = {"pipeDelimited": "|", "label": "."}
_ESCAPED = {d: re.compile(f"%{ord(d):02X}", re.IGNORECASE) for d in ",|"}


class CoercionError(ValueError):
    """A raw parameter or form value that is not of its declared type or style."""


def _strict(unquote_: Callable[..., str]) -> Decode:
    def decode(raw: str) -> str:
        if "%" not in raw and "+" not in raw:
            return raw
        try:
            return unquote_(raw, errors="strict")
        except UnicodeDecodeError:
            raise CoercionError(f"is not UTF-8 once percent-decoded: {raw!r}") from None

    return decode


DECODERS: dict[str, Decode] = {
    "path": _strict(lambda raw, errors: unquote(raw, errors=errors)),  # `+` is a plus here
    "query": _strict(lambda raw, errors: unquote_plus(raw, errors=errors)),
    "header": lambda raw: raw,
}


def _split(style: str, raw: str, structural: str = "") -> list[str]:
    """A list by its delimiter as written; a value with none (nor any other `structural`
    character) but escaped ones (`1%2C2`) is a list encoded whole, as URLSearchParams and
    httpx write a joined string."""
    if style == "spaceDelimited":
        return _SPACES.split(raw)
    delimiter = _DELIMITER.get(style, ",")
    if delimiter in raw or "%" not in raw or any(c in raw for c in structural):
        return raw.split(delimiter)
    return _ESCAPED[delimiter].split(raw)


def _body(style: str, raw: str) -> str:
    prefix = "." if style == "label" else ";"
    if not raw.startswith(prefix):
        raise CoercionError(f"must start with {prefix!r} ({style} style)")
    return raw[1:]


def _matrix_value(name: str, piece: str, decode: Decode) -> str:
    """`x=v` → `v` (still encoded); a bare `x` is the empty value (RFC 6570 `;x`)."""
    key, eq, value = piece.partition("=")
    if decode(key) != name:
        raise CoercionError(f"must be given as ;{name}=value (matrix style)")
    return value if eq else ""


def primitive(style: str, name: str, raw: str, decode: Decode) -> str:
    if style == "label":
        return decode(_body(style, raw))
    if style == "matrix":
        return decode(_matrix_value(name, _body(style, raw), decode))
    return decode(raw)


def array(style: str, explode: bool, name: str, raw: str, decode: Decode) -> list[str]:
    """The items of one non-exploded value (or one label/matrix value, exploded or not)."""
    if raw == "":
        return []  # RFC 6570 expands an empty list to nothing, in every style
    if style == "label":
        body = _body(style, raw)
        return [decode(p) for p in body.split("." if explode else ",")] if body else []
    if style == "matrix":
        body = _body(style, raw)
        if explode:  # `;x=a;x=b`
            return [decode(_matrix_value(name, p, decode)) for p in body.split(";")]
        value = _matrix_value(name, body, decode)
        return [decode(p) for p in value.split(",")] if value else []
    return [decode(p) for p in _split(style, raw)]


def pairs(style: str, explode: bool, name: str, raw: str, decode: Decode) -> list[tuple[str, str]]:
    """The `(key, value)` pairs of an object in any style but deepObject and exploded form."""
    if raw == "":
        return []
    if style in PREFIXED:
        body = _body(style, raw)
        if style == "matrix" and not explode:
            body = _matrix_value(name, body, decode)
        if not body:
            return []
        separator = ("." if style == "label" else ";") if explode else ","
        parts = body.split(separator)
        if style == "label" and explode:
            parts = _rejoined(parts)
    else:
        parts = _split(style, raw, "=" if explode else "")
    if explode:  # `R=100,G=200`
        return [_pair(p, decode) for p in parts]
    if len(parts) % 2:
        raise CoercionError("must be a list of alternating keys and values (`R,100,G,200`)")
    return [(decode(k), decode(v)) for k, v in zip(parts[::2], parts[1::2], strict=True)]


def _pair(part: str, decode: Decode) -> tuple[str, str]:
    key, eq, value = part.partition("=")
    if eq:
        return decode(key), decode(value)
    key, eq, value = decode(part).partition("=")  # `R%3D100`: the pair was encoded whole
    if not eq:
        raise CoercionError("must be a list of key=value pairs")
    return key, value


def _rejoined(parts: list[str]) -> list[str]:
    """`.k=1.5.j=2`: RFC 6570 leaves `.` unescaped (unreserved), so a piece without `=` is the
    rest of the value before it (`1.5`)."""
    out: list[str] = []
    for part in parts:
        if "=" not in part and out:
            out[-1] += "." + part
        else:
            out.append(part)
    return out
