"""Field truth: verdicts on real mail no one on the project wrote, online and offline.

Usage (from the repository root, with ../shared beside it)::

    python bench/field.py [--lists DIR ...] [--phish N] [--jobs 1]

It unpacks ``../shared/corpora/lists.tar.xz`` into a scratch folder (never into the
project), and judges every legitimate list post in five modes:

- ``offline``: no DNS at all;
- ``hard``: online with the hard DNS fixture the corpora README describes: every From domain
  publishes ``v=DMARC1; p=none`` and SPF ``-all``, every envelope domain SPF ``+all``, no DKIM
  key anywhere;
- ``hard+private``: the same fixture, with no lookups of names the sender controls, as the
  add-on opens a mail already checked on arrival (issue 12);
- ``nxdomain``: a resolver that answers NXDOMAIN to every name;
- ``nxdomain+canary``: the same, but it also lies about the canary names (a lying resolver).

Then phishing mail built around JPCERT/CC's confirmed phishing hosts (real hosts; the mail
text follows the templates of the real campaigns: 契約不履行, payment update, delivery
failure), with brand domains publishing their real-world DMARC policy in the fixture.

It prints the verdict distribution per mode and the targets of issue 7: legitimate mail
0 ``danger`` and ≤ 1% ``warning`` online, 0/0 offline; Amazon phishing ≥ 95% ``danger``,
other brands ≥ 90% at least ``warning``. ``--show CODE`` lists the files whose reasons
include that code, to look at every verdict that changed.
"""

from __future__ import annotations

import argparse
import collections
import csv
import io
import lzma
import random
import sys
import tarfile
import time
from collections.abc import Iterable, Iterator
from email.header import Header
from email.utils import getaddresses, parseaddr
from pathlib import Path

from minuku.check import CheckOptions, check
from minuku.dns import FixtureResolver, NXDomain

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpora"
SCRATCH = Path("/tmp/minuku-corpora")


class NxResolver:
    """Answers NXDOMAIN to every name (a broken or lying resolver)."""

    def query(self, name: str, rdtype: str) -> list[str]:
        raise NXDomain(name)


def unpack_lists() -> list[Path]:
    target = SCRATCH / "lists"
    if not target.is_dir():
        SCRATCH.mkdir(parents=True, exist_ok=True)
        with tarfile.open(SHARED / "lists.tar.xz") as tar:
            tar.extractall(SCRATCH, filter="data")
    return sorted(p for p in target.iterdir() if p.is_dir())


def mails(dirs: Iterable[Path]) -> Iterator[tuple[str, bytes]]:
    for d in dirs:
        for f in sorted(d.glob("*.eml")):
            yield f"{d.name}/{f.name}", f.read_bytes()


def _header(raw: bytes, name: str) -> list[str]:
    head = raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0].decode("latin-1")
    out: list[str] = []
    cur: str | None = None
    for line in head.splitlines():
        if line[:1] in (" ", "\t") and cur is not None:
            cur += " " + line.strip()
            continue
        if cur is not None:
            out.append(cur)
            cur = None
        k, sep, v = line.partition(":")
        if sep and k.strip().lower() == name:
            cur = v.strip()
    if cur is not None:
        out.append(cur)
    return out


def hard_fixture(corpus: list[tuple[str, bytes]]) -> dict[str, object]:
    data: dict[str, dict[str, list[str]]] = {}
    for _, raw in corpus:
        for _, addr in getaddresses(_header(raw, "from")):
            dom = addr.rpartition("@")[2].lower().strip(".")
            if dom:
                data.setdefault(f"_dmarc.{dom}", {})["TXT"] = ["v=DMARC1; p=none"]
                data.setdefault(dom, {}).setdefault("TXT", ["v=spf1 -all"])
        for rp in _header(raw, "return-path"):
            dom = parseaddr(rp)[1].rpartition("@")[2].lower().strip(".")
            if dom:
                data.setdefault(dom, {})["TXT"] = ["v=spf1 +all"]
    return dict(data)


# ---- phishing built around real phishing hosts ------------------------------------------

# JPCERT/CC brand names → (catalogue id, display names, the brand's own sending domain,
# its DMARC record as published in the fixture).
BRANDS: dict[str, tuple[str, list[str], str, str]] = {
    "Amazon": ("amazon", ["Amazon", "Amazon.co.jp", "アマゾン"], "amazon.co.jp", "quarantine"),
    "三井住友カード": ("smbc", ["三井住友カード", "Vpass"], "vpass.ne.jp", "reject"),
    "Vpass": ("smbc", ["Vpass", "三井住友カード"], "vpass.ne.jp", "reject"),
    "au": ("au", ["au", "auお客さまサポート"], "au.com", "reject"),
    "えきねっと": ("ekinet", ["えきねっと"], "eki-net.com", "none"),
    "Apple ID": ("apple", ["Apple", "Apple ID"], "apple.com", "quarantine"),
    "メルカリ": ("mercari", ["メルカリ"], "mercari.jp", "reject"),
    "ETC利用照会サービス": ("etc", ["ETC利用照会サービス"], "etc-meisai.jp", "none"),
    "楽天": ("rakuten", ["楽天市場", "楽天"], "rakuten.co.jp", "reject"),
    "楽天カード": ("rakuten", ["楽天カード"], "mail.rakuten-card.co.jp", "reject"),
    "イオンカード": ("aeon", ["イオンカード"], "aeon.co.jp", "none"),
    "softbank": ("softbank", ["SoftBank", "ソフトバンク"], "softbank.jp", "none"),
    "ヤマト運輸": ("yamato", ["ヤマト運輸"], "kuronekoyamato.co.jp", "none"),
    "JCB": ("jcb", ["JCB", "MyJCB"], "qa.jcb.co.jp", "reject"),
    "国税庁": ("nta", ["国税庁"], "nta.go.jp", "reject"),
    "NTT docomo": ("docomo", ["NTTドコモ", "docomo"], "docomo.ne.jp", "none"),
    "Microsoft": (
        "microsoft",
        ["Microsoft", "Microsoft アカウント チーム"],
        "microsoft.com",
        "reject",
    ),
    "三菱UFJ銀行": ("mufg", ["三菱UFJ銀行"], "bk.mufg.jp", "reject"),
    "PayPay": ("paypay", ["PayPay"], "paypay.ne.jp", "reject"),
    "日本郵便": ("japanpost", ["日本郵便"], "post.japanpost.jp", "none"),
    "Netflix": ("netflix", ["Netflix"], "netflix.com", "reject"),
    "SBI証券": ("sbisec", ["SBI証券"], "sbisec.co.jp", "none"),
}

SUBJECTS = {
    "amazon": [
        "【重要】契約不履行に関する通知",
        "Amazon.co.jp: アカウントが一時的に停止されました",
        "お支払い方法の更新をお願いします",
        "【Amazon】ご本人確認のお願い",
    ],
    "_": [
        "【重要】お客様のアカウントが一時的に停止されました",
        "【緊急】ご本人確認のお願い",
        "お支払い情報の更新のお願い",
        "【重要なお知らせ】不正アクセスの可能性について",
    ],
}
BODY = (
    "{brand}をご利用いただきありがとうございます。\n\n"
    "お客様のアカウントで虚偽の情報が確認されたため、アカウントを一時的に停止しました。\n"
    "24時間以内にご本人確認を行ってください。確認できない場合、アカウントは完全に停止されます。\n\n"
    "{link}\n\n{brand}カスタマーサービス\n"
)
HTML = (
    "<html><body><p>{brand}をご利用いただきありがとうございます。</p>"
    "<p>お客様のアカウントで虚偽の情報が確認されたため、アカウントを一時的に停止しました。"
    "24時間以内にご本人確認を行ってください。</p>"
    '<p><a href="{href}" style="background:#f90;padding:8px">{label}</a></p>'
    "<p>{brand}カスタマーサービス</p></body></html>"
)


def _jpcert_rows() -> list[tuple[str, str, str]]:
    with lzma.open(SHARED / "jpcert-2019-2023-hosts.csv.xz", "rt", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return [(d, h, b) for d, h, b in rows[1:] if b in BRANDS]


def phish_corpus(n: int, seed: int = 7) -> tuple[list[tuple[str, bytes]], dict[str, object]]:
    """``n`` phishing mails (Amazon ~half), and the DNS fixture the online mode needs."""
    rng = random.Random(seed)
    rows = _jpcert_rows()
    amazon = [r for r in rows if r[2] == "Amazon"]
    others = [r for r in rows if r[2] != "Amazon"]
    picked = rng.sample(amazon, n // 2) + rng.sample(others, n - n // 2)
    fixture: dict[str, dict[str, list[str]]] = {}
    for _, (_, _, own, policy) in BRANDS.items():
        fixture[f"_dmarc.{own}"] = {"TXT": [f"v=DMARC1; p={policy}"]}
        fixture[own] = {"TXT": ["v=spf1 include:_spf.brand.example -all"], "A": ["192.0.2.80"]}
    out: list[tuple[str, bytes]] = []
    for i, (_, host, jp_brand) in enumerate(picked):
        bid, names, own, _ = BRANDS[jp_brand]
        name = rng.choice(names)
        host = host.strip().lower()
        attacker = host.split(".", 1)[1] if host.count(".") >= 2 else host
        style = i % 3
        if style == 0:  # the brand's own domain, spoofed (what most real campaigns do)
            from_addr = f"no-reply@{own}"
        elif style == 1:
            from_addr = f"info@{attacker}"
        else:
            from_addr = f"support-{rng.randrange(1000)}@mail{rng.randrange(100)}.{attacker}"
        envelope = f"bounce@{attacker}"
        fixture.setdefault(attacker, {})["TXT"] = ["v=spf1 +all"]
        subject = rng.choice(SUBJECTS.get(bid, SUBJECTS["_"]))
        href = f"https://{host}/signin?ref={rng.randrange(10**6)}"
        label = rng.choice(["ログインして確認", f"{name}にログイン", "今すぐ確認", href])
        text = BODY.format(brand=name, link=href)
        html = HTML.format(brand=name, href=href, label=label)
        ip = f"203.0.113.{rng.randrange(1, 254)}"
        boundary = f"b{rng.randrange(10**9)}"
        msg = (
            f"Received: from {attacker} (unknown [{ip}])\r\n"
            f"\tby mx.example.jp (Postfix) with ESMTP id 4F{i:05d}\r\n"
            f"\tfor <user@example.jp>; Mon, 2 Jan 2023 10:00:00 +0900\r\n"
            f"Return-Path: <{envelope}>\r\n"
            f"From: {Header(name, 'utf-8').encode()} <{from_addr}>\r\n"
            f"To: user@example.jp\r\n"
            f"Subject: {Header(subject, 'utf-8').encode()}\r\n"
            f"Date: Mon, 2 Jan 2023 10:00:00 +0900\r\n"
            f"Message-ID: <{rng.randrange(10**12)}@{attacker}>\r\n"
            "MIME-Version: 1.0\r\n"
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            f"{text}\r\n--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            f"{html}\r\n--{boundary}--\r\n"
        ).encode()
        out.append((f"phish/{bid}/{style}/{host}", msg))
    return out, dict(fixture)


# ---- running ----------------------------------------------------------------------------


def run(
    corpus: list[tuple[str, bytes]], resolver: object | None, offline: bool, private: bool = False
) -> tuple[dict[str, str], dict[str, list[str]], float]:
    verdicts: dict[str, str] = {}
    codes: dict[str, list[str]] = {}
    start = time.perf_counter()
    # private: no lookups of the sender's names, as the add-on opens a mail checked on arrival
    opts = CheckOptions(lang="en", offline=offline, sender_lookups=not private)
    for name, raw in corpus:
        p = check(raw, resolver=resolver, options=opts)  # type: ignore[arg-type]
        verdicts[name] = p.verdict
        codes[name] = [f"{r.code}:{r.severity}" for r in p.reasons]
    return verdicts, codes, time.perf_counter() - start


def table(title: str, verdicts: dict[str, str], elapsed: float) -> collections.Counter[str]:
    c = collections.Counter(verdicts.values())
    n = max(len(verdicts), 1)
    cells = "  ".join(
        f"{v}={c[v]} ({100 * c[v] / n:.1f}%)"
        for v in ("danger", "warning", "caution", "ok", "unknown")
    )
    print(f"{title:<26} n={len(verdicts):<5} {cells}  [{elapsed:.1f} s]")
    return c


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--lists", nargs="*", type=Path, help="folders of .eml (default: the corpora)")
    ap.add_argument("--phish", type=int, default=1000, help="phishing mails to build (0: none)")
    ap.add_argument("--show", action="append", default=[], help="list files with this code")
    ap.add_argument("--mode", action="append", default=[], help="only these modes")
    args = ap.parse_args(argv)
    if args.lists:
        dirs = args.lists
    elif (SHARED / "lists.tar.xz").is_file():
        dirs = unpack_lists()
    else:
        print("no corpora: ../shared/corpora is missing", file=sys.stderr)
        return 0
    legit = list(mails(dirs))
    hard = FixtureResolver(hard_fixture(legit))
    nx_canary = FixtureResolver({"_canary": True})
    modes = {
        "offline": (None, True, False),
        "hard": (hard, False, False),
        "hard+private": (hard, False, True),
        "nxdomain": (NxResolver(), False, False),
        "nxdomain+canary": (nx_canary, False, False),
    }
    failures = 0
    print(f"legitimate list mail: {', '.join(str(d) for d in dirs)}")
    for mode, (res, off, private) in modes.items():
        if args.mode and mode not in args.mode:
            continue
        v, codes, el = run(legit, res, off, private)
        c = table(f"legit {mode}", v, el)
        bad_w = c["warning"] / max(len(v), 1)
        online = not off
        ok = c["danger"] == 0 and (
            bad_w <= 0.01 if online and mode.startswith("hard") else c["warning"] == 0
        )
        failures += not ok
        top = collections.Counter(x for cs in codes.values() for x in set(cs))
        print("   reasons:", ", ".join(f"{k}={n}" for k, n in top.most_common(8)))
        for code in args.show:
            for name, cs in codes.items():
                if any(x.startswith(code) for x in cs):
                    print(f"   {code}: {name} {v[name]} {cs}")
    if args.phish:
        phish, fixture = phish_corpus(args.phish)
        phish_modes = (
            ("hard", FixtureResolver(fixture), False, False),
            ("hard+private", FixtureResolver(fixture), False, True),
            ("offline", None, True, False),
        )
        for mode, res, off, private in phish_modes:
            if args.mode and mode not in args.mode:
                continue
            v, codes, el = run(phish, res, off, private)
            amazon = {k: x for k, x in v.items() if k.startswith("phish/amazon/")}
            other = {k: x for k, x in v.items() if not k.startswith("phish/amazon/")}
            ca = table(f"phish amazon {mode}", amazon, el)
            co = table(f"phish others {mode}", other, el)
            a_rate = ca["danger"] / max(len(amazon), 1)
            o_rate = (co["danger"] + co["warning"]) / max(len(other), 1)
            print(f"   amazon danger {100 * a_rate:.1f}%  others ≥warning {100 * o_rate:.1f}%")
            if mode.startswith("hard"):
                failures += a_rate < 0.95 or o_rate < 0.90
            for code in args.show:
                for name, cs in codes.items():
                    if any(x.startswith(code) for x in cs):
                        print(f"   {code}: {name} {v[name]} {cs}")
            missed = [k for k, x in v.items() if x not in ("danger", "warning")]
            for k in missed[:5]:
                print(f"   missed: {k} {v[k]} {codes[k]}")
    print("targets met" if not failures else f"targets missed in {failures} mode(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", line_buffering=True)
    raise SystemExit(main())
