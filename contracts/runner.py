"""`kk contract`: fuzz REST, GraphQL and WebSocket of a deployment, or of an app it starts."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from graphql import build_schema
from websockets.sync.client import connect as ws_connect
from websockets.typing import Subprotocol

from contracts.budgets import BUDGETS, KNOWN_LIMITS
from contracts.rest import SuiteResult, run_schemathesis
from contracts.subscriptions import PROTOCOL, SubscriptionFuzzer
from contracts.websocket import ContractViolation, WebSocketFuzzer
from kkcore.asyncapi import asyncapi_table, load_asyncapi


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Run `app` with uvicorn on a free loopback port for the duration of the block."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


class _UrlConnection:
    def __init__(self, url: str, subprotocol: str | None = None) -> None:
        protocols = [Subprotocol(subprotocol)] if subprotocol else None
        self._ws = ws_connect(url, open_timeout=10, subprotocols=protocols).__enter__()

    def __enter__(self) -> _UrlConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self._ws.close()

    def send_text(self, data: str) -> None:
        self._ws.send(data)

    def receive_text(self) -> str:
        message = self._ws.recv(timeout=10)
        return message if isinstance(message, str) else message.decode()


@dataclass
class ContractReport:
    suites: list[SuiteResult] = field(default_factory=list)
    ws_frames: int = 0
    ws_failure: str | None = None
    subscriptions: int = 0
    subscription_failure: str | None = None

    @property
    def passed(self) -> bool:
        return (
            all(s.passed for s in self.suites)
            and self.ws_failure is None
            and self.subscription_failure is None
        )

    def render(self) -> str:
        lines = [line for s in self.suites for line in s.summary()]
        state = "FAILED" if self.ws_failure else "passed"
        lines.append(f"websocket: {state} — {self.ws_frames} frames exchanged")
        if self.ws_failure:
            lines.append("  " + self.ws_failure.replace("\n", "\n  "))
        state = "FAILED" if self.subscription_failure else "passed"
        lines.append(f"graphql subscriptions: {state} — {self.subscriptions} documents")
        if self.subscription_failure:
            lines.append("  " + self.subscription_failure.replace("\n", "\n  "))
        lines.append("known limits: " + "; ".join(f"{k} {v}" for k, v in KNOWN_LIMITS.items()))
        lines.append("contract " + ("passed" if self.passed else "FAILED"))
        return "\n".join(lines)


def _fuzz_subscriptions(
    report: ContractReport, sdl: Path, base_url: str, examples: int, seed: int, token: str | None
) -> None:
    schema = build_schema(sdl.read_text(encoding="utf-8"))
    if schema.subscription_type is None:
        return
    url = base_url.replace("http", "ws", 1) + "/graphql"
    fuzzer = SubscriptionFuzzer(schema, lambda: _UrlConnection(url, PROTOCOL), token or "contract")
    try:
        fuzzer.run(examples, seed)
    except ContractViolation as e:
        report.subscription_failure = str(e)
    except Exception as e:  # a dropped connection or a crash is a contract failure too
        report.subscription_failure = f"{type(e).__name__}: {e}"
    report.subscriptions = fuzzer.documents


def run_contract(
    base_url: str,
    *,
    label: str,
    mode: str | None = None,
    budget_name: str,
    seed: int,
    out_dir: Path,
    token: str | None,
    asyncapi: Path | None,
    connect: Callable[[], Any] | None = None,
    sdl: Path | None = None,
) -> ContractReport:
    budget = BUDGETS[budget_name]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    report = ContractReport()
    report.suites.append(
        run_schemathesis(
            f"rest-{label}",
            f"{base_url}/openapi.json",
            out_dir,
            budget,
            seed,
            headers,
            mode=mode or label,
        )
    )
    report.suites.append(
        run_schemathesis(
            f"graphql-{label}", f"{base_url}/graphql", out_dir, budget, seed, headers, graphql=True
        )
    )
    if asyncapi is not None:
        table = asyncapi_table(load_asyncapi(asyncapi))
        ws_url = base_url.replace("http", "ws", 1) + table["address"]
        fuzzer = WebSocketFuzzer(
            table, connect or (lambda: _UrlConnection(ws_url)), token or "contract"
        )
        try:
            fuzzer.run(budget.ws_frames, seed)
        except ContractViolation as e:
            report.ws_failure = str(e)
        except Exception as e:  # a dropped connection or a crash is a contract failure too
            report.ws_failure = f"{type(e).__name__}: {e}"
        report.ws_frames = fuzzer.frames
    if sdl is not None:
        _fuzz_subscriptions(report, sdl, base_url, budget.ws_frames // 4, seed, token)
    (out_dir / f"summary-{label}.txt").write_text(report.render() + "\n", encoding="utf-8")
    return report
