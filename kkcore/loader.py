"""Load and validate an OpenAPI 3.0/3.1 document (a file or a URL, split over any number of
files; Swagger 2.0 converted on load); resolve local `$ref`s on demand."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, cast
from urllib.parse import urldefrag, urlparse
from urllib.request import url2pathname

import httpx
import yaml
from jsonschema_path import SchemaPath
from openapi_spec_validator.shortcuts import get_validator_cls

from kkcore.bundle import bundle
from kkcore.errors import SpecError
from kkcore.normalize import upgrade_dialects
from kkcore.swagger2 import convert

log = logging.getLogger("kk.spec")

MAX_SPEC_BYTES = 50 * 1024 * 1024
FETCH_TIMEOUT = 30.0


def is_url(source: str) -> bool:
    return urlparse(source).scheme in ("http", "https")


def source_uri(source: str | Path) -> str:
    """The absolute URI a spec source is known by (`$ref`s resolve against it)."""
    text = str(source)
    return text if is_url(text) else Path(text).resolve().as_uri()


class JsonYamlLoader(yaml.SafeLoader):
    """YAML as OpenAPI reads it (JSON-compatible): `2024-05-01` and `2024-05-01T12:00:00Z`
    stay strings; PyYAML's own datetimes fit no JSON Schema and no JSON encoder."""


JsonYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


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
        return yaml.load(text, Loader=JsonYamlLoader)
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
    bundled = bundle(doc, uri, read_uri)
    # a converted document is served as what it became, not as the file it came from
    several, doc = bundled is not doc or converted, bundled
    doc = upgrade_dialects(doc, bounds=not doc["openapi"].startswith("3.0"))
    validator = get_validator_cls(doc)(SchemaPath.from_dict(doc))
    for e in validator.iter_errors():
        where = "/" + "/".join(str(p) for p in e.absolute_path)
        if not e.absolute_path:  # a default or example that breaks its own schema: a warning
            log.warning("%s: %s", source, e.message)
            continue
        raise SpecError(f"{source}: invalid OpenAPI at {where}: {e.message}") from e
    return cast(dict[str, Any], doc), several


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
