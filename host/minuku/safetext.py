"""Every string that leaves the host is valid Unicode (RFC 3629: UTF-8 cannot encode surrogates).

Python ``str`` can hold lone surrogates (U+D800..U+DFFF): the email library's
``surrogateescape`` smuggles 8-bit header bytes that way, and codecs such as utf-7 or
unicode_escape decode attacker bytes into them. Such a string cannot be encoded as UTF-8, so a
payload holding one fails to serialise and the user gets an internal error instead of a
verdict. The parser avoids making them (message.py decodes with safe codecs only); this module
is the last line at the boundary: ``scrub_tree`` turns any that slipped into the core's plain
payload into U+FFFD (the wire models are built from that payload, after it).
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, TypeVar

_SURROGATE_RE = re.compile("[\ud800-\udfff]")

T = TypeVar("T")


def scrub(s: str) -> str:
    """The string with every lone surrogate replaced by U+FFFD (REPLACEMENT CHARACTER)."""
    if s.isascii():
        return s
    return _SURROGATE_RE.sub("\ufffd", s)


def is_clean(s: str) -> bool:
    """No lone surrogate in ``s``: strict UTF-8 refuses exactly those (RFC 3629 §3), and
    encoding runs ~6x faster than the regex search (speed, issue 10)."""
    if s.isascii():
        return True
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _scrub_any(obj: Any) -> tuple[Any, bool]:
    """(cleaned copy, changed?) of plain data: a dataclass tree holding str, list, tuple and
    dict. What holds nothing to clean is returned as is, not copied."""
    if isinstance(obj, str):
        if is_clean(obj):
            return obj, False
        return scrub(obj), True
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {}
        for f in dataclasses.fields(obj):
            value, changed = _scrub_any(getattr(obj, f.name))
            if changed:
                changes[f.name] = value
        return (dataclasses.replace(obj, **changes), True) if changes else (obj, False)
    if isinstance(obj, list | tuple):
        items = [_scrub_any(v) for v in obj]
        if any(c for _, c in items):
            cleaned = [v for v, _ in items]
            return (cleaned if isinstance(obj, list) else tuple(cleaned)), True
        return obj, False
    if isinstance(obj, dict):
        pairs = [(_scrub_any(k), _scrub_any(v)) for k, v in obj.items()]
        if any(ck or cv for (_, ck), (_, cv) in pairs):
            return {k: v for (k, _), (v, _) in pairs}, True
        return obj, False
    return obj, False


# The field names of each dataclass _fields has met (the payload's few classes): a call of
# dataclasses.fields() per object was a third of scrub_tree's time (speed, issue 10).
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _fields(obj: Any) -> list[Any]:
    """A dataclass as the list of its values, for json.dumps (anything else: TypeError)."""
    names = _FIELD_NAMES.get(type(obj))
    if names is None:
        if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
            raise TypeError(type(obj).__name__)
        names = _FIELD_NAMES[type(obj)] = tuple(f.name for f in dataclasses.fields(obj))
    return [getattr(obj, name) for name in names]


def scrub_tree(tree: T) -> T:
    """The same plain data (a dataclass tree), or a copy whose strings hold no lone surrogate."""
    try:
        # Fast path: json.dumps (in C) writes every string as is (ensure_ascii off keeps lone
        # surrogates), so a clean text means nothing to scrub (~60 µs for a phish payload, the walk ~90 µs).
        if is_clean(json.dumps(tree, ensure_ascii=False, default=_fields)):
            return tree
    except (TypeError, ValueError):  # a key json cannot write: walk the data instead
        pass
    cleaned, _ = _scrub_any(tree)
    result: T = cleaned
    return result
