"""spec/openapi.yaml covers the reference: its endpoints, parameters, scopes, error codes,
events and limits."""

from __future__ import annotations

from tests.spec import reference
from tests.spec.openapi_doc import deref, doc, fail_if, operations, parameters


def test_spec_has_every_rest_endpoint_of_the_reference() -> None:
    endpoints = reference.rest_endpoints()
    assert len(endpoints) >= 20, "the reference parser found too few endpoints"
    have = {(method, path) for path, method, _, _ in operations()}
    missing = [str(e) for e in endpoints if (e.method, e.path) not in have]
    fail_if(missing, "reference endpoints missing from spec/openapi.yaml")


def test_spec_declares_every_query_parameter_the_reference_uses() -> None:
    ops = {(method, path): parameters(item, op) for path, method, item, op in operations()}
    problems = []
    for e in reference.rest_endpoints():
        names = {p["name"] for p in ops.get((e.method, e.path), []) if p["in"] == "query"}
        problems += [f"{e}: query parameter {q}" for q in e.query if q not in names]
    fail_if(problems, "reference query parameters missing")


def test_search_practitioners_has_every_reference_query_parameter_with_its_type() -> None:
    types = {
        "string": {"type": "string"},
        "datetime": {"type": "string", "format": "date-time"},
        "float": {"type": "number"},
        "integer": {"type": "integer"},
    }
    listed = reference.search_query_parameters()
    assert len(listed) >= 10, "the reference parser found too few search parameters"
    path, method, item, op = next(
        o for o in operations() if o[3]["operationId"] == "searchPractitioners"
    )
    declared = {p["name"]: deref(p["schema"]) for p in parameters(item, op)}
    problems = []
    for name, ref_type in listed.items():
        schema = declared.get(name)
        if schema is None:
            problems.append(f"{name}: missing")
        elif any(schema.get(k) != v for k, v in types[ref_type].items()):
            problems.append(f"{name}: {schema} is not a {ref_type}")
    session = declared.get("session_type", {})
    if session.get("enum") != ["video_call", "phone_call", "in_person", "chat"]:
        problems.append("session_type: not the enum video_call, phone_call, in_person, chat")
    fail_if(problems, "search parameters not as the reference says")


def test_oauth2_scheme_declares_exactly_the_scopes_of_the_reference() -> None:
    scopes = reference.scopes()
    assert len(scopes) >= 12, "the reference parser found too few scopes"
    flow = doc()["components"]["securitySchemes"]["oauth2"]["flows"]["authorizationCode"]
    missing = [s for s in scopes if s not in flow["scopes"]]
    extra = [s for s in flow["scopes"] if s not in scopes]
    fail_if(missing + [f"{s} (not in the reference)" for s in extra], "scope differences")


def test_error_code_enum_has_every_common_error_code_of_the_reference() -> None:
    rows = reference.error_code_rows()
    assert len(rows) >= 12, "the reference parser found too few error codes"
    enum = doc()["components"]["schemas"]["ErrorCode"]["enum"]
    missing = [
        f"{reference.guess_error_code(row)} (row {row!r})"
        for row in rows
        if not any(reference.row_has_code(row, code) for code in enum)
    ]
    fail_if(missing, "reference error codes missing from ErrorCode")


def test_webhooks_cover_every_event_type_of_the_reference() -> None:
    events = reference.webhook_events()
    assert len(events) >= 11, "the reference parser found too few event types"
    missing = [e for e in events if e not in doc()["webhooks"]]
    missing += [
        f"{e} (WebhookEventType)"
        for e in events
        if e not in doc()["components"]["schemas"]["WebhookEventType"]["enum"]
    ]
    fail_if(missing, "reference event types missing")


def test_rate_limit_classes_and_tiers_match_the_reference_numbers() -> None:
    classes = doc()["x-rate-limit-classes"]
    expected = reference.rate_limit_classes()
    assert len(expected) >= 4, "the reference parser found too few endpoint limits"
    problems = [
        f"{name}: spec {classes.get(name)} != reference {limit}/{per}"
        for name, (limit, per) in expected.items()
        if (classes.get(name, {}).get("limit"), classes.get(name, {}).get("per")) != (limit, per)
    ]
    tiers = doc()["x-rate-limit-tiers"]
    for tier, (per_hour, burst) in reference.rate_limit_tiers().items():
        spec = tiers.get(tier, {})
        if per_hour is None:
            if spec.get("custom") is not True:
                problems.append(f"tier {tier}: reference says custom")
        elif (spec.get("per_hour"), spec.get("burst")) != (per_hour, burst):
            problems.append(f"tier {tier}: spec {spec} != reference {per_hour}/{burst}")
    fail_if(problems, "rate limit differences")
