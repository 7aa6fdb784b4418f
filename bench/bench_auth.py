"""Full checks with fixture DNS: Minuku's check() against authheaders' authenticate_message.

    .venv-test/bin/pip install '.[bench]' && .venv-test/bin/python bench/bench_auth.py [N]

Both run in this process on the same messages and the same fixture DNS. Minuku's check does
SPF, every DKIM signature, ARC, DMARC, look-alikes, links and the banner; authheaders is asked
for DKIM, ARC and DMARC (its SPF goes to the network through pyspf's own resolver, so it is
off). Target (issue 4): >= 500 full checks/s, more than authheaders.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from corpus import build  # noqa: E402
from minuku.check import CheckOptions, check  # noqa: E402
from minuku.dns import FixtureResolver, NXDomain  # noqa: E402


def authheaders_dnsfunc(fixture: FixtureResolver):  # type: ignore[no-untyped-def]
    def dnsfunc(name, timeout=5):  # type: ignore[no-untyped-def]
        text = name.decode() if isinstance(name, bytes) else name
        try:
            answers = fixture.query(text.rstrip("."), "TXT")
        except NXDomain:
            return None
        if not answers:
            return None
        return answers[0].encode() if isinstance(name, bytes) else answers[0]

    return dnsfunc


def main(n: int) -> None:
    msgs, dns = build(n)
    ours_verdicts: Counter[str] = Counter()
    fixture = FixtureResolver(dns)
    opts = CheckOptions()
    check(msgs[0], resolver=fixture, options=opts)
    t = time.perf_counter()
    for m in msgs:
        ours_verdicts[check(m, resolver=FixtureResolver(dns), options=opts).verdict] += 1
    ours = n / (time.perf_counter() - t)
    print(f"minuku check (fixture DNS): {ours:,.0f} messages/s; {dict(ours_verdicts)}")
    try:
        from authheaders import authenticate_message
    except ImportError:
        print("authheaders is not installed (pip install '.[bench]'): no comparison")
        return
    dnsfunc = authheaders_dnsfunc(fixture)
    m = min(n, 300)  # it is slow; a few hundred give a stable rate
    t = time.perf_counter()
    for msg in msgs[:m]:
        authenticate_message(
            msg,
            "mx1.example-isp.ne.jp",
            spf=False,
            dkim=True,
            arc=True,
            dmarc=True,
            dnsfunc=dnsfunc,
        )
    theirs = m / (time.perf_counter() - t)
    print(f"authheaders authenticate_message (same DNS): {theirs:,.1f} messages/s over {m}")
    print(f"ratio: minuku is {ours / theirs:,.1f}x authheaders")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
