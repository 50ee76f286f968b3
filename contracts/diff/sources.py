"""Read a document to compare from a file, a URL or a git ref, and tell which kind it is."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphql
import httpx
import yaml

from contracts.diff.findings import DiffError

MAX_BYTES = 20 * 1024 * 1024  # a spec larger than this is refused, not read
FETCH_TIMEOUT = 20.0  # seconds per URL
MAX_SDL_TOKENS = 500_000  # graphql-core stops parsing past this many tokens
GRAPHQL_SUFFIXES = (".graphql", ".graphqls", ".gql")
# libyaml's loader when PyYAML was built with it: ten times faster on spec/openapi.yaml
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Document:
    kind: str  # openapi | asyncapi | graphql
    label: str
    data: dict[str, Any] = field(default_factory=dict)
    sdl: str = ""

    @property
    def version(self) -> str:
        return str((self.data.get("info") or {}).get("version", "")) if self.data else ""


def _fetch(url: str) -> str:
    try:
        with httpx.stream("GET", url, timeout=FETCH_TIMEOUT, follow_redirects=True) as response:
            if response.status_code != 200:
                raise DiffError(f"{url}: HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise DiffError(f"{url}: larger than {MAX_BYTES} bytes")
            return body.decode("utf-8")
    except (httpx.HTTPError, UnicodeDecodeError) as e:
        raise DiffError(f"{url}: cannot fetch: {e}") from e


def read(source: str) -> str:
    if source.startswith(("http://", "https://")):
        return _fetch(source)
    path = Path(source)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise DiffError(f"{source}: larger than {MAX_BYTES} bytes")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DiffError(f"{source}: cannot read: {e}") from e


def _is_sdl(text: str) -> bool:
    try:
        graphql.parse(text, no_location=True, max_tokens=MAX_SDL_TOKENS)
    except graphql.GraphQLError:
        return False
    return True


def parse(label: str, text: str) -> Document:
    """A document by its content: OpenAPI or AsyncAPI (YAML or JSON), else GraphQL SDL."""
    if label.lower().endswith(GRAPHQL_SUFFIXES):
        return Document("graphql", label, sdl=text)
    try:
        data = yaml.load(text, Loader=LOADER)  # a safe loader, C or Python
    except yaml.YAMLError:
        data = None
    if isinstance(data, dict):
        if str(data.get("openapi", "")).startswith(("3.0", "3.1")):
            return Document("openapi", label, data)
        if str(data.get("asyncapi", "")).startswith("3."):
            return Document("asyncapi", label, data)
        if "swagger" in data or "openapi" in data or "asyncapi" in data:
            found = data.get("openapi") or data.get("asyncapi") or f"swagger {data.get('swagger')}"
            supported = "OpenAPI 3.0/3.1, AsyncAPI 3"
            raise DiffError(f"{label}: version {found} is not supported ({supported})")
    if _is_sdl(text):  # SDL is sometimes valid YAML too: a scalar or a mapping
        return Document("graphql", label, sdl=text)
    raise DiffError(f"{label}: not an OpenAPI, AsyncAPI or GraphQL document")


def load(source: str) -> Document:
    return parse(source, read(source))


def git(*args: str, cwd: Path | None = None) -> str | None:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else None


def default_base(cwd: Path | None = None) -> str:
    """The merge base with main; on main itself, the previous commit."""
    head = (git("rev-parse", "HEAD", cwd=cwd) or "").strip()
    for candidate in ("main", "origin/main"):
        base = (git("merge-base", "HEAD", candidate, cwd=cwd) or "").strip()
        if base and base != head:
            return base
    return "HEAD~1"
