"""The `kk` command line."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from server.docs import served_pages
from server.errors import StartupError
from server.factory import AppConfig, Built, build, export_config, served_issuer
from server.serving import Network, network_options, uvicorn_options

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
            from server.auth.cli import keys

            return keys
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_Commands, help=ROOT_HELP, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(package_name="klearkarma-api-kit", prog_name="kk")
def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # Migration libraries narrate every step at INFO; only their warnings are news.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _serving_options(fn: Any) -> Any:
    options = [
        click.option(
            "--host", default="127.0.0.1", show_default=True, help="Interface to listen on."
        ),
        click.option("--port", default=8000, show_default=True, type=int, help="TCP port."),
        click.option("--workers", default=1, show_default=True, type=int, help="Worker processes."),
        click.option(
            "--seed", default=0, show_default=True, type=int, help="Seed of all mock data."
        ),
        click.option(
            "--validate-responses/--no-validate-responses",
            default=None,
            help="Check every answer against the spec (default: on in sandbox/mock, off in serve).",
        ),
        click.option(
            "--log-requests/--no-log-requests",
            default=None,
            help="One JSON log line per request (default: on for serve, off for sandbox/mock).",
        ),
        click.option(
            "--rate-limits",
            type=click.Choice(["on", "relaxed", "off"]),
            default=None,
            help="The spec's limits, the same x100, or none (default: on; off for mock).",
        ),
        click.option(
            "--cors-origin",
            "cors_origin",
            multiple=True,
            metavar="ORIGIN",
            help="Let browser apps from ORIGIN call the API (repeatable), e.g. a phone on the "
            "LAN, http://192.168.1.20:5173, or a cloud IDE; besides the loopback origins "
            "sandbox and mock allow. KK_CORS_ORIGINS (comma-separated) adds more.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _mock_options(fn: Any) -> Any:
    """The sandbox store's options, shared by `kk sandbox` and `kk mock`."""
    options = [
        click.option(
            "--state",
            type=click.Path(dir_okay=False),
            default=None,
            help="Keep the sandbox's data in this file: it survives restarts (written "
            "atomically after every change). `POST /__sandbox/reset` goes back to the seed.",
        ),
        click.option(
            "--chaos",
            type=click.FloatRange(0, 1),
            default=0.0,
            show_default=True,
            help="Share of requests answered 500 or 503 (only where the operation declares "
            "them), for resilience testing.",
        ),
        click.option(
            "--seed-count",
            type=click.IntRange(0, 10_000),
            default=None,
            help="Generated records per seeded collection, e.g. practitioners (default: "
            "the counts of spec/sandbox.yaml, 50 practitioners; 20 per collection without it).",
        ),
        click.option(
            "--webhook-backoff",
            type=click.Choice(["sandbox", "production"]),
            default="sandbox",
            show_default=True,
            help="When failed webhook deliveries are retried: within seconds (1, 2, 4, 8 s), or "
            "on the production schedule (1 min, 5 min, 30 min, 2 h), as `kk serve` does.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _store_options(
    state: str | None, chaos: float, seed_count: int | None, webhook_backoff: str = "sandbox"
) -> dict[str, Any]:
    options: dict[str, Any] = {"chaos": chaos} if chaos else {}
    options["webhook_backoff"] = webhook_backoff
    if state:
        options["state"] = state
    if seed_count is not None:
        options["seed_count"] = seed_count
    return options


def _build_or_exit(config: AppConfig) -> Built:
    try:
        return build(config)
    except StartupError as e:
        raise click.ClickException(str(e)) from e


def _run(
    config: AppConfig,
    host: str,
    port: int,
    workers: int,
    network: Network,
    watch: bool = False,
    metrics_port: int | None = None,
) -> None:
    import uvicorn

    config.docs, config.trusted_proxies = network.docs, network.trusted_proxies
    metrics_on = config.metrics if config.metrics is not None else config.mode != "strict"
    if workers > 1 and (metrics_on or metrics_port):
        from server.metrics import prepare_multiprocess

        prepare_multiprocess(Path(config.data_dir))

    if config.mode != "mock" and not config.issuer:
        config.issuer = served_issuer(host, port)  # tokens and metadata name this server
    built = _build_or_exit(config)
    unbound = [s for s, o in ((o.source, o) for o in built.parts.operations.values()) if s == "501"]
    click.echo(
        f"kk {config.mode}: {len(built.parts.operations)} operations on http://{host}:{port} "
        f"({', '.join(served_pages(built.parts.routes, docs=built.runtime.docs))})"
        + (
            f"; {len(unbound)} without a handler answer 501"
            if unbound and config.mode == "strict"
            else ""
        )
    )
    if built.runtime.cors_origins:
        click.echo(f"  browser origins allowed: {', '.join(built.runtime.cors_origins)}")
    for note in built.runtime.extras.get("notes", []):
        click.echo(f"  {note}")
    if metrics_port:
        from server.metrics import serve_separately

        serve_separately(host, metrics_port)
        click.echo(f"  metrics: http://{host}:{metrics_port}/metrics")
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "loop": "uvloop",
        "http": "httptools",
        "access_log": False,
        "log_level": "warning",
        "timeout_graceful_shutdown": 5,
        "proxy_headers": False,
        "server_header": False,
        **uvicorn_options(network),
    }
    if watch:
        from server.watch import run_watching

        run_watching(config, common)
    elif workers > 1:
        export_config(config)
        uvicorn.run("server.factory:app_from_env", factory=True, workers=workers, **common)
    else:
        uvicorn.run(built.app, **common)


@main.command(
    help="Write generated/ and the generated parts of the SDKs and the Postman collection "
    "(sdks/) from spec/ (or, with --check, fail if any of it is stale)."
)
@click.option(
    "--check", is_flag=True, help="Exit 1 and print the diff if generated/ or sdks/ is stale."
)
@click.option("--spec-dir", default="spec", show_default=True, type=click.Path(path_type=Path))
@click.option("--out", default="generated", show_default=True, type=click.Path(path_type=Path))
@click.option(
    "--sdk-dir",
    default=None,
    type=click.Path(path_type=Path),
    help="Where the SDKs live (default: sdks/ next to the spec directory).",
)
def generate(check: bool, spec_dir: Path, out: Path, sdk_dir: Path | None) -> None:
    from codegen import sdk_output
    from codegen.generate import SpecFiles, drift, render, write
    from codegen.loader import load_document

    sdks = sdk_dir if sdk_dir is not None else spec_dir.parent / "sdks"
    try:
        files = SpecFiles.in_dir(spec_dir)
        doc = load_document(files.openapi)  # validated once, for generated/ and sdks/
        expected = render(files, Path.cwd(), doc)
        expected_sdks = sdk_output.render_sdks(files, Path.cwd(), doc)
    except StartupError as e:
        raise click.ClickException(str(e)) from e
    if check:
        diffs = drift(expected, out) + sdk_output.drift(expected_sdks, sdks)
        if diffs:
            click.echo("".join(diffs))
            click.echo(f"{out}/ or {sdks}/ is stale: run `kk generate`", err=True)
            sys.exit(1)
        click.echo(
            f"{out}/ and {sdks}/ are up to date ({len(expected) + len(expected_sdks)} files)"
        )
        return
    changed = write(expected, out) + [f"{sdks}/{p}" for p in sdk_output.write(expected_sdks, sdks)]
    click.echo(f"wrote {', '.join(changed)}" if changed else f"{out}/ was already up to date")


@main.group(help="Export the API for other tools.")
def export() -> None:
    pass


@export.command(
    name="postman",
    help="Write a Postman v2.1 collection of every operation (examples as bodies, OAuth 2.0 "
    "PKCE auth, contract tests) and an environment for the local sandbox.",
)
@click.option("--spec-dir", default="spec", show_default=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The collection file (default: <api>.postman_collection.json here).",
)
@click.option(
    "--environment",
    "env_out",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The sandbox environment file (default: next to the collection).",
)
def export_postman(spec_dir: Path, out: Path | None, env_out: Path | None) -> None:
    from codegen.sdk_output import render_postman_files

    try:
        files = render_postman_files(spec_dir / "openapi.yaml")
    except StartupError as e:
        raise click.ClickException(str(e)) from e
    (collection_name, collection), (env_name, environment) = files.items()
    out = out or Path(collection_name)
    env_out = env_out or out.with_name(env_name)
    out.write_text(collection, encoding="utf-8")
    env_out.write_text(environment, encoding="utf-8")
    click.echo(f"wrote {out} and {env_out}")


@main.command(
    help="Serve the whole Klear Karma API for frontend work: handlers where bound, "
    "mocks for the rest, seeded sandbox data, localhost CORS."
)
@_serving_options
@_mock_options
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
    host: str,
    port: int,
    workers: int,
    seed: int,
    validate_responses: bool | None,
    log_requests: bool | None,
    rate_limits: str | None,
    cors_origin: tuple[str, ...],
    state: str | None,
    chaos: float,
    seed_count: int | None,
    webhook_backoff: str,
    data_dir: str,
    handlers: bool,
    network: Network,
) -> None:
    config = AppConfig(
        "sandbox",
        handlers=handlers,
        seed=seed,
        validate_responses=validate_responses,
        access_log=log_requests,
        data_dir=data_dir,
        rate_limits=rate_limits,
        cors_origins=list(cors_origin),
        options=_store_options(state, chaos, seed_count, webhook_backoff),
    )
    _run(config, host, port, workers, network)


@main.command(
    help="Mock every operation of an OpenAPI 3.0/3.1 document (default: spec/openapi.yaml)."
)
@_serving_options
@_mock_options
@click.option(
    "--spec",
    help="OpenAPI 3.0/3.1 document to mock: a file or an http(s) URL; its `$ref`s may point "
    "to other files or URLs.",
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
    host: str,
    port: int,
    workers: int,
    seed: int,
    validate_responses: bool | None,
    log_requests: bool | None,
    rate_limits: str | None,
    cors_origin: tuple[str, ...],
    state: str | None,
    chaos: float,
    seed_count: int | None,
    webhook_backoff: str,
    spec: str | None,
    graphql: str | None,
    network: Network,
    no_auth: bool,
    watch: bool,
) -> None:
    from server.watch import check_spec_source

    config = AppConfig(
        "mock",
        spec=check_spec_source(spec),
        graphql=graphql,
        seed=seed,
        validate_responses=validate_responses,
        access_log=log_requests,
        rate_limits=rate_limits,
        cors_origins=list(cors_origin),
        options=_store_options(state, chaos, seed_count, webhook_backoff),
        check_credentials=not no_auth,
    )
    _run(config, host, port, workers, network, watch=watch)


@main.command(
    help="A validating reverse proxy: forward every request to --upstream, check requests and "
    "answers against the spec, report what breaks it in the `sl-violations` header and the log."
)
@click.option("--upstream", required=True, help="Base URL of the API behind the proxy.")
@click.option("--spec", default="spec/openapi.yaml", show_default=True, help="OpenAPI file or URL.")
@click.option(
    "--errors",
    is_flag=True,
    help="Answer a request that breaks the spec 422 (not forwarded) and an answer that breaks "
    "it 502, instead of passing them on.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=4010, show_default=True, type=int, help="TCP port.")
def proxy(upstream: str, spec: str, errors: bool, host: str, port: int) -> None:
    import uvicorn

    from server.proxy import build_proxy

    try:
        app = build_proxy(spec, upstream, errors=errors)
    except StartupError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"kk proxy: http://{host}:{port} -> {upstream} ({spec})")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


@main.command(
    help="Load the sandbox's data (the spec's examples, spec/sandbox.yaml's test users, "
    "practitioners, services...) into the database `kk serve` uses: DATABASE_URL, else "
    "<data-dir>/klearkarma.db; migrates it first. Idempotent (existing rows are kept). For "
    "staging and contract runs (`kk contract --url`): production never seeds by itself."
)
@click.option("--data-dir", default=".kk", show_default=True, help="The server's data directory.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of generated records.")
@click.option(
    "--seed-count",
    type=click.IntRange(0, 10_000),
    default=None,
    help="Generated records per seeded collection (default: spec/sandbox.yaml's counts).",
)
def seed(data_dir: str, seed: int, seed_count: int | None) -> None:
    options = {"seed_count": seed_count} if seed_count is not None else {}
    config = AppConfig("strict", seed=seed, data_dir=data_dir, options=options)
    added = seed_database(config)
    click.echo(f"kk seed: {added} records added to {_database_name(data_dir)}")


def _database_name(data_dir: str) -> str:
    """Where the handlers' data lives, without credentials."""
    raw = os.environ.get("DATABASE_URL", "").strip()
    if not raw:
        return f"SQLite {Path(data_dir) / 'klearkarma.db'}"
    from sqlalchemy.engine import make_url

    try:
        return "DATABASE_URL " + make_url(raw).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL fails at build with its own message
        return "DATABASE_URL"


def seed_database(config: AppConfig) -> int:
    """Run the bound handlers' seed hooks on the storage of `config`'s app; records added."""
    import asyncio

    built = _build_or_exit(config)
    if not built.parts.seeds:
        raise click.ClickException("nothing to seed: no bound handler group loads fixture data")

    async def run() -> int:
        try:
            return sum([await load() for load in built.parts.seeds])
        finally:
            for stop in built.parts.shutdown:
                result = stop()
                if asyncio.iscoroutine(result):
                    await result

    return asyncio.run(run())


@main.command(
    help="Production mode: bound handlers only; an operation without one answers 501. "
    "DATABASE_URL (PostgreSQL) and REDIS_URL (event bus and rate limits across --workers); "
    "nothing is seeded (see `kk seed`). GraphQL introspection and its console are off "
    "(KK_GRAPHQL_INTROSPECTION=1 turns them on); GraphQL bounds: KK_GRAPHQL_MAX_DEPTH, "
    "_MAX_FIELDS, _MAX_COST, _MAX_TOKENS (README: GraphQL limits)."
)
@_serving_options
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
    host: str,
    port: int,
    workers: int,
    seed: int,
    validate_responses: bool | None,
    log_requests: bool | None,
    rate_limits: str | None,
    cors_origin: tuple[str, ...],
    data_dir: str,
    metrics: bool,
    metrics_port: int | None,
    network: Network,
) -> None:
    config = AppConfig(
        "strict",
        cors_origins=list(cors_origin),
        data_dir=data_dir,
        seed=seed,
        validate_responses=validate_responses,
        access_log=log_requests,
        rate_limits=rate_limits,
        # counted in any case with --metrics-port; shown on the API port only with --metrics
        metrics=metrics or metrics_port is not None,
        options={"metrics_route": metrics},
    )
    _run(config, host, port, workers, network, metrics_port=metrics_port)


@main.command(
    help="List every operation: method, path, scopes, rate-limit class, who answers it and "
    "its deprecation (sunset date, successor)."
)
@click.option(
    "--mode",
    type=click.Choice(["strict", "sandbox", "mock"]),
    default="sandbox",
    show_default=True,
    help="Which server to describe.",
)
@click.option("--spec", default=None, help="An OpenAPI file to describe instead of spec/.")
def routes(mode: str, spec: str | None) -> None:
    from server.deprecation import describe

    built = _build_or_exit(AppConfig(mode, spec=spec))  # type: ignore[arg-type]
    rows = []
    for op_id, op in built.parts.operations.items():
        scopes = sorted({s for req in op.spec["security"] for v in req.values() for s in v})
        answer = {"mock": "mock", "501": "501 (unbound)"}.get(op.source, op.source)
        rows.append(
            (
                op.spec["method"],
                op.spec["path"],
                op_id,
                " ".join(scopes) or "-",
                op.spec["rate_limit"],
                answer,
                describe(op.spec),
            )
        )
    rows.insert(
        0, ("METHOD", "PATH", "OPERATION", "SCOPES", "RATE CLASS", "ANSWERED BY", "DEPRECATION")
    )
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    for r in rows:
        click.echo(("  ".join(r[i].ljust(widths[i]) for i in range(6)) + "  " + r[6]).rstrip())


@main.command(
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


@main.command(
    help="Fuzz the API against its spec: REST (schemathesis, every check, stateful "
    "links), GraphQL (queries, mutations and subscriptions) and the WebSocket API. Starts its "
    "own app unless --url is given, with rate limits off.\n\n"
    "\b\nA deployment of `kk serve` (staging), from a shell that has its DATABASE_URL and "
    "data directory:\n"
    "  kk seed --data-dir DIR\n"
    "  TOKEN=$(kk keys token --data-dir DIR --user test_user_123 --all-scopes)\n"
    '  kk contract --url https://staging.example --token "$TOKEN"\n'
    "(the server run with --rate-limits off or relaxed, and KK_ISSUER set as when it started)."
)
@click.option(
    "--url", default=None, help="Base URL of a running deployment (e.g. http://127.0.0.1:8000)."
)
@click.option(
    "--mode",
    type=click.Choice(["mock", "sandbox", "serve"]),
    default="sandbox",
    show_default=True,
    help="Which app to start when no --url is given. serve: the production app (`kk serve`: "
    "handlers only, no mocks) on DATABASE_URL, else on a fresh SQLite database in --data-dir; "
    "seeded first as `kk seed` does, with a token minted from its own signing key.",
)
@click.option(
    "--data-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="serve mode: keys, identity store and (without DATABASE_URL) the SQLite database "
    "(default: a new temporary directory).",
)
@click.option(
    "--budget",
    type=click.Choice(["quick", "deep"]),
    default="quick",
    show_default=True,
    help="quick: a few cases per operation (CI); deep: hundreds.",
)
@click.option(
    "--seed", default=0, show_default=True, type=int, help="Reproduce a run with its seed."
)
@click.option(
    "--token",
    default=None,
    help="Bearer token for the API (default: minted for the app it starts).",
)
@click.option(
    "--asyncapi",
    default="spec/asyncapi.yaml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="AsyncAPI file of the WebSocket API.",
)
@click.option(
    "--graphql",
    "sdl",
    default="spec/schema.graphql",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="GraphQL SDL whose subscriptions are fuzzed over graphql-transport-ws.",
)
@click.option(
    "--out",
    default=".kk/contract",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Where JUnit XML, JSON reports, logs and the summary go.",
)
def contract(
    url: str | None,
    mode: str,
    data_dir: str | None,
    budget: str,
    seed: int,
    token: str | None,
    asyncapi: Path,
    sdl: Path,
    out: Path,
) -> None:
    from importlib.util import find_spec

    extra = "klearkarma-api-kit[contract]"
    missing = [name for name in ("hypothesis", "schemathesis") if find_spec(name) is None]
    if missing:  # an extra, not a dependency of the server
        needs = " and ".join(missing)
        raise click.ClickException(f"kk contract needs {needs}: pip install '{extra}'")
    from contracts.runner import run_contract, serve_in_thread

    ws_spec = asyncapi if asyncapi.exists() else None
    graphql_sdl = sdl if sdl.exists() else None
    common: dict[str, Any] = {
        "budget_name": budget,
        "seed": seed,
        "out_dir": out,
        "asyncapi": ws_spec,
        "sdl": graphql_sdl,
    }
    if url is not None:
        report = run_contract(url.rstrip("/"), label="url", token=token, **common)
    else:
        # Limits off: a fuzzer is one client sending thousands of requests a minute.
        label = mode
        if mode == "serve":
            config = _serve_contract_config(seed, data_dir)
            label = "serve-" + ("postgresql" if os.environ.get("DATABASE_URL") else "sqlite")
        else:
            config = AppConfig(mode, seed=seed, access_log=False, rate_limits="off")  # type: ignore[arg-type]
        built = _build_or_exit(config)
        with serve_in_thread(built.app) as base:
            report = run_contract(
                base, label=label, mode=mode, token=token or contract_token(built), **common
            )
    click.echo(report.render())
    click.echo(f"reports: {out}/ (JUnit XML, JSON, logs with curl reproductions)")
    if not report.passed:
        sys.exit(1)


def _serve_contract_config(seed: int, data_dir: str | None) -> AppConfig:
    """`kk serve`'s app for a contract run, its database seeded first as `kk seed` does (the
    production app never seeds itself)."""
    import tempfile

    config = AppConfig(
        "strict",
        seed=seed,
        data_dir=data_dir or tempfile.mkdtemp(prefix="kk-contract-serve-"),
        access_log=False,
        rate_limits="off",
        introspection=True,  # schemathesis reads the GraphQL schema from the server
    )
    added = seed_database(config)
    click.echo(
        f"kk contract: serve mode on {_database_name(config.data_dir)}, {added} records seeded"
    )
    return config


def contract_token(built: Built) -> str | None:
    """For an app this command started itself: a token of the sandbox test user with every
    declared scope (admin ones included, so object-level checks let the fuzzer reach every
    resource); None where the app has no identity layer (mock mode)."""
    from server.auth.services import AuthServices, declared_scopes

    auth = built.runtime.extras.get("auth")
    if not isinstance(auth, AuthServices):
        return None
    return auth.issue_token("test_user_123", declared_scopes(built.runtime.table))
