"""Background checking (issue 12), host side: a folder of N messages through the real
native-messaging host, as the add-on's background queue sends them.

    PYTHONPATH=host .venv-test/bin/python bench/bench_arrival.py [N] [--window K] [--corpus DIR]

Starts ``python -m minuku host`` (the same process Thunderbird starts), says hello, then sends
N ``check`` requests with at most K in flight (the add-on keeps IN_FLIGHT = 12 on its
background port while nobody reads), offline, each message base64 as the add-on sends it. Reports messages/s and
the host's memory (RSS of the host and its check worker, via /proc) at 10 points, so a growing
footprint would show. Messages: the generated bench corpus (corpus.py) cycled to N, or real
mail from --corpus (every *.eml under DIR, cycled). Target: >= 200 messages/s offline and a
flat RSS over 10,000 messages.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from corpus import build  # noqa: E402


def _rss_kb(pid: int) -> int:
    """RSS of ``pid`` and its descendants (the host runs checks in a worker process)."""
    total = 0
    pids = [pid]
    seen: set[int] = set()
    while pids:
        p = pids.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
            pids.extend(int(c) for c in children)
        except OSError:
            continue
    return total


def _send(stdin: object, obj: dict[str, object]) -> None:
    body = json.dumps(obj).encode()
    stdin.write(struct.pack("=I", len(body)) + body)  # type: ignore[attr-defined]
    stdin.flush()  # type: ignore[attr-defined]


def _recv(stdout: object) -> dict[str, object]:
    (n,) = struct.unpack("=I", stdout.read(4))  # type: ignore[attr-defined]
    obj: dict[str, object] = json.loads(stdout.read(n))  # type: ignore[attr-defined]
    return obj


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=10000)
    ap.add_argument("--window", type=int, default=12)
    ap.add_argument("--corpus", type=Path)
    args = ap.parse_args()
    if args.corpus:
        msgs = [p.read_bytes() for p in sorted(args.corpus.rglob("*.eml"))]
        label = f"{len(msgs)} real mails from {args.corpus}"
    else:
        msgs, _ = build(min(args.n, 2000))
        label = f"{len(msgs)} generated mails (bench/corpus.py)"
    encoded = [base64.b64encode(m).decode() for m in msgs]
    env = {**os.environ}
    host = subprocess.Popen(
        [sys.executable, "-m", "minuku", "host"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    assert host.stdin is not None and host.stdout is not None
    _send(
        host.stdin, {"type": "hello", "protocol_version": 1, "id": "h", "client_version": "bench"}
    )
    assert _recv(host.stdout)["type"] == "hello"
    options = {"locale": "ja", "offline": True, "trusted_authserv_ids": [], "nameservers": []}
    # One warm-up check (catalogue, PSL, worker start), as the first mail of a session pays.
    _send(
        host.stdin,
        {
            "type": "check",
            "protocol_version": 1,
            "id": "w",
            "message": encoded[0],
            "options": options,
        },
    )
    _recv(host.stdout)
    verdicts: dict[str, int] = {}
    samples: list[tuple[int, int]] = [(0, _rss_kb(host.pid))]
    sent = got = 0
    t0 = time.perf_counter()
    while got < args.n:
        while sent < args.n and sent - got < args.window:
            msg = encoded[sent % len(encoded)]
            _send(
                host.stdin,
                {
                    "type": "check",
                    "protocol_version": 1,
                    "id": f"c{sent}",
                    "message": msg,
                    "options": options,
                },
            )
            sent += 1
        resp = _recv(host.stdout)
        if resp.get("type") == "result" and resp.get("partial") is True:
            continue
        got += 1
        payload = resp.get("payload")
        v = payload.get("verdict", "?") if isinstance(payload, dict) else str(resp.get("code"))
        verdicts[v] = verdicts.get(v, 0) + 1
        if got % max(1, args.n // 10) == 0:
            samples.append((got, _rss_kb(host.pid)))
    dt = time.perf_counter() - t0
    host.stdin.close()
    host.wait(timeout=30)
    print(f"{args.n} checks ({label}), window {args.window}, offline, through `minuku host`:")
    print(f"  {dt:.1f} s = {args.n / dt:,.0f} messages/s; verdicts {verdicts}")
    print(
        "  host RSS (host + worker), MB: " + ", ".join(f"{n}:{kb / 1024:.0f}" for n, kb in samples)
    )
    with open("/proc/loadavg") as f:
        print(f"  load average while measured (1/5/15 min): {' '.join(f.read().split()[:3])}")


if __name__ == "__main__":
    main()
