"""`kk generate` for the SDKs: spec/ -> the generated parts of sdks/, drift-checked.

Only the directories below belong to the generator; everything else under sdks/ (the
runtimes, package files, tests) is written by hand. A file in a generated directory that the
generator would not write is drift too.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from codegen.generate import SpecFiles, header
from kkcore.loader import load_document
from kkcore.table import build_table

GENERATED_DIRS = {
    "python": "python/klearkarma/generated",
    "typescript": "typescript/sdk/src/generated",
    "postman": "postman",
}


def render_sdks(files: SpecFiles, root: Path, doc: dict[str, Any] | None = None) -> dict[str, str]:
    """Path relative to sdks/ -> content, for every generated SDK file (`doc`: the loaded
    OpenAPI document of `files.openapi`, if the caller has it)."""
    from codegen.postman import render_postman
    from codegen.sdk import build_sdk
    from codegen.sdk_python import render_python
    from codegen.sdk_typescript import render_typescript

    try:
        source = files.openapi.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        source = files.openapi.name
    doc = doc if doc is not None else load_document(files.openapi)
    table = build_table(doc)
    sdk = build_sdk(table, doc)
    out: dict[str, str] = {}
    for name, content in render_python(sdk, header(source)).items():
        out[f"{GENERATED_DIRS['python']}/{name}"] = content
    ts_header = header(source).replace("#", "//", 1)
    for name, content in render_typescript(sdk, ts_header).items():
        out[f"{GENERATED_DIRS['typescript']}/{name}"] = content
    for name, content in render_postman(sdk, table, doc).items():
        out[f"{GENERATED_DIRS['postman']}/{name}"] = content
    return out


def render_postman_files(openapi: Path) -> dict[str, str]:
    """The collection, then the sandbox environment (file name -> content)."""
    from codegen.postman import render_postman
    from codegen.sdk import build_sdk

    doc = load_document(openapi)
    table = build_table(doc)
    return render_postman(build_sdk(table, doc), table, doc)


def _on_disk(sdk_dir: Path) -> set[str]:
    found: set[str] = set()
    for rel in GENERATED_DIRS.values():
        base = sdk_dir / rel
        if base.is_dir():
            found |= {
                p.relative_to(sdk_dir).as_posix()
                for p in base.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts
            }
    return found


def drift(expected: dict[str, str], sdk_dir: Path) -> list[str]:
    """Unified diffs between what generate would write under `sdk_dir` and what is there."""
    diffs: list[str] = []
    for rel in sorted(set(expected) | _on_disk(sdk_dir)):
        path = sdk_dir / rel
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        new = expected.get(rel, "")
        if old != new:
            label = f"{sdk_dir.name}/{rel}"
            diffs.append(
                "".join(
                    difflib.unified_diff(
                        old.splitlines(keepends=True),
                        new.splitlines(keepends=True),
                        f"a/{label}",
                        f"b/{label}",
                    )
                )
                or f"{label}: differs\n"
            )
    return diffs


def write(expected: dict[str, str], sdk_dir: Path) -> list[str]:
    """Write the generated files, remove stray ones; the paths that changed."""
    changed = []
    for rel in sorted(_on_disk(sdk_dir) - set(expected)):
        (sdk_dir / rel).unlink()
        changed.append(rel)
    for rel, content in expected.items():
        path = sdk_dir / rel
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            changed.append(rel)
    return sorted(changed)
