"""`kk mock`: mock every operation of any OpenAPI 3.0/3.1 document."""

from __future__ import annotations

from typing import Any

import click

from kkapp.cli.options import Serving, mock_options, serving_options
from kkapp.cli.running import run
from kkapp.serving import Network, network_options


@click.command(
    help="Mock every operation of an OpenAPI 3.0/3.1 document (default: spec/openapi.yaml)."
)
@serving_options
@mock_options
@click.option(
    "--spec",
    help="OpenAPI 3.0/3.1 document to mock: a file or an http(s) URL; its `$ref`s may point "
    "to other files or URLs. Swagger 2.0 is converted on load when swagger2openapi is "
    "installed (npm install --prefix .kk/swagger2openapi swagger2openapi@7.0.8).",
)
@click.option(
    "--graphql", type=click.Path(exists=True, dir_okay=False), help="GraphQL SDL to mock."
)
@network_options
@click.option(
    "--no-auth",
    is_flag=True,
    help="Answer without looking for credentials (by default a request without the "
    "credentials an operation declares gets its documented 401/403, as with Prism).",
)
@click.option("--watch", is_flag=True, help="Reload (and regenerate) when the spec file changes.")
def mock(
    serving: Serving,
    store: dict[str, Any],
    spec: str | None,
    graphql: str | None,
    network: Network,
    no_auth: bool,
    watch: bool,
) -> None:
    from kkapp.watch import check_spec_source

    config = serving.config(
        "mock",
        spec=check_spec_source(spec),
        graphql=graphql,
        options=store,
        check_credentials=not no_auth,
    )
    run(config, serving.host, serving.port, serving.workers, network, watch=watch)
