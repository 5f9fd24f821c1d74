"""A list that keeps its first items in memory and pickles the rest to a temporary file.

A file's findings are reported after the file ends, and a 1M-claim cancer-centre file has
~340k of them (~800 bytes each with their segment texts): kept in a list they alone would
break the 150 MB ceiling of DESIGN.md (Scale). Reading them back streams them in order.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from typing import IO, Any, Generic, TypeVar, overload

T = TypeVar("T")

IN_MEMORY = 2048  # items kept in memory before spilling starts
BATCH = 1024  # items pickled together


class SpillList(Generic[T]):
    """An append-only sequence; all but the first IN_MEMORY items live on disk, in batches."""

    __slots__ = ("_head", "_pending", "_file", "_size", "_by_reference", "__weakref__")

    def __init__(self, items: Iterable[T] = ()) -> None:
        self._head: list[T] = []
        self._pending: list[T] = []
        self._file: IO[bytes] | None = None
        self._size = 0
        self._by_reference = False
        self.extend(items)

    def append(self, item: T) -> None:
        """Add one item at the end."""
        self._size += 1
        if self._file is None and len(self._head) < IN_MEMORY:
            self._head.append(item)
            return
        self._pending.append(item)
        if len(self._pending) >= BATCH:
            self._flush()

    def extend(self, items: Iterable[T]) -> None:
        """Add items at the end."""
        for item in items:
            self.append(item)

    def extend_list(self, other: SpillList[T]) -> None:
        """Add another list's items at the end; its spilled batches are copied as bytes, not unpickled.

        A split file's parts each bring their findings (cart837.split): most of them on disk.
        """
        if other._file is None:
            self.extend(other)
            return
        self.extend(other._head)
        other._flush()
        self._flush()
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="cart837-spill-")  # noqa: SIM115 - lives with the list
        self._file.seek(0, os.SEEK_END)
        other._file.seek(0)
        while block := other._file.read(1 << 20):
            self._file.write(block)
        self._size += len(other) - len(other._head)

    def _flush(self) -> None:
        if not self._pending:
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="cart837-spill-")  # noqa: SIM115 - lives with the list
        self._file.seek(0, os.SEEK_END)
        pickle.dump(self._pending, self._file, pickle.HIGHEST_PROTOCOL)
        self._pending = []

    def __iter__(self) -> Iterator[T]:
        yield from self._head
        if self._file is not None:
            self._flush()
            position = 0
            end = self._file.seek(0, os.SEEK_END)
            while position < end:
                self._file.seek(position)
                batch: list[T] = pickle.load(self._file)
                position = self._file.tell()
                yield from batch
        yield from list(self._pending)

    def __len__(self) -> int:
        return self._size

    def __bool__(self) -> bool:
        return self._size > 0

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, int) and 0 <= index < len(self._head):
            return self._head[index]
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SpillList | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SpillList({len(self)} items, {len(self._head)} in memory)"

    def by_reference(self) -> None:
        """Pickle as the spill file's path from now on (for a process on this machine)."""
        self._by_reference = True

    def __reduce__(self) -> tuple[Any, ...]:
        if not self._by_reference or self._file is None:
            return (SpillList, (list(self),))
        self._flush()
        handle = tempfile.NamedTemporaryFile(prefix="cart837-spill-", delete=False)  # noqa: SIM115 - adopted
        with handle:
            self._file.seek(0)
            while block := self._file.read(1 << 20):
                handle.write(block)
        return (_adopt, (self._head, handle.name, self._size))


def _adopt(head: list[T], path: str, size: int) -> SpillList[T]:
    """Rebuild a list pickled by reference: take over (and later delete) its spill file."""
    adopted: SpillList[T] = SpillList(head)
    adopted._file = open(path, "r+b")  # noqa: SIM115 - lives with the list
    adopted._size = size
    os.unlink(path)  # the open handle keeps the data until the list is gone
    weakref.finalize(adopted, adopted._file.close)
    return adopted
