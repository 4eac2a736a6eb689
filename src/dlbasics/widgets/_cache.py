"""One least-recently-used cache for every explorer.

An explorer keeps what it computed (fitted networks, descent paths, training runs, the static
background of its figure) so that moving a control back costs nothing. :class:`LRU` keeps at
most ``maxsize`` values and forgets the one used longest ago; ``computed`` counts the values it
had to compute, which the tests and ``benchmarks/bench_explorers.py`` read to tell a cached
update from one that trained a network.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

V = TypeVar("V")


class LRU(Generic[V]):
    """At most ``maxsize`` values by key, the least recently used dropped first.

    Parameters
    ----------
    maxsize : int
    store : OrderedDict, optional
        Where the values live, least recently used first (default: a new one); lets code that
        keeps its own ``OrderedDict`` use the same rule.

    Attributes
    ----------
    maxsize : int
    computed : int
        How many values :meth:`get_or_compute` had to compute.
    """

    def __init__(self, maxsize: int, store: OrderedDict[Hashable, V] | None = None) -> None:
        self.maxsize, self.computed = int(maxsize), 0
        self._store: OrderedDict[Hashable, V] = OrderedDict() if store is None else store

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The value kept for ``key`` (now the most recently used), or ``compute()`` kept."""
        if key in self._store:
            self._store.move_to_end(key)
            return self._store[key]
        value = compute()
        self.computed += 1
        self.put(key, value)
        return value

    def put(self, key: Hashable, value: V) -> None:
        """Keep ``value`` for ``key`` (replacing any), as the most recently used."""
        self._store[key] = value
        self._store.move_to_end(key)
        if len(self._store) > self.maxsize:
            self._store.popitem(last=False)

    def peek(self, key: Hashable) -> V | None:
        """The value kept for ``key``, or None, without counting it as used."""
        return self._store.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._store

    def __len__(self) -> int:
        return len(self._store)

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._store)
