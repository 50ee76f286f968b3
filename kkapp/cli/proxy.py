"""`kk proxy`: a validating reverse proxy in front of a running API."""

from __future__ import annotations

from typing import Any

import click

from kkcore.errors import StartupError


@click.command(
    help="A validating reverse proxy: forward every request to --upstream, check requests and "
    "answers against the spec, report what breaks it in the `sl-violations` header and the log."
)
@click.option("--upstream", required=True, help="Base URL of the API behind the proxy.")
@click.option("--spec", default="spec/openapi.yaml", show_default=True, help="OpenAPI file or URL.")
@click.option(
    "--errors",
    is_flag=True,
    help="Answer a request that breaks the spec as the operation documents its 400/422 (else "
    "422; not forwarded) and an answer that breaks it 502, instead of passing them on.",
)
@click.option(
    "--timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds the upstream has to answer; then 504 (an unreachable upstream is 502).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=4010, show_default=True, type=int, help="TCP port.")
def proxy(upstream: str, spec: str, errors: bool, timeout: float, host: str, port: int) -> None:
    import uvicorn

    from server.plugins import mock_factory
    from server.proxy import build_proxy

    def error_answer(table: Any) -> Any:  # the mock's bodies for documented errors
        return mock_factory()(table).error_answer

    try:
        app = build_proxy(spec, upstream, errors=errors, timeout=timeout, error_answer=error_answer)
    except StartupError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"kk proxy: http://{host}:{port} -> {upstream} ({spec})")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
