"""OpenAPI rules on security, $refs and webhooks."""

from __future__ import annotations

from typing import Any

from tests.contracts.diff_cases.docs import (
    STRING,
    B,
    Case,
    S,
    body,
    cases,
    changed,
    obj,
    op,
    openapi,
)

case = cases("openapi")
TWO, ONE = obj(a=STRING, b=STRING), obj(a=STRING)


def hook(schema: dict[str, Any]) -> dict[str, Any]:
    content = {"application/json": {"schema": schema}}
    event = {"post": op(requestBody={"required": True, "content": content})}
    return openapi({}, webhooks={"item.created": event})


SECURED = {"components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}}
OAUTH = {
    "components": {
        "securitySchemes": {
            "oauth": {
                "type": "oauth2",
                "flows": {
                    "clientCredentials": {"tokenUrl": "/t", "scopes": {"r": "read", "w": "write"}}
                },
            }
        }
    }
}


def secured(
    security: list[dict[str, list[str]]] | None, schemes: dict[str, Any] = SECURED
) -> dict[str, Any]:
    get = op() if security is None else op(security=security)
    return openapi({"/items": {"get": get}}, **schemes)


BOTH = {
    "components": {
        "securitySchemes": SECURED["components"]["securitySchemes"]
        | OAUTH["components"]["securitySchemes"]
    }
}


SECURITY_CASES: list[Case] = [
    # security
    case(
        "security-requirement-added",
        B,
        secured(None),
        secured([{"bearer": []}]),
        "security-relaxed",
        S,
    ),
    case(
        "security-requirement-added",
        B,
        secured([{"bearer": []}], BOTH),
        secured([{"oauth": ["r"]}], BOTH),
    ),
    case(
        "security-scope-added",
        B,
        secured([{"oauth": ["r"]}], OAUTH),
        secured([{"oauth": ["r", "w"]}], OAUTH),
        "security-relaxed",
        S,
    ),
    case(
        "security-scope-removed",
        B,
        secured(None, OAUTH),
        changed(
            secured(None, OAUTH),
            lambda d: d["components"]["securitySchemes"]["oauth"]["flows"]["clientCredentials"][
                "scopes"
            ].pop("w"),
        ),
    ),
    case("security-scheme-removed", B, secured(None), secured(None, {})),
    case(
        "security-scheme-changed",
        B,
        secured(None),
        secured(
            None,
            {
                "components": {
                    "securitySchemes": {
                        "bearer": {"type": "apiKey", "in": "header", "name": "X-Key"}
                    }
                }
            },
        ),
    ),
    # $refs: a component narrowed is caught wherever it is used, cycles end
    case(
        "request-max-length-decreased",
        B,
        body({"$ref": "#/components/schemas/Node"})
        | {
            "components": {
                "schemas": {"Node": obj(name=STRING, child={"$ref": "#/components/schemas/Node"})}
            }
        },
        body({"$ref": "#/components/schemas/Node"})
        | {
            "components": {
                "schemas": {
                    "Node": obj(
                        name=STRING | {"maxLength": 5}, child={"$ref": "#/components/schemas/Node"}
                    )
                }
            }
        },
        "request-max-length-increased",
        S,
    ),
    # 3.1 webhooks: the server sends the body, so it compares like a response
    case("response-property-removed", B, hook(TWO), hook(ONE), "response-property-added", S),
    case(
        "response-max-length-increased",
        B,
        hook(STRING | {"maxLength": 5}),
        hook(STRING),
        "response-max-length-decreased",
        S,
    ),
    case("webhook-removed", B, hook(ONE), openapi({}), "webhook-added", S),
]
