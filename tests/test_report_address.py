"""Issue 9.4: the brand's own report address travels in the verdict, from the catalogue only.

Amazon's help (「詐欺目的の連絡を見分ける」) names reportascam@amazon.com for forwarding mail that
imitates it; the banner's 「Amazonにも報告」 opens a forward to that address. The address comes
from ``data/advice.json`` (each entry with the official page that names it), never from the
mail: a phish cannot point the user's report at itself.
"""

from __future__ import annotations

import json
from importlib import resources
from urllib.parse import urlsplit

from minuku.catalogue import load
from minuku.check import CheckOptions, check

PHISH = (
    b"From: Amazon.co.jp <account-update@amazon-co-jp-security.com>\r\n"
    b"Reply-To: reportascam@amazon-co-jp-security.com\r\n"
    b"To: hanako@example-isp.ne.jp\r\n"
    b"Subject: =?UTF-8?B?44CQ6YeN6KaB44CR5aWR57SE5LiN5bGl6KGM44Gr6Zai44GZ44KL6YCa55+l?=\r\n"
    b"Date: Fri, 27 Nov 2026 09:12:44 +0900\r\n"
    b"Message-ID: <p1@amazon-co-jp-security.com>\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Report suspicious mail to reportascam@amazon-co-jp-security.com\r\n"
    b"https://amazon-co-jp-security.com/ap/signin\r\n"
)


def _addresses() -> dict[str, dict[str, str]]:
    data = json.loads(resources.files("minuku.data").joinpath("advice.json").read_text("utf-8"))
    return {k: v for k, v in data["report_addresses"].items() if not k.startswith("$")}


def test_amazon_phish_carries_amazons_own_address_not_the_mails() -> None:
    payload = check(PHISH, options=CheckOptions(offline=True))
    assert payload.verdict == "danger"
    assert payload.brand is not None and payload.brand.id == "amazon"
    assert payload.brand.report_to == "reportascam@amazon.com"


def test_mail_without_a_brand_has_no_report_address() -> None:
    raw = PHISH.replace(b"Amazon.co.jp <", b"Shop <").replace(b"amazon-co-jp-security", b"shop-x")
    payload = check(raw, options=CheckOptions(offline=True))
    assert payload.brand is None or payload.brand.report_to is None


def test_every_report_address_is_a_catalogue_brands_and_sourced_on_its_own_domain() -> None:
    cat = load()
    for brand_id, entry in _addresses().items():
        brand = cat.brand(brand_id)
        assert brand is not None, brand_id
        src = urlsplit(entry["source"])
        assert src.scheme == "https"
        host = src.hostname or ""
        assert any(host == d or host.endswith("." + d) for d in brand.domains), (brand_id, host)
        local, _, domain = entry["address"].partition("@")
        assert local and entry["says"], brand_id
        assert domain in brand.domains, (brand_id, "the address is at the brand's own domain")


def test_cli_report_names_the_brands_address_for_danger_only() -> None:
    import io

    from minuku.cli import print_report

    for lang, lead in (("en", "Amazon's own help"), ("ja", "Amazonの公式ヘルプ")):
        out = io.StringIO()
        print_report(check(PHISH, options=CheckOptions(offline=True, lang=lang)), out)
        text = out.getvalue()
        assert lead in text and "\n    reportascam@amazon.com\n" in text, text[-400:]
        assert "reportascam@amazon-co-jp-security.com" not in text.split(lead)[1]
    harmless = PHISH.replace(b"Amazon.co.jp <", b"Shop <").replace(
        b"amazon-co-jp-security", b"shop-x"
    )
    out = io.StringIO()
    print_report(check(harmless, options=CheckOptions(offline=True)), out)
    assert "reportascam@amazon.com" not in out.getvalue()
