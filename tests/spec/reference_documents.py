"""Pieces of the Klear Karma API reference (../shared/api-reference.txt), extracted verbatim.

The spec tests check spec/ against the reference text itself, so a change to either shows up.
A missing reference is an error, never a skip.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path

REFERENCE_ENV = "KK_REFERENCE"

GRAPHQL_OPERATION_START = re.compile(r"^(query|mutation|subscription) (\w+)")
SDL_DEFINITION_START = re.compile(r"^(type|enum|input|interface|scalar|union) \w+")
JS_OBJECT_KEY = re.compile(r"(\w+)\s*:")


def reference_path() -> Path:
    """The reference: $KK_REFERENCE, else shared/api-reference.txt beside the repository."""
    configured = os.environ.get(REFERENCE_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2].parent / "shared" / "api-reference.txt"


@cache
def reference_text() -> str:
    path = reference_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"API reference not found at {path}; set {REFERENCE_ENV} to its path"
        )
    return path.read_text(encoding="utf-8")


def _balanced_blocks(lines: list[str], start: int, opening: str, closing: str) -> tuple[str, int]:
    """Lines from `start` up to where the brackets opened in them close again."""
    depth = 0
    opened = False
    for end in range(start, len(lines)):
        depth += lines[end].count(opening) - lines[end].count(closing)
        opened = opened or opening in lines[end]
        if opened and depth == 0:
            return "\n".join(lines[start : end + 1]), end
    raise ValueError(f"unbalanced {opening}{closing} block starting at line {start + 1}")


def graphql_documents(text: str | None = None) -> dict[str, str]:
    """Every GraphQL operation printed in the reference, by operation name, exactly as printed."""
    lines = (reference_text() if text is None else text).splitlines()
    documents: dict[str, str] = {}
    index = 0
    while index < len(lines):
        match = GRAPHQL_OPERATION_START.match(lines[index])
        if match is None:
            index += 1
            continue
        name = match.group(2)
        if name in documents:
            raise ValueError(f"GraphQL operation {name} printed twice in the reference")
        documents[name], index = _balanced_blocks(lines, index, "{", "}")
        index += 1
    return documents


def sdl_definitions(text: str | None = None) -> list[str]:
    """Every SDL type definition printed in the reference (they name types defined elsewhere)."""
    lines = (reference_text() if text is None else text).splitlines()
    blocks: list[str] = []
    index = 0
    while index < len(lines):
        if SDL_DEFINITION_START.match(lines[index]) and "{" in lines[index]:
            block, index = _balanced_blocks(lines, index, "{", "}")
            blocks.append(block)
        index += 1
    return blocks


def _section(text: str, title: str, next_title: str) -> str:
    """Body of a top-level section: its title alone on a line, up to the next title's line."""
    match = re.search(
        rf"^{re.escape(title)}$(.*?)^{re.escape(next_title)}$", text, re.MULTILINE | re.DOTALL
    )
    if match is None:
        raise ValueError(f"section {title!r} not found in the reference")
    return match.group(1)


def websocket_examples(text: str | None = None) -> list[dict[str, object]]:
    """The client messages the reference's WebSocket API section shows, in order.

    The first, auth, is printed as a JavaScript object literal inside `JSON.stringify(...)`;
    the others are JSON blocks.
    """
    section = _section(reference_text() if text is None else text, "WebSocket API", "Webhooks")
    examples: list[dict[str, object]] = []
    for literal in re.findall(r"JSON\.stringify\((\{.*?\})\)", section, re.DOTALL):
        examples.append(json.loads(JS_OBJECT_KEY.sub(r'"\1":', literal.replace("'", '"'))))
    lines = section.splitlines()
    index = 0
    while index < len(lines):
        if lines[index] == "{":
            block, index = _balanced_blocks(lines, index, "{", "}")
            examples.append(json.loads(block))
        index += 1
    return examples
