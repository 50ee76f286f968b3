"""OpenAPI rules beyond schemas: operations, deprecation, parameters, bodies, responses."""

from __future__ import annotations

from typing import Any

from tests.contracts.diff_cases.docs import (
    INT,
    STRING,
    B,
    Case,
    D,
    S,
    answer,
    body,
    cases,
    obj,
    op,
    openapi,
    query,
    with_param,
)

case = cases("openapi")
TWO = obj(a=STRING, b=STRING)
ONE = obj(a=STRING)


def deprecated(sunset: str | None = None, header: bool = False) -> dict[str, Any]:
    get = op(deprecated=True)
    if sunset and header:
        schema = {"type": "string", "example": sunset}
        get["responses"]["200"]["headers"] = {"Sunset": {"schema": schema}}
    elif sunset:
        get["x-sunset"] = sunset
    return openapi({"/items": {"get": op()}, "/old": {"get": get}})


ONLY_ITEMS = openapi({"/items": {"get": op()}})
HTTP_DATE_PAST = "Sat, 01 Mar 2025 00:00:00 GMT"
RESPONSE_200 = {"description": "ok", "content": {"application/json": {"schema": STRING}}}
HEADER = {"X-Rate": {"required": True, "schema": INT}}

OPENAPI_CASES: list[Case] = [
    case("response-property-removed", B, answer(TWO), answer(ONE), "response-property-added", S),
    case("request-property-removed", D, body(TWO), body(ONE), "request-property-added", S),
    case(
        "request-property-removed-from-closed-object",
        B,
        body(TWO | {"additionalProperties": False}),
        body(ONE | {"additionalProperties": False}),
        "request-property-added",
        S,
    ),
    # removed operations, and deprecation with sunset dates
    case(
        "operation-removed",
        B,
        openapi({"/items": {"get": op()}, "/old": {"get": op()}}),
        ONLY_ITEMS,
        "operation-added",
        S,
    ),
    case(
        "operation-removed-before-sunset",
        B,
        deprecated("2027-01-01"),
        ONLY_ITEMS,
        "operation-added",
        S,
    ),
    case(
        "operation-removed-before-sunset",
        B,
        deprecated("Fri, 01 Jan 2027 00:00:00 GMT", header=True),
        ONLY_ITEMS,
    ),
    case("operation-removed-after-sunset", S, deprecated("2026-01-01"), ONLY_ITEMS),
    case("operation-removed-after-sunset", S, deprecated(HTTP_DATE_PAST, header=True), ONLY_ITEMS),
    case("deprecated-operation-removed", D, deprecated(), ONLY_ITEMS),
    case(
        "operation-deprecated",
        S,
        openapi({"/items": {"get": op()}, "/old": {"get": op()}}),
        deprecated("2027-01-01"),
        "operation-reinstated",
        S,
    ),
    case("sunset-brought-forward", D, deprecated("2027-06-01"), deprecated("2027-01-01")),
    # parameters
    case(
        "request-parameter-removed",
        B,
        with_param(query()),
        with_param(),
        "request-parameter-added",
        S,
    ),
    case(
        "request-header-removed",
        D,
        with_param({"name": "X-Trace", "in": "header", "schema": STRING}),
        with_param(),
        "request-parameter-added",
        S,
    ),
    case(
        "request-cookie-removed",
        D,
        with_param({"name": "session", "in": "cookie", "schema": STRING}),
        with_param(),
    ),
    case(
        "required-request-parameter-added",
        B,
        with_param(),
        with_param(query(required=True)),
        "request-parameter-removed",
        B,
    ),
    case(
        "request-parameter-became-required",
        B,
        with_param(query()),
        with_param(query(required=True)),
        "request-parameter-became-optional",
        S,
    ),
    case(
        "request-parameter-location-changed",
        B,
        with_param(query("x")),
        with_param({"name": "x", "in": "header", "schema": INT}),
        "request-parameter-location-changed",
        B,
    ),
    case(
        "request-parameter-style-changed",
        B,
        with_param(query("x", type="array") | {"style": "form"}),
        with_param(query("x", type="array") | {"style": "pipeDelimited"}),
        "request-parameter-style-changed",
        B,
    ),
    case(
        "request-parameter-explode-changed",
        B,
        with_param(query("x", type="array")),
        with_param(query("x", type="array") | {"explode": False}),
        "request-parameter-explode-changed",
        B,
    ),
    case(
        "request-parameter-deprecated",
        S,
        with_param(query()),
        with_param(query() | {"deprecated": True}),
    ),
    # the three: each was reported as non-breaking before
    case(
        "request-maximum-decreased",
        B,
        with_param(query(maximum=100)),
        with_param(query(maximum=50)),
        "request-maximum-increased",
        S,
    ),
    case(
        "request-minimum-increased",
        B,
        with_param(
            {"name": "id", "in": "path", "required": True, "schema": INT | {"minimum": 1}},
            path="/items/{id}",
        ),
        with_param(
            {"name": "item_id", "in": "path", "required": True, "schema": INT | {"minimum": 5}},
            path="/items/{item_id}",
        ),
        "request-minimum-decreased",
        S,
    ),
    # request bodies and media types
    case(
        "request-body-became-required",
        B,
        openapi(
            {"/items": {"post": op(requestBody={"content": {"application/json": {"schema": ONE}}})}}
        ),
        body(ONE)
        | {
            "paths": {
                "/items": {
                    "post": op(
                        requestBody={
                            "required": True,
                            "content": {"application/json": {"schema": ONE}},
                        }
                    )
                }
            }
        },
        "request-body-became-optional",
        S,
    ),
    case(
        "request-body-added",
        S,
        openapi({"/items": {"post": op()}}),
        openapi(
            {"/items": {"post": op(requestBody={"content": {"application/json": {"schema": ONE}}})}}
        ),
        "request-body-removed",
        D,
    ),
    case(
        "request-media-type-removed",
        B,
        openapi(
            {
                "/items": {
                    "post": op(requestBody={"content": {"application/json": {}, "text/csv": {}}})
                }
            }
        ),
        openapi({"/items": {"post": op(requestBody={"content": {"application/json": {}}})}}),
        "request-media-type-added",
        S,
    ),
    # responses
    case(
        "response-status-removed",
        B,
        openapi(
            {"/items": {"get": op(responses={"200": RESPONSE_200, "404": {"description": "no"}})}}
        ),
        openapi({"/items": {"get": op(responses={"200": RESPONSE_200})}}),
        "response-status-added",
        S,
    ),
    case(
        "response-media-type-removed",
        B,
        openapi(
            {
                "/items": {
                    "get": op(
                        responses={
                            "200": RESPONSE_200
                            | {"content": RESPONSE_200["content"] | {"text/csv": {}}}
                        }
                    )
                }
            }
        ),
        openapi({"/items": {"get": op(responses={"200": RESPONSE_200})}}),
        "response-media-type-added",
        S,
    ),
    case(
        "response-required-header-removed",
        B,
        openapi({"/items": {"get": op(responses={"200": RESPONSE_200 | {"headers": HEADER}})}}),
        openapi({"/items": {"get": op(responses={"200": RESPONSE_200})}}),
        "response-header-added",
        S,
    ),
    case(
        "response-header-removed",
        D,
        openapi(
            {
                "/items": {
                    "get": op(
                        responses={"200": RESPONSE_200 | {"headers": {"X-Rate": {"schema": INT}}}}
                    )
                }
            }
        ),
        openapi({"/items": {"get": op(responses={"200": RESPONSE_200})}}),
    ),
    case(
        "response-header-became-optional",
        B,
        openapi({"/items": {"get": op(responses={"200": RESPONSE_200 | {"headers": HEADER}})}}),
        openapi(
            {
                "/items": {
                    "get": op(
                        responses={"200": RESPONSE_200 | {"headers": {"x-rate": {"schema": INT}}}}
                    )
                }
            }
        ),
    ),
    case(
        "response-maximum-increased",
        B,
        openapi(
            {
                "/items": {
                    "get": op(
                        responses={
                            "200": RESPONSE_200
                            | {"headers": {"X-Rate": {"schema": INT | {"maximum": 9}}}}
                        }
                    )
                }
            }
        ),
        openapi(
            {
                "/items": {
                    "get": op(
                        responses={"200": RESPONSE_200 | {"headers": {"X-Rate": {"schema": INT}}}}
                    )
                }
            }
        ),
        "response-maximum-decreased",
        S,
    ),
]
