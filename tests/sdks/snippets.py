"""The SDK snippets of the API reference ("SDK and Libraries"), extracted at test time.

Tests run them as printed; the only changes allowed are the issue's: the sandbox's API key
for 'your_api_key' and a base URL for the local sandbox (`base_url` / `baseUrl` wins over
`environment`). In the TypeScript test files an added line ends with `// added: ...`.
"""

from __future__ import annotations

import re

from tests.spec.reference_documents import reference_text


def _between(start: str, end: str, after: str | None = None) -> str:
    text = reference_text()
    offset = text.index(after) if after else 0
    begin = text.index(start, offset) + len(start)
    return text[begin : text.index(end, begin)].strip("\n")


def _code(block: str) -> str:
    """The block without its trailing blank lines; lines keep their indentation."""
    return "\n".join(line.rstrip() for line in block.strip("\n").splitlines()).strip("\n")


def typescript_usage() -> str:
    return _code(_between("Usage:", "Python SDK", after="JavaScript/TypeScript SDK"))


def python_usage() -> str:
    return _code(_between("Usage:", "React Hooks", after="Python SDK\n"))


def react_hooks() -> str:
    return _code(_between("React Hooks", "Community Libraries"))


def python_adapted(api_key: str, base_url: str) -> str:
    """The Python snippet with the sandbox's key, and its base URL next to `environment`."""
    code = python_usage()
    adapted = code.replace("api_key='your_api_key',", f"api_key={api_key!r},")
    adapted = adapted.replace(
        "environment='production'", f"environment='production',\n    base_url={base_url!r}"
    )
    if adapted.count(api_key) != 1 or adapted.count(base_url) != 1:
        raise ValueError("the reference's Python snippet changed: update python_adapted")
    return adapted


def as_printed(test_source: str) -> str:
    """A TypeScript test's copy of a snippet, with the adaptations undone."""
    lines = [line for line in test_source.splitlines() if "// added:" not in line]
    text = "\n".join(lines).replace("apiKey: API_KEY,", "apiKey: 'your_api_key',")
    return text


def normalized(code: str) -> list[str]:
    """Lines without surrounding space, blank lines dropped (the reference's layout)."""
    return [re.sub(r"\s+", " ", line.strip()) for line in code.splitlines() if line.strip()]
