"""`kk diff`: breaking, dangerous and info changes between two API descriptions."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command(
    help="Report breaking, dangerous and info changes between two versions of an API "
    "description: OLD and NEW (files or URLs: OpenAPI 3.0/3.1, AsyncAPI 3, GraphQL SDL), or, "
    "without them, spec/ against a git ref. Exit 1 when a change at --fail-on or above is "
    "found, unless info.version's major number was raised; 2 when a document cannot be read."
)
@click.argument("old", required=False)
@click.argument("new", required=False)
@click.option(
    "--base",
    default=None,
    help="Git ref to compare spec/ with (default: the merge base "
    "with main, or the previous commit on main).",
)
@click.option("--spec-dir", default="spec", show_default=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "junit"]),
    default="text",
    show_default=True,
    help="markdown is ready to post as a pull-request comment.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["breaking", "dangerous", "info"]),
    default="breaking",
    show_default=True,
)
def diff(
    old: str | None, new: str | None, base: str | None, spec_dir: Path, fmt: str, fail_on: str
) -> None:
    from datetime import date

    from contracts.diff import FORMATS, DiffError, Level, compare_files, compare_git, default_base

    if (old is None) != (new is None) or (old is not None and base is not None):
        raise click.UsageError("give OLD and NEW, or --base REF (or neither), not a mix")
    level, today = Level.parse(fail_on), date.today()
    try:
        if old is not None and new is not None:
            report = compare_files(old, new, today=today, fail_on=level)
        else:
            ref, given = base or default_base(), base is not None
            report = compare_git(
                ref, spec_dir, Path.cwd(), today=today, fail_on=level, base_given=given
            )
    except DiffError as e:
        click.echo(f"Error: {e}", err=True)
        sys.exit(2)
    click.echo(FORMATS[fmt](report), nl=fmt == "text")
    if report.failed:
        sys.exit(1)
