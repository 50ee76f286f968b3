"""The GraphQL subscription fuzzer, in-process against the flagship sandbox (and its honesty)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema
from starlette.testclient import TestClient

from contracts.subscriptions import PROTOCOL, SubscriptionFuzzer, _refusal
from contracts.websocket import ContractViolation
from kkapp.config import AppConfig
from kkapp.factory import build
from server.auth.services import declared_scopes

SDL = build_schema(Path("spec/schema.graphql").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SubscriptionFuzzer]:
    built = build(
        AppConfig("sandbox", data_dir=str(tmp_path_factory.mktemp("kk")), rate_limits="off")
    )
    token = built.runtime.extras["auth"].issue_token(
        "test_user_123", declared_scopes(built.runtime.table)
    )
    with TestClient(built.app) as tc:

        @contextmanager
        def connect() -> Iterator[Any]:
            with tc.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as ws:
                yield ws

        yield SubscriptionFuzzer(SDL, connect, token)


def test_valid_and_invalid_subscriptions_keep_the_contract(fuzzer: SubscriptionFuzzer) -> None:
    assert fuzzer.run(examples=15, seed=3) >= 30


def test_a_document_with_an_unknown_field_is_caught(fuzzer: SubscriptionFuzzer) -> None:
    fuzzer.check_invalid('subscription { noSuchThing(userId: "u") { id } }')
    with pytest.raises(ContractViolation, match="valid subscription rejected"):
        fuzzer.check_valid('subscription { noSuchThing(userId: "u") { id } }')


def test_a_valid_document_is_not_mistaken_for_an_invalid_one(fuzzer: SubscriptionFuzzer) -> None:
    document = 'subscription { bookingUpdates(userId: "test_user_123") { id status } }'
    fuzzer.check_valid(document)
    with pytest.raises(ContractViolation, match="got no errors"):
        fuzzer.check_invalid(document)


def test_a_valid_subscription_the_domain_refuses_is_an_answer_not_a_rejection(
    fuzzer: SubscriptionFuzzer,
) -> None:
    # a conversation that does not exist: 404 RESOURCE_NOT_FOUND at subscribe time, as REST's
    # GET of it would answer; the document itself is valid and must not count as rejected
    fuzzer.check_valid('subscription { messageAdded(conversationId: "conv_none") { content } }')


@pytest.mark.parametrize(
    ("payload", "refusal"),
    [
        (
            [
                {
                    "message": "No conversation",
                    "extensions": {"code": "RESOURCE_NOT_FOUND", "status": 404},
                }
            ],
            True,
        ),
        ([{"message": "Cannot query field", "locations": [{"line": 1, "column": 3}]}], False),
        ([{"message": "Too deep", "extensions": {"code": "QUERY_TOO_DEEP", "status": 400}}], False),
        ([{"message": "boom", "extensions": {"code": "INTERNAL_ERROR", "status": 500}}], False),
        ([], False),
    ],
)
def test_only_domain_refusals_with_code_and_status_are_not_rejections(
    payload: list[dict[str, Any]], refusal: bool
) -> None:
    assert _refusal({"type": "error", "id": "1", "payload": payload}) is refusal
