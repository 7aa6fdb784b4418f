"""Brand catalogue (minuku.catalogue, data/brands.json) and the confusables data behind it."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import pytest
from minuku import catalogue
from minuku.catalogue import load, normalize_host, parse, registrable
from minuku.confusables import build_map, is_mixed_script, loose, skeleton


def _raw() -> dict[str, Any]:
    text = resources.files("minuku").joinpath("data", "brands.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def test_load_is_parsed_once() -> None:
    assert load() is load()


def test_at_least_thirteen_brands_with_unique_ids() -> None:
    cat = load()
    ids = [b.id for b in cat.brands]
    assert len(ids) >= 13 and len(set(ids)) == len(ids)
    for required in [
        "amazon",
        "rakuten",
        "smbc",
        "mufg",
        "mizuho",
        "au",
        "docomo",
        "softbank",
        "apple",
        "microsoft",
        "paypay",
        "mercari",
        "japanpost",
        "yamato",
        "sagawa",
        "jcb",
        "aeon",
        "sbisec",
        "ana",
        "jal",
        "etc",
        "nta",
    ]:
        assert cat.brand(required).id == required
    with pytest.raises(KeyError):
        cat.brand("no-such-brand")


def test_every_brand_has_names_domains_and_labels() -> None:
    for b in load().brands:
        assert b.name_en and b.name_ja, b.id
        assert b.domains and b.names and b.labels, b.id
        assert all(d == d.lower() and "." in d for d in b.domains), b.id


def test_amazon_families() -> None:
    amazon = load().brand("amazon")
    expected = [
        "amazon.co.jp",
        "amazon.jp",
        "amazon.com",
        "amazon.de",
        "amazon.co.uk",
        "amazon.fr",
        "amazon.it",
        "amazon.es",
        "amazon.ca",
        "amazon.com.au",
        "amazon.in",
        "amazon.com.br",
        "amazon.com.mx",
        "amazon.nl",
        "amazon.sg",
        "amazon.ae",
        "amazon.sa",
        "amazon.se",
        "amazon.pl",
        "amazon.com.tr",
        "amazon.eg",
        "amazon.com.be",
        "amazonses.com",
        "media-amazon.com",
        "ssl-images-amazon.com",
        "images-amazon.com",
        "primevideo.com",
        "amazon-adsystem.com",
        "amazonaws.com",
        "amazon.dev",
        "a2z.com",
        "amazontrust.com",
        "awstrack.me",
        "amazonpay.com",
        "audible.co.jp",
    ]
    assert set(expected) <= set(amazon.domains)
    assert set(amazon.dkim_domains) == {"amazon.co.jp", "amazon.com"}
    # Every SES customer signs with amazonses.com: it cannot be proof of Amazon.
    assert "amazonses.com" not in amazon.dkim_domains
    assert amazon.official_urls["message_center"] == "https://www.amazon.co.jp/gp/message"
    names = {n.text: n.ambiguous for n in amazon.names}
    assert names["Amazon"] is False and names["アマゾン"] is False
    assert names["Prime"] is True and names["プライム"] is True


def test_official_urls_are_https_pages_of_the_brand_itself() -> None:
    cat = load()
    for b in cat.brands:
        assert b.official_urls, b.id
        for key, url in b.official_urls.items():
            parts = urlsplit(url)
            assert parts.scheme == "https", (b.id, key)
            owner = cat.owner_of(parts.hostname or "")
            assert owner is not None and owner.id == b.id, (b.id, url)


def test_dkim_domains_belong_to_their_brand() -> None:
    cat = load()
    for b in cat.brands:
        for d in b.dkim_domains:
            owner = cat.owner_of(d)
            assert owner is not None and owner.id == b.id
            assert not cat.is_shared(d)


def test_ambiguous_short_names_are_marked() -> None:
    cat = load()
    ambiguous = {(b.id, n.text) for b in cat.brands for n in b.names if n.ambiguous}
    for pair in [("au", "au"), ("ana", "ANA"), ("jal", "JAL"), ("apple", "Apple")]:
        assert pair in ambiguous
    for b in cat.brands:
        for lb in b.labels:
            if len(lb.label) <= 3:
                assert lb.typo == "none", (b.id, lb.label)


@pytest.mark.parametrize(
    ("domain", "brand"),
    [
        ("amazon.co.jp", "amazon"),
        ("WWW.AMAZON.CO.JP.", "amazon"),
        ("ａｍａｚｏｎ．ｃｏ．ｊｐ", "amazon"),
        ("m.media-amazon.com", "amazon"),
        ("email.amazonses.com", "amazon"),
        ("e-tax.nta.go.jp", "nta"),
        ("www.rakuten-card.co.jp", "rakuten"),
        ("vpass.ne.jp", "smbc"),
        ("bk.mufg.jp", "mufg"),
        ("smt.docomo.ne.jp", "docomo"),
        ("mb.softbank.jp", "softbank"),
        ("id.apple.com", "apple"),
        ("login.microsoftonline.com", "microsoft"),
        ("paypay-card.co.jp", "paypay"),
        ("jp.mercari.com", "mercari"),
        ("www.post.japanpost.jp", "japanpost"),
        ("www.kuronekoyamato.co.jp", "yamato"),
        ("www.sagawa-exp.co.jp", "sagawa"),
        ("my.jcb.co.jp", "jcb"),
        ("www.aeonbank.co.jp", "aeon"),
        ("site1.sbisec.co.jp", "sbisec"),
        ("www.ana.co.jp", "ana"),
        ("www.jal.co.jp", "jal"),
        ("www.etc-meisai.jp", "etc"),
    ],
)
def test_owner_of(domain: str, brand: str) -> None:
    owner = load().owner_of(domain)
    assert owner is not None and owner.id == brand


@pytest.mark.parametrize(
    "domain",
    [
        "amazon.co.jp.evil.top",
        "amazon-co-jp.com",
        "bucket.s3.amazonaws.com",  # customer content: its own registrable domain (PSL private)
        "s3.amazonaws.com",  # a public suffix has no owner
        "xn--mazon-3ve.co.jp",
        "co.jp",
        "",
        "..",
        "jalan.net",
    ],
)
def test_owner_of_none(domain: str) -> None:
    assert load().owner_of(domain) is None


def test_freemail_and_shared() -> None:
    cat = load()
    for d in ("gmail.com", "yahoo.co.jp", "outlook.jp", "icloud.com", "docomo.ne.jp", "QQ.com"):
        assert cat.is_freemail(d), d
    for d in ("amazon.co.jp", "rakuten.co.jp", "example.com", "mail.google.com"):
        assert not cat.is_freemail(d), d
    assert cat.is_shared("icloud.com") and cat.is_shared("docomo.ne.jp")
    assert cat.is_shared("eu-west-1.amazonses.com") and cat.is_shared("x.s3.amazonaws.com")
    assert not cat.is_shared("www.au.com")  # only the mailbox domain itself is shared
    assert not cat.is_shared("amazon.co.jp")


def test_known_unrelated() -> None:
    cat = load()
    assert cat.is_known_unrelated("www.jalan.net")
    assert not cat.is_known_unrelated("jal.co.jp")


def test_normalize_and_registrable_helpers() -> None:
    assert normalize_host(" Amazon.CO.JP. ") == "amazon.co.jp"
    assert normalize_host("xn--mazon-3ve.co.jp") == "аmazon.co.jp"
    assert normalize_host("xn--zz--bad.com") == "xn--zz--bad.com"  # invalid punycode kept
    assert normalize_host("amazon\u3002co\u3002jp") == "amazon.co.jp"
    assert registrable("a.b.amazon.co.jp") == "amazon.co.jp"
    assert registrable("co.jp") is None
    assert registrable("a..b") is None


def test_parse_rejects_bad_data() -> None:
    good = _raw()
    parse(good)
    bad_url = copy.deepcopy(good)
    bad_url["brands"][0]["official_urls"]["home"] = "http://www.amazon.co.jp/"
    with pytest.raises(ValueError, match="https"):
        parse(bad_url)
    bad_mode = copy.deepcopy(good)
    bad_mode["brands"][0]["labels"][0]["typo"] = "fuzzy"
    with pytest.raises(ValueError, match="typo mode"):
        parse(bad_mode)
    dup = copy.deepcopy(good)
    dup["brands"].append(dup["brands"][0])
    with pytest.raises(ValueError, match="duplicate"):
        parse(dup)
    bad_list = copy.deepcopy(good)
    bad_list["freemail"] = "gmail.com"
    with pytest.raises(TypeError):
        parse(bad_list)
    # A bare string would be read letter by letter ("visa" -> v, i, s, a): refused.
    bad_words = copy.deepcopy(good)
    bad_words["lookalike"]["common_words"] = "visa"
    with pytest.raises(TypeError, match="common_words"):
        parse(bad_words)


def test_lookalike_source_notes_name_every_list_they_vouch_for() -> None:
    """The abused-TLD and common-word lists carry where they come from (issue 11: data in
    data files, each with its source), and every TLD added on 2026-11-30 is named in it."""
    lk = json.loads(
        resources.files("minuku").joinpath("data", "brands.json").read_text(encoding="utf-8")
    )["lookalike"]
    source = lk["_abused_tlds_source"]
    assert "Interisle" in source and "Spamhaus" in source
    for tld in ("info", "xin", "cc", "pro", "tokyo"):
        assert f".{tld}" in source and tld in lk["abused_tlds"], tld
    assert "wordfreq" in lk["_common_words_source"]
    labels = {lb.label for b in load().brands for lb in b.labels}
    assert set(lk["common_words"]) <= labels  # a word the engine never looks for is a typo


# --- confusables --------------------------------------------------------------------------


def test_skeleton_and_loose() -> None:
    assert skeleton("\u0410mazon") == "amazon"  # Cyrillic A
    assert skeleton("\u0391maz\u03bfn") == "amazon"  # Greek alpha, omicron
    assert skeleton("Ａｍａｚｏｎ") == "amazon"
    assert skeleton("amazön") == "amazon"
    assert skeleton("アマゾン・カスタマーサービス") == "アマゾン・カスタマーサービス"
    assert skeleton("ガ") == "ガ"  # voiced kana keep their mark
    assert skeleton("ama\u200bzon\u202e") == "amazon"
    assert loose("arnaz0n") == loose("amazon")
    assert loose("icIoud") == loose("icloud")
    assert loose("vvww") == loose("www")


def test_mixed_script() -> None:
    assert is_mixed_script("\u0430mazon")
    assert not is_mixed_script("\u0430\u0440\u0440\u04cf\u0435")  # whole-script Cyrillic
    assert not is_mixed_script("amazonアマゾン")  # Latin + Japanese is allowed
    assert not is_mixed_script("Ａｍａｚｏｎ")


def test_shipped_confusable_map_matches_regeneration() -> None:
    confusable_homoglyphs = pytest.importorskip("confusable_homoglyphs")
    from pathlib import Path

    src = Path(confusable_homoglyphs.__file__).with_name("confusables.json")
    table = build_map(json.loads(src.read_text(encoding="utf-8")))
    shipped = json.loads(
        resources.files("minuku")
        .joinpath("data", "confusables_ascii.json")
        .read_text(encoding="utf-8")
    )["map"]
    assert shipped == table
    for ch, target in {
        "а": "a",
        "о": "o",
        "е": "e",
        "с": "c",
        "р": "p",
        "α": "a",
        "ο": "o",
    }.items():
        assert table[ch] == target


def test_catalogue_module_exposes_all_domains() -> None:
    pairs = list(catalogue.all_domains(load()))
    assert ("amazon", "amazon.co.jp") in pairs and ("nta", "nta.go.jp") in pairs


# --- "always signs" (issue 7.3): evidence recorded, rule per sending domain ---------------------


def test_every_brand_with_dkim_domains_records_its_evidence() -> None:
    """A wrong dkim_domains entry makes every genuine mail of that domain "danger": each one
    must say where (and when) the signing was seen."""
    for b in load().brands:
        if b.dkim_domains:
            assert len(b.dkim_evidence) >= 40, b.id
        else:
            assert b.dkim_evidence == "", b.id


def test_parse_refuses_dkim_domains_without_evidence() -> None:
    bad = copy.deepcopy(_raw())
    rakuten = next(b for b in bad["brands"] if b["id"] == "rakuten")
    rakuten["dkim_evidence"] = "  "
    with pytest.raises(ValueError, match="dkim_evidence"):
        parse(bad)
    rakuten["dkim_evidence"] = ["not", "a", "string"]
    with pytest.raises(TypeError, match="dkim_evidence"):
        parse(bad)


def test_rakuten_card_signs_but_the_rest_of_rakuten_is_not_assumed_to() -> None:
    """Evidence covers Rakuten Card's own statement only: mail From rakuten-card.co.jp (and its
    subdomains) must carry a rakuten-card.co.jp signature; Ichiba's rakuten.co.jp, Rakuten
    Bank and Rakuten Securities mail is not judged by it."""
    rakuten = load().brand("rakuten")
    assert rakuten.dkim_domains == ("rakuten-card.co.jp",)
    assert rakuten.dkim_required_for("mail.rakuten-card.co.jp") == ("rakuten-card.co.jp",)
    assert rakuten.dkim_required_for("RAKUTEN-CARD.CO.JP.") == ("rakuten-card.co.jp",)
    for other in ("rakuten.co.jp", "mkrm.rakuten.co.jp", "rakuten-bank.co.jp", "rakuten-sec.co.jp"):
        assert rakuten.dkim_required_for(other) == (), other


def test_dkim_rule_is_per_sending_domain_not_per_brand() -> None:
    amazon = load().brand("amazon")
    assert set(amazon.dkim_required_for("amazon.co.jp")) == {"amazon.co.jp", "amazon.com"}
    # Audible is Amazon's, but nobody recorded Audible's signing domain.
    assert amazon.dkim_required_for("audible.co.jp") == ()
    # shared infrastructure never makes a requirement
    assert amazon.dkim_required_for("amazonses.com") == ()
    # junk never crashes
    assert amazon.dkim_required_for("") == ()
    assert amazon.dkim_required_for("co.jp") == ()


def test_no_japanese_carrier_or_bank_is_assumed_to_sign_without_evidence() -> None:
    """Carrier mail domains are consumer mailboxes (docomo.ne.jp, ezweb.ne.jp): a signing rule
    there would call ordinary people's mail forged. Banks and card companies whose signing
    domain was not seen (MUFG signs some mail with S/MIME, JCB announces DMARC only) stay
    without dkim_domains until header evidence is recorded."""
    cat = load()
    for bid in ("docomo", "au", "softbank", "mufg", "mizuho", "jcb", "aeon", "smbc"):
        assert cat.brand(bid).dkim_domains == (), bid


def _rakuten_mail(from_addr: str, dkim_d: str | None) -> bytes:
    sig = (
        f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={dkim_d}; s=s1;\n"
        " h=from:to:subject:date; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\n"
        if dkim_d
        else ""
    )
    return (
        sig + f"From: 楽天カード <{from_addr}>\n"
        "To: taro@example.net\nSubject: =?utf-8?b?44GU5Yip55So5piO57Sw?=\n"
        "Date: Mon, 01 Jan 2024 00:00:00 +0900\nMessage-ID: <1@example>\n"
        "Content-Type: text/plain; charset=utf-8\n\n楽天カードをご利用いただきありがとうございます。\n"
    ).encode()


def test_unsigned_mail_from_rakuten_card_is_forged_offline() -> None:
    """Offline, a mail From rakuten-card.co.jp with no rakuten-card.co.jp signature is what a
    spoofer sends: the brand says it signs every mail."""
    from minuku.check import CheckOptions, analyse_raw

    offline = CheckOptions(offline=True)
    forged = analyse_raw(
        _rakuten_mail("info@mail.rakuten-card.co.jp", None), resolver=None, options=offline
    )
    assert "brand_unsigned" in {f.code for f in forged.findings}
    assert forged.verdict == "danger"
    other_signer = analyse_raw(
        _rakuten_mail("info@mail.rakuten-card.co.jp", "mailer.example.net"),
        resolver=None,
        options=offline,
    )
    assert "brand_unsigned" in {f.code for f in other_signer.findings}
    signed = analyse_raw(
        _rakuten_mail("info@mail.rakuten-card.co.jp", "mail.rakuten-card.co.jp"),
        resolver=None,
        options=offline,
    )
    assert "brand_unsigned" not in {f.code for f in signed.findings}
    # Ichiba's domain is not covered by the evidence: never "unsigned" there.
    ichiba = analyse_raw(_rakuten_mail("order@rakuten.co.jp", None), resolver=None, options=offline)
    assert "brand_unsigned" not in {f.code for f in ichiba.findings}


def test_country_mailboxes_of_a_brand_are_its_own_and_anyones() -> None:
    """hotmail.com.mx is Outlook.com's Mexican mail domain: Microsoft's own (no look-alike),
    and, as hotmail.com, a mailbox anyone may hold: shared and freemail, so a sender there
    is never taken for Microsoft."""
    from minuku import catalogue
    from minuku.lookalike import check_domain

    cat = catalogue.load()
    for domain in ("hotmail.com.mx", "hotmail.es", "live.com.mx", "outlook.com.mx"):
        owner = cat.owner_of(domain)
        assert owner is not None and owner.id == "microsoft", domain
        assert check_domain(domain) is None, domain
        assert domain in owner.shared_domains, domain
        assert domain in cat.freemail, domain
