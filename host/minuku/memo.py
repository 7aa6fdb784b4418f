"""Memoisation whose memory has a ceiling, for caches keyed on strings that come from mail.

``functools.lru_cache(maxsize=8192)`` bounds the number of entries, not their size: keyed on a
1 MB link host, 8,192 entries hold 8 GB, and one such mail a minute grows the host by 1 MB a
minute. ``capped_cache(maxsize, max_key_chars)`` is an LRU cache that stores nothing whose
key is longer than ``max_key_chars`` (the sum of the lengths of its ``str``, ``bytes`` and
``tuple``-of-``str`` arguments): such a call is computed every time, the answer is the same,
and the cache holds at most ``maxsize × max_key_chars`` characters of keys. Arguments of other
types (a catalogue's frozenset of affixes) are part of the key but assumed small and few.

A DNS name has at most 253 characters (RFC 1035 §2.3.4), so ``DNS_NAME_CHARS`` is the ceiling
for caches keyed on host names: a longer "host" cannot be resolved by anyone.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

DNS_NAME_CHARS = 253

_ALL: weakref.WeakSet[CappedCache[..., object]] = weakref.WeakSet()


def key_chars(args: tuple[object, ...]) -> int:
    """The size that counts against ``max_key_chars``: lengths of str/bytes (and str tuples)."""
    total = 0
    for a in args:
        if isinstance(a, str | bytes):
            total += len(a)
        elif isinstance(a, tuple):
            total += sum(len(x) for x in a if isinstance(x, str | bytes))
    return total


class CappedCache(Generic[P, R]):
    """An LRU cache of ``fn`` with at most ``maxsize`` entries, none with a key over
    ``max_key_chars``. Thread-safe; ``fn`` runs outside the lock."""

    def __init__(self, fn: Callable[P, R], maxsize: int, max_key_chars: int) -> None:
        self._fn = fn
        self.maxsize = maxsize
        self.max_key_chars = max_key_chars
        self._data: OrderedDict[Hashable, tuple[int, R]] = OrderedDict()
        self._key_chars = 0
        self._lock = threading.Lock()
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn
        _ALL.add(self)  # type: ignore[arg-type]

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if kwargs:
            return self._fn(*args, **kwargs)
        # The common call (one host name) is sized without key_chars' loop: this wrapper
        # runs several times per look-alike check and showed up in its profile.
        first = args[0] if len(args) == 1 else None
        size = len(first) if type(first) is str else key_chars(args)
        if size > self.max_key_chars:
            return self._fn(*args, **kwargs)
        key: Hashable = args
        data = self._data
        with self._lock:
            hit = data.get(key)
            if hit is not None:
                data.move_to_end(key)
                return hit[1]
        value = self._fn(*args, **kwargs)
        with self._lock:
            if key not in data:
                data[key] = (size, value)
                self._key_chars += size
                while len(data) > self.maxsize:
                    _, (old, _v) = data.popitem(last=False)
                    self._key_chars -= old
        return value

    def __len__(self) -> int:
        return len(self._data)

    @property
    def key_chars(self) -> int:
        """Characters held in keys now (never over ``maxsize × max_key_chars``)."""
        return self._key_chars

    def cache_clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._key_chars = 0


class StrCache(Generic[R]):
    """A cache of ``fn(text)`` for one ``str`` argument, for calls made several times per
    look-alike check: no lock, no LRU order, and when full it is emptied at once. That costs a
    recompute of hot entries now and then and saves the LRU bookkeeping on every call (half
    the cost of a cheap ``fn``). The same ceiling as ``CappedCache``: at most ``maxsize``
    entries, none keyed on a string over ``max_key_chars``. A dict's get and set are atomic
    under the GIL, so threads at worst compute an answer twice."""

    def __init__(self, fn: Callable[[str], R], maxsize: int, max_key_chars: int) -> None:
        self._fn = fn
        self.maxsize = maxsize
        self.max_key_chars = max_key_chars
        self._data: dict[str, R] = {}
        self._key_chars = 0
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn
        _ALL.add(self)  # type: ignore[arg-type]

    def __call__(self, text: str) -> R:
        data = self._data
        if text in data:
            return data[text]
        value = self._fn(text)
        if len(text) <= self.max_key_chars:
            if len(data) >= self.maxsize:
                data.clear()
                self._key_chars = 0
            data[text] = value
            self._key_chars += len(text)
        return value

    def __len__(self) -> int:
        return len(self._data)

    @property
    def key_chars(self) -> int:
        return self._key_chars

    def cache_clear(self) -> None:
        self._data.clear()
        self._key_chars = 0


def capped_cache(
    maxsize: int, max_key_chars: int = DNS_NAME_CHARS
) -> Callable[[Callable[P, R]], CappedCache[P, R]]:
    def wrap(fn: Callable[P, R]) -> CappedCache[P, R]:
        return CappedCache(fn, maxsize, max_key_chars)

    return wrap


def all_caches() -> list[CappedCache[..., object]]:
    """Every capped cache alive in this process (tests sum their sizes)."""
    return list(_ALL)
