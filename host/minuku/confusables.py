"""Text folding for look-alike and brand-claim matching (Unicode UTS #46 mapping, UTS #39 skeleton).

Owns the normalisation that every brand comparison goes through:

- ``fold``: NFKC, zero-width / bidi-control / soft-hyphen removal, IDNA dot variants to ``.``.
  Full-width ``Ａｍａｚｏｎ`` becomes ``Amazon`` here, exactly as a resolver would map it
  (UTS #46), so a full-width host *is* the genuine host.
- ``skeleton``: ``fold``, then every non-ASCII character that Unicode TR39 (confusables.txt)
  lists as confusable with ASCII letters/digits is replaced by that ASCII prototype
  (Cyrillic ``а`` → ``a``, Greek ``ο`` → ``o``), combining marks after Latin/Greek/Cyrillic
  letters are dropped, then everything is lower-cased.
- ``loose``: ``skeleton`` plus the ASCII-only confusions a reader misses: ``rn``→``m``,
  ``vv``→``w``, ``cl``→``d``, ``0``→``o``, ``1``/``i``/``|``→``l``.

Deviations from UTS #39 (deliberate): only prototypes that are ASCII letters, digits, ``-`` or
``.`` are kept (we compare against ASCII brand labels, and Japanese kana/kanji are never mapped,
so ``カスタマー`` stays intact); ASCII itself is only lower-cased by ``skeleton`` (TR39 maps
``I``→``l``, which would turn ``MICROSOFT`` into ``mlcrosoft``); diacritics are stripped.

The map lives in ``data/confusables_ascii.json``, derived from the TR39 table shipped inside the
``confusable_homoglyphs`` package. Regenerate it with::

    python -m minuku.confusables --regenerate

Nothing is downloaded at run time.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from functools import cache
from importlib import resources
from pathlib import Path

_DATA_FILE = "confusables_ascii.json"

# Zero-width, bidi controls, word joiner & invisible operators, BOM, soft hyphen: all render as
# nothing (or reorder text) and are used to break up brand names.
_INVISIBLE_RE = re.compile(
    "[\u00ad\u034f\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# UTS #46 treats these as label separators; NFKC already maps U+FF0E and U+FF61.
_DOT_TRANS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_LOOSE_SEQ = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_LOOSE_CHARS = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "2": "z"})


@cache
def _map() -> dict[str, str]:
    raw = resources.files("minuku").joinpath("data", _DATA_FILE).read_text(encoding="utf-8")
    data = json.loads(raw)
    table = data["map"]
    if not isinstance(table, dict):
        raise TypeError(f"{_DATA_FILE}: 'map' must be an object")
    return {str(k): str(v) for k, v in table.items()}


def strip_invisible(text: str) -> str:
    return _INVISIBLE_RE.sub("", text)


def fold(text: str) -> str:
    """NFKC, invisible characters removed, ideographic dots to ``.``. Case is kept."""
    return strip_invisible(unicodedata.normalize("NFKC", text)).translate(_DOT_TRANS)


def _is_cjk(ch: str) -> bool:
    # Kana, CJK, Hangul, half/full-width forms: never mapped, never decomposed (ガ must not
    # become カ).
    return ord(ch) >= 0x2E80


def skeleton(text: str) -> str:
    """``fold``, confusables mapped to ASCII, diacritics dropped, lower-cased."""
    if text.isascii():
        # What the loop below gives ASCII (fold leaves it as is, no table maps it), in C: most
        # host names, subjects and display names are ASCII (speed, issue 10)
        return text.lower()
    return _skeleton_general(text)


def _skeleton_general(text: str) -> str:
    table = _map()
    out: list[str] = []
    for ch in fold(text):
        if ch.isascii():
            out.append(ch.lower())
            continue
        mapped = table.get(ch)
        if mapped is not None:
            out.append(mapped)
            continue
        if _is_cjk(ch):
            out.append(ch)
            continue
        decomposed = unicodedata.normalize("NFD", ch)
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        if base and base != ch:
            out.append("".join(table.get(c, c) for c in base).lower())
        elif not unicodedata.combining(ch):
            out.append(ch.lower())
    return "".join(out)


def loose_ascii(text: str) -> str:
    """The ASCII-level visual folds, applied to an already skeletonised string."""
    # Characters first, so "c1" and "cl" both end up as "d".
    text = text.translate(_LOOSE_CHARS)
    for seq, rep in _LOOSE_SEQ:
        text = text.replace(seq, rep)
    return text


def loose(text: str) -> str:
    return loose_ascii(skeleton(text))


def script_of(ch: str) -> str | None:
    """Coarse script of a letter from its Unicode name (no script property in unicodedata)."""
    if not ch.isalpha():
        return None
    if ch.isascii():
        return "LATIN"
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return "UNKNOWN"
    head = name.split(" ", 1)[0]
    if head in ("HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "CJK", "HALFWIDTH", "IDEOGRAPHIC"):
        return "JAPANESE"
    return head


def scripts(text: str) -> frozenset[str]:
    """Scripts of the letters of ``fold(text)`` (so full-width Latin counts as Latin)."""
    return frozenset(s for s in (script_of(c) for c in fold(text)) if s is not None)


def is_mixed_script(label: str) -> bool:
    """True when a label mixes scripts in a way UTS #39's "highly restrictive" level forbids.

    Latin with Japanese (kana/kanji) is allowed, as the Japanese profile allows it; Latin with
    Cyrillic, Greek, Armenian, … is not.
    """
    found = scripts(label) - {"JAPANESE"}
    return len(found) > 1


# --- regeneration -------------------------------------------------------------------------


def build_map(confusables_json: dict[str, list[dict[str, str]]]) -> dict[str, str]:
    """Derive {non-ASCII char: ASCII prototype} from confusable_homoglyphs' TR39 graph.

    That file stores each TR39 pair in both directions; a non-ASCII character whose neighbour
    is ASCII alphanumeric (or ``-``/``.``) has that neighbour as its TR39 prototype.
    """
    ok = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    result: dict[str, str] = {}
    for ch, neighbours in sorted(confusables_json.items()):
        if len(ch) != 1 or ch.isascii() or _is_cjk(ch):
            continue
        # NFKC runs first at match time; a mapping for a character NFKC rewrites is dead.
        if unicodedata.normalize("NFKC", ch) != ch:
            continue
        targets = sorted(
            {
                n["c"]
                for n in neighbours
                if n["c"] and (all(c in ok for c in n["c"]) or n["c"] in ("-", "."))
            },
            key=lambda t: (len(t), t),
        )
        if targets:
            result[ch] = targets[0].lower()
    return result


def regenerate(target: Path) -> int:
    import confusable_homoglyphs

    src = Path(confusable_homoglyphs.__file__).with_name("confusables.json")
    graph = json.loads(src.read_text(encoding="utf-8"))
    version = getattr(confusable_homoglyphs, "__version__", "unknown")
    table = build_map(graph)
    payload = {
        "source": f"confusable_homoglyphs {version} confusables.json (Unicode TR39 confusables.txt)",
        "generator": "python -m minuku.confusables --regenerate",
        "map": table,
    }
    target.write_text(
        json.dumps(payload, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8"
    )
    return len(table)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["--regenerate"]:
        sys.stderr.write("usage: python -m minuku.confusables --regenerate\n")
        return 2
    target = Path(__file__).with_name("data") / _DATA_FILE
    count = regenerate(target)
    sys.stderr.write(f"wrote {count} mappings to {target}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
