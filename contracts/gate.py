"""`kk diff`: compare spec/ with its version at a git ref and gate breaking changes."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from codegen.table import build_table
from contracts.diff import Change, diff_tables, graphql_changes, major


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


@dataclass
class Report:
    base: str
    old_version: str = ""
    new_version: str = ""
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.breaking]

    @property
    def major_bumped(self) -> bool:
        return major(self.new_version) > major(self.old_version)

    @property
    def failed(self) -> bool:
        return bool(self.breaking) and not self.major_bumped

    def render(self) -> str:
        lines = [
            f"kk diff against {self.base}: info.version {self.old_version} -> {self.new_version}"
        ]
        lines += [f"  {n}" for n in self.notes]
        for change in sorted(self.changes, key=lambda c: (not c.breaking, c.rule, c.where)):
            lines.append(f"  {change}")
        verdict = (
            f"{len(self.breaking)} breaking change(s)"
            + (
                " allowed: the major version was raised"
                if self.breaking and self.major_bumped
                else ""
            )
            if self.breaking
            else "no breaking changes"
        )
        lines.append(verdict + f"; {len(self.changes) - len(self.breaking)} other change(s)")
        return "\n".join(lines)


def compare_documents(
    old_doc: dict[str, Any],
    new_doc: dict[str, Any],
    old_sdl: str | None,
    new_sdl: str | None,
    base: str,
) -> Report:
    report = Report(
        base,
        str((old_doc.get("info") or {}).get("version", "")),
        str((new_doc.get("info") or {}).get("version", "")),
    )
    report.changes = diff_tables(build_table(old_doc), build_table(new_doc), old_doc, new_doc)
    if old_sdl is not None and new_sdl is not None:
        report.changes += graphql_changes(old_sdl, new_sdl)
    return report


def run(base: str, spec_dir: Path, root: Path) -> Report:
    rel = spec_dir.resolve().relative_to(root.resolve()).as_posix()
    old_text = git("show", f"{base}:{rel}/openapi.yaml", cwd=root)
    new_doc = yaml.safe_load((spec_dir / "openapi.yaml").read_text(encoding="utf-8"))
    if old_text is None:
        report = Report(base, new_version=str(new_doc.get("info", {}).get("version", "")))
        report.notes.append(f"{rel}/openapi.yaml does not exist at {base}: nothing to compare")
        return report
    sdl_path = spec_dir / "schema.graphql"
    old_sdl = git("show", f"{base}:{rel}/schema.graphql", cwd=root)
    new_sdl = sdl_path.read_text(encoding="utf-8") if sdl_path.exists() else None
    return compare_documents(yaml.safe_load(old_text), new_doc, old_sdl, new_sdl, base)
