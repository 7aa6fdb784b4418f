"""Link text counts as a host only when it reads as one (issue 7, "Field truth").

List mail links file names (``detector.sv``, ``setup.sh``, ``main.py``) whose endings are
country TLDs; "a link that shows detector.sv but goes to github.com" was a false warning.
Real phishing tricks (a URL, ``www.``, a brand's domain shown over a link elsewhere) must still
be caught. Each case is written out here; no external files.
"""

from __future__ import annotations

import pytest
from minuku.check import CheckOptions, analyse_raw
from minuku.links import link_data, link_findings, shown_host
from minuku.message import make_link, parse_message

OFFLINE = CheckOptions(offline=True)


def mismatches(html: str) -> list[tuple[str, str]]:
    raw = (
        "From: Taro <taro@example-shop.co.jp>\nSubject: hi\n"
        "Content-Type: text/html; charset=utf-8\n\n" + html
    ).encode()
    view = parse_message(raw)
    return [
        (f.params["shown"], f.params["host"])
        for f in link_findings(view.links)
        if f.code == "link_text_mismatch"
    ]


# --- patch mail must not trip it --------------------------------------------------------------

# An HTML rendering of a GitHub/GitLab-style review notification for a kernel-style patch: every
# file name is a link to the forge.
PATCH_NOTIFICATION = """\
<p>[PATCH v3 2/7] nfc: pn533: handle short frames</p>
<ul>
<li><a href="https://github.com/example/hw/blob/main/rtl/detector.sv">detector.sv</a></li>
<li><a href="https://github.com/example/hw/blob/main/main.py">main.py</a></li>
<li><a href="https://github.com/example/hw/blob/main/README.md">README.md</a></li>
<li><a href="https://github.com/example/hw/blob/main/setup.sh">setup.sh</a></li>
<li><a href="https://github.com/example/hw/blob/main/Makefile.am">Makefile.am</a></li>
<li><a href="https://github.com/example/hw/blob/main/foo.c">foo.c</a></li>
<li><a href="https://github.com/example/hw/blob/main/src/bar.rs">bar.rs</a></li>
<li><a href="https://github.com/example/hw/blob/main/x.pl">x.pl</a></li>
<li><a href="https://github.com/example/hw/blob/main/y.sh">y.sh</a></li>
<li><a href="https://github.com/example/hw/blob/main/docs/z.md">z.md</a></li>
<li><a href="https://github.com/example/hw/blob/main/lib/file.so">file.so</a></li>
<li><a href="https://github.com/example/hw/blob/main/a.in">a.in</a></li>
<li><a href="https://github.com/example/hw/blob/main/module.ko">module.ko</a></li>
<li><a href="https://github.com/example/hw/blob/main/TODO.org">TODO.org</a></li>
<li><a href="https://github.com/example/hw/blob/main/doc/gcc.info">gcc.info</a></li>
<li><a href="https://gitlab.com/example/hw/-/blob/main/drivers/nfc/pn533/pn533.c">drivers/nfc/pn533/pn533.c</a></li>
</ul>
"""


def test_patch_mail_file_names_are_not_hosts() -> None:
    assert mismatches(PATCH_NOTIFICATION) == []


@pytest.mark.parametrize(
    "name",
    [
        "detector.sv",
        "main.py",
        "README.md",
        "setup.sh",
        "Makefile.am",
        "foo.c",
        "bar.rs",
        "x.pl",
        "y.sh",
        "z.md",
        "file.so",
        "a.in",
        "module.ko",
        "readme.io",  # a real site too, but as bare text in list mail it is a file name
        "TODO.org",  # Emacs Org file: .org is generic, but stem.org with ext org is a file
        "gcc.info",  # GNU Info manual
        "co.jp",  # a public suffix alone is nobody's site
    ],
)
def test_file_names_are_not_shown_hosts(name: str) -> None:
    assert shown_host(name) is None


def test_text_mail_of_a_patch_gives_no_link_findings() -> None:
    """The usual list mail: plain text with a diffstat and a lore link."""
    raw = (
        b"From: Dev <dev@example.org>\nSubject: [PATCH] nfc: fix detector.sv\n"
        b"Content-Type: text/plain\n\n"
        b" drivers/nfc/detector.sv | 4 ++--\n setup.sh | 2 +-\n\n"
        b"Link: https://lore.kernel.org/r/20240101.1234-1-dev@example.org\n"
    )
    assert analyse_raw(raw, resolver=None, options=OFFLINE).verdict == "ok"


# --- phishing tricks must still be caught -----------------------------------------------------


def test_url_text_over_a_lookalike_href_is_caught() -> None:
    assert mismatches('<a href="https://amaz0n-login.xyz/">https://www.amazon.co.jp/</a>') == [
        ("www.amazon.co.jp", "amaz0n-login.xyz")
    ]


def test_bare_brand_domain_text_over_another_host_is_caught() -> None:
    assert mismatches('<a href="https://evil.top/signin">amazon.co.jp</a>') == [
        ("amazon.co.jp", "evil.top")
    ]


def test_www_text_over_another_host_is_caught() -> None:
    assert mismatches('<a href="https://evil.top/r">www.rakuten.co.jp</a>') == [
        ("www.rakuten.co.jp", "evil.top")
    ]


def test_full_width_brand_domain_still_counts() -> None:
    """Japanese mail writes domains in full-width letters; NFKC comes first."""
    assert shown_host("ａｍａｚｏｎ．ｃｏ．ｊｐ") == "amazon.co.jp"
    assert mismatches('<a href="https://evil.top/">ａｍａｚｏｎ．ｃｏ．ｊｐ</a>') == [
        ("amazon.co.jp", "evil.top")
    ]


def test_ideographic_dots_and_invisibles_still_count() -> None:
    assert shown_host("amazon。co。jp") == "amazon.co.jp"
    assert shown_host("amazon\u200b.co.jp") == "amazon.co.jp"


@pytest.mark.parametrize(
    ("text", "host"),
    [
        ("Amazon.com", "amazon.com"),  # brand catalogue, any case
        ("smbc-card.com/mem/index.jsp", "smbc-card.com"),  # brand domain with a path
        ("github.com", "github.com"),  # well-known domain (data)
        ("gmail.com", "gmail.com"),  # free mail (catalogue)
        ("bit.ly/3xYzAbC", "bit.ly"),  # shortener (data)
        ("example-shop.co.jp", "example-shop.co.jp"),  # generic Japanese suffix
        ("secure-login.example.com", "secure-login.example.com"),  # generic suffix
        ("paypal-support.com", "paypal-support.com"),  # .com is not read as a file extension
        ("アマゾン.com", "アマゾン.com"),  # an IDN stem is never a file name
        ("http://detector.sv/", "detector.sv"),  # a scheme makes anything a host
        ("www.setup.sh", "www.setup.sh"),  # so does www.
    ],
)
def test_texts_that_read_as_hosts(text: str, host: str) -> None:
    assert shown_host(text) == host


def test_userinfo_trick_with_any_domain_shape_is_still_danger() -> None:
    """``https://evil-domain.sv@evil.top/``: userinfo never appears in real links, so the
    precision rule for anchor text does not soften it (RFC 3986 §3.2.1 deprecates it)."""
    (f,) = [
        x
        for x in link_findings(
            (make_link("https://login.example.sv@evil.top/", "x", "anchor", "html"),)
        )
        if x.code == "link_userinfo_trick"
    ]
    assert f.severity.name == "DANGER"


def test_file_extension_list_is_data_and_has_no_generic_overlap_surprise() -> None:
    data = link_data()
    assert {"sv", "sh", "py", "md", "am", "rs", "pl", "so", "in", "ko", "org", "info"} <= (
        data.file_extensions
    )
    # .com stays a site: see links.json "$comment_shown_host"
    assert "com" not in data.file_extensions
    assert {"com", "net", "org", "co.jp", "ne.jp", "or.jp"} <= data.generic_suffixes
