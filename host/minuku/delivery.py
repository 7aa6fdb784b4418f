"""How a message reached the reader: straight from its author, or through a list or forwarder.

Mailing lists and forwarders keep the author's From and change the message (a footer, a
subject tag), so the author's DKIM breaks and DMARC cannot align: that is how lists work
(RFC 7960 §3.2.3, §3.2.4), not forgery. This module recognises such delivery and says how
far it is proven:

- ``via_list``: list headers are present (List-Id, List-Post, List-Unsubscribe, Mailing-List,
  X-Original-From, or a From rewritten as "'X' via list"). Any sender can write these, so on
  their own they only soften what a list is known to break (a body-hash mismatch).
- ``vouched``: the list's own delivery authenticated: the envelope sender (SPF pass) or a
  DKIM signature (pass) at the list's domain (List-Id / List-Post / Sender), or a verified ARC
  chain sealed by a trusted sealer (``data/arc_sealers.json`` plus the user's own). Only then
  does an author-domain DMARC failure count as explained.

A list run by the attacker can vouch for itself; that is why an explained failure still
counts together with a brand claim, a look-alike or a link trick (see ``verdict``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .auth.results import AuthSummary
from .message import MessageView

_LIST_HEADERS = ("list-id", "list-post", "list-unsubscribe", "mailing-list", "x-original-from")
_VIA = re.compile(r"\bvia\s+\S", re.IGNORECASE)
_ARC_D = re.compile(r"(?:^|;)\s*d\s*=\s*([A-Za-z0-9._-]+)")
_ARC_I = re.compile(r"(?:^|;)\s*i\s*=\s*(\d+)")


@dataclass(frozen=True)
class Delivery:
    via_list: bool = False
    list_id: str | None = None
    list_domains: tuple[str, ...] = ()  # registrable domains of the list
    vouched: str | None = None  # "spf <domain>", "dkim <domain>", "arc <sealer>", or None
    from_rewritten: bool = False


@cache
def default_sealers() -> frozenset[str]:
    raw = json.loads(resources.files("minuku.data").joinpath("arc_sealers.json").read_text("utf-8"))
    return frozenset(s.lower() for s in raw["sealers"])


def _domain_of(text: str) -> str | None:
    m = re.search(r"@([A-Za-z0-9.-]+)", text)
    return m.group(1).lower().strip(".") if m else None


def _list_id_domain(value: str) -> tuple[str | None, str | None]:
    m = re.search(r"<([^<>\s]{1,255})>", value) or re.search(r"([A-Za-z0-9._-]+\.[A-Za-z]+)", value)
    if not m:
        return None, None
    list_id = m.group(1).lower().strip(".")
    host = list_id.split(".", 1)[1] if list_id.count(".") >= 2 else list_id
    return list_id, host


def _under(name: str, domain: str) -> bool:
    name, domain = name.lower().rstrip("."), domain.lower().rstrip(".")
    return name == domain or name.endswith("." + domain)


def newest_arc_sealer(view: MessageView) -> str | None:
    """d= of the ARC-Seal with the highest i= (only meaningful when the chain verified)."""
    best: tuple[int, str] | None = None
    for name, value in view.arc_headers[:64]:
        if name.lower() != "arc-seal":
            continue
        flat = " ".join(value[:2048].split())
        d, i = _ARC_D.search(flat), _ARC_I.search(flat)
        if d and i and (best is None or int(i.group(1)) > best[0]):
            best = (int(i.group(1)), d.group(1).lower())
    return best[1] if best else None


def detect_delivery(
    view: MessageView, auth: AuthSummary, *, extra_sealers: Iterable[str] = ()
) -> Delivery:
    from .auth.psl import registrable

    # by the view's name index, not a pass lowering every header name (speed, issue 10)
    present = {name for name in _LIST_HEADERS if view.has_header(name)}
    from_rewritten = any(_VIA.search(a.display_name or "") for a in view.from_[:1]) and bool(
        present
    )
    list_id: str | None = None
    hosts: list[str] = []
    for value in view.header_all("list-id")[:1]:
        list_id, host = _list_id_domain(value)
        if host:
            hosts.append(host)
    for name in ("list-post", "list-unsubscribe"):
        for value in view.header_all(name)[:1]:
            d = _domain_of(value)
            if d:
                hosts.append(d)
    if present and view.sender is not None and view.sender.domain:
        hosts.append(view.sender.domain.lower())
    orgs = tuple(dict.fromkeys(o for o in (registrable(h) or h for h in hosts) if o))
    via_list = bool(present)

    vouched: str | None = None
    if orgs:
        spf = auth.spf
        if spf.result == "pass" and spf.domain and (registrable(spf.domain) or "") in orgs:
            vouched = f"spf {spf.domain}"
        for d in auth.dkim.passing_domains:
            if vouched is None and (registrable(d) or d) in orgs:
                vouched = f"dkim {d}"
        for entry in auth.authres:
            if vouched is not None or not entry.trusted:
                continue
            for method in ("spf", "dkim"):
                key = "spf.smtp.mailfrom" if method == "spf" else "dkim.header.d"
                dom = (entry.details.get(key) or "").rpartition("@")[2].lower()
                if (
                    entry.results.get(method) == "pass"
                    and dom
                    and (registrable(dom) or dom) in orgs
                ):
                    vouched = f"{method} {dom} ({entry.authserv_id})"
                    break
    if vouched is None and auth.arc.result == "pass":
        sealer = newest_arc_sealer(view)
        trusted = default_sealers() | {s.lower() for s in extra_sealers}
        if sealer and any(_under(sealer, t) for t in trusted):
            vouched = f"arc {sealer}"
            via_list = True
    return Delivery(
        via_list=via_list,
        list_id=list_id,
        list_domains=orgs,
        vouched=vouched,
        from_rewritten=from_rewritten,
    )
