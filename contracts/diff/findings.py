"""What a comparison finds: a rule, its level, where and what changed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Level(Enum):
    """How bad a change is for clients built against the old document."""

    INFO = 0  # additive or harmless
    DANGEROUS = 1  # old clients keep working, but may behave differently
    BREAKING = 2  # a request the old document accepted is refused, or a response unreadable

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Level:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown level {text!r}: breaking, dangerous or info") from None


class Direction(Enum):
    """Who reads a value: the server (requests, received frames) or a client (responses)."""

    REQUEST = "request"
    RESPONSE = "response"


@dataclass(frozen=True)
class Finding:
    rule: str
    level: Level
    where: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.level.label}] {self.rule}: {self.where}: {self.detail}"

    def sort_key(self) -> tuple[int, str, str]:
        return (-self.level.value, self.rule, self.where)


class DiffError(Exception):
    """A document cannot be read or compared; the message says which and why."""
