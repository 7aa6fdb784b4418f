"""Seeds and mutators for fuzzing the host, shared by tests/test_fuzz.py (Hypothesis) and
bench/fuzz_long.py (a plain random loop of a million inputs).

A mutator takes the mail and ``pick(n)``, which returns an int in [0, n): Hypothesis passes a
drawing function (so failures shrink), the long run a seeded ``random.Random``. The mutations
aim at what hostile senders do: flip bytes, duplicate headers, nest MIME deeply, swap charsets
for dangerous or broken ones, and plant encoded words.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path

Pick = Callable[[int], int]

ROOT = Path(__file__).resolve().parents[1]
LOOKALIKE = "From: Amazon <info@amazon-co-jp-security.com>\n"

_BUILTIN_SEEDS = [
    (
        LOOKALIKE + "To: a@example.jp\nSubject: =?ISO-2022-JP?B?GyRCJSIlXiU+JXMbKEI=?=\n"
        'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="z"\n\n'
        "--z\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes("お客様のアカウントは停止されています".encode()).decode()
        + "--z\nContent-Type: text/html; charset=Shift_JIS\n\n"
        '<a href="https://amazon-co-jp-security.com/login">https://www.amazon.co.jp/</a>\n'
        "--z--\n"
    ).encode(),
    (
        b"Received: from mx.evil.top (mx.evil.top [192.0.2.1]) by mx.example.jp;"
        b" Mon, 1 Jan 2024 00:00:00 +0000\n"
        b"Authentication-Results: mx.example.jp; spf=fail smtp.mailfrom=evil.top;"
        b" dkim=none; dmarc=fail header.from=amazon.co.jp\n"
        b"From: =?utf-8?B?QW1hem9uLmNvLmpw?= <account-update@amazon.co.jp>\n"
        b"Reply-To: support@amazon-help.top\nReturn-Path: <bounce@evil.top>\n"
        b"Subject: =?utf-8?Q?=E3=80=90=E9=87=8D=E8=A6=81=E3=80=91?=\n"
        b"Content-Type: message/rfc822\n\nFrom: x@y.jp\nContent-Type: text/plain; "
        b"charset=euc-jp\n\n"
    )
    + "ログインしてください".encode("euc_jp"),
    b"From: a@example.jp\nSubject: hi\nContent-Type: text/plain; charset*=utf-8''%E3%81%82;"
    b" name*0*=utf-8''a; name*1=b\n\nhello https://www.example.jp/ \n",
]


def seeds() -> list[bytes]:
    """examples/*.eml and a few built-in mails touching every code path."""
    out = [p.read_bytes() for p in sorted((ROOT / "examples").glob("*.eml"))]
    return out + _BUILTIN_SEEDS


CHARSETS = [
    "utf-8",
    "us-ascii",
    "iso-2022-jp",
    "shift_jis",
    "euc-jp",
    "cp932",
    "utf-16",
    "utf-7",
    "unicode_escape",
    "raw_unicode_escape",
    "punycode",
    "idna",
    "rot13",
    "base64",
    "zlib",
    "bz2",
    "undefined",
    "utf\x008",
    "x-unknown",
    "",
    '"',
    "a" * 300,
]

_INTERESTING = [
    b"\x00",
    b"\xff",
    b"\xe9",
    b"\r",
    b"\n",
    b"\n\n",
    b"\r\n\r\n",
    b" ",
    b"\t",
    b":",
    b";",
    b'"',
    b"\\",
    b"=?",
    b"?=",
    b"(",
    b"<",
    b">",
    b"<a ",
    b"<!--",
    b"--",
    b"%",
    b"*0*=",
    b"\xed\xa0\x80",  # a UTF-8-encoded surrogate
    b"+2AA-",
    b"\\ud800",
    b"xn--",
    b"xn--zz--.com",
    b"@",
]


def _pos(data: bytes, pick: Pick) -> int:
    return pick(len(data) + 1)


def flip_byte(data: bytes, pick: Pick) -> bytes:
    if not data:
        return bytes([pick(256)])
    i = pick(len(data))
    return data[:i] + bytes([pick(256)]) + data[i + 1 :]


def insert_interesting(data: bytes, pick: Pick) -> bytes:
    i = _pos(data, pick)
    return data[:i] + _INTERESTING[pick(len(_INTERESTING))] * (1 + pick(4)) + data[i:]


def delete_range(data: bytes, pick: Pick) -> bytes:
    if not data:
        return data
    i = pick(len(data))
    return data[:i] + data[i + 1 + pick(64) :]


MAX_INPUT = 4 * 1024 * 1024  # keep a run's inputs small enough to be many


def _times(n: int, size: int) -> int:
    """``n`` repeats, fewer when they would pass MAX_INPUT: a 4 MB line repeated 3,000 times
    would make the fuzzer itself allocate 12 GB before the cut."""
    return max(1, min(n, MAX_INPUT // max(1, size)))


def duplicate_header(data: bytes, pick: Pick) -> bytes:
    end = data.find(b"\n\n")
    head = data[: end + 1] if end >= 0 else data
    lines = head.split(b"\n")
    if not lines:
        return data
    line = lines[pick(len(lines))] + b"\n"
    i = head.find(line)
    i = 0 if i < 0 else i
    return data[:i] + line * _times(1 + pick(3000), len(line)) + data[i:]


def nest(data: bytes, pick: Pick) -> bytes:
    depth = 1 + pick(120)
    if pick(2):
        wrap = b"Content-Type: message/rfc822\n\n" * depth
        return LOOKALIKE.encode() + wrap + data
    parts = b"".join(
        b'Content-Type: multipart/mixed; boundary="n%d"\n\n--n%d\n' % (k, k) for k in range(depth)
    )
    return LOOKALIKE.encode() + b"MIME-Version: 1.0\n" + parts + data


def swap_charset(data: bytes, pick: Pick) -> bytes:
    cs = CHARSETS[pick(len(CHARSETS))].encode("latin-1")
    hits = list(re.finditer(rb"charset=\"?[^\s;\"]*\"?|=\?[^?\s]*\?", data, re.I))
    if not hits:
        return b"Content-Type: text/plain; charset=" + cs + b"\n" + data
    m = hits[pick(len(hits))]
    new = b"charset=" + cs if m.group(0).lower().startswith(b"charset") else b"=?" + cs + b"?"
    return data[: m.start()] + new + data[m.end() :]


def encoded_words(data: bytes, pick: Pick) -> bytes:
    cs = CHARSETS[pick(len(CHARSETS))].encode("latin-1")
    payload = _INTERESTING[pick(len(_INTERESTING))] * (1 + pick(8))
    if pick(2):
        word = b"=?" + cs + b"?B?" + base64.b64encode(payload) + b"?="
    else:
        word = b"=?" + cs + b"?Q?" + b"".join(b"=%02X" % c for c in payload) + b"?="
    header = [b"Subject: ", b"From: ", b"To: ", b"Content-Type: text/plain; name="][pick(4)]
    line = header + word * (1 + pick(300)) + b" <a@amazon-co-jp-security.com>\n"
    i = 0 if pick(2) else max(0, data.find(b"\n\n") + 1)
    return data[:i] + line + data[i:]


def splice(data: bytes, pick: Pick) -> bytes:
    i, j = _pos(data, pick), _pos(data, pick)
    i, j = min(i, j), max(i, j)
    return data[:i] + data[i:j] * _times(1 + pick(50), j - i) + data[j:]


MUTATORS: list[Callable[[bytes, Pick], bytes]] = [
    flip_byte,
    insert_interesting,
    delete_range,
    duplicate_header,
    nest,
    swap_charset,
    encoded_words,
    splice,
]


def mutate(data: bytes, pick: Pick, rounds: int) -> bytes:
    for _ in range(rounds):
        data = MUTATORS[pick(len(MUTATORS))](data, pick)
        if len(data) > MAX_INPUT:
            data = data[:MAX_INPUT]
    return data


# ---- the properties every input must keep


def check_payload(raw: bytes, resolver: object = None) -> float:
    """Run the check; assert the payload is valid UTF-8 JSON that validates as a
    BannerPayload. Returns the CPU seconds taken (the caller holds the 2 s line)."""
    import dataclasses
    import json
    import time

    from minuku.check import CheckOptions, check
    from minuku.wire import BannerPayload, payload_json

    opts = CheckOptions(offline=resolver is None)
    t = time.process_time()
    p = check(raw, resolver=resolver, options=opts)  # type: ignore[arg-type]
    dt = time.process_time() - t
    json.dumps(dataclasses.asdict(p), ensure_ascii=False).encode("utf-8")
    body = payload_json(p).encode("utf-8")
    BannerPayload.model_validate_json(body)
    return dt


def check_view(raw: bytes) -> None:
    """parse_message never raises and every string it returns is valid Unicode."""
    from minuku.message import parse_message

    v = parse_message(raw)
    strings = [v.subject, v.text, v.html_text, *v.received, *v.authentication_results]
    strings += [x for kv in v.headers for x in kv] + list(v.defects) + list(v.skipped)
    strings += [x for a in (*v.from_, *v.reply_to) for x in (a.display_name, a.addr)]
    strings += [x for ln in v.links for x in (ln.href, ln.text, ln.host or "")]
    for s in strings:
        s.encode("utf-8")


def check_frames(stream_bytes: bytes) -> None:
    """read_frame yields bodies or FrameError; triage answers each body with valid UTF-8
    JSON carrying a type (or hands a valid check on as a job) and never raises."""
    import io
    import json

    from minuku.nativemsg import CheckJob, FrameError, Host, read_frame

    host = Host()
    stream = io.BytesIO(stream_bytes)
    for _ in range(64):
        try:
            body = read_frame(stream, 1 << 20)
        except FrameError as exc:
            if exc.fatal:
                return
            continue
        if body is None:
            return
        answer = host.triage(body)
        if isinstance(answer, CheckJob):
            continue
        obj = json.loads(answer.decode("utf-8"))
        assert obj["type"] in ("error", "pong", "hello", "result"), obj
