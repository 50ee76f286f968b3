"""`kk diff`: two documents, or spec/ against a git ref, into one report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from contracts.diff import asyncapi, graphql, openapi
from contracts.diff.findings import DiffError, Finding, Level
from contracts.diff.report import Report, Section
from contracts.diff.sources import Document, git, load, parse

SPEC_FILES = ("openapi.yaml", "asyncapi.yaml", "schema.graphql")


def findings(old: Document, new: Document, today: date) -> list[Finding]:
    if old.kind != new.kind:
        raise DiffError(f"cannot compare {old.kind} ({old.label}) with {new.kind} ({new.label})")
    if old.kind == "openapi":
        return openapi.compare(old.data, new.data, today)
    if old.kind == "asyncapi":
        return asyncapi.compare(old.data, new.data)
    return graphql.compare(old.sdl, new.sdl)


def section(old: Document, new: Document, today: date, label: str = "") -> Section:
    return Section(label or new.label, old.version, new.version, findings(old, new, today))


def compare_files(old: str, new: str, *, today: date, fail_on: Level = Level.BREAKING) -> Report:
    report = Report(old, fail_on=fail_on)
    report.sections.append(section(load(old), load(new), today))
    return report


def compare_git(
    base: str,
    spec_dir: Path,
    root: Path,
    *,
    today: date,
    fail_on: Level = Level.BREAKING,
    base_given: bool = True,
) -> Report:
    """Each of spec/'s documents against the same file at `base`.

    A default base that does not exist (the first commit, a shallow clone) is a note, not an
    error. The SDL carries no version: it is versioned with the OpenAPI document, so that
    document's major version also allows GraphQL breaking changes.
    """
    try:
        rel = spec_dir.resolve().relative_to(root.resolve()).as_posix()
    except ValueError as e:
        raise DiffError(f"{spec_dir} is not inside the repository {root}") from e
    report = Report(base, fail_on=fail_on)
    if git("rev-parse", "--verify", "--quiet", f"{base}^{{commit}}", cwd=root) is None:
        if base_given:
            raise DiffError(f"{base}: not a commit in {root}")
        # a first commit, or a shallow clone: nothing to hold the spec against
        report.sections.append(Section(rel, notes=[f"no commit {base} to compare with"]))
        return report
    versions = ("", "")
    for name in SPEC_FILES:
        path = spec_dir / name
        if not path.exists():
            continue
        label = f"{rel}/{name}"
        new = load(str(path))
        old_text = git("show", f"{base}:{label}", cwd=root)
        if old_text is None:
            report.sections.append(
                Section(
                    label, "", new.version, notes=[f"does not exist at {base}: nothing to compare"]
                )
            )
            continue
        found = section(parse(label, old_text), new, today, label)
        if new.kind == "openapi":
            versions = (found.old_version, found.new_version)
        elif new.kind == "graphql":
            found.old_version, found.new_version = versions
        report.sections.append(found)
    return report
