"""Shared type aliases and the shapes of the generated operation table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict

from starlette.types import Receive, Scope, Send

JSON = Any
JSONSchema = Mapping[str, Any]
Headers = list[tuple[bytes, bytes]]

ParameterLocation = Literal["path", "query", "header", "cookie"]
Mode = Literal["strict", "sandbox", "mock"]


class ParameterSpec(TypedDict):
    name: str
    location: ParameterLocation
    required: bool
    style: str
    explode: bool
    schema: dict[str, Any]
    filter: NotRequired[dict[str, Any]]
    content: NotRequired[str]  # the media type of a `content` parameter (one serialized value)


class MediaSpec(TypedDict):
    schema: NotRequired[dict[str, Any]]
    examples: NotRequired[dict[str, Any]]
    encoding: NotRequired[dict[str, Any]]


class RequestBodySpec(TypedDict):
    required: bool
    content: dict[str, MediaSpec]


class HeaderSpec(TypedDict):
    required: bool
    schema: dict[str, Any]


class ResponseSpec(TypedDict):
    description: str
    headers: dict[str, HeaderSpec]
    content: dict[str, MediaSpec]
    links: NotRequired[dict[str, Any]]


class CallbackSpec(TypedDict):
    """One request of an OpenAPI `callbacks` entry: what the mock sends after a success."""

    name: str
    url: str  # the callback's key: a runtime expression template, `{$request.body#/url}`
    method: str
    content: dict[str, MediaSpec]


class OperationSpec(TypedDict):
    operation_id: str
    method: str
    path: str
    tag: str
    summary: str
    parameters: list[ParameterSpec]
    request_body: NotRequired[RequestBodySpec]
    responses: dict[str, ResponseSpec]
    security: list[dict[str, list[str]]]
    rate_limit: str
    extensions: dict[str, Any]
    # present (True) only on operations marked `deprecated: true` (server.deprecation)
    deprecated: NotRequired[bool]
    # the operation's OpenAPI `callbacks` (mocks.callbacks fires them); absent when none
    callbacks: NotRequired[list[CallbackSpec]]
    # the path under the document's first server, for an operation with `servers` of its own
    # (only under `kk mock --spec`; server.routing serves it there when no route clashes)
    fallback_path: NotRequired[str]


class WebhookSpec(TypedDict):
    event: str
    schema: dict[str, Any]
    examples: dict[str, Any]
    scopes: NotRequired[list[str]]  # `x-required-scopes`: what a receiver's owner must hold


class ApiTable(TypedDict):
    """Everything the runtime derives from an OpenAPI document."""

    title: str
    version: str
    base_path: str
    operations: dict[str, OperationSpec]
    defs: dict[str, dict[str, Any]]
    webhooks: dict[str, WebhookSpec]
    rate_limit_classes: dict[str, dict[str, Any]]
    rate_limit_tiers: NotRequired[dict[str, dict[str, Any]]]
    security_schemes: NotRequired[dict[str, dict[str, Any]]]
    # The document's `x-error-format` (default `problem`, RFC 9457) and `x-refuse-nul`.
    error_format: NotRequired[str]
    refuse_nul: NotRequired[bool]
    # The document's `x-acts-as`: token claims naming more ids the caller acts as (`x-owner`).
    acts_as: NotRequired[list[str]]
    # The document's `x-sandbox-user`: the sandbox user a run of `kk contract` acts as.
    sandbox_user: NotRequired[str]


__all__ = ["Receive", "Scope", "Send"]
