"""Minuku's full check against authheaders at its best, on real mail and the synthetic corpus.

    .venv-test/bin/pip install '.[bench]'
    .venv-test/bin/python bench/bench_auth.py [--rounds 5] [--synthetic 2000] [--lists DIR ...]

Both sides run in this process, on the same messages, with DNS answered from the same
fixture. Minuku runs its whole ``check`` (parse, SPF, every DKIM signature, ARC, DMARC,
look-alikes, links, banner); authheaders runs authentication only
(``authenticate_message(spf=True, dkim=True, arc=True, dmarc=True)``).

authheaders at its best, set up once as a user would:

- its Public Suffix List is parsed once: authheaders 0.16 opens and parses its PSL file on
  every ``get_org_domain`` call (~140 ms a DMARC check, nearly all of its time). Here one
  ``publicsuffix2.PublicSuffixList`` is loaded from the very file authheaders ships and
  ``authheaders.get_org_domain`` / ``authheaders.dmarc_lookup.get_org_domain`` are pointed
  at its ``get_public_suffix`` (what authheaders' own function returns, minus the re-read);
- its SPF is on and answered from the fixture: pyspf's documented DNS hook
  ``spf.DNSLookup(name, qtype, strict, timeout)`` is set to a function over the fixture;
  the client IP, HELO name and envelope sender are the ones Minuku finds (worked out before
  the clock starts, so they cost authheaders nothing);
- DKIM, ARC and DMARC get ``dnsfunc=`` over the same fixture.

Real mail (``/tmp/minuku-corpora/lists/{nfc,kasan-dev}``, unpacked from
``../shared/corpora/lists.tar.xz`` when absent). Its fixture publishes, for every mail:
a DKIM key (one generated RSA-2048 key; the real signers' keys are not ours to have, so every
signature is checked in full — body hash, header hash, RSA — and fails on the key) at every
``s._domainkey.d`` named by a DKIM-Signature, ARC-Message-Signature or ARC-Seal; SPF
``v=spf1 include:_spf.<domain> -all`` and ``_spf.<domain>`` ``v=spf1 ip4:<client /24> ip6:<client /32> ... ~all`` over the clients seen
for every envelope domain (so SPF passes in two lookups); ``v=DMARC1; p=none`` at
``_dmarc.<From domain>``. The synthetic corpus (``bench/corpus.py``) brings its own fixture,
with keys that verify.

Rounds alternate the two sides (Minuku, authheaders, Minuku, ...); each side's figure is the
median of its rounds. The machine load (``os.getloadavg``) is printed with the figures: on a
shared machine, compare only figures taken under similar load.
"""

from __future__ import annotations

import argparse
import base64
import ipaddress
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from corpus import build  # noqa: E402
from minuku.auth.boundary import find_boundary  # noqa: E402
from minuku.check import CheckOptions, check  # noqa: E402
from minuku.dns import FixtureResolver, NXDomain  # noqa: E402
from minuku.message import parse_message  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LISTS_TAR = ROOT.parent / "shared" / "corpora" / "lists.tar.xz"
SCRATCH = Path("/tmp/minuku-corpora")
AUTHSERV = "mx1.example-isp.ne.jp"

Fixture = dict[str, dict[str, list[str]]]
# (raw message, client IP, HELO, envelope sender) as Minuku finds them, for the peer's SPF
Item = tuple[bytes, str | None, str | None, str | None]


def lists_dirs(given: list[str]) -> list[Path]:
    if given:
        return [Path(d) for d in given]
    target = SCRATCH / "lists"
    if not target.is_dir() and LISTS_TAR.is_file():
        SCRATCH.mkdir(parents=True, exist_ok=True)
        with tarfile.open(LISTS_TAR) as tar:
            tar.extractall(SCRATCH, filter="data")
    return [target / "nfc", target / "kasan-dev"]


def _rsa_public_key() -> str:
    with tempfile.TemporaryDirectory() as d:
        key = Path(d) / "k.pem"
        subprocess.run(
            ["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True
        )
        der = subprocess.run(
            ["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
            check=True,
            capture_output=True,
        ).stdout
    return base64.b64encode(der).decode()


_TAG_RE = re.compile(r"(?:^|;)\s*([ds])\s*=\s*([^;\s]+)")


def real_corpus(dirs: list[Path]) -> tuple[list[Item], Fixture, dict[str, int]]:
    pub = f"v=DKIM1; k=rsa; p={_rsa_public_key()}"
    fixture: Fixture = {}
    items: list[Item] = []
    counts = {"mails": 0, "dkim keys": 0, "spf domains": 0, "dmarc domains": 0}
    for d in dirs:
        for f in sorted(d.glob("*.eml")):
            raw = f.read_bytes()
            view = parse_message(raw)
            sigs = list(view.dkim_signatures) + [
                v for k, v in view.arc_headers if k.lower() in ("arc-seal", "arc-message-signature")
            ]
            for sig in sigs:
                tags = dict(m.groups() for m in _TAG_RE.finditer(sig))
                if "d" in tags and "s" in tags:
                    name = f"{tags['s']}._domainkey.{tags['d']}".lower()
                    if name not in fixture:
                        counts["dkim keys"] += 1
                    fixture[name] = {"TXT": [pub]}
            b = find_boundary(view.received, trusted_hops=1, trusted_receivers=())
            hop = b.hop if b is not None else None
            ip = hop.ip if hop else None
            helo = hop.helo if hop else None
            mailfrom = view.return_path
            env = (mailfrom or "").rpartition("@")[2].lower().strip(".")
            if env and ip:
                if f"_spf.{env}" not in fixture:
                    counts["spf domains"] += 1
                fixture[env] = {"TXT": [f"v=spf1 include:_spf.{env} -all"]}
                # the client's network, as senders publish theirs (a /24, an IPv6 /32)
                net = ipaddress.ip_network(f"{ip}/{32 if ':' in ip else 24}", strict=False)
                mech = f"ip{net.version}:{net}"
                rec = fixture.setdefault(f"_spf.{env}", {"TXT": ["v=spf1 ~all"]})["TXT"]
                if mech not in rec[0].split():
                    rec[0] = rec[0].replace("v=spf1", f"v=spf1 {mech}", 1)
            for a in view.from_:
                dom = a.ascii_domain or a.domain
                if dom and f"_dmarc.{dom}" not in fixture:
                    counts["dmarc domains"] += 1
                    fixture[f"_dmarc.{dom}"] = {"TXT": ["v=DMARC1; p=none"]}
            items.append((raw, ip, helo, mailfrom))
            counts["mails"] += 1
    return items, fixture, counts


def synthetic_corpus(n: int) -> tuple[list[Item], Fixture]:
    msgs, dns = build(n)
    items: list[Item] = []
    for raw in msgs:
        view = parse_message(raw)
        b = find_boundary(view.received, trusted_hops=1, trusted_receivers=())
        hop = b.hop if b is not None else None
        items.append((raw, hop.ip if hop else None, hop.helo if hop else None, view.return_path))
    return items, dns


# ---- the two sides


def minuku_side(items: list[Item], fixture: Fixture) -> Callable[[], tuple[float, float]]:
    resolver = FixtureResolver(fixture)  # built once: its name normalisation is setup work
    opts = CheckOptions()

    def run() -> float:
        t, c = time.perf_counter(), time.process_time()
        for raw, _, _, _ in items:
            check(raw, resolver=resolver, options=opts)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        resolver.queries.clear()
        return len(items) / wall, len(items) / cpu

    return run


_SHIPPED: dict[str, Any] = {}


def peer_side(
    items: list[Item], fixture: Fixture, best: bool = True
) -> Callable[[], tuple[float, float]] | None:
    try:
        import authheaders
        import authheaders.dmarc_lookup
        import spf
        from publicsuffix2 import PublicSuffixList
    except ImportError:
        return None
    resolver = FixtureResolver(fixture)

    def txt(name: str) -> list[str]:
        try:
            return resolver.query(name.rstrip("."), "TXT")
        except NXDomain:
            return []

    def dnsfunc(name: Any, timeout: int = 5) -> Any:  # dkimpy's and authheaders' DMARC hook
        text = name.decode() if isinstance(name, bytes) else name
        answers = txt(text)
        if not answers:
            return None
        return answers[0].encode() if isinstance(name, bytes) else answers[0]

    def spf_lookup(name: str, qtype: str, strict: bool = True, timeout: int = 30) -> list[Any]:
        if qtype not in ("TXT", "SPF"):
            return []  # the fixture publishes TXT only: no A/MX/PTR answers
        return [((name, qtype), [a.encode()]) for a in txt(name)]

    spf.DNSLookup = spf_lookup  # pyspf's documented DNS hook
    shipped = _SHIPPED.setdefault("get_org_domain", authheaders.dmarc_lookup.get_org_domain)
    if best:
        psl_file = Path(authheaders.__file__).parent / "public_suffix_list.txt"
        with open(psl_file, encoding="utf-8") as fh:
            psl = PublicSuffixList(fh)  # parsed once, from the file authheaders ships
        org_domain = psl.get_public_suffix
    else:
        org_domain = shipped

    def run() -> float:
        authheaders.get_org_domain = authheaders.dmarc_lookup.get_org_domain = org_domain
        t, c = time.perf_counter(), time.process_time()
        for raw, ip, helo, mailfrom in items:
            authheaders.authenticate_message(
                raw,
                AUTHSERV,
                spf=ip is not None,
                dkim=True,
                arc=True,
                dmarc=True,
                ip=ip,
                mail_from=mailfrom or "",
                helo=helo or "",
                dnsfunc=dnsfunc,
            )
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        resolver.queries.clear()
        return len(items) / wall, len(items) / cpu

    return run


def as_shipped_rate(items: list[Item], fixture: Fixture, n: int = 20) -> float | None:
    """authheaders as installed (its PSL file re-parsed per call); SPF still from the fixture."""
    run = peer_side(items[:n], fixture, best=False)
    return run()[0] if run is not None else None


def _line(who: str, rates: list[tuple[float, float]]) -> tuple[float, float]:
    wall = statistics.median(r[0] for r in rates)
    cpu = statistics.median(r[1] for r in rates)
    rounds = ", ".join(f"{w:,.0f}" for w, _ in rates)
    print(f"  {who:30} {wall:7,.0f} msg/s wall ({cpu:7,.0f} msg/s of CPU time)   rounds: {rounds}")
    return wall, cpu


def compare(label: str, items: list[Item], fixture: Fixture, rounds: int) -> None:
    ours_run = minuku_side(items, fixture)
    peer_run = peer_side(items, fixture)
    ours_run()  # warm-up: catalogue, PSL, imports, key cache
    if peer_run is not None:
        peer_run()
    ours: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    load0 = os.getloadavg()[0]
    for _ in range(rounds):
        ours.append(ours_run())
        if peer_run is not None:
            theirs.append(peer_run())
    load1 = os.getloadavg()[0]
    print(
        f"\n{label}: {len(items)} messages, {rounds} alternating rounds, load {load0:.2f}→{load1:.2f}"
    )
    o = _line("minuku check (full)", ours)
    if not theirs:
        print("  authheaders is not installed (pip install '.[bench]'): no comparison")
        return
    p = _line("authheaders (auth, its best)", theirs)
    print(f"  ratio minuku / authheaders: {o[0] / p[0]:.2f}x wall, {o[1] / p[1]:.2f}x CPU time")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--synthetic", type=int, default=1500, help="synthetic messages (0: none)")
    ap.add_argument("--lists", nargs="*", default=[], help="folders of .eml (default: the corpora)")
    args = ap.parse_args()
    dirs = lists_dirs(args.lists)
    items, fixture, counts = real_corpus([d for d in dirs if d.is_dir()])
    print(f"real mail: {', '.join(str(d) for d in dirs)}; fixture: {counts}")
    if items:
        compare("real mail", items, fixture, args.rounds)
    if args.synthetic:
        sitems, sfix = synthetic_corpus(args.synthetic)
        compare("synthetic (bench/corpus.py)", sitems, sfix, args.rounds)
    shipped = as_shipped_rate(items or sitems, fixture if items else sfix)
    if shipped is not None:
        print(
            f"\n[footnote] authheaders as shipped (PSL file re-parsed on every DMARC call): "
            f"{shipped:,.1f} msg/s over 20 real messages"
        )


if __name__ == "__main__":
    main()
