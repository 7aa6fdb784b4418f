"""Peak memory of one big message: ``check`` in a child process, and through the host.

    .venv-test/bin/python bench/bench_memory.py [--mb 30]

The message is generated: multipart/mixed with a short text/plain part, a big base64 text/html
part (about a quarter of the size, a table of links and text) and three big base64 attachments (PDF,
JPEG, ZIP-shaped random bytes), DKIM-signed (relaxed/relaxed, the whole body) with a key that
the DNS fixture publishes, so the check hashes the whole body as it would online.

Each figure is the peak RSS (``resource.getrusage(...).ru_maxrss``) of a fresh child process:

- ``check``: the child imports minuku, reads the message (baseline), then runs ``check`` with
  the fixture resolver; printed: baseline, peak, and the peak over the message size.
- ``host``: ``minuku host --nameserver`` (a local DNS server, ``tests/localdns.py``, serving
  the same records) gets one check request frame (base64, as the add-on sends it) and answers; the figure is the largest peak among the host and its
  worker processes (``os.wait4`` gives the host's own rusage, which covers the workers it
  waited for; /proc status ``VmHWM`` of each live process is read too, before the host ends).

Target (issue 10): peak RSS <= 3x the message size in both.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import dkim

sys.path.insert(0, str(Path(__file__).parent))
from corpus import _rsa_key  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def big_message(total_mb: float, priv: bytes) -> bytes:
    rnd = random.Random(10)
    total = int(total_mb * 1024 * 1024)
    html_size = total // 5  # decoded; base64 makes it a quarter of the message
    attach_size = (total - html_size * 4 // 3) * 3 // 4 // 3  # decoded bytes per attachment
    cell = '<tr><td><a href="https://www.example-shop.co.jp/item/{0}">商品 {0}</a></td><td>¥{1:,}</td></tr>\r\n'
    rows: list[str] = []
    size = 0
    i = 0
    while size < html_size:
        row = cell.format(i, rnd.randint(100, 99999))
        rows.append(row)
        size += len(row.encode())
        i += 1
    html = (
        "<html><body><p>ご注文ありがとうございます。</p><table>\r\n"
        + "".join(rows)
        + "</table></body></html>\r\n"
    )
    b = "b0und4ry-mem"
    parts = [
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "ご注文の明細を添付します。\r\n",
        "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(html.encode()).decode().replace("\n", "\r\n"),
    ]
    for name, ctype in (
        ("invoice.pdf", "application/pdf"),
        ("photo.jpg", "image/jpeg"),
        ("data.zip", "application/zip"),
    ):
        payload = base64.encodebytes(rnd.randbytes(attach_size)).decode().replace("\n", "\r\n")
        parts.append(
            f'Content-Type: {ctype}; name="{name}"\r\nContent-Transfer-Encoding: base64\r\n'
            f'Content-Disposition: attachment; filename="{name}"\r\n\r\n' + payload
        )
    body = "".join(f"--{b}\r\n{p}\r\n" for p in parts) + f"--{b}--\r\n"
    head = (
        "From: Example Shop <order@example-shop.co.jp>\r\nTo: hanako@example-isp.ne.jp\r\n"
        "Subject: =?utf-8?b?44GU5rOo5paH?=\r\nDate: Fri, 27 Nov 2026 10:00:00 +0900\r\n"
        "Message-ID: <big@example-shop.co.jp>\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{b}"\r\n'
    )
    msg = head.encode() + b"\r\n" + body.encode()
    sig = dkim.sign(
        msg,
        b"mem",
        b"example-shop.co.jp",
        priv,
        include_headers=[b"from", b"to", b"subject", b"date"],
    )
    received = (
        b"Return-Path: <bounce@example-shop.co.jp>\r\n"
        b"Received: from mx.example-shop.co.jp (mx.example-shop.co.jp [192.0.2.10])\r\n"
        b"\tby mx1.example-isp.ne.jp (Postfix) with ESMTPS id 4F00D; Fri, 27 Nov 2026 10:00:01 +0900\r\n"
    )
    return received + sig + msg


CHECK_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from minuku.check import CheckOptions, check
    from minuku.dns import FixtureResolver
    resolver = FixtureResolver(json.load(open(sys.argv[2])))
    raw = open(sys.argv[1], "rb").read()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    payload = check(raw, resolver=resolver, options=CheckOptions())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"base_kib": base, "peak_kib": peak, "verdict": payload.verdict}))
    """
)


def measure_check(path: Path, fixture: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", CHECK_CHILD, str(path), str(fixture)],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH") or str(ROOT / "host")},
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


def _frame(obj: dict[str, object]) -> bytes:
    body = json.dumps(obj).encode()
    return struct.pack("=I", len(body)) + body


def measure_host(path: Path, fixture: Path) -> dict[str, object]:
    """Peak RSS of ``minuku host`` and its workers over one check of the message at ``path``.
    The host starts before this process reads the message: a child's ru_maxrss starts from
    its parent's RSS at fork time, and this one stays small until then."""
    sys.path.insert(0, str(ROOT / "tests"))
    from localdns import LocalDns

    zone = {
        **json.loads(fixture.read_text()),
        # the resolver-health canaries (minuku/data/dns_canaries.json) must exist
        "a.root-servers.net": {"A": ["198.41.0.4"]},
        "_dmarc.gmail.com": {"TXT": ["v=DMARC1; p=none"]},
        "gmail.com": {"MX": ["5 gmail-smtp-in.l.google.com."]},
    }
    with LocalDns(zone) as server:
        return _host_run(path, server.address)


def _host_run(path: Path, nameserver: str) -> dict[str, object]:
    p = subprocess.Popen(
        [sys.executable, "-m", "minuku", "host", "--nameserver", nameserver],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH") or str(ROOT / "host")},
    )
    assert p.stdin is not None and p.stdout is not None
    req = {
        "type": "check",
        "protocol_version": 1,
        "id": "mem",
        "message": base64.b64encode(path.read_bytes()).decode(),
    }
    frame = _frame(req)
    del req
    p.stdin.write(frame)
    p.stdin.flush()
    del frame
    verdict: object = None
    hwm = 0
    while True:
        head = p.stdout.read(4)
        if len(head) < 4:
            break
        (n,) = struct.unpack("=I", head)
        resp = json.loads(p.stdout.read(n))
        hwm = max(hwm, _tree_hwm_kib(p.pid))
        if resp.get("type") == "error":
            verdict = resp
            break
        if not resp.get("partial"):
            payload = resp.get("payload", {})
            codes = [r.get("code") for r in payload.get("reasons", [])]
            verdict = f"{payload.get('verdict')} {codes}"
            break
    p.stdin.close()
    # wait4: the rusage of the host itself (and the workers it waited for), not of every
    # child this process ever had (the message generator's peak is among those)
    _pid, _status, usage = os.wait4(p.pid, 0)
    p.returncode = 0
    return {"peak_kib": max(usage.ru_maxrss, hwm), "verdict": verdict}


def _tree_hwm_kib(pid: int) -> int:
    """Largest VmHWM (peak RSS) among ``pid`` and its descendants, from /proc (Linux)."""
    best = 0
    todo = [pid]
    while todo:
        cur = todo.pop()
        try:
            status = Path(f"/proc/{cur}/status").read_text()
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    best = max(best, int(line.split()[1]))
                    if os.environ.get("MINUKU_BENCH_VERBOSE"):
                        print(f"  pid {cur}: VmHWM {int(line.split()[1]) // 1024} MiB")
            children = Path(f"/proc/{cur}/task/{cur}/children").read_text().split()
            todo.extend(int(c) for c in children)
        except (OSError, ValueError):
            continue
    return best


def generate(mb: float, folder: Path) -> None:
    """Write big.eml and fixture.json into ``folder`` (run in a child: signing 30 MB costs
    hundreds of MB, which must not become the measured children's starting ru_maxrss)."""
    priv, pub = _rsa_key()
    (folder / "big.eml").write_bytes(big_message(mb, priv))
    fixture = {
        "mem._domainkey.example-shop.co.jp": {"TXT": [f"v=DKIM1; k=rsa; p={pub}"]},
        "example-shop.co.jp": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]},
        "_dmarc.example-shop.co.jp": {"TXT": ["v=DMARC1; p=reject"]},
    }
    (folder / "fixture.json").write_text(json.dumps(fixture))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=30.0)
    ap.add_argument("--only", choices=("check", "host"))
    ap.add_argument("--generate", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.generate:
        generate(args.mb, Path(args.generate))
        return
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(
            [sys.executable, __file__, "--mb", str(args.mb), "--generate", d], check=True
        )
        path, fixture = Path(d) / "big.eml", Path(d) / "fixture.json"
        size_mib = path.stat().st_size / 2**20
        print(f"message: {size_mib:.1f} MiB; load {os.getloadavg()[0]:.2f}")
        if args.only in (None, "check"):
            c = measure_check(path, fixture)
            base, peak = int(c["base_kib"]) / 1024, int(c["peak_kib"]) / 1024  # type: ignore[call-overload]
            print(
                f"check: peak RSS {peak:.0f} MiB = {peak / size_mib:.1f}x the message "
                f"(with minuku imported and the message read: {base:.0f} MiB; the check "
                f"added {peak - base:.0f} MiB = {(peak - base) / size_mib:.1f}x); verdict {c['verdict']}"
            )
        if args.only in (None, "host"):
            h = measure_host(path, fixture)
            peak = int(h["peak_kib"]) / 1024  # type: ignore[call-overload]
            print(
                f"host:  peak RSS {peak:.0f} MiB = {peak / size_mib:.1f}x the message "
                f"(largest of the host and its workers); verdict {h['verdict']}"
            )


if __name__ == "__main__":
    main()
