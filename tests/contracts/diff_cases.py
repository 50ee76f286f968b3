"""Rule cases for `kk diff` as data: each an old and a new document, the rule expected going
old -> new (the breaking direction when the rule is breaking) and the one expected going back.

Documents are built small from the helpers below so one case reads on a few lines.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from contracts.diff import Level

B, D, S = Level.BREAKING, Level.DANGEROUS, Level.INFO
TODAY = "2026-06-01"  # the date the sunset cases are judged on


@dataclass(frozen=True)
class Case:
    kind: str  # openapi | asyncapi | graphql
    rule: str
    level: Level
    old: Any
    new: Any
    back: str | None = None  # the rule new -> old reports
    back_level: Level | None = None


def openapi(paths: dict[str, Any], version: str = "3.1.0", **extra: Any) -> dict[str, Any]:
    return {"openapi": version, "info": {"title": "t", "version": "1.0.0"}, "paths": paths} | extra


def body(schema: dict[str, Any], version: str = "3.1.0") -> dict[str, Any]:
    post = {
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "responses": {"204": {"description": "done"}},
    }
    return openapi({"/items": {"post": post}}, version)


def answer(schema: dict[str, Any], version: str = "3.1.0") -> dict[str, Any]:
    ok = {"description": "ok", "content": {"application/json": {"schema": schema}}}
    return openapi({"/items": {"get": {"responses": {"200": ok}}}}, version)


def op(**fields: Any) -> dict[str, Any]:
    return {"responses": {"200": {"description": "ok"}}} | fields


def query(name: str = "limit", required: bool = False, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": {"type": "integer"} | schema,
    }


def with_param(*params: dict[str, Any], path: str = "/items") -> dict[str, Any]:
    return openapi({path: {"get": op(parameters=list(params))}})


@dataclass(frozen=True)
class Pair:
    """A schema narrowed old -> new: in a request that refuses what old clients send; swapped
    in a response it returns what old clients cannot read."""

    narrowed: str
    widened: str
    old: dict[str, Any]
    new: dict[str, Any]
    levels: tuple[Level, Level, Level, Level] = (B, S, S, B)  # request ->, <-, response ->, <-
    version: str = "3.1.0"


def obj(required: list[str] | None = None, **props: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props or {"a": {"type": "string"}}}
    return schema | ({"required": required} if required is not None else {})


STRING, INT = {"type": "string"}, {"type": "integer"}
SUN = (B, B, B, B)  # neither a subset nor a superset: breaking both ways
PAIRS: list[Pair] = [
    Pair("type-narrowed", "type-widened", {"type": ["string", "integer"]}, STRING),
    Pair("type-narrowed", "type-widened", {"type": "number"}, INT),
    Pair("type-changed", "type-changed", STRING, INT, SUN),
    Pair("became-not-nullable", "became-nullable", {"type": ["string", "null"]}, STRING),
    Pair(
        "became-not-nullable",
        "became-nullable",
        STRING | {"nullable": True},
        STRING,
        version="3.0.3",
    ),
    Pair("format-narrowed", "format-widened", INT | {"format": "int64"}, INT | {"format": "int32"}),
    Pair("format-narrowed", "format-widened", STRING, STRING | {"format": "email"}),
    Pair(
        "format-changed",
        "format-changed",
        STRING | {"format": "date"},
        STRING | {"format": "uuid"},
        SUN,
    ),
    Pair("minimum-increased", "minimum-decreased", INT | {"minimum": 0}, INT | {"minimum": 1}),
    Pair(
        "minimum-increased",
        "minimum-decreased",
        INT | {"minimum": 0},
        INT | {"exclusiveMinimum": 0},
    ),
    Pair(
        "minimum-increased",
        "minimum-decreased",
        INT | {"minimum": 0},
        INT | {"minimum": 0, "exclusiveMinimum": True},
        version="3.0.3",
    ),
    Pair("maximum-decreased", "maximum-increased", INT, INT | {"maximum": 10}),
    Pair(
        "maximum-decreased",
        "maximum-increased",
        INT | {"maximum": 10},
        INT | {"exclusiveMaximum": 10},
    ),
    Pair("min-length-increased", "min-length-decreased", STRING, STRING | {"minLength": 3}),
    Pair(
        "max-length-decreased",
        "max-length-increased",
        STRING | {"maxLength": 500},
        STRING | {"maxLength": 200},
    ),
    Pair(
        "min-items-increased",
        "min-items-decreased",
        {"type": "array"},
        {"type": "array", "minItems": 1},
    ),
    Pair(
        "max-items-decreased",
        "max-items-increased",
        {"type": "array", "maxItems": 9},
        {"type": "array", "maxItems": 3},
    ),
    Pair(
        "min-properties-increased", "min-properties-decreased", obj(), obj() | {"minProperties": 1}
    ),
    Pair(
        "max-properties-decreased", "max-properties-increased", obj(), obj() | {"maxProperties": 1}
    ),
    Pair(
        "unique-items-added",
        "unique-items-removed",
        {"type": "array"},
        {"type": "array", "uniqueItems": True},
    ),
    Pair("pattern-added", "pattern-removed", STRING, STRING | {"pattern": "^a"}),
    Pair(
        "pattern-changed",
        "pattern-changed",
        STRING | {"pattern": "^a"},
        STRING | {"pattern": "^b"},
        SUN,
    ),
    Pair(
        "multiple-of-narrowed",
        "multiple-of-widened",
        INT | {"multipleOf": 2},
        INT | {"multipleOf": 4},
    ),
    Pair(
        "multiple-of-narrowed",
        "multiple-of-widened",
        {"type": "number"},
        {"type": "number", "multipleOf": 0.5},
    ),
    Pair(
        "multiple-of-changed",
        "multiple-of-changed",
        INT | {"multipleOf": 2},
        INT | {"multipleOf": 3},
        SUN,
    ),
    Pair("const-added", "const-removed", STRING, STRING | {"const": "x"}),
    Pair("const-changed", "const-changed", STRING | {"const": "x"}, STRING | {"const": "y"}, SUN),
    Pair(
        "enum-value-removed",
        "enum-value-added",
        STRING | {"enum": ["a", "b"]},
        STRING | {"enum": ["a"]},
        (B, S, S, D),
    ),
    Pair("enum-added", "enum-removed", STRING, STRING | {"enum": ["a"]}, (B, S, S, D)),
    Pair("property-became-required", "property-became-optional", obj([]), obj(["a"])),
    Pair(
        "additional-properties-narrowed",
        "additional-properties-widened",
        obj(),
        obj() | {"additionalProperties": False},
        (B, S, S, D),
    ),
    Pair(
        "additional-properties-narrowed",
        "additional-properties-widened",
        obj() | {"additionalProperties": STRING},
        obj() | {"additionalProperties": False},
        (B, S, S, D),
    ),
    Pair(
        "max-length-decreased",
        "max-length-increased",
        obj() | {"additionalProperties": STRING},
        obj() | {"additionalProperties": STRING | {"maxLength": 3}},
    ),
    Pair(
        "max-length-decreased",
        "max-length-increased",
        {"type": "array", "items": STRING},
        {"type": "array", "items": STRING | {"maxLength": 3}},
    ),
    Pair(
        "became-read-only",
        "no-longer-read-only",
        obj(a=STRING),
        obj(a=STRING | {"readOnly": True}),
        (B, S, S, S),
    ),
    Pair(
        "became-write-only",
        "no-longer-write-only",
        obj(a=STRING),
        obj(a=STRING | {"writeOnly": True}),
        (S, S, B, S),
    ),
    Pair(
        "one-of-variant-removed",
        "one-of-variant-added",
        {"oneOf": [STRING, INT]},
        {"oneOf": [STRING]},
    ),
    Pair(
        "any-of-variant-removed",
        "any-of-variant-added",
        {"anyOf": [STRING | {"title": "text"}, INT | {"title": "count"}]},
        {"anyOf": [INT | {"title": "count"}]},
    ),
    Pair(
        "max-length-decreased",
        "max-length-increased",
        {"oneOf": [obj(), STRING | {"maxLength": 9}]},
        {"oneOf": [obj(), STRING | {"maxLength": 5}]},
    ),
    Pair(
        "discriminator-value-removed",
        "discriminator-value-added",
        {"discriminator": {"propertyName": "k", "mapping": {"a": "#/x", "b": "#/y"}}},
        {"discriminator": {"propertyName": "k", "mapping": {"a": "#/x"}}},
        (B, S, S, D),
    ),
    Pair(
        "discriminator-changed",
        "discriminator-changed",
        {"discriminator": {"propertyName": "k"}},
        {"discriminator": {"propertyName": "kind"}},
        SUN,
    ),
    Pair(
        "default-changed",
        "default-changed",
        INT | {"default": 10},
        INT | {"default": 20},
        (D, D, S, S),
    ),
    # nested under a property, through an allOf and a $ref-free path
    Pair(
        "max-length-decreased",
        "max-length-increased",
        {"allOf": [obj(a=STRING | {"maxLength": 9})]},
        {"allOf": [obj(a=STRING | {"maxLength": 8})]},
    ),
]


def _pair_cases(pair: Pair) -> list[Case]:
    req_fwd, req_back, resp_fwd, resp_back = pair.levels
    return [
        Case(
            "openapi",
            f"request-{pair.narrowed}",
            req_fwd,
            body(pair.old, pair.version),
            body(pair.new, pair.version),
            f"request-{pair.widened}",
            req_back,
        ),
        Case(
            "openapi",
            f"response-{pair.widened}",
            resp_back,
            answer(pair.new, pair.version),
            answer(pair.old, pair.version),
            f"response-{pair.narrowed}",
            resp_fwd,
        ),
    ]


SCHEMA_CASES = [case for pair in PAIRS for case in _pair_cases(pair)]


def _copy(doc: dict[str, Any], change: Any) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    change(new)
    return new


TWO = obj(a=STRING, b=STRING)
ONE = obj(a=STRING)
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
    Case(
        "openapi",
        "response-property-removed",
        B,
        answer(TWO),
        answer(ONE),
        "response-property-added",
        S,
    ),
    Case(
        "openapi", "request-property-removed", D, body(TWO), body(ONE), "request-property-added", S
    ),
    Case(
        "openapi",
        "request-property-removed-from-closed-object",
        B,
        body(TWO | {"additionalProperties": False}),
        body(ONE | {"additionalProperties": False}),
        "request-property-added",
        S,
    ),
    # removed operations, and deprecation with sunset dates
    Case(
        "openapi",
        "operation-removed",
        B,
        openapi({"/items": {"get": op()}, "/old": {"get": op()}}),
        ONLY_ITEMS,
        "operation-added",
        S,
    ),
    Case(
        "openapi",
        "operation-removed-before-sunset",
        B,
        deprecated("2027-01-01"),
        ONLY_ITEMS,
        "operation-added",
        S,
    ),
    Case(
        "openapi",
        "operation-removed-before-sunset",
        B,
        deprecated("Fri, 01 Jan 2027 00:00:00 GMT", header=True),
        ONLY_ITEMS,
    ),
    Case("openapi", "operation-removed-after-sunset", S, deprecated("2026-01-01"), ONLY_ITEMS),
    Case(
        "openapi",
        "operation-removed-after-sunset",
        S,
        deprecated(HTTP_DATE_PAST, header=True),
        ONLY_ITEMS,
    ),
    Case("openapi", "deprecated-operation-removed", D, deprecated(), ONLY_ITEMS),
    Case(
        "openapi",
        "operation-deprecated",
        S,
        openapi({"/items": {"get": op()}, "/old": {"get": op()}}),
        deprecated("2027-01-01"),
        "operation-reinstated",
        S,
    ),
    Case(
        "openapi", "sunset-brought-forward", D, deprecated("2027-06-01"), deprecated("2027-01-01")
    ),
    # parameters
    Case(
        "openapi",
        "request-parameter-removed",
        B,
        with_param(query()),
        with_param(),
        "request-parameter-added",
        S,
    ),
    Case(
        "openapi",
        "required-request-parameter-added",
        B,
        with_param(),
        with_param(query(required=True)),
        "request-parameter-removed",
        B,
    ),
    Case(
        "openapi",
        "request-parameter-became-required",
        B,
        with_param(query()),
        with_param(query(required=True)),
        "request-parameter-became-optional",
        S,
    ),
    Case(
        "openapi",
        "request-parameter-location-changed",
        B,
        with_param(query("x")),
        with_param({"name": "x", "in": "header", "schema": INT}),
        "request-parameter-location-changed",
        B,
    ),
    Case(
        "openapi",
        "request-parameter-style-changed",
        B,
        with_param(query("x", type="array") | {"style": "form"}),
        with_param(query("x", type="array") | {"style": "pipeDelimited"}),
        "request-parameter-style-changed",
        B,
    ),
    Case(
        "openapi",
        "request-parameter-explode-changed",
        B,
        with_param(query("x", type="array")),
        with_param(query("x", type="array") | {"explode": False}),
        "request-parameter-explode-changed",
        B,
    ),
    Case(
        "openapi",
        "request-parameter-deprecated",
        S,
        with_param(query()),
        with_param(query() | {"deprecated": True}),
    ),
    # the issue's three: each was reported as non-breaking before
    Case(
        "openapi",
        "request-maximum-decreased",
        B,
        with_param(query(maximum=100)),
        with_param(query(maximum=50)),
        "request-maximum-increased",
        S,
    ),
    Case(
        "openapi",
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
    Case(
        "openapi",
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
    Case(
        "openapi",
        "request-body-added",
        S,
        openapi({"/items": {"post": op()}}),
        openapi(
            {"/items": {"post": op(requestBody={"content": {"application/json": {"schema": ONE}}})}}
        ),
        "request-body-removed",
        D,
    ),
    Case(
        "openapi",
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
    Case(
        "openapi",
        "response-status-removed",
        B,
        openapi(
            {"/items": {"get": op(responses={"200": RESPONSE_200, "404": {"description": "no"}})}}
        ),
        openapi({"/items": {"get": op(responses={"200": RESPONSE_200})}}),
        "response-status-added",
        S,
    ),
    Case(
        "openapi",
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
    Case(
        "openapi",
        "response-required-header-removed",
        B,
        openapi({"/items": {"get": op(responses={"200": RESPONSE_200 | {"headers": HEADER}})}}),
        openapi({"/items": {"get": op(responses={"200": RESPONSE_200})}}),
        "response-header-added",
        S,
    ),
    Case(
        "openapi",
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
    Case(
        "openapi",
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
    Case(
        "openapi",
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
    # security
    Case(
        "openapi",
        "security-requirement-added",
        B,
        secured(None),
        secured([{"bearer": []}]),
        "security-relaxed",
        S,
    ),
    Case(
        "openapi",
        "security-requirement-added",
        B,
        secured([{"bearer": []}], BOTH),
        secured([{"oauth": ["r"]}], BOTH),
    ),
    Case(
        "openapi",
        "security-scope-added",
        B,
        secured([{"oauth": ["r"]}], OAUTH),
        secured([{"oauth": ["r", "w"]}], OAUTH),
        "security-relaxed",
        S,
    ),
    Case(
        "openapi",
        "security-scope-removed",
        B,
        secured(None, OAUTH),
        _copy(
            secured(None, OAUTH),
            lambda d: d["components"]["securitySchemes"]["oauth"]["flows"]["clientCredentials"][
                "scopes"
            ].pop("w"),
        ),
    ),
    Case("openapi", "security-scheme-removed", B, secured(None), secured(None, {})),
    Case(
        "openapi",
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
    Case(
        "openapi",
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
]


def asyncapi(operations: dict[str, Any], **messages: dict[str, Any]) -> dict[str, Any]:
    channel_messages = {k: {"$ref": f"#/components/messages/{k}"} for k in messages}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "t", "version": "1.0.0"},
        "channels": {"ws": {"address": "/ws", "messages": channel_messages}},
        "operations": operations,
        "components": {"messages": {k: {"name": k} | v for k, v in messages.items()}},
    }


def action(kind: str, *names: str, reply: tuple[str, ...] = ()) -> dict[str, Any]:
    refs = [{"$ref": f"#/channels/ws/messages/{n}"} for n in names]
    found: dict[str, Any] = {"action": kind, "channel": {"$ref": "#/channels/ws"}, "messages": refs}
    if reply:
        found["reply"] = {"messages": [{"$ref": f"#/channels/ws/messages/{n}"} for n in reply]}
    return found


def frame(**props: Any) -> dict[str, Any]:
    return {"payload": obj(**props)}


CHAT = frame(text=STRING | {"maxLength": 500})
SHORT_CHAT = frame(text=STRING | {"maxLength": 100})
EVENT = frame(id=STRING, data=STRING)
BARE_EVENT = frame(id=STRING)
TALK = {"talk": action("receive", "chat"), "tell": action("send", "event")}
TALK_ONLY = {"talk": action("receive", "chat")}

ASYNCAPI_CASES: list[Case] = [
    Case(
        "asyncapi",
        "operation-removed",
        B,
        asyncapi(TALK, chat=CHAT, event=EVENT),
        asyncapi(TALK_ONLY, chat=CHAT, event=EVENT),
        "operation-added",
        S,
    ),
    Case(
        "asyncapi",
        "operation-action-changed",
        B,
        asyncapi(TALK, chat=CHAT, event=EVENT),
        asyncapi(
            {"talk": action("send", "chat"), "tell": action("send", "event")},
            chat=CHAT,
            event=EVENT,
        ),
        "operation-action-changed",
        B,
    ),
    Case(
        "asyncapi",
        "channel-address-changed",
        B,
        asyncapi(TALK, chat=CHAT, event=EVENT),
        _copy(
            asyncapi(TALK, chat=CHAT, event=EVENT),
            lambda d: d["channels"]["ws"].update(address="/socket"),
        ),
        "channel-address-changed",
        B,
    ),
    Case(
        "asyncapi",
        "request-message-removed",
        B,
        asyncapi({"talk": action("receive", "chat", "ping")}, chat=CHAT, ping=frame()),
        asyncapi({"talk": action("receive", "chat")}, chat=CHAT, ping=frame()),
        "request-message-added",
        S,
    ),
    Case(
        "asyncapi",
        "response-message-added",
        D,
        asyncapi({"tell": action("send", "event")}, event=EVENT, pong=frame()),
        asyncapi({"tell": action("send", "event", "pong")}, event=EVENT, pong=frame()),
        "response-message-removed",
        D,
    ),
    Case(
        "asyncapi",
        "request-max-length-decreased",
        B,
        asyncapi(TALK, chat=CHAT, event=EVENT),
        asyncapi(TALK, chat=SHORT_CHAT, event=EVENT),
        "request-max-length-increased",
        S,
    ),
    Case(
        "asyncapi",
        "response-property-removed",
        B,
        asyncapi(TALK, chat=CHAT, event=EVENT),
        asyncapi(TALK, chat=CHAT, event=BARE_EVENT),
        "response-property-added",
        S,
    ),
    Case(
        "asyncapi",
        "response-max-length-increased",
        B,
        asyncapi(
            {"talk": action("receive", "ping", reply=("chat",))}, ping=frame(), chat=SHORT_CHAT
        ),
        asyncapi({"talk": action("receive", "ping", reply=("chat",))}, ping=frame(), chat=CHAT),
        "response-max-length-decreased",
        S,
    ),
    Case(
        "asyncapi",
        "message-scope-added",
        B,
        asyncapi(TALK_ONLY, chat=CHAT),
        asyncapi(TALK_ONLY, chat=CHAT | {"x-required-scopes": ["chat:write"]}),
    ),
]

SDL = """
type Query { item(id: ID!): Item, items(first: Int): [Item!]! }
type Item { id: ID!, name: String!, kind: Kind }
enum Kind { BOOK TOY }
type Extra { x: Int }
"""

GRAPHQL_CASES: list[Case] = [
    Case(
        "graphql",
        "graphql-field-removed",
        B,
        SDL,
        SDL.replace(", name: String!", ""),
        "graphql-field-added",
        S,
    ),
    Case(
        "graphql",
        "graphql-value-added-to-enum",
        D,
        SDL,
        SDL.replace("BOOK TOY", "BOOK TOY GAME"),
        "graphql-value-removed-from-enum",
        B,
    ),
    Case(
        "graphql",
        "graphql-required-arg-added",
        B,
        SDL,
        SDL.replace("first: Int", "first: Int, after: String!"),
        "graphql-arg-removed",
        B,
    ),
    Case(
        "graphql",
        "graphql-optional-arg-added",
        D,
        SDL,
        SDL.replace("first: Int", "first: Int, after: String"),
        "graphql-arg-removed",
        B,
    ),
    Case(
        "graphql",
        "graphql-type-removed",
        B,
        SDL,
        SDL.replace("type Extra { x: Int }", ""),
        "graphql-type-added",
        S,
    ),
    Case(
        "graphql",
        "graphql-field-changed-kind",
        B,
        SDL,
        SDL.replace("name: String!", "name: Int!"),
        "graphql-field-changed-kind",
        B,
    ),
]

ALL_CASES: list[Case] = SCHEMA_CASES + OPENAPI_CASES + ASYNCAPI_CASES + GRAPHQL_CASES
