"""The minuku command's exact forms: exit codes, --json, domain, scan, schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from minuku.wire import json_schema
from paths import EXAMPLES, ROOT

PHISH = str(EXAMPLES / "amazon-keiyaku-furikou-phish.eml")
HARMLESS = str(EXAMPLES / "harmless.eml")
GENUINE = str(EXAMPLES / "amazon-genuine-notice.eml")
SPOOFED = str(EXAMPLES / "amazon-spoofed-from.eml")
FIXTURE = str(EXAMPLES / "dns-fixture.json")


def minuku(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "minuku", *args],
        input=stdin.decode("latin-1") if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8"},
    )


def test_check_phish_offline_is_danger_naming_amazon_and_the_domain() -> None:
    p = minuku("check", "--offline", "--json", PHISH)
    assert p.returncode == 2, p.stderr
    payload = json.loads(p.stdout)
    assert payload["verdict"] == "danger"
    assert payload["brand"]["id"] == "amazon"
    assert any("amazon-co-jp-security.com" in r["text"] for r in payload["reasons"])
    assert payload["reasons"][0]["severity"] == "danger"


def test_check_harmless_offline_is_ok() -> None:
    p = minuku("check", "--offline", "--json", HARMLESS)
    assert p.returncode == 0, p.stdout
    assert json.loads(p.stdout)["verdict"] == "ok"


def test_check_human_output_in_japanese() -> None:
    p = minuku("check", "--offline", "--lang", "ja", PHISH)
    assert p.returncode == 2
    assert "DANGER" in p.stdout
    assert "Amazon" in p.stdout and "amazon-co-jp-security.com" in p.stdout
    assert "メッセージセンター" in p.stdout
    assert "\033[" not in p.stdout  # no colour when not a terminal


def test_check_reads_stdin() -> None:
    p = minuku("check", "--offline", "--json", "-", stdin=Path(PHISH).read_bytes())
    assert p.returncode == 2
    assert json.loads(p.stdout)["verdict"] == "danger"


def test_dns_fixture_gives_verdicts_from_our_own_verification() -> None:
    p = minuku("check", "--dns-fixture", FIXTURE, "--json", GENUINE)
    payload = json.loads(p.stdout)
    assert payload["verdict"] == "ok", payload
    lines = {ln["method"]: ln for ln in payload["auth"]["lines"]}
    assert lines["dkim"]["result"] == "pass"
    assert lines["dmarc"]["result"] == "pass"
    assert lines["spf"]["result"] == "pass"
    p = minuku("check", "--dns-fixture", FIXTURE, "--json", SPOOFED)
    payload = json.loads(p.stdout)
    assert payload["verdict"] == "danger"
    codes = [r["code"] for r in payload["reasons"]]
    assert "dmarc_fail_brand" in codes


def test_usage_and_input_errors_exit_4() -> None:
    assert minuku("check", "/no/such/file.eml").returncode == 4
    assert minuku("check").returncode == 4
    assert minuku("frobnicate").returncode == 4
    assert minuku("check", "--dns-fixture", "/no/such.json", PHISH).returncode == 4
    assert minuku("check", "--offline", "--dns-fixture", FIXTURE, PHISH).returncode == 4


def test_domain_json() -> None:
    p = minuku("domain", "--json", "amazon-co-jp-security.com", "amazon.co.jp", "mazda.co.jp")
    rows = {r["domain"]: r for r in json.loads(p.stdout)}
    assert rows["amazon-co-jp-security.com"]["imitates"] == "amazon"
    assert rows["amazon.co.jp"]["imitates"] is None
    assert rows["mazda.co.jp"]["imitates"] is None


def test_scan_files_dirs_mbox_and_broken_messages(tmp_path: Path) -> None:
    d = tmp_path / "mails"
    d.mkdir()
    (d / "a.eml").write_bytes(Path(PHISH).read_bytes())
    (d / "b.eml").write_bytes(b"\x00\xff garbage without headers")
    mbox = tmp_path / "inbox.mbox"
    mbox.write_bytes(
        b"From - Mon Jan  1 00:00:00 2024\n"
        + Path(HARMLESS).read_bytes().replace(b"\r\n", b"\n")
        + b"\nFrom - Mon Jan  1 00:00:00 2024\n"
        + Path(PHISH).read_bytes()
        + b"\n"
    )
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1700000000.M1.host").write_bytes(Path(HARMLESS).read_bytes())
    p = minuku("scan", "--offline", "--jsonl", str(d), str(mbox), str(maildir), "/no/such/path")
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    by_path = {r["path"]: r for r in rows}
    assert by_path[str(d / "a.eml")]["verdict"] == "danger"
    assert by_path[str(d / "b.eml")]["verdict"] == "unknown"
    assert by_path[f"{mbox}#0"]["verdict"] == "ok"
    assert by_path[f"{mbox}#1"]["verdict"] == "danger"
    assert by_path[str(maildir / "new" / "1700000000.M1.host")]["verdict"] == "ok"
    assert by_path["/no/such/path"]["verdict"] == "unknown" and "error" in by_path["/no/such/path"]
    assert len(rows) == 6


def test_committed_schema_matches_the_models() -> None:
    committed = json.loads((ROOT / "extension" / "wire-schema.json").read_text("utf-8"))
    assert committed == json.loads(json.dumps(json_schema())), (
        "extension/wire-schema.json drifted from minuku.wire: run "
        "`minuku schema -o extension/wire-schema.json`"
    )
    p = minuku("schema")
    assert json.loads(p.stdout) == committed
