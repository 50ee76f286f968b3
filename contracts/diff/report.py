"""A comparison's outcome and its renderings: text, JSON, Markdown (a PR comment), JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from contracts.diff.findings import Finding, Level

MARK = {Level.BREAKING: "🔴", Level.DANGEROUS: "🟠", Level.INFO: "🔵"}


def major(version: str) -> int:
    head = version.split(".", 1)[0].lstrip("vV")
    return int(head) if head.isdigit() else 0


@dataclass
class Section:
    """One document pair: `spec/openapi.yaml`, `spec/schema.graphql`, `spec/asyncapi.yaml`."""

    document: str
    old_version: str = ""
    new_version: str = ""
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def major_raised(self) -> bool:
        """A raised major version announces breaking changes: the gate lets them through."""
        return major(self.new_version) > major(self.old_version)

    def sorted(self) -> list[Finding]:
        return sorted(self.findings, key=Finding.sort_key)


@dataclass
class Report:
    against: str
    sections: list[Section] = field(default_factory=list)
    fail_on: Level = Level.BREAKING

    def blocking(self, section: Section) -> list[Finding]:
        if section.major_raised:
            return []
        return [f for f in section.findings if f.level.value >= self.fail_on.value]

    @property
    def failed(self) -> bool:
        return any(self.blocking(s) for s in self.sections)

    def count(self, level: Level) -> int:
        return sum(1 for s in self.sections for f in s.findings if f.level is level)

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(level)} {level.label}" for level in reversed(Level))
        verdict = "FAILED" if self.failed else "passed"
        return f"{verdict} (fails on {self.fail_on.label} and above): {counts}"


def _versions(s: Section) -> str:
    if not (s.old_version or s.new_version):
        return ""
    allowed = ", major raised: breaking changes allowed" if s.major_raised else ""
    return f" ({s.old_version or '?'} -> {s.new_version or '?'}{allowed})"


def render_text(report: Report) -> str:
    lines = [f"kk diff against {report.against}"]
    for s in report.sections:
        lines.append(f"{s.document}{_versions(s)}")
        lines += [f"  {n}" for n in s.notes]
        lines += [f"  {f}" for f in s.sorted()]
    lines.append(report.summary())
    return "\n".join(lines)


def render_json(report: Report) -> str:
    doc = {
        "against": report.against,
        "fail_on": report.fail_on.label,
        "failed": report.failed,
        "counts": {level.label: report.count(level) for level in Level},
        "documents": [
            {
                "document": s.document,
                "old_version": s.old_version,
                "new_version": s.new_version,
                "major_raised": s.major_raised,
                "notes": s.notes,
                "findings": [
                    {"rule": f.rule, "level": f.level.label, "where": f.where, "detail": f.detail}
                    for f in s.sorted()
                ],
            }
            for s in report.sections
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(findings: list[Finding]) -> list[str]:
    rows = ["| | Rule | Where | Change |", "|---|---|---|---|"]
    rows += [
        f"| {MARK[f.level]} {f.level.label} | `{f.rule}` | `{_cell(f.where)}` | {_cell(f.detail)} |"
        for f in findings
    ]
    return rows


def render_markdown(report: Report) -> str:
    breaking = report.count(Level.BREAKING)
    head = "❌" if report.failed else "✅"
    title = (
        f"{breaking} breaking change{'s' if breaking != 1 else ''}"
        if breaking
        else "no breaking changes"
    )
    lines = [
        f"### {head} kk diff: {title}",
        "",
        f"Against `{report.against}`. {report.summary()}.",
        "",
    ]
    for s in report.sections:
        lines += [f"#### `{s.document}`{_versions(s)}", ""]
        lines += [f"- {n}" for n in s.notes]
        shown = [f for f in s.sorted() if f.level is not Level.INFO]
        info = [f for f in s.sorted() if f.level is Level.INFO]
        if shown:
            lines += _table(shown)
        if info:
            lines += [
                "",
                f"<details><summary>{len(info)} info change(s)</summary>",
                "",
                *_table(info),
                "",
                "</details>",
            ]
        if not s.findings and not s.notes:
            lines.append("No changes.")
        lines.append("")
    if breaking and not report.failed:
        lines.append("Breaking changes are allowed here: the major version was raised.")
    return "\n".join(lines).rstrip() + "\n"


def render_junit(report: Report) -> str:
    suites = ET.Element("testsuites", name="kk diff")
    for s in report.sections:
        blocking = {id(f) for f in report.blocking(s)}
        suite = ET.SubElement(
            suites, "testsuite", name=s.document, tests=str(max(1, len(s.findings)))
        )
        suite.set("failures", str(len(blocking)))
        for f in s.sorted():
            case = ET.SubElement(
                suite, "testcase", classname=s.document, name=f"{f.rule}: {f.where}"
            )
            if id(f) in blocking:
                ET.SubElement(case, "failure", message=f.detail, type=f.level.label).text = str(f)
            else:
                ET.SubElement(case, "system-out").text = str(f)
        if not s.findings:
            ET.SubElement(suite, "testcase", classname=s.document, name="no changes")
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


FORMATS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
    "junit": render_junit,
}
