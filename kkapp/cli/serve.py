"""`kk serve`: the production app, bound handlers only."""

from __future__ import annotations

import click

from kkapp.cli.options import Serving, serving_options
from kkapp.cli.running import run
from kkapp.serving import Network, network_options


@click.command(
    help="Production mode: bound handlers only; an operation without one answers 501. "
    "DATABASE_URL (PostgreSQL) and REDIS_URL (event bus and rate limits across --workers); "
    "nothing is seeded (see `kk seed`). GraphQL introspection and its console are off "
    "(KK_GRAPHQL_INTROSPECTION=1 turns them on); GraphQL bounds: KK_GRAPHQL_MAX_DEPTH, "
    "_MAX_FIELDS, _MAX_COST, _MAX_TOKENS (README: GraphQL limits)."
)
@serving_options
@click.option(
    "--data-dir",
    default=".kk",
    show_default=True,
    help="Signing keys, identity store and, without DATABASE_URL, the SQLite database.",
)
@click.option(
    "--metrics/--no-metrics",
    default=False,
    envvar="KK_METRICS",
    show_default=True,
    help="Serve Prometheus metrics at /metrics on the API port [env KK_METRICS].",
)
@click.option(
    "--metrics-port",
    type=int,
    default=None,
    envvar="KK_METRICS_PORT",
    help="Serve /metrics on this port instead, apart from the API [env KK_METRICS_PORT].",
)
@network_options
def serve(
    serving: Serving,
    data_dir: str,
    metrics: bool,
    metrics_port: int | None,
    network: Network,
) -> None:
    config = serving.config(
        "strict",
        data_dir=data_dir,
        # counted in any case with --metrics-port; shown on the API port only with --metrics
        metrics=metrics or metrics_port is not None,
        options={"metrics_route": metrics},
    )
    run(config, serving.host, serving.port, serving.workers, network, metrics_port=metrics_port)
