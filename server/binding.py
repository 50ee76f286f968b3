"""Bind hand-written handlers to operations, explicitly, failing at startup.

A handler module creates a group and decorates functions:

    bookings = OperationGroup("bookings")

    @bookings.operation("createBooking")
    async def create_booking(request: CreateBookingRequest) -> Reply: ...
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

from kkcore.errors import BindingError
from kkcore.types import OperationSpec
from server.ports import Handler

F = TypeVar("F", bound=Callable[..., Any])
S = TypeVar("S", bound=Callable[[Any], None])
A = TypeVar("A", bound=Callable[[Any], Awaitable[None]])


def source_of(fn: Callable[..., Any]) -> str:
    """`file:line` of a handler. Kept per function object: finding the line tokenizes the
    function's source (~0.3 ms), and every app build binds every handler again (tests build
    hundreds of apps per process). A function object's place in its file does not change."""
    try:
        return _source_of(fn)
    except TypeError:  # an unhashable callable
        return _find_source(fn)


def _find_source(fn: Callable[..., Any]) -> str:
    try:
        file = inspect.getsourcefile(fn) or "<unknown>"
        line = inspect.getsourcelines(fn)[1]
    except (OSError, TypeError):
        return getattr(fn, "__module__", "<unknown>")
    return f"{file}:{line}"


_source_of = functools.lru_cache(maxsize=4096)(_find_source)


class OperationGroup:
    """The handlers of one spec tag.

    `core` groups (sign-in) stay bound when an app is built without handlers
    (`AppConfig.handlers=False`). Lifecycle hooks take the runtime; a hook function shared by
    several groups runs once per app.
    """

    def __init__(self, tag: str, *, core: bool = False) -> None:
        self.tag = tag
        self.core = core
        self.handlers: dict[str, Handler] = {}
        self.setups: list[Callable[[Any], None]] = []
        self.startups: list[Callable[[Any], Awaitable[None]]] = []
        self.shutdowns: list[Callable[[Any], Awaitable[None]]] = []
        self.resets: list[Callable[[Any], Awaitable[None]]] = []
        self.seeds: list[Callable[[Any], Awaitable[int]]] = []
        self.frames: dict[str, Callable[[Any], Awaitable[Any]]] = {}

    def on_setup(self, fn: S) -> S:
        """Run `fn(runtime)` once when an app binding this group is built (seed data,
        clients, an OwnershipSource...)."""
        self.setups.append(fn)
        return fn

    def on_startup(self, fn: A) -> A:
        """Await `fn(runtime)` when the app starts (open a database, migrate)."""
        self.startups.append(fn)
        return fn

    def on_shutdown(self, fn: A) -> A:
        """Await `fn(runtime)` when the app stops."""
        self.shutdowns.append(fn)
        return fn

    def on_reset(self, fn: A) -> A:
        """Await `fn(runtime)` when the sandbox is reset to its seed (`POST /__sandbox/reset`)."""
        self.resets.append(fn)
        return fn

    def on_seed(self, fn: Callable[[Any], Awaitable[int]]) -> Callable[[Any], Awaitable[int]]:
        """Await `fn(runtime)` when asked to load the sandbox's fixture data into this app's
        storage (`kk seed`, `kk contract --mode serve`); it returns how many records it added.
        Never run on its own in production mode."""
        self.seeds.append(fn)
        return fn

    def frame(self, frame_type: str) -> Callable[[F], F]:
        """Answer the WebSocket API's inbound frames of `frame_type` (see server.websocket
        FrameHandler) instead of the built-in relay."""

        def register(fn: F) -> F:
            if frame_type in self.frames:
                raise BindingError(
                    f"{frame_type} frame: bound twice in group {self.tag!r} "
                    f"({source_of(self.frames[frame_type])} and {source_of(fn)})"
                )
            if not inspect.iscoroutinefunction(fn):
                raise BindingError(
                    f"{frame_type} frame: handler {fn.__qualname__} at {source_of(fn)} "
                    "must be `async def`"
                )
            self.frames[frame_type] = fn
            return fn

        return register

    def operation(self, operation_id: str) -> Callable[[F], F]:
        def register(fn: F) -> F:
            if operation_id in self.handlers:
                raise BindingError(
                    f"{operation_id}: bound twice in group {self.tag!r} "
                    f"({source_of(self.handlers[operation_id])} and {source_of(fn)})"
                )
            self.handlers[operation_id] = fn
            return fn

        return register


def _check_signature(op_id: str, fn: Callable[..., Any], protocol: type | None) -> None:
    where = source_of(fn)
    if not inspect.iscoroutinefunction(fn):
        raise BindingError(f"{op_id}: handler {fn.__qualname__} at {where} must be `async def`")
    params = [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if len(params) != 1:
        raise BindingError(
            f"{op_id}: handler {fn.__qualname__} at {where} must take exactly one argument "
            f"(the request), takes {len(params)}"
        )
    if protocol is None:
        return
    method = getattr(protocol, op_id, None)
    if method is None:
        raise BindingError(f"{op_id}: not in the generated protocol {protocol.__name__} ({where})")
    try:
        # One level of evaluation: the generated request aliases keep forward references
        # into `generated.models` that only that module's namespace can resolve.
        expected = inspect.get_annotations(method, eval_str=True)
        actual = inspect.get_annotations(fn, eval_str=True)
    except Exception as e:  # any failure to evaluate an annotation is a binding error
        raise BindingError(
            f"{op_id}: cannot resolve annotations of {fn.__qualname__} at {where}: {e}"
        ) from e
    want_arg = next((v for k, v in expected.items() if k != "return"), None)
    got_arg = actual.get(params[0].name)
    if got_arg is not None and want_arg is not None and got_arg != want_arg:
        raise BindingError(
            f"{op_id}: handler {fn.__qualname__} at {where} takes {got_arg}, "
            f"the spec says {want_arg}"
        )
    want_ret, got_ret = expected.get("return"), actual.get("return")
    if got_ret is not None and want_ret is not None and got_ret != want_ret:
        raise BindingError(
            f"{op_id}: handler {fn.__qualname__} at {where} returns {got_ret}, "
            f"the spec says {want_ret}"
        )


def hooks(groups: Iterable[OperationGroup], kind: str) -> list[Callable[..., Any]]:
    """The `setups`/`startups`/`shutdowns`/`resets`/`seeds` of `groups`, in order, each
    function once."""
    return list(dict.fromkeys(fn for g in groups for fn in getattr(g, kind)))


def bind(
    groups: Iterable[OperationGroup],
    operations: Mapping[str, OperationSpec],
    protocols: Mapping[str, type] | None = None,
) -> dict[str, tuple[Handler, str]]:
    """Map operationId -> (handler, source); raise BindingError naming operation and file."""
    bound: dict[str, tuple[Handler, str]] = {}
    for group in groups:
        for op_id, fn in group.handlers.items():
            where = source_of(fn)
            spec = operations.get(op_id)
            if spec is None:
                close = [o for o in operations if o.lower() == op_id.lower()]
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise BindingError(f"{op_id}: no such operationId in the spec{hint} ({where})")
            if spec["tag"] != group.tag:
                raise BindingError(
                    f"{op_id}: belongs to tag {spec['tag']!r}, "
                    f"bound in group {group.tag!r} ({where})"
                )
            if op_id in bound:
                raise BindingError(f"{op_id}: bound twice ({bound[op_id][1]} and {where})")
            protocol = protocols.get(spec["tag"]) if protocols is not None else None
            if protocols is not None and protocol is None:
                raise BindingError(
                    f"{op_id}: no generated protocol for tag {spec['tag']!r} ({where})"
                )
            _check_signature(op_id, fn, protocol)
            bound[op_id] = (fn, where)
    return bound


def bind_frames(
    groups: Iterable[OperationGroup], frame_types: Iterable[str]
) -> dict[str, Callable[[Any], Awaitable[Any]]]:
    """Map inbound frame type -> handler; raise BindingError for a type the AsyncAPI document
    does not declare or a type bound by two groups."""
    known = frozenset(frame_types)
    bound: dict[str, Callable[[Any], Awaitable[Any]]] = {}
    for group in groups:
        for kind, fn in group.frames.items():
            where = source_of(fn)
            if kind not in known:
                listed = ", ".join(sorted(known)) or "none"
                raise BindingError(
                    f"{kind} frame: not an inbound frame of the AsyncAPI document "
                    f"(known: {listed}) ({where})"
                )
            if kind in bound:
                raise BindingError(
                    f"{kind} frame: bound twice ({source_of(bound[kind])} and {where})"
                )
            bound[kind] = fn
    return bound
