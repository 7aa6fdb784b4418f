"""Analysis → the localized banner payload, in Japanese or English.

The payload is plain data (``payload.BannerPayload``, the twin of ``wire.BannerPayload``): the
wire layer validates it where it leaves the host, so rendering loads no pydantic.

Words come from ``data/locales/<lang>.json``; findings carry only codes and parameters. Advice
comes from ``data/advice.json`` and its links only from the catalogue's official URLs, never
from the mail. Sizes are capped so a payload always fits a native-messaging frame.
"""

from __future__ import annotations

import json
import locale as _locale
import os
from functools import cache
from importlib import resources
from typing import Any

from . import __version__
from .findings import Finding, Severity
from .payload import (
    Advice,
    AuthLine,
    AuthSummaryPayload,
    BannerPayload,
    Brand,
    DnsStatus,
    Lang,
    Method,
    Reason,
    ReceivedAuthres,
)
from .payload import Severity as SeverityWord
from .safetext import scrub_tree
from .verdict import Analysis

MAX_REASONS = 30
MAX_EVIDENCE = 5
MAX_TEXT = 400

_SEVERITY_WORD: dict[Severity, SeverityWord] = {
    Severity.DANGER: "danger",
    Severity.WARNING: "warning",
    Severity.CAUTION: "caution",
    Severity.INFO: "info",
}


@cache
def catalogue_text(lang: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        resources.files("minuku.data").joinpath(f"locales/{lang}.json").read_text("utf-8")
    )
    return data


@cache
def _advice() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        resources.files("minuku.data").joinpath("advice.json").read_text("utf-8")
    )
    return data


def default_lang(env: dict[str, str] | None = None) -> Lang:
    """ja when the user's locale is Japanese, else en."""
    env = dict(os.environ) if env is None else env
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    try:
        loc = _locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return "ja" if loc.lower().startswith("ja") else "en"


class _SafeDict(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def _fmt(template: str, params: dict[str, str]) -> str:
    try:
        return template.format_map(_SafeDict(params))
    except (ValueError, IndexError):  # a template bug must not take the banner down
        return template


def _cut(s: str, n: int = MAX_TEXT) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def brand_name(brand_id: str, lang: str) -> str:
    from .catalogue import load

    b = load().brand(brand_id)
    return b.name_ja if lang == "ja" else b.name_en


# A finding's parameter → the locale table that words its codes.
_WORDED_PARAMS = (
    ("technique", "technique"),
    ("where", "where"),
    ("how", "how"),
    ("why", "why"),
    ("reason", "dkim_reason"),
    ("policy", "dmarc_policy"),
    ("result", "auth_result"),
    ("state", "dns_state"),
)


def reason_text(f: Finding, lang: str) -> str:
    t = catalogue_text(lang)
    params = dict(f.params)
    if f.brand:
        params.setdefault("brand", brand_name(f.brand, lang))
    # Raw codes never reach the reader's sentence (issue 9.6): each known one has its words;
    # the code itself stays in the reason's code and evidence (the "technical details" fold).
    for param, table in _WORDED_PARAMS:
        if param in params:
            params[param] = t[table].get(params[param], params[param])
    if f.code == "pressure_phrases":
        params["phrases"] = t["list_sep"].join(f"「{p}」" for p in f.evidence[:6])
    template = t["finding"].get(f.code, f.code)
    return _cut(_fmt(template, params))


def _auth_lines(a: Analysis, lang: str) -> AuthSummaryPayload:
    t = catalogue_text(lang)["auth"]
    words = catalogue_text(lang)["auth_result"]
    auth = a.auth

    def line(
        method: Method, result: str, domain: str | None, evidence: tuple[str, ...]
    ) -> AuthLine:
        # One plain sentence per method; the raw result is in ``result`` (technical details).
        shown = words.get(result, result)
        if method in auth.sender_lookups_skipped and result in ("unchecked", "temperror"):
            # left out on purpose (no lookups of the sender's names): not "DNS did not answer"
            shown = t["unchecked_private"]
        elif result == "unchecked":
            shown = t["unchecked_offline"] if a.offline else t["unchecked"]
        text = _fmt(t[method], {"result": shown})
        if domain:
            text += _fmt(t["domain"], {"domain": domain})
        return AuthLine(
            method=method,
            result=result,
            domain=domain,
            text=_cut(text),
            evidence=[_cut(e, 300) for e in evidence[:MAX_EVIDENCE]],
        )

    dkim_domains = ", ".join(s.domain or "?" for s in auth.dkim.signatures[:4]) or None
    dkim_ev = tuple(
        f"d={s.domain} s={s.selector} a={s.algorithm}: {s.result}"
        + (f" ({s.reason})" if s.reason else "")
        for s in auth.dkim.signatures[:MAX_EVIDENCE]
    )
    lines = [
        line(
            "spf",
            auth.spf.result,
            auth.spf.domain,
            auth.spf.evidence + ((auth.spf.reason,) if auth.spf.reason else ()),
        ),
        line("dkim", auth.dkim.result, dkim_domains, dkim_ev),
        line(
            "dmarc",
            auth.dmarc.result,
            auth.dmarc.from_domain,
            auth.dmarc.evidence + ((auth.dmarc.reason,) if auth.dmarc.reason else ()),
        ),
        line(
            "arc",
            auth.arc.result,
            auth.arc.first_hop_authserv_id,
            auth.arc.evidence + ((auth.arc.reason,) if auth.arc.reason else ()),
        ),
    ]
    return AuthSummaryPayload(
        lines=lines,
        receiving_server=[
            ReceivedAuthres(
                authserv_id=_cut(e.authserv_id, 200) if e.authserv_id else None,
                trusted=e.trusted,
                results={k[:32]: _cut(v, 64) for k, v in list(e.results.items())[:8]},
            )
            for e in auth.authres[:8]
        ],
        disagreements=[_cut(d, 300) for d in auth.disagreements[:8]],
        unchecked=[_cut(u, 300) for u in auth.unchecked[:8]],
    )


def _report_to(brand_id: str) -> str | None:
    entry = _advice()["report_addresses"].get(brand_id)
    return str(entry["address"]) if isinstance(entry, dict) else None


def _advice_items(a: Analysis, lang: str) -> list[Advice]:
    from .catalogue import load

    adv = _advice()
    t = catalogue_text(lang)["advice"]
    items: list[dict[str, str]]
    brand = load().brand(a.brand) if a.brand else None
    if (a.verdict in ("danger", "warning") or a.full_advice) and brand is not None:
        items = adv["by_brand"].get(brand.id, adv["by_brand"]["*"])
    else:
        items = adv["by_verdict"].get(a.verdict, [])
    out: list[Advice] = []
    for item in items:
        url: str | None = None
        ref = item.get("url", "")
        if ref.startswith("brand:") and brand is not None:
            url = brand.official_urls.get(ref[6:])
        elif ref.startswith("contact:"):
            url = adv["contacts"].get(ref[8:])
        params = {"brand": brand_name(brand.id, lang)} if brand is not None else {}
        out.append(Advice(text=_fmt(t[item["key"]], params), url=url))
    return out


def render(a: Analysis, lang: Lang) -> BannerPayload:
    t = catalogue_text(lang)
    bname = brand_name(a.brand, lang) if a.brand else None
    vt = t["verdict"][a.verdict]
    dns_bad = a.auth.dns_health in ("failing", "lying")
    if a.verdict == "ok" and not a.verified:
        title = vt["title_unverified"]
    else:
        title = _fmt(vt["title_brand"], {"brand": bname}) if bname else vt["title"]
    reasons = [
        Reason(
            code=f.code,
            severity=_SEVERITY_WORD[f.severity],
            text=reason_text(f, lang),
            evidence=[_cut(e, 300) for e in f.evidence[:MAX_EVIDENCE]],
        )
        for f in a.findings[:MAX_REASONS]
    ]
    if a.verdict == "ok":
        if not a.verified:
            summary = t["summary"]["ok_unverified"]
        elif bname and any(f.code == "brand_verified" for f in a.findings):
            summary = _fmt(t["summary"]["ok_brand"], {"brand": bname})
        else:
            summary = t["summary"]["ok"]
    elif a.verdict == "unknown" and dns_bad:
        summary = t["summary"]["dns_unavailable"]
    elif reasons:
        summary = reasons[0].text
    else:
        summary = t["summary"]["unknown"]
    dns_status: DnsStatus = "ok"
    if a.offline:
        dns_status = "offline"
    elif a.auth.dns_health == "failing":
        dns_status = "failing"
    elif a.auth.dns_health == "lying":
        dns_status = "lying"
    payload = BannerPayload(
        verdict=a.verdict,
        brand=Brand(id=a.brand, name=bname, report_to=_report_to(a.brand))
        if a.brand and bname
        else None,
        title=title,
        summary=summary,
        reasons=reasons,
        auth=_auth_lines(a, lang),
        advice=_advice_items(a, lang),
        locale=lang,
        host_version=__version__,
        offline=a.offline,
        verified=a.verified,
        dns_status=dns_status,
        receiving_authserv_id=_cut(a.auth.zone_authserv_id, 255)
        if a.auth.zone_authserv_id
        else None,
    )
    # The boundary: no lone surrogate from the mail reaches the JSON encoder (see safetext).
    return scrub_tree(payload)
