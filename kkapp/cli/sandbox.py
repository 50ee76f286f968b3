"""`kk sandbox`: the whole API for frontend work, handlers and mocks together."""

from __future__ import annotations

from typing import Any

import click

from kkapp.cli.options import Serving, mock_options, serving_options
from kkapp.cli.running import run
from kkapp.serving import Network, network_options


@click.command(
    help="Serve the whole Klear Karma API for frontend work: handlers where bound, "
    "mocks for the rest, seeded sandbox data, localhost CORS."
)
@serving_options
@mock_options
@click.option(
    "--data-dir", default=".kk", show_default=True, help="Where sandbox state and keys live."
)
@click.option(
    "--handlers/--no-handlers",
    default=True,
    show_default=True,
    help="Answer with the bound handlers (a real database); --no-handlers mocks every "
    "operation but sign-in, from the seed (Prism-style).",
)
@network_options
def sandbox(
    serving: Serving,
    store: dict[str, Any],
    data_dir: str,
    handlers: bool,
    network: Network,
) -> None:
    config = serving.config("sandbox", handlers=handlers, data_dir=data_dir, options=store)
    run(config, serving.host, serving.port, serving.workers, network)
