"""The streamed canonical body is byte for byte the whole one (RFC 6376 §3.4.3, §3.4.4).

``canonical_chunks`` canonicalizes a body piece by piece so that a 30 MB message is never
copied whole; these tests pin it to ``canonical_body`` (the one-piece reference) on tiny pieces,
where every boundary case (a CRLF run across pieces, a line longer than a piece, white space
at a cut, an all-blank body) is met. The other speed paths of DKIM/ARC (relaxed header
canonicalization, the header-field precheck, the header line split) are pinned to the dkimpy
code or the regex they replace.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from dkim.canonicalization import Relaxed
from hypothesis import given, settings
from hypothesis import strategies as st
from minuku.auth.dkim import CanonicalBody
from minuku.auth.dkimcore import (
    _crlf,
    canonical_body,
    canonical_chunks,
    head_has_field,
    relaxed_header,
    split_header,
)

ALGORITHMS = (b"simple", b"relaxed")


def whole(algorithm: bytes, data: bytes, start: int = 0) -> bytes:
    return canonical_body(algorithm, _crlf(data[start:]))


def streamed(algorithm: bytes, data: bytes, start: int = 0, size: int = 4) -> bytes:
    return b"".join(canonical_chunks(algorithm, data, start, size))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\r\n",
        b"\r\n\r\n\r\n\r\n\r\n",  # nothing but empty lines, across many pieces
        b"   \r\n \t \r\n",  # blank lines made of white space (relaxed: empty body)
        b"abc",  # no final line break: one is added
        b"abc\r",  # a bare CR at the very end
        b"a\r\r\n\r\n",  # a CR before the CRLF run
        b"line one  \t  with   runs\t\r\nsecond\r\n\r\n\r\n",
        b"unix\nline\nbreaks\n\n\n",  # bare LF become CRLF
        b"mixed\r\nbreaks\nhere\r\n",
        b"x" * 50 + b"\r\n",  # a line far longer than a piece
        b"y" * 30 + b"   " + b"z" * 30,  # long line with a white space run inside
        b" " * 40 + b"\r\n" + b"\t" * 40,  # long runs of white space only
        b"end with spaces   ",
        b"\r\n\r\ntext after leading blank lines\r\n",
    ],
)
def test_streamed_canonical_body_is_the_whole_one(algorithm: bytes, body: bytes) -> None:
    for size in (1, 2, 3, 4, 7, 64):
        assert streamed(algorithm, body, size=size) == whole(algorithm, body), size


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=120).map(
        # mostly the bytes that matter: white space, CR, LF, and a little text
        lambda b: bytes(b" \t\r\nab"[x % 6] for x in b)
    ),
    st.integers(min_value=1, max_value=9),
    st.sampled_from(ALGORITHMS),
)
def test_streamed_canonical_body_matches_on_any_layout(body: bytes, size: int, algo: bytes) -> None:
    assert streamed(algo, body, size=size) == whole(algo, body)


def test_body_read_in_place_after_the_header() -> None:
    raw = b"From: a@example.org\r\nSubject: x\r\n\r\nbody  text \r\n\r\n"
    fields, start = split_header(raw)
    assert [n for n, _ in fields] == [b"From", b"Subject"]
    assert streamed(b"relaxed", raw, start) == b"body text\r\n"
    assert streamed(b"simple", raw, start) == b"body  text \r\n"


def test_body_hash_with_length_limit_hashes_the_first_l_bytes() -> None:
    # RFC 6376 §3.5 l=: the hash covers that many bytes of the canonical body
    data = b"first line\r\nsecond line\r\n" * 10
    body = CanonicalBody(data)
    canonical = whole(b"relaxed", data)
    for limit in (0, 5, 12, 100, len(canonical), len(canonical) + 50):
        want = hashlib.sha256(canonical[:limit]).digest()
        assert body.body_hash(b"relaxed/relaxed", b"rsa-sha256", limit) == want
    assert (
        body.body_hash(b"relaxed/relaxed", b"rsa-sha256", None)
        == hashlib.sha256(canonical).digest()
    )


def test_unsigned_content_after_length_limit_is_seen() -> None:
    data = b"signed part\r\n" + b"\r\n \r\n" + b"appended by an attacker\r\n"
    body = CanonicalBody(data)
    canonical = whole(b"simple", data)
    for limit in range(len(canonical) + 2):
        assert body.unsigned_after(b"simple/simple", limit) == bool(canonical[limit:].strip())
    assert body.unsigned_after(b"bogus/c", 3) is False


@settings(max_examples=400, deadline=None)
@given(
    st.binary(max_size=80).map(lambda b: bytes(b"\t \r\nA:b"[x % 7] for x in b)),
    st.binary(min_size=1, max_size=12).map(lambda b: bytes(b"Ab-: \t"[x % 6] for x in b)),
)
def test_relaxed_header_is_dkimpys(value: bytes, name: bytes) -> None:
    # RFC 6376 §3.4.2: our bytes.replace version gives dkimpy's regex output, byte for byte
    assert relaxed_header((name, value)) == Relaxed.canonicalize_headers([(name, value)])[0]


def test_relaxed_header_folded_field() -> None:
    field = (b"Subject", b" hello\r\n\t  world \t\r\n\r\r\n end  \r\n")
    assert relaxed_header(field) == Relaxed.canonicalize_headers([field])[0]
    assert relaxed_header(field) == (b"subject", b"hello world \r end\r\n")


_LAYOUT = st.binary(max_size=160).map(
    lambda b: bytes(b"\r\n \tD:kim-SIGNATURE;x"[x % 20] for x in b)
)


@settings(max_examples=400, deadline=None)
@given(_LAYOUT)
def test_head_has_field_fast_path_answers_as_the_regex(raw: bytes) -> None:
    # the lowered, LF-led search finds a DKIM-Signature field exactly where (?im)^ does
    from minuku.auth import dkim as dkim_mod

    slow = dkim_mod._DKIM_FIELD
    blank = re.search(rb"\n\r?\n", raw)
    want = slow.search(raw, 0, blank.start() + 1 if blank else len(raw)) is not None
    assert head_has_field(raw, slow, dkim_mod._DKIM_FIELD_LOW) == want


def test_head_has_field_ignores_the_body_and_mid_line_names() -> None:
    from minuku.auth import dkim as dkim_mod

    args = (dkim_mod._DKIM_FIELD, dkim_mod._DKIM_FIELD_LOW)
    assert head_has_field(b"DKIM-Signature: v=1\r\n\r\nbody", *args)
    assert head_has_field(b"From: a\r\ndkim-signature\t: v=1\r\n\r\n", *args)
    assert not head_has_field(b"From: a\r\n\r\nDKIM-Signature: in the body\r\n", *args)
    assert not head_has_field(b"X-Note: DKIM-Signature: not a field\r\n\r\n", *args)


@settings(max_examples=400, deadline=None)
@given(_LAYOUT)
def test_split_header_lines_as_the_regex_split(raw: bytes) -> None:
    # split_message is dkimpy's rfc822_parse: compare with the regex line split it replaced
    from minuku.auth.dkimcore import HeaderTooLarge, MessageFormatError, split_message

    def reference(raw: bytes) -> object:
        try:
            return split_message_by_regex(raw)
        except (HeaderTooLarge, MessageFormatError) as exc:
            return type(exc)

    try:
        got: object = split_message(raw)
    except (HeaderTooLarge, MessageFormatError) as exc:
        got = type(exc)
    assert got == reference(raw)


def split_message_by_regex(raw: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The line split as it was (``re.split(rb"\\r?\\n", head)``), the rest as in dkimcore."""
    from minuku.auth.dkimcore import _FIELD_NAME, MessageFormatError

    if raw.startswith((b"\n", b"\r\n")):
        return [], _crlf(raw[raw.index(b"\n") + 1 :])
    blank = re.search(rb"\n\r?\n", raw)
    head, body = (
        (raw, b"") if blank is None else (raw[: blank.start() + 1], _crlf(raw[blank.end() :]))
    )
    lines = re.split(rb"\r?\n", head)
    if lines and not lines[-1]:
        lines.pop()
    fields: list[tuple[bytes, list[bytes]]] = []
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            if not fields:
                raise MessageFormatError("continuation")
            fields[-1][1].append(line)
            continue
        match = _FIELD_NAME.match(line)
        if match is not None:
            fields.append((line[: match.end() - 1], [line[match.end() :]]))
        elif not line.startswith(b"From "):
            raise MessageFormatError("neither")
    return [(n, b"\r\n".join(p) + b"\r\n") for n, p in fields], body
