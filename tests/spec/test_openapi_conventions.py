"""spec/openapi.yaml: the conventions kept (descriptions, ids, pages, filters, mock rules,
links, bodies, enums, webhooks)."""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLEnumType, build_schema

from tests.spec.openapi_doc import (
    FILTER_OPS,
    GRAPHQL_ENUMS,
    ID_EXAMPLES,
    OAUTH_TAG,
    PATH_PARAMETER_SCHEMAS,
    SDL,
    deref,
    doc,
    fail_if,
    json_body,
    op_name,
    operations,
    parameters,
    ref_name,
    responses,
)


def test_every_parameter_and_component_schema_has_a_description() -> None:
    problems = [
        f"{op_name(path, method, op)}: parameter {p['name']}"
        for path, method, item, op in operations()
        for p in parameters(item, op)
        if not p.get("description")
    ]
    problems += [
        f"components.schemas.{name}"
        for name, schema in doc()["components"]["schemas"].items()
        if not schema.get("description")
    ]
    fail_if(problems, "without description")


def test_path_parameters_use_the_prefixed_id_schemas() -> None:
    problems = []
    for path, method, item, op in operations():
        for p in parameters(item, op):
            if p["in"] != "path":
                continue
            expected = PATH_PARAMETER_SCHEMAS.get(p["name"])
            if expected is None or ref_name(p["schema"]) != expected or not p.get("required"):
                problems.append(f"{op_name(path, method, op)}: path parameter {p['name']}")
            if "{" + p["name"] + "}" not in path:
                problems.append(f"{op_name(path, method, op)}: {p['name']} not in the path")
    fail_if(problems, "path parameter problems")


def test_id_schemas_accept_the_reference_ids_and_reject_other_prefixes() -> None:
    schemas = doc()["components"]["schemas"]
    problems = []
    for name, ids in ID_EXAMPLES.items():
        pattern = schemas[name]["pattern"]
        problems += [f"{name} rejects {i}" for i in ids if not re.search(pattern, i)]
        problems += [f"{name} accepts {bad}" for bad in ("x_123", "") if re.search(pattern, bad)]
    fail_if(problems, "id pattern problems")


def test_list_operations_page_with_the_shared_limit_and_offset_parameters() -> None:
    components = doc()["components"]["parameters"]
    limit, offset = components["Limit"], components["Offset"]
    assert (limit["name"], limit["schema"]) == (
        "limit",
        {"type": "integer", "minimum": 1, "maximum": 100, "default": 20, "examples": [20]},
    )
    assert (offset["name"], offset["schema"]["minimum"], offset["schema"]["default"]) == (
        "offset",
        0,
        0,
    )
    problems = []
    for path, method, _, op in operations():
        ok = op["responses"].get("200", {}).get("content", {}).get("application/json", {})
        if str(ref_name(ok.get("schema")) or "").endswith("ListDocument"):
            refs = {ref_name(p) for p in op.get("parameters", [])}
            if not {"Limit", "Offset"} <= refs:
                problems.append(op_name(path, method, op))
    fail_if(problems, "list operations without Limit/Offset")


def test_search_practitioners_filters_carry_x_filter_hints_on_listed_attributes() -> None:
    problems = []
    hinted = 0
    for path, method, item, op in operations():
        for p in parameters(item, op):
            if "x-filter" not in p:
                continue
            hinted += 1
            hint = p["x-filter"]
            listed = deref(op["responses"]["200"])["content"]["application/json"]["schema"]
            resource = deref(deref(deref(listed)["properties"]["data"])["items"])
            node = deref(resource["properties"]["attributes"])
            for part in hint["field"].split("."):
                node = deref(node.get("properties", {}).get(part))
                if node is None:
                    break
            if node is None or hint.get("op") not in FILTER_OPS:
                problems.append(f"{op_name(path, method, op)}: {p['name']} x-filter {hint}")
    assert hinted >= 8, "expected x-filter hints on the search and list filters"
    fail_if(problems, "x-filter hints on no attribute")


def test_x_mock_rules_name_response_examples_and_match_a_request_example() -> None:
    problems = []
    ruled = 0
    for path, method, _, op in operations():
        for rule in op.get("x-mock-rules", []):
            ruled += 1
            name = f"{op_name(path, method, op)} rule {rule}"
            response = responses(op).get(str(rule["status"]))
            media = (response or {}).get("content", {}).get("application/json", {})
            if rule["example"] not in media.get("examples", {}):
                problems.append(f"{name}: no response example {rule['example']!r}")
            requests = [deref(e)["value"] for e in json_body(op)["examples"].values()]  # type: ignore[index]
            if not any(_matches(value, rule["when"]) for value in requests):
                problems.append(f"{name}: no request example matches `when`")
    assert ruled >= 2, "confirmPaymentIntent should carry x-mock-rules for the test cards"
    fail_if(problems, "x-mock-rules problems")


def _matches(value: Any, when: dict[str, Any]) -> bool:
    for ptr, expected in when.items():
        node = value
        for part in ptr.split("/")[1:]:
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        if node != expected:
            return False
    return True


def test_links_name_existing_operations_and_their_parameters() -> None:
    by_id = {op["operationId"]: (item, op) for _, _, item, op in operations()}
    problems = []
    count = 0
    for path, method, _, op in operations():
        for code, response in responses(op).items():
            for link_name, link in response.get("links", {}).items():
                count += 1
                where = f"{op_name(path, method, op)} {code} link {link_name}"
                if link.get("operationId") not in by_id:
                    problems.append(f"{where}: unknown operationId {link.get('operationId')}")
                    continue
                names = {p["name"] for p in parameters(*by_id[link["operationId"]])}
                problems += [
                    f"{where}: no parameter {n}" for n in link["parameters"] if n not in names
                ]
    assert count >= 10, f"only {count} links"
    fail_if(problems, "broken links")


def test_json_request_bodies_are_documents_that_reject_unknown_attributes() -> None:
    problems = []
    for path, method, _, op in operations():
        media = json_body(op)
        if media is None or op["tags"] == [OAUTH_TAG]:
            continue
        data = deref(deref(media["schema"])["properties"]["data"])
        attributes = deref(data["properties"]["attributes"])
        if (
            "const" not in data["properties"]["type"]
            or attributes.get("additionalProperties") is not False
        ):
            problems.append(op_name(path, method, op))
    fail_if(problems, "request bodies without a const type or with open attributes")


def test_rest_enums_match_the_graphql_enums_upper_cased() -> None:
    schema = build_schema(SDL.read_text(encoding="utf-8"))
    problems = []
    for rest, graphql in GRAPHQL_ENUMS.items():
        enum = schema.type_map.get(graphql)
        values = [v.upper() for v in doc()["components"]["schemas"][rest]["enum"]]
        if not isinstance(enum, GraphQLEnumType) or list(enum.values) != values:
            problems.append(f"{rest} {values} != GraphQL {graphql}")
    graphql_codes = schema.type_map.get("ErrorCode")
    if isinstance(graphql_codes, GraphQLEnumType):
        rest_codes = set(doc()["components"]["schemas"]["ErrorCode"]["enum"])
        problems += [
            f"GraphQL ErrorCode {c} not in REST"
            for c in graphql_codes.values
            if c not in rest_codes
        ]
    fail_if(problems, "enum mismatches")


def test_webhooks_are_signed_event_envelopes_one_per_event_type() -> None:
    schemas = doc()["components"]["schemas"]
    problems = []
    for event, item in doc()["webhooks"].items():
        post = item["post"]
        headers = {deref(p)["name"] for p in post["parameters"]}
        if headers != {
            "X-KlearKarma-Signature",
            "X-KlearKarma-Event",
            "X-KlearKarma-Delivery",
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
        }:
            problems.append(f"{event}: headers {sorted(headers)}")
        declared = doc()["components"]["securitySchemes"]["oauth2"]["flows"]
        scopes = set(declared["authorizationCode"]["scopes"])
        needs = post.get("x-required-scopes")
        if not needs or not set(needs) <= scopes:  # who may receive it (server.webhook_audience)
            problems.append(f"{event}: x-required-scopes {needs}")
        media = deref(post["requestBody"])["content"]["application/json"]
        if not media.get("examples") or any(
            deref(e)["value"]["type"] != event for e in media["examples"].values()
        ):
            problems.append(f"{event}: examples missing or of another type")
    if list(doc()["webhooks"]) != schemas["WebhookEventType"]["enum"]:
        problems.append("webhooks and WebhookEventType list different events")
    fail_if(problems, "webhook problems")
