"""The help of `kk` and of every (sub)command is what users read: pinned, word for word."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
from click.testing import CliRunner

from kkapp.cli import main

GOLDEN = Path(__file__).with_name("cli_help.txt")


def command_paths(command: click.Command, path: list[str]) -> Iterator[list[str]]:
    yield path
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, name
            yield from command_paths(sub, [*path, name])


def every_help() -> str:
    pages = []
    for path in command_paths(main, []):
        result = CliRunner().invoke(main, [*path, "--help"], terminal_width=100)
        assert result.exit_code == 0, (path, result.output)
        pages.append(f"$ kk {' '.join(path)} --help\n{result.output}")
    return "\n".join(pages)


def test_every_command_prints_the_help_users_know() -> None:
    assert every_help() == GOLDEN.read_text(encoding="utf-8")


def test_the_help_pages_cover_every_command_and_subcommand() -> None:
    headings = [line for line in every_help().splitlines() if line.startswith("$ kk")]
    assert "$ kk keys token --help" in headings
    assert "$ kk export postman --help" in headings
    assert len(headings) == 18
