"""Shared types of the SDK: the omitted-argument sentinel, file inputs, the operation table."""

from __future__ import annotations

from typing import IO, Any, Final, Literal, TypeAlias, TypedDict

JSON: TypeAlias = Any
FileContent: TypeAlias = bytes | IO[bytes]
# bytes or a binary file, optionally with a file name and a content type.
FileInput: TypeAlias = FileContent | tuple[str, FileContent] | tuple[str, FileContent, str]

InputLocation = Literal["path", "query", "header", "attribute", "meta", "form", "body"]
BodyKind = Literal["none", "jsonapi", "json", "multipart", "form"]
ResultKind = Literal["none", "resource", "page", "data", "json"]


class Omit:
    """The value of an argument the caller did not pass (unlike None, which is sent as null)."""

    _instance: Omit | None = None

    def __new__(cls) -> Omit:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "OMIT"


OMIT: Final = Omit()


class Operation(TypedDict):
    """One row of the generated operation table (klearkarma.generated.operations)."""

    method: str
    path: str  # relative to the REST base URL, with {placeholders}
    # Python argument name -> (where it goes, its name on the wire)
    inputs: dict[str, tuple[InputLocation, str]]
    body: BodyKind
    media_type: str | None
    resource_type: str | None  # `data.type` of a JSON:API request body
    result: ResultKind
