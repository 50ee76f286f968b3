"""spec/openapi.yaml: valid OpenAPI 3.1, examples valid, every operation documented as the
brief asks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.spec.openapi_doc import (
    DOC_URI,
    DOMAIN_ERRORS,
    ERROR_CODES_BY_STATUS,
    EXPECTED_OPERATIONS,
    OAUTH_TAG,
    RATE_CLASS,
    RATE_HEADERS,
    TAGS,
    deref,
    doc,
    fail_if,
    is_secured,
    json_body,
    op_name,
    operations,
    parameters,
    pointer,
    ref_name,
    responses,
)

# --- validity ---------------------------------------------------------------------------


def test_openapi_spec_validator_accepts_the_document_as_openapi_3_1() -> None:
    assert doc()["openapi"] == "3.1.0"
    validate(doc(), cls=OpenAPIV31SpecValidator)


def _example_cases() -> Iterator[tuple[str, tuple[str, ...], Any]]:
    """(where, pointer parts of the schema, example value) for every example in the document.

    Media types, parameters and headers: `example` and every `examples` entry (an Example
    Object, maybe a $ref) against their `schema`. Schemas: every item of `examples: [...]`.
    """

    def walk(node: Any, parts: tuple[str, ...]) -> Iterator[tuple[str, tuple[str, ...], Any]]:
        if isinstance(node, list):
            for i, child in enumerate(node):
                yield from walk(child, (*parts, str(i)))
            return
        if not isinstance(node, dict):
            return
        where = pointer(parts)
        if "schema" in node and isinstance(node.get("examples"), dict):
            for name, example in node["examples"].items():
                example = deref(example)
                assert "value" in example, f"{where}/examples/{name} has no value"
                yield f"{where}/examples/{name}", (*parts, "schema"), example["value"]
        if "schema" in node and "example" in node:
            yield f"{where}/example", (*parts, "schema"), node["example"]
        if isinstance(node.get("examples"), list):
            for i, value in enumerate(node["examples"]):
                yield f"{where}/examples/{i}", parts, value
        for key, child in node.items():
            if key in ("examples", "example", "value") or key.startswith("x-"):
                continue
            yield from walk(child, (*parts, key))

    yield from walk(doc(), ())


def test_every_example_validates_against_its_schema_as_json_schema_2020_12() -> None:
    registry: Registry[Any] = Registry().with_resource(DOC_URI, DRAFT202012.create_resource(doc()))
    cases = list(_example_cases())
    problems = []
    for where, parts, value in cases:
        schema = {"$ref": DOC_URI + "#" + quote(pointer(parts), safe="/~")}
        validator = Draft202012Validator(
            schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        for error in validator.iter_errors(value):
            problems.append(f"{where}: {'/'.join(map(str, error.absolute_path))}: {error.message}")
    assert len(cases) > 150, f"only {len(cases)} examples found: is the walker broken?"
    fail_if(problems, "invalid examples")


def test_schemas_use_2020_12_examples_lists_not_the_deprecated_example_keyword() -> None:
    def walk(node: Any, where: str) -> Iterator[str]:
        if isinstance(node, list):
            for i, child in enumerate(node):
                yield from walk(child, f"{where}/{i}")
        elif isinstance(node, dict):
            if "example" in node:
                yield where
            for key, child in node.items():
                if key in ("properties", "$defs", "patternProperties") and isinstance(child, dict):
                    for name, sub in child.items():
                        yield from walk(sub, f"{where}/{key}/{name}")
                elif key not in ("examples", "const", "default", "enum"):
                    yield from walk(child, f"{where}/{key}")

    fail_if(
        list(walk(doc()["components"]["schemas"], "#/components/schemas")),
        "schemas using `example`",
    )


# --- operations -------------------------------------------------------------------------


def test_every_operation_of_the_brief_exists_at_its_method_and_path_with_its_tag() -> None:
    actual = {op.get("operationId"): (f"{m} {p}", op.get("tags")) for p, m, _, op in operations()}
    problems = []
    for op_id, (where, tag) in EXPECTED_OPERATIONS.items():
        if op_id not in actual:
            problems.append(f"{op_id}: missing (expected at {where})")
        elif actual[op_id] != (where, [tag]):
            problems.append(f"{op_id}: at {actual[op_id]}, expected {(where, [tag])}")
    fail_if(problems, "operations not as expected")


def test_every_operation_has_a_unique_camel_case_id_one_known_tag_a_summary_and_description() -> (
    None
):
    problems = []
    seen: set[str] = set()
    for path, method, _, op in operations():
        name = op_name(path, method, op)
        op_id = op.get("operationId", "")
        if not re.fullmatch(r"[a-z][a-zA-Z0-9]*", op_id) or op_id in seen:
            problems.append(f"{name}: operationId missing, not lowerCamelCase or duplicated")
        seen.add(op_id)
        tags = op.get("tags", [])
        if len(tags) != 1 or tags[0] not in TAGS:
            problems.append(f"{name}: tags {tags} (need exactly one of {sorted(TAGS)})")
        for field in ("summary", "description"):
            if not str(op.get(field, "")).strip():
                problems.append(f"{name}: no {field}")
    declared = {t["name"] for t in doc()["tags"]}
    if declared != TAGS:
        problems.append(f"top-level tags {sorted(declared)} != {sorted(TAGS)}")
    fail_if(problems, "operation identity problems")


def test_every_operation_names_its_rate_limit_class_and_the_classes_are_declared() -> None:
    classes = doc()["x-rate-limit-classes"]
    problems = []
    for path, method, _, op in operations():
        expected = RATE_CLASS.get(op.get("operationId", ""), "default")
        if op.get("x-rate-limit") != expected:
            problems.append(f"{op_name(path, method, op)}: x-rate-limit {op.get('x-rate-limit')!r}")
    for name, spec in classes.items():
        if not isinstance(spec.get("limit"), int) or spec.get("per") not in ("minute", "hour"):
            problems.append(f"x-rate-limit-classes.{name}: needs an integer limit and per")
    if set(classes) != {"default", *RATE_CLASS.values()}:
        problems.append(f"x-rate-limit-classes has {sorted(classes)}")
    fail_if(problems, "rate-limit problems")


def test_secured_operations_accept_oauth2_or_bearer_with_the_same_declared_scopes() -> None:
    declared = doc()["components"]["securitySchemes"]["oauth2"]["flows"]["authorizationCode"]
    problems = []
    for path, method, _, op in operations():
        name = op_name(path, method, op)
        if "security" not in op:
            problems.append(f"{name}: no `security`")
        elif op["tags"] == [OAUTH_TAG]:
            if op["security"] != []:
                problems.append(f"{name}: OAuth endpoints take `security: []`")
        else:
            security = op["security"]
            scopes = security[0].get("oauth2") if security else None
            # `[]`: any signed-in caller (webhooks: what each receives is x-required-scopes)
            signed_in = scopes == [] and op["tags"] == ["webhooks"]
            if (not scopes and not signed_in) or security != [
                {"oauth2": scopes},
                {"bearerAuth": scopes},
            ]:
                problems.append(f"{name}: security {security}")
            elif undeclared := set(scopes) - set(declared["scopes"]):
                problems.append(f"{name}: undeclared scopes {sorted(undeclared)}")
    fail_if(problems, "security problems")


def test_every_operation_documents_the_errors_it_can_return() -> None:
    problems = []
    for path, method, item, op in operations():
        codes = set(op["responses"])
        need = {"400", "429", "500", "503"}
        if is_secured(op):
            need |= {"401", "403"}
        if any(p["in"] == "path" for p in parameters(item, op)):
            need.add("404")
        if json_body(op) is not None and op["tags"] != [OAUTH_TAG]:
            need.add("422")  # OAuth answers every request error with 400 (RFC 6749 5.2)
        if missing := need - codes:
            problems.append(f"{op_name(path, method, op)}: missing {sorted(missing)}")
        if not any(c.startswith(("2", "3")) for c in codes):
            problems.append(f"{op_name(path, method, op)}: no success response")
    fail_if(problems, "operations missing error responses")


def test_error_responses_are_error_documents_whose_examples_match_their_status() -> None:
    problems = []
    for path, method, _, op in operations():
        for code, response in responses(op).items():
            if int(code) < 400:
                continue
            media = response.get("content", {}).get("application/json")
            if media is None or ref_name(media["schema"]) != "ErrorDocument":
                if op["tags"] != [OAUTH_TAG] or code in ("429", "500", "503"):
                    problems.append(f"{op_name(path, method, op)} {code}: not an ErrorDocument")
                continue
            for ex_name, example in media.get("examples", {}).items():
                for error in deref(example)["value"]["errors"]:
                    if error["status"] != code or error["code"] not in ERROR_CODES_BY_STATUS[code]:
                        problems.append(
                            f"{op_name(path, method, op)} {code} example {ex_name}: "
                            f"status {error['status']} code {error['code']}"
                        )
    fail_if(problems, "error responses with wrong documents or codes")


def test_operations_show_the_domain_error_codes_of_the_reference() -> None:
    by_id = {op["operationId"]: op for _, _, _, op in operations()}
    problems = []
    for op_id, wanted in DOMAIN_ERRORS.items():
        for status, code in wanted:
            response = responses(by_id[op_id]).get(status)
            examples = (response or {}).get("content", {}).get("application/json", {})
            shown = {
                e["code"]
                for ex in examples.get("examples", {}).values()
                for e in deref(ex)["value"]["errors"]
            }
            if code not in shown:
                problems.append(f"{op_id} {status}: no example with {code}")
    fail_if(problems, "missing domain errors")


def test_every_response_declares_the_rate_limit_and_request_id_headers() -> None:
    problems = []
    for path, method, _, op in operations():
        for code, response in responses(op).items():
            headers = set(response.get("headers", {}))
            need = {*RATE_HEADERS, "X-Request-ID"}
            if code in ("201", "302"):
                need.add("Location")
            if code in ("429",):
                need.add("Retry-After")
            if code == "401":
                need.add("WWW-Authenticate")
            if missing := need - headers:
                problems.append(f"{op_name(path, method, op)} {code}: missing {sorted(missing)}")
    fail_if(problems, "responses missing headers")


def test_every_operation_accepts_the_request_id_header_parameter() -> None:
    problems = [
        op_name(path, method, op)
        for path, method, _, op in operations()
        if {"$ref": "#/components/parameters/RequestId"} not in op.get("parameters", [])
    ]
    fail_if(problems, "operations without the RequestId parameter")


def test_every_request_body_and_response_media_type_has_named_examples() -> None:
    problems = []
    for path, method, _, op in operations():
        media_types = []
        if "requestBody" in op:
            media_types += [("request", m) for m in deref(op["requestBody"])["content"].items()]
        for code, response in responses(op).items():
            media_types += [(code, m) for m in response.get("content", {}).items()]
        for where, (mime, media) in media_types:
            if not media.get("examples"):
                problems.append(f"{op_name(path, method, op)} {where} {mime}: no examples")
    fail_if(problems, "media types without examples")
