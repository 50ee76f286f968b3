"""Kept answers across processes: two `kk sandbox` processes on one PostgreSQL (with Redis,
and without it: a sequence), a write on one is seen by the other's very next read, REST and
GraphQL alike, however often it repeats (each read would be a kept answer otherwise)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.handlers.conftest import fresh_postgres_database
from tests.handlers.test_workers import HEADERS, USER, sandbox

ROUNDS = 25
QUERY = {"query": f'{{ user(id: "{USER}") {{ firstName }} }}'}


@pytest.fixture(params=["redis", "postgresql"])
def shared(request: pytest.FixtureRequest, postgres_server: str) -> dict[str, str]:
    env = {"DATABASE_URL": fresh_postgres_database(postgres_server), "REDIS_URL": ""}
    if request.param == "redis":
        env["REDIS_URL"] = request.getfixturevalue("redis_url")
    return env


def rename(client: httpx.Client, name: str) -> None:
    body = {"data": {"type": "user", "attributes": {"first_name": name}}}
    made = client.put(f"/v1/users/{USER}", json=body)
    assert made.status_code == 200, made.text


def read_rest(client: httpx.Client) -> str:
    found = client.get(f"/v1/users/{USER}")
    assert found.status_code == 200, found.text
    return str(found.json()["data"]["attributes"]["first_name"])


def read_graphql(client: httpx.Client) -> str:
    json = {"Content-Type": "application/json"}
    found = client.post("/graphql", json=QUERY, headers=json)
    assert found.status_code == 200, found.text
    return str(found.json()["data"]["user"]["firstName"])


def test_a_write_on_one_worker_is_seen_by_the_next_read_on_another(
    shared: dict[str, str], tmp_path: Path
) -> None:
    with (
        sandbox(tmp_path, shared) as a,
        sandbox(tmp_path, shared) as b,
        httpx.Client(base_url=a, headers=HEADERS) as writer,
        httpx.Client(base_url=b, headers=HEADERS) as reader,
    ):
        for read in (read_rest, read_graphql):
            read(reader)
            assert read(reader) == read(reader)  # kept answers, from here on
        for n in range(ROUNDS):
            rename(writer, f"Round{n}")
            assert (read_rest(reader), read_graphql(reader)) == (f"Round{n}", f"Round{n}")
            assert (read_rest(reader), read_graphql(reader)) == (f"Round{n}", f"Round{n}")
