"""The host's hand-written hot path agrees with the pydantic wire models (issue 10: cold start).

``nativemsg`` answers ``hello`` and ``ping`` without importing pydantic (building the models
took ~95 ms of a ~110 ms start-up). ``wire`` stays the schema: every request here, good or
hostile, is fed both to the models and to ``Host.triage``, and both must accept or refuse it
alike; every answer the host writes by hand must be one the response models accept and write
the same way. DESIGN.md, "The wire protocol"; RFC 8259 §7 (strings: lone surrogates), §8.1
(UTF-8 on the wire).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import pytest
from minuku import PROTOCOL_VERSION, __version__
from minuku.nativemsg import (
    ERROR_CODES,
    CheckJob,
    Host,
    _frame,
    error_frame,
    hello_frame,
    loads,
    pong_frame,
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
