"""Random, mostly invalid requests against a spec with its own error schema (`errors30`) get
only what a client of that spec can read: the operation's documented response with a body
valid against its schema, else RFC 9457 problem details; never a 5xx nobody asked for, never
a Klear Karma name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from kkapp.config import AppConfig
from kkapp.factory import build
from tests.anyspec.spec_answers import check, spec
from tests.engine import FIXTURES

SEGMENT = st.text(alphabet="abcXYZ019-._~%:;,=!$'()*+@", min_size=1, max_size=12)
DECLARED = [
    ("POST", "/v1/pets"),
    ("GET", "/v1/pets/{}"),
    ("GET", "/v1/tags/{}"),
    ("GET", "/v1/owner"),
    ("GET", "/v1/admin"),
]
ANYWHERE = st.tuples(
    st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    st.sampled_from(["/v1/pets", "/v1/pets/{}", "/v1/owner", "/v1/{}", "/{}"]),
)
# mostly the spec's operations (their validation), sometimes anything (router answers)
TARGETS = st.one_of(*[st.sampled_from(DECLARED)] * 4, ANYWHERE)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
BODIES = st.none() | st.binary(max_size=48) | JSON_VALUES.map(lambda v: json.dumps(v).encode())
MEDIA = [
    "application/json",
    "application/json; charset=latin-1",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "nonsense",
]
ACCEPT = [None, "*/*", "application/json", "text/html", "application/xml, */*;q=0"]
PREFER = [None, "code=400", "code=abc", "code=418", "code=503", "example=nope", "dynamic=maybe"]


@pytest.fixture(scope="module")
def kennel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("kennel")
    config = AppConfig(
        "mock", spec=str(FIXTURES / "errors30" / "openapi.yaml"), data_dir=str(data_dir)
    )
    config.check_credentials = True
    with TestClient(build(config).app, raise_server_exceptions=False) as client:
        yield client


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    target=TARGETS,
    segment=SEGMENT,
    query=st.dictionaries(st.sampled_from(["fields", "colour", "petId"]), SEGMENT, max_size=2),
    body=BODIES,
    media=st.sampled_from(MEDIA),
    accept=st.sampled_from(ACCEPT),
    prefer=st.sampled_from(PREFER),
)
def test_random_invalid_requests_get_only_documented_or_rfc9457_answers(
    kennel: TestClient,
    target: tuple[str, str],
    segment: str,
    query: dict[str, str],
    body: bytes | None,
    media: str,
    accept: str | None,
    prefer: str | None,
) -> None:
    method, template = target
    path = template.format(segment)
    headers = {"content-type": media} if body is not None else {}
    for name, value in (("accept", accept), ("prefer", prefer)):
        if value is not None:
            headers[name] = value
    r = kennel.request(method, path, params=query, headers=headers, content=body)
    assert r.status_code < 500 or prefer == "code=503", (r.status_code, r.text)
    check(spec("errors30"), method, r.request.url.path, r)  # as sent: `.` segments removed
