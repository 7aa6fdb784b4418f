"""Every string that leaves the host is valid Unicode (RFC 3629: UTF-8 cannot encode surrogates).

Python ``str`` can hold lone surrogates (U+D800..U+DFFF): the email library's
``surrogateescape`` smuggles 8-bit header bytes that way, and codecs such as utf-7 or
unicode_escape decode attacker bytes into them. Such a string cannot be encoded as UTF-8, so a
payload holding one fails to serialise and the user gets an internal error instead of a
verdict. The parser avoids making them (message.py decodes with safe codecs only); this module
is the last line at the boundary: ``scrub_model`` turns any that slipped through into U+FFFD.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel

_SURROGATE_RE = re.compile("[\ud800-\udfff]")

M = TypeVar("M", bound=BaseModel)


def scrub(s: str) -> str:
    """The string with every lone surrogate replaced by U+FFFD (REPLACEMENT CHARACTER)."""
    if s.isascii():
        return s
    return _SURROGATE_RE.sub("\ufffd", s)


def is_clean(s: str) -> bool:
    return s.isascii() or _SURROGATE_RE.search(s) is None


def _scrub_any(obj: Any) -> tuple[Any, bool]:
    """(cleaned copy, changed?) of plain data from ``model_dump``: str, list, tuple, dict."""
    if isinstance(obj, str):
        if is_clean(obj):
            return obj, False
        return scrub(obj), True
    if isinstance(obj, dict):
        changed = False
        out: dict[Any, Any] = {}
        for k, v in obj.items():
            k2, ck = _scrub_any(k)
            v2, cv = _scrub_any(v)
            changed = changed or ck or cv
            out[k2] = v2
        return out, changed
    if isinstance(obj, list | tuple):
        items = [_scrub_any(v) for v in obj]
        if any(c for _, c in items):
            cleaned = [v for v, _ in items]
            return (cleaned if isinstance(obj, list) else tuple(cleaned)), True
        return obj, False
    return obj, False


def scrub_model(model: M) -> M:
    """The same model, or a re-validated copy whose strings hold no lone surrogate."""
    data = model.model_dump()
    try:
        # Fast path: json.dumps (in C) writes every str key and value as is (ensure_ascii off
        # keeps lone surrogates), so a clean dump means nothing to scrub.
        if is_clean(json.dumps(data, ensure_ascii=False, default=repr)):
            return model
    except (TypeError, ValueError):  # a key json cannot write: walk the data instead
        pass
    cleaned, changed = _scrub_any(data)
    if not changed:
        return model
    return type(model).model_validate(cleaned)
