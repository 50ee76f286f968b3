"""`kk keys`: API keys (create, list, revoke) and the rotation of token signing keys."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import click

from kkapp.config import AppConfig, issuer_and_audience, served_issuer
from kkapp.factory import load_table
from kkcore.errors import StartupError
from server.auth.api_keys import ApiKeys
from server.auth.keys import KeyRing
from server.auth.limits import LimitSettings
from server.auth.services import declared_scopes
from server.auth.store import AuthStore
from server.auth.tokens import ACCESS_TTL, AccessTokens

DATA_DIR = click.option(
    "--data-dir",
    default=".kk",
    show_default=True,
    help="The server's data directory (keys and identity.sqlite3 live there).",
)


@click.group(help="API keys for server-to-server calls, and token signing keys.")
def keys() -> None:
    pass


def _scopes(scopes: str, declared: list[str]) -> list[str]:
    wanted = [s for s in scopes.replace(",", " ").split() if s]
    unknown = sorted(set(wanted) - set(declared))
    if unknown:
        raise click.BadParameter(f"unknown scopes: {' '.join(unknown)}", param_hint="--scopes")
    return wanted


def _store(data_dir: str) -> ApiKeys:
    return ApiKeys(AuthStore.in_dir(Path(data_dir)))


@keys.command(help="Create an API key; its secret is printed once and never stored.")
@click.option("--scopes", required=True, help='Space- or comma-separated, e.g. "read:profile".')
@click.option("--tier", default="free", show_default=True, help="Rate-limit tier.")
@click.option("--name", default="api key", show_default=True, help="What the key is for.")
@click.option("--user", "subject", default=None, help="The user id the key acts for, if any.")
@click.option("--environment", default="live", show_default=True, help="kk_<environment>_...")
@DATA_DIR
def create(
    scopes: str, tier: str, name: str, subject: str | None, environment: str, data_dir: str
) -> None:
    try:
        table = load_table(AppConfig())
    except StartupError as e:
        raise click.ClickException(str(e)) from e
    wanted = _scopes(scopes, declared_scopes(table))
    tiers = LimitSettings.from_table(table).tiers
    if tier not in tiers:
        raise click.BadParameter(
            f"{tier!r} is not a tier; choose one of {', '.join(tiers)}", param_hint="--tier"
        )

    async def run() -> None:
        api_keys = _store(data_dir)
        new = await api_keys.create(name, wanted, tier, subject, environment)
        await api_keys.store.close()
        click.echo(f"created {new.key.id} ({tier}, {' '.join(sorted(new.key.scopes))})")
        click.echo(f"key (shown once, store it now): {new.secret}")

    asyncio.run(run())


@keys.command(name="list", help="List API keys (never their secrets).")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked keys.")
@DATA_DIR
def list_keys(include_revoked: bool, data_dir: str) -> None:
    async def run() -> None:
        api_keys = _store(data_dir)
        found = await api_keys.list(include_revoked)
        await api_keys.store.close()
        for k in found:
            created = datetime.fromtimestamp(k.created_at, UTC).strftime("%Y-%m-%d %H:%M")
            state = "revoked" if k.revoked_at else "active"
            click.echo(
                f"{k.id}  {k.prefix}...  {state}  {k.tier}  {created}  "
                f"{k.subject or '-'}  {k.name}  [{' '.join(sorted(k.scopes))}]"
            )
        if not found:
            click.echo("no API keys")

    asyncio.run(run())


@keys.command(help="Revoke an API key by id (a running server stops accepting it within 5 s).")
@click.argument("key_id")
@DATA_DIR
def revoke(key_id: str, data_dir: str) -> None:
    async def run() -> bool:
        api_keys = _store(data_dir)
        done = await api_keys.revoke(key_id)
        await api_keys.store.close()
        return done

    if not asyncio.run(run()):
        raise click.ClickException(f"no active API key {key_id}")
    click.echo(f"revoked {key_id}")


@keys.command(
    name="rotate-signing-key",
    help="Make a new token signing key; the previous one stays in the JWKS until tokens expire.",
)
@DATA_DIR
def rotate_signing_key(data_dir: str) -> None:
    ring = KeyRing(Path(data_dir) / "keys")
    previous = ring.current.kid
    click.echo(f"signing key {ring.rotate().kid} (previous {previous} still verifies)")


@keys.command(
    help="Print an access token (RS256 JWT) signed with the server's current signing key in "
    "<data-dir>/keys, without signing in: for scripts and `kk contract --url` against a "
    "deployment you run. Give it the server's --host/--port (or its KK_ISSUER): a token of "
    "another issuer is refused. It carries the scopes you name (admin ones included): keep it "
    "secret."
)
@click.option("--user", "subject", required=True, help="The user id the token acts for (sub).")
@click.option("--scopes", default=None, help='Space- or comma-separated, e.g. "read:profile".')
@click.option("--all-scopes", is_flag=True, help="Every scope the spec declares (admin too).")
@click.option(
    "--user-type",
    type=click.Choice(["patient", "practitioner", "admin"]),
    default="patient",
    show_default=True,
    help="The user_type claim.",
)
@click.option(
    "--ttl",
    type=click.IntRange(60, 7 * 24 * 3600),
    default=ACCESS_TTL,
    show_default=True,
    help="Seconds until it expires.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The --host the server runs with (its URL is the token's issuer).",
)
@click.option("--port", default=8000, show_default=True, type=int, help="The server's --port.")
@click.option("--issuer", default=None, help="iss (default: KK_ISSUER, else http://<host>:<port>).")
@click.option("--audience", default=None, help="aud (default: KK_AUDIENCE, else issuer + /v1).")
@DATA_DIR
def token(
    subject: str,
    scopes: str | None,
    all_scopes: bool,
    user_type: str,
    ttl: int,
    host: str,
    port: int,
    issuer: str | None,
    audience: str | None,
    data_dir: str,
) -> None:
    try:
        table = load_table(AppConfig())
    except StartupError as e:
        raise click.ClickException(str(e)) from e
    declared = declared_scopes(table)
    if all_scopes == (scopes is not None):
        raise click.UsageError("give either --scopes or --all-scopes")
    wanted = declared if all_scopes else _scopes(scopes or "", declared)
    key_dir = Path(data_dir) / "keys"
    if not any(key_dir.glob("*.pem")):
        # A new key here would sign a token no running server accepts.
        raise click.ClickException(
            f"no signing keys in {key_dir}: point --data-dir at the server's data directory "
            "(keys are made when it first starts)"
        )
    issuer = issuer or served_issuer(host, port)  # as `kk sandbox|serve --host --port` do
    iss, aud = issuer_and_audience(AppConfig(issuer=issuer, audience=audience), table)
    tokens = AccessTokens(KeyRing(key_dir), iss, aud)
    click.echo(tokens.issue(subject, wanted, user_type=user_type, ttl=ttl)[0])
