"""Offline verdicts per second over generated messages, and the host's cold start to first pong.

    .venv-test/bin/python bench/bench_offline.py [N]

Targets (issue 2): >= 1,000 offline verdicts/s on one core; <= 150 ms from launching
`minuku host` to the first answered ping.
"""

from __future__ import annotations

import json
import statistics
import struct
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from corpus import build  # noqa: E402
from minuku.check import CheckOptions, check  # noqa: E402


def offline_rate(n: int) -> None:
    msgs, _ = build(n)
    opts = CheckOptions(offline=True)
    check(msgs[0], options=opts)  # warm-up: catalogue, PSL, locale data
    verdicts: Counter[str] = Counter()
    t = time.perf_counter()
    for m in msgs:
        verdicts[check(m, options=opts).verdict] += 1
    dt = time.perf_counter() - t
    print(
        f"offline: {n} messages in {dt:.2f} s = {n / dt:,.0f} verdicts/s (one core); {dict(verdicts)}"
    )


def cold_start(runs: int = 15) -> None:
    ping = json.dumps({"type": "ping", "protocol_version": 1, "id": "b"}).encode()
    frame = struct.pack("=I", len(ping)) + ping
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.Popen(
            [sys.executable, "-m", "minuku", "host"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert p.stdin is not None and p.stdout is not None
        p.stdin.write(frame)
        p.stdin.flush()
        (n,) = struct.unpack("=I", p.stdout.read(4))
        p.stdout.read(n)
        times.append((time.perf_counter() - t) * 1000)
        p.stdin.close()
        p.wait()
    print(
        f"cold start to first pong: median {statistics.median(times):.0f} ms, "
        f"min {min(times):.0f} ms, max {max(times):.0f} ms over {runs} runs"
    )


if __name__ == "__main__":
    offline_rate(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
    cold_start()
