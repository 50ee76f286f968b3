"""What `kk serve` on PostgreSQL needs before it starts: a throwaway PostgreSQL and Redis
(contracts/throwaway.py), the sandbox's data seeded (`kk seed`), and an API key acting as
the sandbox's test user (`kk keys create`), whose secret the scenarios send."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

from bench.servers import ROOT, Backing, ServerSpec, kk_command
from contracts.throwaway import PostgresCluster, RedisServer

USER = "test_user_123"
# The scopes of the sandbox's test API key (handlers/rest/oauth.py USER_SCOPES).
SCOPES = (
    "read:profile write:profile read:bookings write:bookings read:practitioners "
    "read:messages write:messages read:health_records write:health_records"
)


def _kk(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*kk_command(), *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"kk {args[0]} failed: {(done.stderr or done.stdout)[-800:]}")
    return done.stdout


@contextlib.contextmanager
def postgres_and_redis(data: Path) -> Iterator[Backing]:
    """A seeded PostgreSQL, a Redis and a key for `kk serve --data-dir data`."""
    with contextlib.ExitStack() as stack:
        cluster, redis = PostgresCluster(), RedisServer()
        env = {"DATABASE_URL": cluster.start()}
        stack.callback(cluster.stop)
        env["REDIS_URL"] = redis.start()
        stack.callback(redis.stop)
        _kk(env, "seed", "--data-dir", str(data))
        out = _kk(
            env,
            *("keys", "create", "--scopes", SCOPES, "--user", USER, "--tier", "enterprise"),
            *("--name", "bench", "--environment", "test", "--data-dir", str(data)),
        )
        found = re.search(r"store it now\): (\S+)", out)
        if found is None:
            raise RuntimeError(f"kk keys create printed no key: {out[-400:]}")
        yield Backing(env, found.group(1))


def kk_serve_postgres(workers: int = 2) -> ServerSpec:
    """`kk serve` on a throwaway PostgreSQL + Redis (seeded, an API key acting as the test
    user), rate limits off and no request log, as the sandbox runs."""
    argv = [*kk_command(), "serve", "--host", "127.0.0.1", "--port", "{port}"]
    argv += ["--workers", str(workers), "--rate-limits", "off", "--no-log-requests"]
    argv += ["--data-dir", "{data}"]
    name = f"kk serve PostgreSQL+Redis --workers {workers} --rate-limits off"
    return ServerSpec(name, tuple(argv), "/v1", probe="/healthz", backing=postgres_and_redis)
