"""The `kk` command line: the root group; each command lives in its own module here."""

from __future__ import annotations

import logging

import click

from kkapp.cli.contract import contract
from kkapp.cli.diff import diff
from kkapp.cli.generate import export, generate
from kkapp.cli.mock import mock
from kkapp.cli.proxy import proxy
from kkapp.cli.routes import routes
from kkapp.cli.sandbox import sandbox
from kkapp.cli.seed import seed
from kkapp.cli.serve import serve

ROOT_HELP = """Klear Karma API kit: a spec-first contract and mock server.

\b
Typical use:
  kk sandbox              the whole API on http://127.0.0.1:8000 (mocks + handlers, seeded data)
  kk generate             regenerate generated/ after editing spec/
  kk routes               every operation with its scopes, rate class and who answers it
  kk mock --spec FILE     mock any OpenAPI 3.0/3.1 document
"""


class _Commands(click.Group):
    """`kk`, with `kk keys` loaded on first use: it needs the identity store (SQLAlchemy, PyJWT,
    argon2), which `kk mock` never does."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "keys"})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "keys":
            from kkapp.cli.keys import keys

            return keys
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_Commands,
    help=ROOT_HELP,
    context_settings={"help_option_names": ["-h", "--help"]},
    commands=[contract, diff, export, generate, mock, proxy, routes, sandbox, seed, serve],
)
@click.version_option(package_name="klearkarma-api-kit", prog_name="kk")
def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # Migration libraries narrate every step at INFO; only their warnings are news.
    logging.getLogger("alembic").setLevel(logging.WARNING)
