"""How much fuzzing a run does, and what it deliberately leaves out (with reasons)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    name: str
    max_examples: int
    phases: str
    ws_frames: int


BUDGETS = {
    "quick": Budget("quick", 8, "examples,coverage,fuzzing,stateful", 60),
    "deep": Budget("deep", 150, "examples,coverage,fuzzing,stateful", 600),
}

# Schemathesis checks left out per mode, each with the reason. Everything else runs.
EXCLUDED_CHECKS: dict[str, dict[str, str]] = {
    "mock": {
        "ignored_auth": "kk mock answers any caller, like Prism; the sandbox run checks auth",
    },
}

# Operations whose responses schemathesis cannot validate, and why.
KNOWN_LIMITS = {
    "GET /oauth/authorize, POST /oauth/authorize": (
        "answer text/html (the login form); schemathesis has no HTML deserializer, so their "
        "bodies are checked by tests/server, not by the fuzzer"
    ),
}
