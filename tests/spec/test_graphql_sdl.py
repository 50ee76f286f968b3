"""spec/schema.graphql against the reference and against spec/openapi.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from graphql import (
    EnumTypeDefinitionNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    ObjectTypeDefinitionNode,
    build_schema,
    get_directive_values,
    parse,
    print_ast,
    validate,
)

from .reference_documents import graphql_documents, sdl_definitions

SPEC = Path(__file__).resolve().parents[2] / "spec"
SDL_PATH = SPEC / "schema.graphql"
OPENAPI_PATH = SPEC / "openapi.yaml"
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it

REFERENCE_OPERATIONS = [
    "GetUserProfile",
    "SearchPractitioners",
    "CreateBooking",
    "BookingUpdates",
    "ChatMessages",
]

# Agreed with spec/openapi.yaml, which has the same values in lowercase.
ENUMS = {
    "BookingStatus": ["PENDING", "CONFIRMED", "IN_PROGRESS", "COMPLETED", "CANCELLED", "NO_SHOW"],
    "SessionType": ["VIDEO_CALL", "PHONE_CALL", "IN_PERSON", "CHAT"],
    "PaymentStatus": [
        "PENDING",
        "REQUIRES_PAYMENT_METHOD",
        "PROCESSING",
        "SUCCEEDED",
        "FAILED",
        "REFUNDED",
        "PARTIALLY_REFUNDED",
    ],
    "MessageType": ["TEXT", "FILE", "IMAGE", "SYSTEM"],
    "UserType": ["PATIENT", "PRACTITIONER", "ADMIN"],
    "RecordType": ["CONDITIONS", "ALLERGIES", "MEDICATIONS", "GOALS", "EMERGENCY_CONTACT"],
}

# GraphQL enum -> the components/schemas enum of spec/openapi.yaml with the same values in
# lowercase (None: REST spells it inline, e.g. PrivacySettings.profile_visibility).
REST_ENUMS: dict[str, str | None] = {
    "BookingStatus": "BookingStatus",
    "SessionType": "SessionType",
    "PaymentStatus": "PaymentStatus",
    "MessageType": "MessageType",
    "UserType": "UserType",
    "RecordType": "HealthRecordType",
    "PaymentIntentStatus": "PaymentIntentStatus",
    "PaymentMethodType": "PaymentMethodType",
    "RefundStatus": "RefundStatus",
    "RefundReason": "RefundReason",
    "ShareStatus": "ShareStatus",
    "ProfileVisibility": None,
}

SCOPES = {
    "read:profile",
    "write:profile",
    "read:bookings",
    "write:bookings",
    "read:practitioners",
    "write:practitioners",
    "read:messages",
    "write:messages",
    "read:health_records",
    "write:health_records",
    "admin:users",
    "admin:platform",
}

# The REST mapping: profile, practitioners, bookings (payments read/write as bookings),
# messages, health records.
ROOT_FIELD_SCOPES = {
    "Query": {
        "me": ["read:profile"],
        "user": ["read:profile"],
        "practitioner": ["read:practitioners"],
        "practitioners": ["read:practitioners"],
        "booking": ["read:bookings"],
        "conversation": ["read:messages"],
        "paymentIntent": ["read:bookings"],
        "practitionerVerification": ["read:practitioners"],
    },
    "Mutation": {
        "createBooking": ["write:bookings"],
        "updateBooking": ["write:bookings"],
        "cancelBooking": ["write:bookings"],
        "updateProfile": ["write:profile"],
        "updatePreferences": ["write:profile"],
        "updateHealthProfile": ["write:health_records"],
        "sendMessage": ["write:messages"],
        "createPaymentIntent": ["write:bookings"],
        "confirmPaymentIntent": ["write:bookings"],
        "refundPayment": ["write:bookings"],
        "shareHealthRecords": ["write:health_records"],
        "revokeHealthRecordShare": ["write:health_records"],
        "submitPractitionerVerification": ["write:profile"],
        "reviewPractitionerVerification": ["write:profile"],
    },
    "Subscription": {
        "bookingUpdates": ["read:bookings"],
        "messageAdded": ["read:messages"],
    },
}


@cache
def schema() -> GraphQLSchema:
    return build_schema(SDL_PATH.read_text(encoding="utf-8"))


def own_types() -> Iterator[Any]:
    for name, named_type in schema().type_map.items():
        if not name.startswith("__") and named_type.ast_node is not None:
            yield named_type


def scopes_of(field: Any) -> list[str] | None:
    directive = schema().get_directive("requiresScopes")
    assert directive is not None, "schema.graphql must declare @requiresScopes"
    values = get_directive_values(directive, field.ast_node)
    return None if values is None else list(values["scopes"])


def test_schema_builds_with_graphql_core() -> None:
    built = schema()
    assert built.query_type is not None
    assert built.mutation_type is not None
    assert built.subscription_type is not None


def test_reference_prints_exactly_the_five_graphql_operations() -> None:
    assert list(graphql_documents()) == REFERENCE_OPERATIONS


@pytest.mark.parametrize("operation", REFERENCE_OPERATIONS)
def test_reference_operation_validates_as_printed(operation: str) -> None:
    documents = graphql_documents()
    assert operation in documents, f"{operation} not found in the reference"
    errors = validate(schema(), parse(documents[operation]))
    assert not errors, f"{operation} does not validate: " + "; ".join(e.message for e in errors)


def test_reference_types_have_the_same_fields_arguments_and_values() -> None:
    problems: list[str] = []
    for block in sdl_definitions():
        for definition in parse(block).definitions:
            problems.extend(_reference_mismatches(definition))
    assert not problems, "\n".join(problems)


def _reference_mismatches(definition: Any) -> Iterator[str]:
    name = definition.name.value
    ours = schema().get_type(name)
    if ours is None:
        yield f"{name}: missing"
    elif isinstance(definition, EnumTypeDefinitionNode):
        expected = [value.name.value for value in definition.values or ()]
        if not isinstance(ours, GraphQLEnumType) or list(ours.values) != expected:
            yield f"{name}: values differ from the reference {expected}"
    elif isinstance(definition, ObjectTypeDefinitionNode):
        assert isinstance(ours, GraphQLObjectType)
        for field in definition.fields or ():
            field_name = f"{name}.{field.name.value}"
            our_field = ours.fields.get(field.name.value)
            if our_field is None:
                yield f"{field_name}: missing"
                continue
            if str(our_field.type) != print_ast(field.type):
                yield f"{field_name}: {our_field.type}, reference {print_ast(field.type)}"
            for argument in field.arguments or ():
                our_argument = our_field.args.get(argument.name.value)
                printed = print_ast(argument.type)
                if our_argument is None or str(our_argument.type) != printed:
                    yield f"{field_name}({argument.name.value}): reference {printed}"
    else:
        yield f"{name}: unexpected kind of definition in the reference"


@pytest.mark.parametrize("enum_name", list(ENUMS))
def test_enum_has_the_agreed_values(enum_name: str) -> None:
    enum = schema().get_type(enum_name)
    assert isinstance(enum, GraphQLEnumType), f"{enum_name} is not an enum"
    assert list(enum.values) == ENUMS[enum_name]


@pytest.mark.parametrize("root", list(ROOT_FIELD_SCOPES))
def test_every_root_field_requires_the_rest_scopes(root: str) -> None:
    root_type = schema().get_type(root)
    assert isinstance(root_type, GraphQLObjectType)
    assert set(root_type.fields) == set(ROOT_FIELD_SCOPES[root]), "root fields changed: map scopes"
    for name, field in root_type.fields.items():
        scopes = scopes_of(field)
        assert scopes, f"{root}.{name} has no @requiresScopes"
        assert set(scopes) <= SCOPES, f"{root}.{name}: unknown scopes {set(scopes) - SCOPES}"
        assert scopes == ROOT_FIELD_SCOPES[root][name], f"{root}.{name}: {scopes}"


def test_scopes_directive_uses_only_known_scopes_everywhere() -> None:
    for named_type in own_types():
        if isinstance(named_type, GraphQLObjectType | GraphQLInterfaceType):
            for name, field in named_type.fields.items():
                scopes = scopes_of(field) or []
                assert set(scopes) <= SCOPES, f"{named_type.name}.{name}: unknown scopes {scopes}"


def test_every_type_field_argument_and_enum_value_has_a_description() -> None:
    missing: list[str] = [
        f"@{directive.name}" for directive in schema().directives if not directive.description
    ]
    for named_type in own_types():
        if not named_type.description:
            missing.append(named_type.name)
        if isinstance(named_type, GraphQLEnumType):
            members = named_type.values
        elif isinstance(named_type, GraphQLObjectType | GraphQLInterfaceType):
            members = named_type.fields
            for field_name, field in members.items():
                missing.extend(
                    f"{named_type.name}.{field_name}({arg_name})"
                    for arg_name, argument in field.args.items()
                    if not argument.description
                )
        elif isinstance(named_type, GraphQLInputObjectType):
            members = named_type.fields
        else:
            members = {}
        missing.extend(
            f"{named_type.name}.{name}"
            for name, member in members.items()
            if not member.description
        )
    assert not missing, "no description: " + ", ".join(missing)


def test_connections_follow_the_relay_shape() -> None:
    connections = [t for t in own_types() if t.name.endswith("Connection")]
    assert connections
    for connection in connections:
        assert isinstance(connection, GraphQLObjectType)
        assert {"edges", "pageInfo", "totalCount"} <= set(connection.fields), connection.name
        edge = connection.fields["edges"].type.of_type.of_type.of_type
        assert {"cursor", "node"} <= set(edge.fields), edge.name
    page_info = schema().get_type("PageInfo")
    assert isinstance(page_info, GraphQLObjectType)
    assert set(page_info.fields) == {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"}


def test_requires_scopes_is_declared_once_on_field_definitions() -> None:
    directive = schema().get_directive("requiresScopes")
    assert directive is not None
    assert [location.name for location in directive.locations] == ["FIELD_DEFINITION"]
    assert str(directive.args["scopes"].type) == "[String!]!"
    builtin = {"include", "skip", "deprecated", "specifiedBy", "oneOf"}
    own = [d.name for d in schema().directives if d.name not in builtin]
    assert own == ["requiresScopes", "mirrors"]


def test_every_query_and_mutation_field_mirrors_a_rest_operation() -> None:
    from generated.api_table import TABLE
    from kkcore.graphql import graphql_table

    mirrors = graphql_table(schema())["mirrors"]
    for root in ("Query", "Mutation"):
        t = schema().get_type(root)
        assert isinstance(t, GraphQLObjectType)
        for name in t.fields:
            assert mirrors.get(f"{root}.{name}") in TABLE["operations"], f"{root}.{name}"


def _string_enums(node: Any) -> Iterator[frozenset[str]]:
    if isinstance(node, dict):
        values = node.get("enum")
        if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
            yield frozenset(values)
        for child in node.values():
            yield from _string_enums(child)
    elif isinstance(node, list):
        for child in node:
            yield from _string_enums(child)


@cache
def openapi() -> dict[str, Any]:
    if not OPENAPI_PATH.is_file():
        pytest.fail("spec/openapi.yaml is missing")
    loaded = yaml.load(OPENAPI_PATH.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    assert isinstance(loaded, dict)
    return loaded


def rest_schemas() -> dict[str, Any]:
    return dict(openapi().get("components", {}).get("schemas", {}))


@pytest.mark.parametrize("enum_name", list(REST_ENUMS))
def test_rest_spec_has_the_same_enum_in_lowercase(enum_name: str) -> None:
    enum = schema().get_type(enum_name)
    assert isinstance(enum, GraphQLEnumType), f"{enum_name} is not an enum"
    expected = frozenset(value.lower() for value in enum.values)
    rest_name = REST_ENUMS[enum_name]
    if rest_name is not None and rest_name in rest_schemas():
        found = set(_string_enums(rest_schemas()[rest_name]))
        assert found == {expected}, f"components/schemas/{rest_name}: {found}, want {expected}"
    else:
        found = set(_string_enums(openapi()))
        assert expected in found, f"no enum {sorted(expected)} in openapi.yaml for {enum_name}"


def test_graphql_error_codes_are_rest_error_codes() -> None:
    enum = schema().get_type("ErrorCode")
    assert isinstance(enum, GraphQLEnumType)
    rest_codes = set().union(*_string_enums(rest_schemas().get("ErrorCode", {})))
    assert set(enum.values) <= rest_codes, set(enum.values) - rest_codes
