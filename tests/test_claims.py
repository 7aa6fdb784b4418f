"""Brand claims (minuku.claims): the message presenting itself AS a brand, never a mention."""

from __future__ import annotations

import base64

import pytest
from minuku.claims import BrandClaim, claimed_brand, default_detector, detect_claims
from minuku.message import Address, Image, MessageView, parse_message


def _addr(display: str, addr: str) -> Address:
    local, _, domain = addr.partition("@")
    return Address(display, addr, local, domain, domain)


def view(
    display: str = "",
    addr: str = "someone@example.net",
    subject: str = "",
    text: str = "",
    html_text: str = "",
    images: tuple[Image, ...] = (),
) -> MessageView:
    return MessageView(
        raw=b"",
        headers=(),
        from_=(_addr(display, addr),),
        from_header_count=1,
        sender=None,
        reply_to=(),
        return_path=None,
        subject=subject,
        received=(),
        authentication_results=(),
        dkim_signatures=(),
        arc_headers=(),
        text=text,
        html_text=html_text,
        links=(),
        images=images,
    )


def wheres(v: MessageView, brand: str) -> set[str]:
    return {c.where for c in detect_claims(v) if c.brand_id == brand}


# --- display name ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("display", "brand"),
    [
        ("Amazon", "amazon"),
        ("\u0410mazon", "amazon"),  # Cyrillic capital A
        ("Ａｍａｚｏｎ", "amazon"),  # full-width
        ("アマゾン", "amazon"),
        ("Amazon.co.jp", "amazon"),
        ("\u0391mazon", "amazon"),  # Greek capital alpha
        ("\u0391maz\u03bfn", "amazon"),  # Greek alpha and omicron
        ("Amazon Security Team", "amazon"),
        ("アマゾン・カスタマーサービス", "amazon"),
        ("amazon.co.jp", "amazon"),
        ("Ama\u200bzon", "amazon"),  # zero-width space inside
        ("Arnazon", "amazon"),  # rn for m
        ("楽天カード株式会社", "rakuten"),
        ("三井住友カード", "smbc"),
        ("ANA マイレージクラブ", "ana"),
        ("Apple", "apple"),
        ("Apple Support", "apple"),
        ("PayPaI", "paypal"),  # capital I for l
        ("NTTドコモ", "docomo"),
        ("ETC利用照会サービス事務局", "etc"),
        ("国税庁", "nta"),
        ("ヤマト運輸", "yamato"),
    ],
)
def test_display_name_claims(display: str, brand: str) -> None:
    assert "display_name" in wheres(view(display=display), brand)


@pytest.mark.parametrize(
    "display",
    [
        "John Apple",
        "Apple Seed Farm",
        "Augusta",  # au inside a word
        "Anna",
        "佐藤みずほ",  # a person called Mizuho
        "Prime Minister's Office",
        "Taro Yamada",
        "Amazonas Tours",
        "",
    ],
)
def test_display_names_that_are_not_claims(display: str) -> None:
    assert [c for c in detect_claims(view(display=display)) if c.where == "display_name"] == []


def test_display_name_with_fake_address_inside() -> None:
    v = view(display="amazon.co.jp", addr="x@evil.example")
    assert wheres(v, "amazon") == {"display_name"}


# --- subject ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "brand"),
    [
        ("【Amazon】お支払い方法の更新", "amazon"),
        ("Amazon.co.jp: アカウントの確認", "amazon"),
        ("【重要】お客様のAmazonアカウントを一時停止しました", "amazon"),
        ("Your Amazon account has been suspended", "amazon"),
        ("Amazonからのお知らせ", "amazon"),
        ("Amazon プライム会員情報の更新", "amazon"),
        ("[Apple] Your Apple ID was used", "apple"),
        ("【楽天カード】ご利用確認", "rakuten"),
        ("■三井住友カード｜ご利用確認のお願い", "smbc"),
        ("【重要】【ＰａｙＰａｙ】本人確認", "paypay"),
    ],
)
def test_subject_claims(subject: str, brand: str) -> None:
    assert "subject" in wheres(view(subject=subject), brand)


@pytest.mark.parametrize(
    "subject",
    [
        "Re: amazonで買った本",  # a reply is a conversation, never the brand talking
        "amazonで買った本",  # brand followed by a particle: a mention
        "Fwd: 【Amazon】注文",
        "Amazon Prime Video で映画を見た",
        "Amazonの注文について相談",
        "Apple Pie recipe",
        "Prime Day is coming",
        "ANAの便で行く旅",
        "【重要】契約不履行に関する通知",
        "明日の予定",
    ],
)
def test_subjects_that_are_not_claims(subject: str) -> None:
    assert default_detector().subject_brands(subject) == []


# --- local part, signature, logo, domain label ------------------------------------------------


def test_local_part_claim() -> None:
    assert "local_part" in wheres(view(addr="amazon-security@mail.example"), "amazon")
    assert "local_part" in wheres(view(addr="rakuten_card@mail.example"), "rakuten")
    assert wheres(view(addr="taro.yamada@mail.example"), "amazon") == set()
    assert wheres(view(addr="apple@mail.example"), "apple") == set()  # ambiguous alone


def test_signature_claims() -> None:
    body = (
        "お客様\n\nアカウントを確認してください。\n\n"
        "Amazon.co.jp カスタマーサービス\n"
        "© 1996-2024, Amazon.com, Inc. or its affiliates\n"
    )
    claims = [c for c in detect_claims(view(text=body)) if c.where == "signature"]
    assert {c.brand_id for c in claims} == {"amazon"}
    assert claims[0].text == "Amazon.co.jp カスタマーサービス"
    assert "signature" in wheres(
        view(html_text="ご利用ありがとうございます\n楽天カード株式会社"), "rakuten"
    )


def test_friend_mentioning_amazon_in_the_body_is_not_a_claim() -> None:
    body = (
        "こんにちは\n昨日Amazonで買ったよ\nI bought it on Amazon\nAmazonで買ったよ\nまたね\n太郎\n"
    )
    v = view(display="山田 太郎", addr="taro@gmail.com", subject="本のこと", text=body)
    assert detect_claims(v) == []
    assert claimed_brand(detect_claims(v)) is None


def test_signature_only_near_the_end() -> None:
    top = "Amazon.co.jp カスタマーサービス\n"
    body = top + "\n".join(f"line {i} of a long letter" for i in range(30))
    assert wheres(view(text=body), "amazon") == set()


def test_logo_alt_claims() -> None:
    v = view(images=(Image("cid:logo", "Amazon"), Image("x.png", "banner")))
    assert "logo_alt" in wheres(v, "amazon")
    assert "logo_alt" in wheres(view(images=(Image("a.png", "Apple logo"),)), "apple")
    assert wheres(view(images=(Image("a.png", "photo of my apple tree"),)), "apple") == set()


def test_sender_domain_label_claim() -> None:
    v = view(addr="info@amazon-co-jp-security.com")
    assert "sender_domain_label" in wheres(v, "amazon")
    assert wheres(view(addr="info@amazon.co.jp"), "amazon") == set()


# --- claimed_brand ------------------------------------------------------------------------------


def test_claimed_brand_prefers_the_heaviest() -> None:
    claims = [
        BrandClaim("rakuten", "subject", "x"),
        BrandClaim("amazon", "display_name", "Amazon"),
        BrandClaim("amazon", "signature", "Amazon.co.jp"),
    ]
    assert claimed_brand(claims) == "amazon"
    assert claimed_brand([BrandClaim("jcb", "local_part", "jcb")]) == "jcb"
    assert claimed_brand([]) is None
    tie = [BrandClaim("rakuten", "subject", "a"), BrandClaim("amazon", "signature", "b")]
    assert claimed_brand(tie) == "rakuten"


def test_typical_amazon_phish_from_raw_bytes() -> None:
    name = base64.b64encode("Аmazon.co.jp".encode()).decode()  # Cyrillic А
    subject = base64.b64encode("【重要】契約不履行に関する通知 Amazon".encode()).decode()
    body = (
        "Amazon お客様\n\nお客様のアカウントは虚偽の情報により停止されました。\n"
        "https://amazon-co-jp.signin-verify.top/ap/signin\n\nAmazon.co.jp カスタマーサービス\n"
    )
    raw = (
        f"From: =?utf-8?B?{name}?= <account-update@amazon-co-jp.signin-verify.top>\n"
        f"To: you@example.jp\nSubject: =?utf-8?B?{subject}?=\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
    ).encode() + body.encode()
    claims = detect_claims(parse_message(raw))
    assert {c.where for c in claims} >= {"display_name", "signature", "sender_domain_label"}
    assert claimed_brand(claims) == "amazon"


def test_hostile_fields_do_not_crash() -> None:
    junk = "\x00\ud800" + "【" * 500 + "Amazon" * 200 + "】" * 500
    v = view(display=junk, addr=junk + "@" + junk, subject=junk, text=junk * 3, html_text=junk)
    claims = detect_claims(v)
    assert all(c.brand_id == "amazon" for c in claims)
