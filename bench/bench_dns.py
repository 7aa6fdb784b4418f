"""Time to a verified verdict over real DNS, serial vs concurrent prefetch; a silent resolver.

    PYTHONPATH=host .venv-test/bin/python bench/bench_dns.py [RUNS]

A local DNS server (tests/localdns.py) on 127.0.0.1 answers from examples/dns-fixture.json,
adding 50 ms to every answer, as a distant recursive resolver would. Each run checks the signed
brand mail examples/amazon-genuine-notice.eml (DKIM d=amazon.co.jp, SPF via include:
amazonses.com, DMARC p=quarantine) with a cold cache. "serial" is the same resolver without
the concurrent prefetch (one query at a time, as before issue 7). Targets (issue 7): about two
round trips (~120 ms) concurrent; a silent resolver costs its first message at most 2.5 s and
the next ones at most 0.5 s.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from localdns import LocalDns  # noqa: E402
from minuku.check import check  # noqa: E402
from minuku.dns import DnspythonResolver, FixtureResolver  # noqa: E402

DELAY = 0.05
GENUINE = (ROOT / "examples" / "amazon-genuine-notice.eml").read_bytes()


class Serial:
    """The resolver without its ``parallel`` mark: the prefetch asks one name at a time."""

    def __init__(self, inner: DnspythonResolver) -> None:
        self.inner = inner

    def query(self, name: str, rdtype: str) -> list[str]:
        return self.inner.query(name, rdtype)


def zone() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "examples" / "dns-fixture.json").read_text())
    data["a.root-servers.net"] = {"A": ["198.41.0.4"]}
    return data


def timed(server: LocalDns, resolver: Any) -> tuple[float, int, int]:
    before = len(server.queries)
    server.max_concurrent = 0
    t = time.perf_counter()
    payload = check(GENUINE, resolver=resolver)
    elapsed = time.perf_counter() - t
    assert payload.verdict == "ok" and payload.verified, (payload.verdict, payload.verified)
    return elapsed, len(server.queries) - before, server.max_concurrent


def main(runs: int) -> None:
    check(GENUINE, resolver=FixtureResolver(zone()))  # imports and PSL load, not DNS
    with LocalDns(zone(), delay=DELAY) as server:
        print(f"local DNS server {server.address}, {DELAY * 1000:.0f} ms per answer, {runs} runs")
        for label, make in (
            ("serial    ", lambda: Serial(DnspythonResolver([server.address]))),
            ("concurrent", lambda: DnspythonResolver([server.address])),
        ):
            results = [timed(server, make()) for _ in range(runs)]
            med = statistics.median(r[0] for r in results)
            _, queries, conc = results[-1]
            print(
                f"  {label}: {med * 1000:6.1f} ms to a verified verdict (median, cold cache); "
                f"{queries} queries, up to {conc} at once, ~{med / DELAY:.1f} round trips"
            )
        warm = DnspythonResolver([server.address])
        timed(server, warm)
        print(f"  warm cache: {timed(server, warm)[0] * 1000:6.1f} ms, 0 queries")

        server.mode = "silent"
        silent = DnspythonResolver([server.address])
        times = []
        for _ in range(3):
            t = time.perf_counter()
            payload = check(GENUINE, resolver=silent)
            times.append(time.perf_counter() - t)
            assert not payload.verified
        state, reason = silent.state()
        print(
            f"silent resolver: first message {times[0]:.2f} s, next "
            + ", ".join(f"{x:.3f} s" for x in times[1:])
            + f"; state {state}: {reason}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
