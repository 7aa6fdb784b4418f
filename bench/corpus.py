"""Generated benchmark corpus: signed genuine brand mail, phish variants and ordinary mail.

Keys are made at run time (openssl) and published through a fixture DNS dict, so the corpus
verifies for real without touching the network. Nothing here is committed output.
"""

from __future__ import annotations

import base64
import random
import subprocess
import tempfile
from email.header import Header
from pathlib import Path

import dkim

PHISH_DOMAINS = [
    "amazon-co-jp-security.com",
    "amazonjp-login.top",
    "www-amazon-co-jp.buzz",
    "amaz0n.co.jp",
    "arnazon.co.jp",
    "amazon.co.jp.account-verify.top",
    "amazon.jp.net",
    "amazom.co.jp",
]
SUBJECTS = [
    "【重要】契約不履行に関する通知",
    "Amazon.co.jp: アカウントが一時的に停止されました",
    "お支払い方法の更新をお願いします",
    "【Amazon】ご本人確認のお願い",
]
FRIENDS = ["gmail.com", "yahoo.co.jp", "example-univ.ac.jp", "example-shop.co.jp"]


def _rsa_key() -> tuple[bytes, str]:
    with tempfile.TemporaryDirectory() as d:
        key = Path(d) / "k.pem"
        subprocess.run(
            ["openssl", "genrsa", "-traditional", "-out", str(key), "2048"],
            check=True,
            capture_output=True,
        )
        pub = subprocess.run(
            ["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
            check=True,
            capture_output=True,
        ).stdout
        return key.read_bytes(), base64.b64encode(pub).decode()


def _enc(s: str) -> str:
    return Header(s, "utf-8").encode()


def build(n: int, seed: int = 7) -> tuple[list[bytes], dict[str, dict[str, list[str]]]]:
    rnd = random.Random(seed)
    priv, pub = _rsa_key()
    dns: dict[str, dict[str, list[str]]] = {
        "bench._domainkey.amazon.co.jp": {"TXT": [f"v=DKIM1; k=rsa; p={pub}"]},
        "amazon.co.jp": {"TXT": ["v=spf1 ip4:54.240.0.0/18 -all"]},
        "_dmarc.amazon.co.jp": {"TXT": ["v=DMARC1; p=quarantine"]},
        "_dmarc.gmail.com": {"TXT": ["v=DMARC1; p=none"]},
        "gmail.com": {"TXT": ["v=spf1 ip4:209.85.128.0/17 ~all"]},
    }
    for d in PHISH_DOMAINS:
        dns[d] = {"TXT": ["v=spf1 ip4:203.0.113.0/24 -all"]}
    msgs: list[bytes] = []
    for i in range(n):
        kind = i % 3
        rcv = f"Received: from mx{i}.sender.example (mx{i}.sender.example [{{ip}}])\r\n\tby mx1.example-isp.ne.jp (Postfix) with ESMTPS id {i:08X}\r\n\tfor <hanako@example-isp.ne.jp>; Fri, 27 Nov 2026 10:00:00 +0900\r\n"
        if kind == 0:
            body = f"ハナコ様\r\nご注文 #{rnd.randint(100, 999)}-{i} の商品を発送しました。\r\nhttps://www.amazon.co.jp/gp/css/order-history\r\n".encode()
            head = (
                f"From: {_enc('Amazon.co.jp')} <shipment-tracking@amazon.co.jp>\r\nTo: hanako@example-isp.ne.jp\r\n"
                f"Subject: {_enc('ご注文の商品を発送しました')}\r\nDate: Fri, 27 Nov 2026 10:00:00 +0900\r\n"
                f"Message-ID: <{i}@amazon.co.jp>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n"
            ).encode()
            m = head + b"\r\n" + body
            sig = dkim.sign(
                m,
                b"bench",
                b"amazon.co.jp",
                priv,
                include_headers=[b"from", b"to", b"subject", b"date"],
            )
            msgs.append(
                (
                    "Return-Path: <b@amazon.co.jp>\r\n" + rcv.format(ip=f"54.240.1.{i % 250}")
                ).encode()
                + sig
                + m
            )
        elif kind == 1:
            dom = rnd.choice(PHISH_DOMAINS)
            html = (
                f"<p>お客様のアカウントは一時的に停止されています。24時間以内に</p>"
                f'<a href="https://{dom}/ap/signin?x={i}">Amazonにログイン</a>'
                f'<a href="https://{dom}/help">https://www.amazon.co.jp/gp/help</a><p>Amazon.co.jp</p>'
            )
            head = (
                f"Return-Path: <b@{dom}>\r\n"
                + rcv.format(ip=f"203.0.113.{i % 250}")
                + f"From: {_enc('Amazon')} <no-reply@{dom}>\r\nSubject: {_enc(rnd.choice(SUBJECTS))}\r\n"
                f"Message-ID: <{i}@{dom}>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n"
                "Content-Transfer-Encoding: base64\r\n"
            )
            msgs.append(head.encode() + b"\r\n" + base64.encodebytes(html.encode()))
        else:
            dom = rnd.choice(FRIENDS)
            text = f"花子さん\r\nこの前の本、Amazonで買ったよ。{i}日に持っていくね。\r\n太郎\r\n"
            head = (
                f"Return-Path: <taro{i}@{dom}>\r\n"
                + rcv.format(ip=f"209.85.214.{i % 250}")
                + f"From: {_enc('山田太郎')} <taro{i}@{dom}>\r\nSubject: {_enc('週末の件')}\r\n"
                f"Message-ID: <{i}@{dom}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n"
            )
            msgs.append(head.encode() + b"\r\n" + text.encode())
    return msgs, dns
