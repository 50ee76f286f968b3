"""Load and validate an OpenAPI 3.0/3.1 document (a file or a URL, split over any number of
files; Swagger 2.0 converted on load); resolve local `$ref`s on demand."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, cast
from urllib.parse import urldefrag, urlparse
from urllib.request import url2pathname

import httpx
import orjson
import yaml
from jsonschema_path import SchemaPath
from openapi_spec_validator.shortcuts import get_validator_cls

from kkcore.bundle import bundle
from kkcore.errors import SpecError
from kkcore.normalize import upgrade_dialects
from kkcore.repair import repair
from kkcore.swagger2 import convert

log = logging.getLogger("kk.spec")

MAX_SPEC_BYTES = 50 * 1024 * 1024
LINT_MAX_BYTES = 2 * 1024 * 1024
FETCH_TIMEOUT = 30.0


def is_url(source: str) -> bool:
    return urlparse(source).scheme in ("http", "https")


def source_uri(source: str | Path) -> str:
    """The absolute URI a spec source is known by (`$ref`s resolve against it)."""
    text = str(source)
    return text if is_url(text) else Path(text).resolve().as_uri()


# libyaml's parser when PyYAML was built with it: the pure-Python one takes minutes on a
# multi-megabyte document (measured: 138 s of a 203 s start-up for an 8.6 MB spec).
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class JsonYamlLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """YAML as OpenAPI reads it (JSON-compatible): `2024-05-01` and `2024-05-01T12:00:00Z`
    stay strings; PyYAML's own datetimes fit no JSON Schema and no JSON encoder. Keys are
    strings, as in JSON: a response code written `200:` unquoted is "200" (an int key
    crashed the meta-schema check with a ValueError)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)  # `<<` merge keys, as PyYAML's own does
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _json_key(self.construct_object(key_node, deep=deep))
            if key is None:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a scalar", key_node.start_mark
                )
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


def _json_key(key: Any) -> str | None:
    """The JSON text of a scalar key (1 and `true` stay apart); None for any other key."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return "true" if key is True else "false" if key is False else "null"
    return str(key) if isinstance(key, (int, float)) else None


JsonYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse(text: str) -> Any:
    """JSON text with a JSON parser (a hundred times faster than any YAML one; a leading
    byte-order mark, as some .NET tools write, is skipped), anything else as YAML."""
    body = text.removeprefix("\ufeff")
    if body.lstrip()[:1] in ("{", "["):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # YAML flow style, or JSON with a YAML-only extra: YAML decides
    return yaml.load(body, Loader=JsonYamlLoader)


def read_uri(uri: str) -> Any:
    """The parsed YAML/JSON at a `file:` or `http(s):` URI (bounded in size and time)."""
    uri = urldefrag(uri)[0]
    parsed = urlparse(uri)
    try:
        if parsed.scheme == "file":
            path = Path(url2pathname(parsed.path))
            if path.stat().st_size > MAX_SPEC_BYTES:
                raise SpecError(f"{path}: larger than {MAX_SPEC_BYTES} bytes")
            text = path.read_text(encoding="utf-8")
        elif parsed.scheme in ("http", "https"):
            with httpx.stream("GET", uri, timeout=FETCH_TIMEOUT, follow_redirects=True) as r:
                r.raise_for_status()
                chunks, size = [], 0
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    if size > MAX_SPEC_BYTES:
                        raise SpecError(f"{uri}: larger than {MAX_SPEC_BYTES} bytes")
                    chunks.append(chunk)
                text = b"".join(chunks).decode("utf-8")
        else:
            raise SpecError(f"{uri}: only files and http(s) URLs can be read")
        return parse(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, httpx.HTTPError) as e:
        raise SpecError(f"{uri}: cannot read: {e}") from e


def load_document(source: str | Path) -> dict[str, Any]:
    """Parse, bundle and validate an OpenAPI document; raise SpecError naming the source."""
    return load_spec(source)[0]


def load_spec(source: str | Path) -> tuple[dict[str, Any], bool]:
    """The document and whether it is more than that one file (URL refs, other files, a
    Swagger 2.0 document converted on load: kkcore.swagger2)."""
    uri = source_uri(source)
    doc = read_uri(uri)
    converted = isinstance(doc, dict) and str(doc.get("swagger", "")).startswith("2.")
    if converted:
        doc = convert(doc, str(source), uri)
    if not isinstance(doc, dict) or not str(doc.get("openapi", "")).startswith(("3.0", "3.1")):
        raise SpecError(f"{source}: not an OpenAPI 3.0 or 3.1 (or Swagger 2.0) document")
    if not isinstance(doc["openapi"], str):  # `openapi: 3.1` unquoted: YAML reads a number
        raise SpecError(f'{source}: `openapi` must be a string such as "3.1.0" (quote it)')
    bundled = bundle(doc, uri, read_uri)
    # a converted document is served as what it became, not as the file it came from
    several, doc = bundled is not doc or converted, repair(bundled, source)
    doc = upgrade_dialects(doc, bounds=not doc["openapi"].startswith("3.0"))
    validate(doc, source)
    return cast(dict[str, Any], doc), several


def validate(doc: dict[str, Any], source: object) -> None:
    """The OpenAPI meta-schema decides (SpecError at the first breach); openapi-spec-validator's
    deeper lint (defaults and examples against their schemas, required names without a
    property, duplicate operationIds) only warns, and is skipped above LINT_MAX_BYTES: its walk
    is quadratic (measured 40 s for an 8.6 MB document, 104 s for GitHub's 13 MB). A document
    found valid before in this process is not walked again: its notes are logged as then."""
    try:
        body: bytes | None = orjson.dumps(doc)
    except TypeError:  # keys YAML read as numbers: the meta-schema names them below
        body = None
    key = (hashlib.sha256(body).digest(), LINT_MAX_BYTES) if body is not None else None
    notes = _VALID.get(key) if key is not None else None
    if notes is None:
        notes = _walk(doc, source, body)
        if key is not None:
            _VALID[key] = notes
    for level, message in notes:
        log.log(level, "%s: %s", source, message)


# (sha256 of a valid document's JSON, the lint's size limit) -> what validating it logged
_VALID: dict[tuple[bytes, int], tuple[tuple[int, str], ...]] = {}


def _walk(doc: dict[str, Any], source: object, body: bytes | None) -> tuple[tuple[int, str], ...]:
    validator = get_validator_cls(doc)(SchemaPath.from_dict(doc))
    for e in validator.schema_validator.iter_errors(doc):
        where = "/" + "/".join(str(p) for p in e.absolute_path)
        raise SpecError(f"{source}: invalid OpenAPI at {where}: {_short(e.message)}") from e
    size = len(body if body is not None else orjson.dumps(doc))
    if size > LINT_MAX_BYTES:
        return ((logging.INFO, f"{size} bytes; the lint of defaults and examples is skipped"),)
    return tuple((logging.WARNING, _short(e.message)) for e in validator.iter_errors())


def _short(message: str) -> str:
    """A message without the whole offending node (a schema can be megabytes)."""
    first = message.splitlines()[0] if message else message
    return first if len(first) <= 300 else first[:300] + "..."


def resolve(doc: dict[str, Any], node: Any) -> Any:
    """Follow a chain of local `$ref`s (`#/a/b`) to the node they name."""
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise SpecError(f"only local $refs are supported, got {ref!r}")
        if ref in seen:
            raise SpecError(f"circular $ref {ref}")
        seen.add(ref)
        target: Any = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise SpecError(f"unresolvable $ref {ref}")
            target = target[part]
        node = target
    return node
