"""Pages of a list operation (limit/offset) and iterators over all of its items."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

T = TypeVar("T")


def _has_more(meta: Mapping[str, Any], links: Mapping[str, Any], offset: int, count: int) -> bool:
    if "next" in links:
        return links["next"] is not None
    total = meta.get("total_count")
    return isinstance(total, int) and offset + count < total


class _PageBase(list[T]):
    def __init__(self, items: Iterable[T], document: Mapping[str, Any], offset: int) -> None:
        super().__init__(items)
        self.meta: dict[str, Any] = dict(document.get("meta") or {})
        self.links: dict[str, Any] = dict(document.get("links") or {})
        self.offset = offset

    @property
    def total_count(self) -> int | None:
        total = self.meta.get("total_count")
        return total if isinstance(total, int) else None

    @property
    def has_more(self) -> bool:
        return bool(self) and _has_more(self.meta, self.links, self.offset, len(self))

    @property
    def next_offset(self) -> int:
        return self.offset + len(self)


class Page(_PageBase[T]):
    """One page: a list of the items, with `meta` (total_count, page, per_page, total_pages)
    and `links` of the answer. `iter_all()` walks this page and every later one."""

    def __init__(
        self,
        items: Iterable[T],
        document: Mapping[str, Any],
        offset: int,
        fetch: Callable[[int], Page[T]],
    ) -> None:
        super().__init__(items, document, offset)
        self._fetch = fetch

    def next_page(self) -> Page[T] | None:
        return self._fetch(self.next_offset) if self.has_more else None

    def iter_all(self) -> Iterator[T]:
        page: Page[T] | None = self
        while page is not None:
            yield from page
            page = page.next_page()


class AsyncPage(_PageBase[T]):
    """A page of the async client; `async for item in page.iter_all()` walks every page."""

    def __init__(
        self,
        items: Iterable[T],
        document: Mapping[str, Any],
        offset: int,
        fetch: Callable[[int], Awaitable[AsyncPage[T]]],
    ) -> None:
        super().__init__(items, document, offset)
        self._fetch = fetch

    async def next_page(self) -> AsyncPage[T] | None:
        return await self._fetch(self.next_offset) if self.has_more else None

    async def iter_all(self) -> AsyncIterator[T]:
        page: AsyncPage[T] | None = self
        while page is not None:
            for item in page:
                yield item
            page = await page.next_page()
