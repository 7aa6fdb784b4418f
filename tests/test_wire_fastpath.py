"""The host's hand-written hot path agrees with the pydantic wire models (issue 10: cold start).

``nativemsg`` answers ``hello`` and ``ping`` without importing pydantic (building the models
took ~95 ms of a ~110 ms start-up). ``wire`` stays the schema: every request here, good or
hostile, is fed both to the models and to ``Host.triage``, and both must accept or refuse it
alike; every answer the host writes by hand must be one the response models accept and write
the same way. DESIGN.md, "The wire protocol"; RFC 8259 §7 (strings: lone surrogates), §8.1
(UTF-8 on the wire).
"""

from __future__ import annotations

import base64
import binascii
import io
import itertools
import json
import mmap
import os
import random
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from minuku import PROTOCOL_VERSION, __version__
from minuku.nativemsg import (
    ERROR_CODES,
    Base64Pieces,
    CheckJob,
    FrameError,
    Host,
    _frame,
    _message_bytes,
    error_frame,
    find_message,
    hello_frame,
    loads,
    pong_frame,
    read_frame,
)
from minuku.wire import (
    ErrorCode,
    ErrorResponse,
    HelloResponse,
    PongResponse,
    Request,
)
from pydantic import TypeAdapter, ValidationError

ROOT = Path(__file__).resolve().parent.parent

_REQUEST = TypeAdapter(Request)


def model_accepts(body: bytes) -> bool:
    """The schema's word: the body is one valid request (the models' own JSON parser)."""
    try:
        _REQUEST.validate_json(body)
    except ValidationError:
        return False
    return True


def host_accepts(body: bytes) -> bool:
    """The host's word: an answer (pong, hello) or a job (check), not an error."""
    answer = Host().triage(body)
    if isinstance(answer, CheckJob):
        return True
    return bool(json.loads(answer)["type"] != "error")


def answer_of(body: bytes) -> dict[str, Any]:
    answer = Host().triage(body)
    assert isinstance(answer, bytes)
    result: dict[str, Any] = json.loads(answer)
    return result


def req(kind: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"type": kind, "protocol_version": 1, "id": "r1"}
    if kind == "check":
        base["message"] = ""
    base.update(fields)
    return {k: v for k, v in base.items() if v is not _DROP}


_DROP = object()
KINDS = ["hello", "ping", "check"]

# (name, fields) applied to each kind; raw JSON where Python's json cannot write it.
HOSTILE: list[tuple[str, dict[str, Any]]] = [
    ("plain", {}),
    ("id_64_chars", {"id": "長" * 64}),
    ("id_65_chars", {"id": "x" * 65}),
    ("id_ten_megabytes", {"id": "i" * (10 * 1024 * 1024)}),
    ("id_empty", {"id": ""}),
    ("id_int", {"id": 7}),
    ("id_null", {"id": None}),
    ("id_list", {"id": ["a"]}),
    ("id_true", {"id": True}),
    ("id_missing", {"id": _DROP}),
    ("id_quotes_and_controls", {"id": '"\\\n\x00\u2028</script>'}),
    ("version_true", {"protocol_version": True}),
    ("version_false", {"protocol_version": False}),
    ("version_float", {"protocol_version": 1.0}),
    ("version_string", {"protocol_version": "1"}),
    ("version_null", {"protocol_version": None}),
    ("version_missing", {"protocol_version": _DROP}),
    ("extra_field", {"extra": 1}),
    ("extra_field_named_like_a_prototype", {"__proto__": {"admin": True}}),
    ("type_missing", {"type": _DROP}),
    ("type_list", {"type": ["ping"]}),
    ("type_upper", {"type": "PING"}),
    ("type_unknown", {"type": "launch"}),
]
HELLO_ONLY: list[tuple[str, dict[str, Any]]] = [
    ("client_version", {"client_version": "0.1.0"}),
    ("client_version_64", {"client_version": "v" * 64}),
    ("client_version_65", {"client_version": "v" * 65}),
    ("client_version_int", {"client_version": 1}),
    ("client_version_null", {"client_version": None}),
]
CHECK_ONLY: list[tuple[str, dict[str, Any]]] = [
    ("message_missing", {"message": _DROP}),
    ("message_int", {"message": 5}),
    ("options_offline", {"options": {"offline": True, "locale": "ja"}}),
    ("options_extra", {"options": {"evil": 1}}),
    ("options_locale_fr", {"options": {"locale": "fr"}}),
    ("options_nameserver_hostname", {"options": {"nameservers": ["dns.example"]}}),
    ("options_33_authserv_ids", {"options": {"trusted_authserv_ids": ["mx"] * 33}}),
    ("options_list", {"options": []}),
]
# Bodies Python's json.dumps cannot produce: JSON escapes that are not Unicode (RFC 8259 §8.2).
RAW: list[tuple[str, bytes]] = [
    ("id_lone_surrogate", b'"id": "\\ud800"'),
    ("id_lone_low_surrogate", b'"id": "a\\udfff"'),
    ("key_lone_surrogate", b'"id": "k", "\\udfff": 1'),
    ("client_version_lone_surrogate", b'"id": "k", "client_version": "\\ud800"'),
    ("duplicate_id_last_wins", b'"id": 7, "id": "ok"'),
]


def _cases() -> list[Any]:
    cases = []
    for kind in KINDS:
        extra = {"hello": HELLO_ONLY, "check": CHECK_ONLY}.get(kind, [])
        for name, fields in HOSTILE + extra:
            body = json.dumps(req(kind, **fields)).encode()
            cases.append(pytest.param(body, id=f"{kind}-{name}"))
        for name, tail in RAW:
            message = b', "message": ""' if kind == "check" else b""
            body = (
                b'{"type": "'
                + kind.encode()
                + b'", "protocol_version": 1, '
                + tail
                + message
                + b"}"
            )
            cases.append(pytest.param(body, id=f"{kind}-{name}"))
    return cases


@pytest.mark.parametrize("body", _cases())
def test_host_and_models_accept_and_refuse_the_same_requests(body: bytes) -> None:
    assert host_accepts(body) == model_accepts(body), body[:200]


def test_the_hostile_list_is_not_all_accepted_or_all_refused() -> None:
    verdicts = [model_accepts(p.values[0]) for p in _cases()]
    assert verdicts.count(True) >= 10 and verdicts.count(False) >= 40


def test_hello_from_another_protocol_version_is_answered_whatever_it_carries() -> None:
    """The version handshake: an add-on speaking protocol 2 may send fields this host does not
    know; it must still learn that it is incompatible, not get a bad_request."""
    body = json.dumps(req("hello", protocol_version=2, features=["x"], client_version=9)).encode()
    answer = answer_of(body)
    assert answer["type"] == "hello" and answer["compatible"] is False and answer["id"] == "r1"


@pytest.mark.parametrize("version", [2, 0, -1, 10**400])
@pytest.mark.parametrize("kind", ["ping", "check"])
def test_other_requests_from_another_protocol_version_are_unsupported(
    kind: str, version: int
) -> None:
    body = json.dumps(req(kind, protocol_version=version, extra=1)).encode()
    answer = answer_of(body)
    assert answer["code"] == "unsupported_version" and answer["id"] == "r1"


IDS = ["r1", "長" * 64, '"\\\n\x00\u2028</script>', "\U0001f600", "a b", "\x7f\x1f"]


@pytest.mark.parametrize("rid", IDS)
def test_pong_is_written_as_the_model_writes_it(rid: str) -> None:
    body = pong_frame(rid)
    assert PongResponse.model_validate_json(body) == PongResponse(id=rid)
    assert body == PongResponse(id=rid).model_dump_json().encode()  # byte for byte


@pytest.mark.parametrize("version", [1, 0, 2, -(2**63), 10**30])
def test_hello_is_written_as_the_model_writes_it(version: int) -> None:
    body = hello_frame("h", version)
    model = HelloResponse(
        id="h",
        host_version=__version__,
        min_protocol_version=1,
        max_protocol_version=PROTOCOL_VERSION,
        compatible=version == 1,
    )
    assert HelloResponse.model_validate_json(body) == model
    assert body == model.model_dump_json().encode()


@pytest.mark.parametrize(
    ("code", "message", "rid"),
    [
        ("bad_request", "plain", "r"),
        ("not_json", 'quotes " and \\ and \x00 and \u2028', None),
        ("bad_request", "a key with a lone surrogate: \udfff", "k"),
        ("bad_request", "long " * 10_000, "r"),
        ("bad_request", "id not echoed", "\ud800"),
        ("bad_request", "id not echoed", "x" * 65),
        ("no_such_code", "an unknown code becomes internal_error", "r"),
    ],
)
def test_error_frames_are_valid_utf8_and_valid_error_responses(
    code: str, message: str, rid: str | None
) -> None:
    body = error_frame(code, message, rid)
    body.decode("utf-8")  # RFC 8259 §8.1: the frame is UTF-8, whatever the request held
    resp = ErrorResponse.model_validate_json(body)
    assert resp.id == (rid if rid in ("r", "k") else None)
    assert len(resp.message) <= 500
    assert resp.code == (code if code in ERROR_CODES else "internal_error")
    assert body == resp.model_dump_json().encode()


# RFC 8259: white space (§2), numbers (§6), strings and escapes (§7), UTF-8 (§8.1); and what
# Python's json takes beyond it (NaN, Infinity), which the host must take the same way.
JSON_TEXTS = [
    '{"a":1}',
    ' \t\r\n{"a": [1, 2.5, null, true, false, "x\\u00e9"]} \n',
    "\ufeff{}",  # a byte order mark: json.loads refuses it
    "{} x",
    "{}{}",
    "",
    "   ",
    "\u00a0{}",  # no-break space is not JSON white space
    "NaN",
    "[Infinity, -Infinity]",
    "[1e999, -0, 0.1e-400]",
    '{"a":1,"a":2}',
    '"\\ud800"',
    '{"\\udfff": 1}',
    "[" * 100_000,
    "[" * 100_000 + "]" * 100_000,
    '{"a":"b\tc"}',  # a raw control character in a string (strict)
    "1" * 4000,
    "1" * 5000,  # over Python's int digit limit
    '{"a" 1}',
    "[1,]",
    "tru",
    "{}\x00",
    '"\\u12"',
    '{"type": "ping", "protocol_version": 1, "id": "p"}',
]


@pytest.mark.parametrize("text", JSON_TEXTS, ids=range(len(JSON_TEXTS)))
def test_the_hosts_json_reader_is_json_loads(text: str) -> None:
    def outcome(fn: Any) -> tuple[str, str]:
        try:
            return ("ok", repr(fn(text)))
        except (ValueError, RecursionError):
            return ("error", "")

    assert outcome(loads) == outcome(json.loads)


@pytest.mark.parametrize("rid", IDS)
def test_the_hosts_json_writer_is_json_dumps(rid: str) -> None:
    fields: dict[str, Any] = {"type": "x", "id": rid, "n": -(2**70), "t": True, "f": False}
    fields["none"] = None
    body = error_frame("bad_request", rid, rid)  # message and id: the same hostile string
    assert json.loads(body)["message"] == rid.encode("utf-8", "replace").decode("utf-8")
    assert _frame(fields) == json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def test_error_codes_are_the_models_error_codes() -> None:
    assert set(get_args(ErrorCode)) == ERROR_CODES


def _python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "host")}
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def test_hello_ping_and_bad_frames_never_import_pydantic() -> None:
    """The first answer must not wait on pydantic (~95 ms of model building on this machine)."""
    out = _python(
        "import sys, json\n"
        "from minuku.nativemsg import Host\n"
        "h = Host()\n"
        'for body in [b\'{"type":"hello","protocol_version":1,"id":"h","client_version":"1"}\',\n'
        '             b\'{"type":"ping","protocol_version":1,"id":"p"}\',\n'
        '             b\'{"type":"ping","protocol_version":1,"id":"p","x":1}\',\n'
        '             b\'{"type":"ping","protocol_version":true,"id":"p"}\',\n'
        '             b\'\\xff\', b\'[\', b\'{"type":"launch","protocol_version":1,"id":"l"}\']:\n'
        "    print(json.loads(h.handle(body)).get('code'))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'typing', 'logging')))\n"
    )
    assert out.splitlines() == [
        "None",
        "None",
        "bad_request",
        "bad_request",
        "not_utf8",
        "not_json",
        "bad_request",
        "[]",
    ]
    # hello and ping alone do not even load the json package (it imports re and enum)
    out = _python(
        "import sys\n"
        "from minuku.nativemsg import Host\n"
        "h = Host()\n"
        'h.handle(b\'{"type":"hello","protocol_version":1,"id":"h"}\')\n'
        'h.handle(b\'{"type":"ping","protocol_version":1,"id":"p"}\')\n'
        "print(sorted(m for m in ('json', 're', 'enum', 'pydantic') if m in sys.modules))\n"
    )
    assert out == "[]"


def test_python_m_minuku_host_reaches_the_loop_without_the_cli() -> None:
    """`python -m minuku host` (the installed launcher) imports neither the cli module, nor
    argparse, nor pydantic before it reads its first frame (here: EOF at once)."""
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "minuku", "host", "/x/m.json", "minuku@x"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT / "host")},
        stdin=subprocess.DEVNULL,
    )
    assert p.returncode == 0 and p.stdout == ""
    imported = {line.rsplit("|", 1)[1].strip() for line in p.stderr.splitlines() if "|" in line}
    assert "minuku.nativemsg" in imported
    assert not imported & {"minuku.cli", "argparse", "pydantic", "minuku.wire", "typing"}


def test_host_with_a_bad_nameserver_is_a_usage_error() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "minuku", "host", "--nameserver", "dns.example", "/x/m.json", "id"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT / "host")},
        stdin=subprocess.DEVNULL,
    )
    assert p.returncode == 4 and "--nameserver" in p.stderr and p.stdout == ""


# ---- a big check frame: the message found in the bytes (issue 10: host memory) -----------------
#
# A frame of BIG_FRAME_BYTES or more has its message found in the frame bytes, the rest parsed
# alone, and the base64 decoded in place. Whatever the frame holds, the answer must be the
# general path's: the same error (code, message, id) or the same request and the same message
# bytes. ``Host(big_frame_bytes=0)`` sends every frame that way, so small hostile frames test it.


def outcome_of(host: Host, body: bytes | mmap.mmap) -> tuple[str, Any]:
    """("answer", the frame) or ("check", request fields, the decoded message or error)."""
    answer = host.triage(body)
    if isinstance(answer, bytes):
        return ("answer", answer)
    fields = answer.req.model_dump(exclude={"message"})
    try:
        raw: Any = whole(_message_bytes(answer.req.message, answer.frame, answer.span))
    except FrameError as exc:
        raw = (exc.code, str(exc))
    return ("check", (fields, raw))


def whole(raw: bytes | Base64Pieces) -> bytes:
    return raw if isinstance(raw, bytes) else b"".join(raw)


def big_path_used(body: bytes) -> bool:
    answer = Host(big_frame_bytes=0).triage(body)
    return isinstance(answer, CheckJob) and answer.span is not None


def assert_same_both_ways(body: bytes) -> tuple[str, Any]:
    general = outcome_of(Host(big_frame_bytes=len(body) + 1), body)
    big = outcome_of(Host(big_frame_bytes=0), body)
    assert big == general, body[:300]
    return big


@pytest.mark.parametrize("body", _cases())
def test_big_frame_path_answers_every_hostile_request_as_the_general_path(body: bytes) -> None:
    assert_same_both_ways(body)


def check_frame(middle: bytes) -> bytes:
    return b'{"type":"check","protocol_version":1,"id":"c",' + middle + b"}"


MSG_A = base64.b64encode(b"From: a@example.com\r\n\r\nAAAA")
MSG_B = base64.b64encode(b"From: b@example.com\r\n\r\nBBBB, a longer body than A's")


def test_add_on_shaped_frame_takes_the_big_path_and_decodes_exactly() -> None:
    """As extension/lib/hostclient.js writes it: {...fields, id}, so the id comes last."""
    raw = bytes(range(256)) * 1000  # every byte value, 256 kB: over BIG_FRAME_BYTES
    body = json.dumps(
        {
            "type": "check",
            "protocol_version": 1,
            "message": base64.b64encode(raw).decode(),
            "options": {"locale": "ja", "offline": True, "trusted_authserv_ids": []},
            "id": "m1",
        },
        separators=(",", ":"),
    ).encode()
    answer = Host().triage(bytearray(body))
    assert isinstance(answer, CheckJob) and answer.span is not None
    assert answer.req.options.offline is True and answer.req.options.locale == "ja"
    assert answer.req.message == ""  # the message stays in the frame, not in a str
    pieces = _message_bytes("", answer.frame, answer.span)
    assert isinstance(pieces, Base64Pieces) and len(pieces) == len(raw)
    assert whole(pieces) == raw


def test_message_given_twice_the_last_one_wins_on_the_big_path() -> None:
    """RFC 8259 §4 leaves duplicate names open; json.loads and pydantic keep the last one, and
    so must the big path (whichever of the two is the longer)."""
    for first, last in ((MSG_A, MSG_B), (MSG_B, MSG_A)):
        body = check_frame(b'"message":"' + first + b'","message":"' + last + b'"')
        kind, (_fields, raw) = assert_same_both_ways(body)
        assert kind == "check" and raw == base64.b64decode(last)


def test_escaped_characters_inside_the_base64_are_read_as_json_reads_them() -> None:
    """RFC 8259 §7: "\\/" is "/" and "\\u0051" is "Q". The big path takes only plain base64
    text; an escaped one goes the general path, which decodes the escapes first."""
    text = base64.b64encode(b"\xfb\xff\xbf" * 30).decode()
    assert "/" in text
    for escaped in (text.replace("/", "\\/"), "\\u00" + f"{ord(text[0]):02x}" + text[1:]):
        body = check_frame(b'"message":"' + escaped.encode() + b'"')
        assert find_message(body) is None
        kind, (_fields, raw) = assert_same_both_ways(body)
        assert kind == "check" and raw == b"\xfb\xff\xbf" * 30


def test_line_breaks_escaped_in_the_base64_are_stripped_as_before() -> None:
    """base64 with "\\r\\n" escapes (a 76-column encoder) is valid today: the general path
    splits on white space; the big path must not refuse it."""
    text = base64.encodebytes(b"x" * 300).decode().replace("\n", "\\r\\n")
    kind, (_fields, raw) = assert_same_both_ways(check_frame(b'"message":"' + text.encode() + b'"'))
    assert kind == "check" and raw == b"x" * 300


def test_message_inside_another_string_is_not_taken_for_the_message() -> None:
    """A key that contains "message (an escaped quote, then message) before the real one."""
    decoy = b'"\\"message":"' + MSG_B + b'",'
    body = check_frame(decoy + b'"message":"' + MSG_A + b'"')
    assert find_message(body) is not None  # the decoy is found (it is the longest) ...
    kind, answer = assert_same_both_ways(body)  # ... and refused: an unknown field
    assert kind == "answer" and json.loads(answer)["code"] == "bad_request"
    # The same decoy as the id's text, which the id's length check refuses.
    body = check_frame(b'"id":"x\\"message\\":\\"' + MSG_B + b'","message":"' + MSG_A + b'"')
    assert_same_both_ways(body)


def test_message_in_a_nested_object_is_not_the_message() -> None:
    nested = b'"options":{"message":"' + MSG_B + b'"}'
    for body in (check_frame(nested), check_frame(b'"message":"' + MSG_A + b'",' + nested)):
        kind, answer = assert_same_both_ways(body)
        assert kind == "answer" and json.loads(answer)["code"] == "bad_request"
    # A message nested one level down and none at the top: the request has no message.
    kind, answer = assert_same_both_ways(
        b'{"type":"check","protocol_version":1,"id":"c","x":{"message":"' + MSG_A + b'"}}'
    )
    assert kind == "answer" and json.loads(answer)["code"] == "bad_request"


def test_huge_fields_beside_the_message_get_the_general_answer() -> None:
    msg = b'"message":"' + MSG_A + b'"'
    for body in (
        check_frame(b'"pad":"' + b"A" * (2 << 20) + b'",' + msg),  # a 2 MB base64-looking field
        b'{"type":"check","protocol_version":1,"id":"' + b"i" * (2 << 20) + b'",' + msg + b"}",
        check_frame(msg + b',"options":{"trusted_authserv_ids":["' + b"m" * (1 << 20) + b'"]}'),
        check_frame(msg + b',"options":' + b"[" * 100_000),
    ):
        kind, answer = assert_same_both_ways(body)
        assert kind == "answer" and json.loads(answer)["type"] == "error"


def test_frame_full_of_message_keys_goes_the_general_way() -> None:
    body = check_frame(b"".join(b'"message":"' + MSG_A + b'",' for _ in range(40)) + b'"x":1')
    assert find_message(body) is None
    assert_same_both_ways(body)


@pytest.mark.parametrize(
    "middle",
    [
        b'"message" \t:\r\n "' + MSG_A + b'"',  # RFC 8259 §2: white space around the colon
        b'"message":"' + MSG_A + b'"  ',
        b'"message":"' + MSG_A + b'"} trailing',
        b'"message":"' + MSG_A,  # the string never ends
        b'"message":"' + MSG_A + b'","id":"\xff\xfe"',  # not UTF-8 after the message
        b'"message":"' + MSG_A + b'","id":"\\ud800"',  # a lone surrogate after it
        b'"message":"' + MSG_A + b'",',  # a trailing comma
        b'"message":"' + MSG_A + b'","message":5',  # the last message is not a string
        b'"message":' + MSG_A,  # not a string at all
        b'"message":"' + MSG_A[:-1] + b'"',  # bad base64 length
        b'"message":"' + MSG_A[:4] + b"=" + MSG_A[4:] + b'"',  # padding in the middle
        b'"message":"==' + MSG_A + b'"',  # leading padding
        b'"message":"' + MSG_A + b'===="',  # too much padding
        b'"message":"' + MSG_A[:8] + b" " + MSG_A[8:] + b'"',  # a space: stripped as before
        b'"message":"' + MSG_A[:8] + "\u00a0".encode() + MSG_A[8:] + b'"',  # a no-break space
        b'"message":"' + MSG_A[:8] + b"\t" + MSG_A[8:] + b'"',  # a raw tab: not JSON
        b'"message":"-_' + MSG_A + b'"',  # the URL-safe alphabet is not base64 here
        b'"message":""',
        b'"message":"' + base64.b64encode(b"x" * (24 * 1024 * 1024 + 1)) + b'"',  # 32 MB of text
    ],
    ids=lambda m: repr(m[:40]),
)
def test_hostile_message_strings_get_the_general_answer(middle: bytes) -> None:
    assert_same_both_ways(check_frame(middle))


def test_message_over_the_cap_is_refused_before_decoding_on_the_big_path() -> None:
    text = b"QUFB" * ((32 * 1024 * 1024 + 3) // 3 + 3)  # base64 of just over 32 MB
    answer = Host(big_frame_bytes=0).triage(check_frame(b'"message":"' + text + b'"'))
    assert isinstance(answer, CheckJob) and answer.span is not None
    with pytest.raises(FrameError) as err:
        _message_bytes("", answer.frame, answer.span)
    assert err.value.code == "message_too_large"


def a2b_strict(text: bytes) -> bytes | None:
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error:
        return None


def in_place(text: bytes, before: bytes = b"{...", after: bytes = b"...}") -> bytes | None:
    """The message Base64Pieces gives for ``text`` inside a frame, or None when it refuses it;
    checks that it gives as many pieces and bytes as it announces."""
    try:
        pieces = Base64Pieces(before + text + after, len(before), len(before) + len(text))
    except binascii.Error:
        return None
    got = list(pieces)
    assert len(got) == pieces.count and sum(map(len, got)) == len(pieces)
    return b"".join(got)


B64_EDGES = [b"", b"Q", b"QQ", b"QQ=", b"QQ==", b"QUI", b"QUI=", b"QUJD", b"QUJD=", b"QUJD=="]
B64_EDGES += [b"=", b"==", b"===", b"QUJDRA==", b"QUJDRA=", b"QUJDRA", b"QUJDRA==QUJD", b"QR=="]
B64_EDGES += [b"QUJD" * 5 + b"Q===", b"Q=Q=", b"QUJD====", b"QUJ=RA=="]


@pytest.mark.parametrize("text", B64_EDGES)
def test_base64_pieces_are_strict_a2b_base64_on_padding_edges(text: bytes) -> None:
    """RFC 4648 §4 and §3.3: padding only at the end, no data after it, whole quads."""
    assert in_place(text) == a2b_strict(text)


def test_base64_pieces_are_strict_a2b_base64_on_every_short_text() -> None:
    """Every text of up to 8 characters from "Q", "A", "=" and "-": each place of the padding,
    and a character outside the alphabet."""
    for n in range(9):
        for chars in itertools.product((b"Q", b"A", b"=", b"-"), repeat=n):
            text = b"".join(chars)
            assert in_place(text) == a2b_strict(text), text


def test_base64_pieces_are_strict_a2b_base64_across_chunk_boundaries() -> None:
    rnd = random.Random(10)
    data = rnd.randbytes(3 * 1024 * 1024 + 7)  # base64 over 4 MB: several 1 MiB steps
    text = base64.b64encode(data)
    assert in_place(text) == data
    # As serve() reads a big frame: into an anonymous mmap, whose pages are given back as the
    # pieces go; it is closed once they are all given.
    frame = mmap.mmap(-1, len(text) + 20)
    frame[10 : 10 + len(text)] = text
    pieces = Base64Pieces(frame, 10, 10 + len(text))
    assert b"".join(pieces) == data and frame.closed
    with pytest.raises(RuntimeError):  # read once
        list(pieces)
    for n in (0, 1, 2, 3, 4, 5, 1 << 20, (1 << 20) + 1, (1 << 20) + 2, len(text) - 1):
        assert in_place(text[:n]) == a2b_strict(text[:n]), n
    for _ in range(200):  # a "=" dropped anywhere
        cut = bytearray(text[: rnd.randrange(0, 64)])
        if cut:
            cut[rnd.randrange(len(cut))] = ord("=")
        assert in_place(bytes(cut)) == a2b_strict(bytes(cut)), bytes(cut)


def framed(body: bytes) -> io.BytesIO:
    return io.BytesIO(struct.pack("=I", len(body)) + body)


@pytest.mark.parametrize("body", _cases()[::3])
def test_a_frame_read_into_an_mmap_is_answered_as_its_bytes_are(body: bytes) -> None:
    """read_frame puts a frame of 1 MiB or more into an anonymous mmap; every request, padded
    to that size with white space after the object (RFC 8259 §2), is answered as before."""
    padded = body + b" " * (1 << 20)
    mapped = read_frame(framed(padded), len(padded))
    assert isinstance(mapped, mmap.mmap)
    assert outcome_of(Host(), mapped) == outcome_of(Host(), padded)


def test_big_frame_cut_short_is_truncated_not_padded_with_zeros() -> None:
    """A frame that announces 3 MiB and ends after 10 bytes: the body read is those 10 bytes,
    and the stream is reported truncated (the mmap's untouched zero pages are never a body)."""
    stream = io.BytesIO(struct.pack("=I", 3 << 20) + b'{"type":"c')
    with pytest.raises(FrameError) as err:
        read_frame(stream, 4 << 20)
    assert err.value.code == "frame_truncated" and err.value.fatal
    assert "got 10" in str(err.value)


# Bytes that matter to JSON, to base64 and to the search for the message.
_SIGNIFICANT = [b'"', b"\\", b":", b",", b"{", b"}", b"[", b"]", b" ", b"=", b"/", b"+", b"A"]
_SIGNIFICANT += [b'"message"', b'"message":"', b"\\u0041", b"\\/", b"\xff", b"\n", b"\xc2\xa0"]
_SEED_FRAMES = [
    check_frame(b'"message":"' + MSG_A + b'"'),
    check_frame(b'"message":"' + MSG_B + b'","options":{"offline":true,"locale":"en"}'),
    b'{"type":"check","protocol_version":1,"message":"' + MSG_A + b'","options":{},"id":"m1"}',
    check_frame(b'"message":"' + MSG_A + b'","message":"' + MSG_B + b'"'),
]


@st.composite
def mutated_frames(draw: st.DrawFn) -> bytes:
    body = bytearray(draw(st.sampled_from(_SEED_FRAMES)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.sampled_from(_SIGNIFICANT))
        if kind == "insert":
            body[at:at] = piece
        elif kind == "delete":
            del body[at : at + draw(st.integers(1, 8))]
        else:
            body[at : at + len(piece)] = piece
    return bytes(body)


@settings(max_examples=600, deadline=None)
@given(body=mutated_frames())
def test_fuzz_big_path_answers_mutated_check_frames_as_the_general_path(body: bytes) -> None:
    """Check frames with JSON- and base64-significant bytes inserted, deleted or replaced
    anywhere (quotes, escapes, "message" keys, padding, bytes that are not UTF-8, white space
    beyond ASCII): both paths give the same answer, or the same request and message bytes."""
    assert_same_both_ways(body)
