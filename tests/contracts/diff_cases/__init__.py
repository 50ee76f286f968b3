"""Rule cases for `kk diff` as data: each an old and a new document, the rule expected going
old -> new (the breaking direction when the rule is breaking) and the one expected going back.
"""

from tests.contracts.diff_cases.asyncapi import ASYNCAPI_CASES
from tests.contracts.diff_cases.docs import TODAY, Case
from tests.contracts.diff_cases.graphql import GRAPHQL_CASES
from tests.contracts.diff_cases.openapi import OPENAPI_CASES
from tests.contracts.diff_cases.schemas import SCHEMA_CASES
from tests.contracts.diff_cases.security import SECURITY_CASES

ALL_CASES: list[Case] = (
    SCHEMA_CASES + OPENAPI_CASES + SECURITY_CASES + ASYNCAPI_CASES + GRAPHQL_CASES
)

__all__ = ["ALL_CASES", "TODAY", "Case"]
