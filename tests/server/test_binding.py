"""Handlers bind explicitly against the generated skeleton; misfits fail at startup."""

from __future__ import annotations

import contextlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codegen.generate import SpecFiles, render
from kkcore.errors import BindingError
from server.binding import OperationGroup, bind, bind_frames
from server.ports import OperationRequest
from server.responses import Reply
from tests.engine import FIXTURES, fixture_table

TABLE = fixture_table("minimal31")
OPS = TABLE["operations"]


def test_unknown_operation_id_fails_at_startup_naming_operation_and_file() -> None:
    group = OperationGroup("items")

    @group.operation("listitems")
    async def handler(request: OperationRequest[Any, Any]) -> Reply:
        return Reply()

    with pytest.raises(
        BindingError, match=r"listitems: no such operationId.*'listItems'.*test_binding\.py:\d+"
    ):
        bind([group], OPS)


def test_binding_an_operation_twice_in_one_group_fails() -> None:
    group = OperationGroup("items")

    @group.operation("getItem")
    async def first(request: OperationRequest[Any, Any]) -> Reply:
        return Reply()

    with pytest.raises(BindingError, match="getItem: bound twice"):

        @group.operation("getItem")
        async def second(request: OperationRequest[Any, Any]) -> Reply:
            return Reply()


def test_binding_an_operation_in_two_groups_fails() -> None:
    a, b = OperationGroup("items"), OperationGroup("items")
    for g in (a, b):

        @g.operation("getItem")
        async def handler(request: OperationRequest[Any, Any]) -> Reply:
            return Reply()

    with pytest.raises(BindingError, match="getItem: bound twice"):
        bind([a, b], OPS)


def test_an_operation_bound_under_the_wrong_tag_fails() -> None:
    group = OperationGroup("photos")

    @group.operation("getItem")
    async def handler(request: OperationRequest[Any, Any]) -> Reply:
        return Reply()

    with pytest.raises(
        BindingError, match="getItem: belongs to tag 'items', bound in group 'photos'"
    ):
        bind([group], OPS)


def test_a_sync_handler_fails() -> None:
    group = OperationGroup("items")

    @group.operation("getItem")
    def handler(request: OperationRequest[Any, Any]) -> Reply:
        return Reply()

    with pytest.raises(BindingError, match="must be `async def`"):
        bind([group], OPS)


def test_a_handler_with_the_wrong_arity_fails() -> None:
    group = OperationGroup("items")

    @group.operation("getItem")
    async def handler(request: Any, extra: int) -> Reply:
        return Reply()

    with pytest.raises(BindingError, match="exactly one argument"):
        bind([group], OPS)


def is_generated(name: str) -> bool:
    return name == "generated" or name.startswith("generated.")


@contextlib.contextmanager
def generated_from(root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The package `generated` under `root` imported in place of the flagship's; afterwards the
    flagship's `generated` modules are back in sys.modules and none of `root`'s stays there
    (monkeypatch.delitem puts back what it deleted but leaves what was imported since: a
    `generated.protocols` first imported here was later found by the flagship's app factory)."""
    monkeypatch.syspath_prepend(str(root))
    flagship = {name: sys.modules.pop(name) for name in list(sys.modules) if is_generated(name)}
    try:
        import generated.models
        import generated.protocols

        yield generated
    finally:
        for name in [name for name in sys.modules if is_generated(name)]:
            del sys.modules[name]
        sys.modules.update(flagship)


@pytest.fixture
def skeleton(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The minimal31 fixture generated into an importable package named `generated`."""
    out = tmp_path / "generated"
    out.mkdir()
    for name, content in render(
        SpecFiles(FIXTURES / "minimal31" / "openapi.yaml"), tmp_path
    ).items():
        (out / name).write_text(content)
    with generated_from(tmp_path, monkeypatch) as package:
        yield package


def test_a_generated_skeleton_leaves_no_module_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "generated").mkdir()
    for name in ("__init__", "models", "protocols"):
        (tmp_path / "generated" / f"{name}.py").write_text("SKELETON = True\n")
    before = {name: module for name, module in sys.modules.items() if is_generated(name)}
    monkeypatch.delitem(sys.modules, "generated.protocols", raising=False)  # as in a fresh worker
    with generated_from(tmp_path, monkeypatch) as package:
        assert package.protocols.SKELETON
    assert "generated.protocols" not in sys.modules
    assert {name: m for name, m in sys.modules.items() if is_generated(name)} == {
        name: m for name, m in before.items() if name != "generated.protocols"
    }


def test_a_handler_typed_with_the_generated_request_binds(skeleton: Any) -> None:
    group = OperationGroup("items")
    ns: dict[str, Any] = {"models": skeleton.models, "Reply": Reply, "group": group}
    exec(
        textwrap.dedent(
            """
            @group.operation("getItem")
            async def get_item(request: models.GetItemRequest) -> Reply:
                return Reply()
            """
        ),
        ns,
    )
    bound = bind([group], OPS, skeleton.protocols.PROTOCOLS)
    assert set(bound) == {"getItem"}


def test_a_handler_typed_with_another_operations_request_fails(skeleton: Any) -> None:
    group = OperationGroup("items")

    async def get_item(request):  # type: ignore[no-untyped-def]
        return Reply()

    get_item.__annotations__ = {"request": skeleton.models.ListItemsRequest, "return": Reply}

    group.operation("getItem")(get_item)
    with pytest.raises(
        BindingError,
        match="getItem: handler .* takes .*ListItemsParams.*the spec says .*GetItemParams",
    ):
        bind([group], OPS, skeleton.protocols.PROTOCOLS)


def test_a_handler_with_the_wrong_return_type_fails(skeleton: Any) -> None:
    group = OperationGroup("items")

    async def get_item(request):  # type: ignore[no-untyped-def]
        return {}

    get_item.__annotations__ = {"request": skeleton.models.GetItemRequest, "return": dict}

    group.operation("getItem")(get_item)
    with pytest.raises(BindingError, match="returns"):
        bind([group], OPS, skeleton.protocols.PROTOCOLS)


def test_a_frame_handler_for_an_undeclared_frame_type_fails_at_startup() -> None:
    group = OperationGroup("messaging")

    @group.frame("telepathy")
    async def telepathy(frame: Any) -> None: ...

    with pytest.raises(BindingError, match=r"telepathy frame: not an inbound frame.*test_binding"):
        bind_frames([group], ["auth", "message"])


def test_a_frame_type_bound_twice_or_synchronously_fails_at_startup() -> None:
    a, b = OperationGroup("messaging"), OperationGroup("bookings")

    @a.frame("message")
    async def first(frame: Any) -> None: ...

    @b.frame("message")
    async def second(frame: Any) -> None: ...

    with pytest.raises(BindingError, match="message frame: bound twice"):
        bind_frames([a, b], ["message"])
    with pytest.raises(BindingError, match="bound twice in group"):
        a.frame("message")(second)
    with pytest.raises(BindingError, match="must be `async def`"):
        b.frame("typing")(lambda frame: None)
    assert bind_frames([a], ["message"]) == {"message": first}


def test_a_handlers_place_is_found_once_and_an_unhashable_callable_still_has_one() -> None:
    import inspect
    from unittest import mock

    from server.binding import source_of

    async def handler(request: Any) -> Reply:
        raise NotImplementedError

    class Unhashable:
        __hash__ = None  # type: ignore[assignment]

        async def __call__(self, request: Any) -> Reply:
            raise NotImplementedError

    with mock.patch.object(inspect, "getsourcelines", wraps=inspect.getsourcelines) as lines:
        places = {source_of(handler) for _ in range(3)}
    assert places == {f"{__file__}:{handler.__code__.co_firstlineno}"}
    assert lines.call_count == 1
    assert source_of(Unhashable()) == Unhashable.__module__  # no source for an instance
