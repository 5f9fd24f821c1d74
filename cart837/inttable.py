"""A compact hash table of 64-bit keys for the episode index (pass 1 memory, DESIGN.md Scale).

A dict of 274k patient keys costs ~35 MB and a set of as many member ids ~25 MB; these
arrays hold the same in ~6 MB each: open addressing with linear probing (load under 0.7), keys in an
array('Q') and values in an array('i') where -1 marks an empty slot.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Iterator

_EMPTY = -1
_MIN_CAPACITY = 64


def hash64(text: str) -> int:
    """Return a deterministic 64-bit hash of `text`, the same in every process (unlike hash())."""
    data = text.encode("utf-8", "surrogatepass")
    return (zlib.crc32(data) << 32) | zlib.adler32(data)


class IntTable:
    """Map 64-bit unsigned keys to non-negative 31-bit values."""

    __slots__ = ("_keys", "_values", "_size", "_mask")

    def __init__(self, capacity: int = _MIN_CAPACITY) -> None:
        size = _MIN_CAPACITY
        while size < capacity:
            size *= 2
        self._keys = array("Q", bytes(8 * size))
        self._values = array("i", [_EMPTY]) * size
        self._size = 0
        self._mask = size - 1

    def __len__(self) -> int:
        return self._size

    def get(self, key: int, default: int = _EMPTY) -> int:
        """Return the value stored for `key`, or `default`."""
        keys, values, mask = self._keys, self._values, self._mask
        slot = (key ^ (key >> 29)) & mask
        while True:
            value = values[slot]
            if value == _EMPTY:
                return default
            if keys[slot] == key:
                return value
            slot = (slot + 1) & mask

    def __contains__(self, key: int) -> bool:
        return self.get(key) != _EMPTY

    def put(self, key: int, value: int) -> None:
        """Store `value` (>= 0) for `key`, replacing any earlier value."""
        if value < 0:
            raise ValueError("IntTable values must be >= 0")
        if 10 * (self._size + 1) > 7 * len(self._values):  # keep the load under 0.7
            self._grow()
        keys, values, mask = self._keys, self._values, self._mask
        slot = (key ^ (key >> 29)) & mask
        while values[slot] != _EMPTY and keys[slot] != key:
            slot = (slot + 1) & mask
        if values[slot] == _EMPTY:
            self._size += 1
        keys[slot] = key
        values[slot] = value

    def nbytes(self) -> int:
        """Return the size of the two arrays."""
        return self._keys.itemsize * len(self._keys) + self._values.itemsize * len(self._values)

    def items(self) -> Iterator[tuple[int, int]]:
        """Yield (key, value) in slot order."""
        for slot, value in enumerate(self._values):
            if value != _EMPTY:
                yield self._keys[slot], value

    def _grow(self) -> None:
        bigger = IntTable(2 * len(self._values))
        for key, value in self.items():
            bigger.put(key, value)
        self._keys, self._values, self._mask = bigger._keys, bigger._values, bigger._mask

    def __getstate__(self) -> tuple[array[int], array[int], int]:
        return self._keys, self._values, self._size

    def __setstate__(self, state: tuple[array[int], array[int], int]) -> None:
        self._keys, self._values, self._size = state
        self._mask = len(self._values) - 1


class MemberIds:
    """The member ids (2010BA NM109) of CAR-T patients: a set while small, then 64-bit hashes.

    Pass 2 looks up every subscriber of every file here, so a small set (a clearinghouse's
    mix) stays a plain set of strings, the quickest look-up. Past SMALL ids they become
    hashes in an IntTable; a hash collision could only make pass 2 build one claim more (a
    claim with no CAR-T line is never changed, and without episode lines of its own patient
    no rule has anything to say about it), never one less.
    """

    SMALL = 50_000
    __slots__ = ("_set", "_table")

    def __init__(self) -> None:
        self._set: set[str] | None = set()
        self._table = IntTable()

    def add(self, member_id: str) -> None:
        """Add one member id."""
        if self._set is None:
            self._table.put(hash64(member_id), 1)
            return
        self._set.add(member_id)
        if len(self._set) > self.SMALL:
            for text in self._set:
                self._table.put(hash64(text), 1)
            self._set = None

    def update(self, other: MemberIds) -> None:
        """Add every member id of `other`."""
        if other._set is not None:
            for text in other._set:
                self.add(text)
            return
        if self._set is not None:
            for text in self._set:
                self._table.put(hash64(text), 1)
            self._set = None
        for key, _ in other._table.items():
            self._table.put(key, 1)

    def nbytes(self) -> int:
        """Return the size of the table's arrays (a small set counts as nothing here)."""
        return self._table.nbytes()

    def small_set(self) -> frozenset[str] | None:
        """Return the ids while they are a plain set, None once they are hashes."""
        return frozenset(self._set) if self._set is not None else None

    def __contains__(self, member_id: object) -> bool:
        if self._set is not None:
            return member_id in self._set
        return isinstance(member_id, str) and hash64(member_id) in self._table

    def __len__(self) -> int:
        return len(self._table) if self._set is None else len(self._set)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __getstate__(self) -> tuple[set[str] | None, IntTable]:
        return (self._set, self._table)

    def __setstate__(self, state: tuple[set[str] | None, IntTable]) -> None:
        self._set, self._table = state
