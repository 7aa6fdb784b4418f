"""The core returns plain data; pydantic validates it only where it leaves the host.

``check()`` and ``banner.render`` build ``payload.BannerPayload`` (dataclasses, no pydantic);
``wire.payload_model`` / ``wire.payload_json`` and ``wire.ResultResponse`` validate it at the
boundary. These tests keep the two shapes equal and the default CLI path free of pydantic.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import typing

import pytest
from minuku import payload, wire
from minuku.check import CheckOptions, check
from paths import ROOT

PHISH = ROOT / "examples" / "amazon-keiyaku-furikou-phish.eml"

PAIRS = [
    (payload.Brand, wire.Brand),
    (payload.Reason, wire.Reason),
    (payload.AuthLine, wire.AuthLine),
    (payload.ReceivedAuthres, wire.ReceivedAuthres),
    (payload.AuthSummaryPayload, wire.AuthSummaryPayload),
    (payload.Advice, wire.Advice),
    (payload.BannerPayload, wire.BannerPayload),
]


@pytest.mark.parametrize(("plain", "model"), PAIRS, ids=[p.__name__ for p, _ in PAIRS])
def test_plain_payload_has_the_wire_models_fields_in_order(plain: type, model: type) -> None:
    # The JSON's key order is the model's field order: the twin must not drift from it.
    assert [f.name for f in dataclasses.fields(plain)] == list(model.model_fields)


def test_plain_literals_are_the_wire_literals() -> None:
    hints = typing.get_type_hints(payload.BannerPayload)
    assert typing.get_args(hints["verdict"]) == ("danger", "warning", "caution", "ok", "unknown")
    assert wire.Lang is payload.Lang and wire.Verdict is payload.Verdict


def test_check_returns_plain_data_that_the_wire_validates_unchanged() -> None:
    p = check(PHISH.read_bytes(), options=CheckOptions(offline=True))
    assert isinstance(p, payload.BannerPayload)
    assert p.verdict == "danger" and p.brand is not None and p.brand.id == "amazon"
    model = wire.payload_model(p)
    # Validation changes nothing: the plain tree is exactly the wire JSON.
    assert json.loads(model.model_dump_json()) == dataclasses.asdict(p)
    # The host hands the plain payload straight to the response model.
    resp = wire.ResultResponse(id="r1", payload=p)
    assert resp.payload == model
    assert wire.payload_model(model) is model


def test_the_wire_refuses_a_plain_payload_that_breaks_the_schema() -> None:
    # A bug in the core (a verdict outside the five) is caught at the boundary, not sent.
    p = check(PHISH.read_bytes(), options=CheckOptions(offline=True))
    bad = dataclasses.replace(p, verdict="fine")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="verdict"):
        wire.payload_model(bad)


_PROBE = """
import contextlib, io, sys
from minuku.cli import main
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    code = main(sys.argv[1:])
sys.stderr.write(f"{code} {'pydantic' in sys.modules} {len(buf.getvalue())}\\n")
sys.stdout.write(buf.getvalue())
"""


def _cli(*args: str) -> tuple[int, bool, str]:
    env_path = str(ROOT / "host")
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": env_path, "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    code, loaded, _ = proc.stderr.strip().splitlines()[-1].split()
    return int(code), loaded == "True", proc.stdout


def test_cli_check_report_does_not_load_pydantic() -> None:
    code, loaded, out = _cli("check", "--offline", "--lang", "en", str(PHISH))
    assert code == 2 and "DANGER" in out
    assert not loaded


def test_cli_check_json_validates_through_the_wire_model() -> None:
    code, loaded, out = _cli("check", "--json", "--offline", "--lang", "en", str(PHISH))
    assert code == 2 and loaded
    assert wire.BannerPayload.model_validate_json(out).verdict == "danger"
    assert out.startswith('{\n  "verdict": "danger",')  # indent=2, the models' order
