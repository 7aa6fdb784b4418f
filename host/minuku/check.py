"""The pure core: raw message bytes → analysis → banner payload (plain data, ``payload``).

``check(raw, resolver=..., options=...)`` is what the CLI, the native-messaging host and the
benchmarks call. DNS is the only I/O and comes in through ``resolver``; offline mode passes
none, and nothing is queried. Any failure inside the analysis becomes an ``unknown`` verdict
that says why: a hostile message never crashes the host and never comes out ``ok`` by accident.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .auth.results import unchecked_summary
from .dns import BudgetResolver, Resolver
from .findings import Finding, Severity
from .payload import BannerPayload, Lang
from .verdict import Analysis

log = logging.getLogger("minuku")


@dataclass(frozen=True)
class CheckOptions:
    lang: Lang = "en"
    offline: bool = False
    trusted_authserv_ids: tuple[str, ...] = ()
    trusted_arc_sealers: tuple[str, ...] = ()
    dns_budget_s: float = 2.5
    nameservers: tuple[str, ...] = ()  # "IP" or "IP:PORT"; empty: the system's resolver
    # False: no query for names the sender controls (see wire.CheckOptions.sender_lookups)
    sender_lookups: bool = True


def default_resolver(nameservers: tuple[str, ...] = ()) -> Resolver:
    """The caching resolver for these nameservers (empty: the system's), one per process and
    nameserver list, so its cache and health memory serve every check."""
    from .dns import resolver_for

    return resolver_for(nameservers)


def analyse_raw(raw: bytes, *, resolver: Resolver | None, options: CheckOptions) -> Analysis:
    from .auth import AuthOptions, authenticate
    from .message import parse_message
    from .verdict import analyse

    try:
        view = parse_message(raw)
        if not view.headers:
            return Analysis(
                "unknown",
                None,
                (Finding("unparseable", Severity.INFO),),
                unchecked_summary("no headers"),
                options.offline,
            )
        auth_resolver = (
            None if options.offline else (resolver or default_resolver(options.nameservers))
        )
        if auth_resolver is not None and not options.sender_lookups:
            from .dnspolicy import BrandOnlyResolver

            auth_resolver = BrandOnlyResolver(auth_resolver)
        # One budget (memo, clock, health) for the whole message: authentication and what is
        # asked after it.
        budget = (
            None
            if auth_resolver is None
            else BudgetResolver(auth_resolver, budget_s=options.dns_budget_s)
        )
        auth = authenticate(
            view,
            resolver=budget,
            options=AuthOptions(
                trusted_authserv_ids=options.trusted_authserv_ids,
                dns_budget_s=options.dns_budget_s,
            ),
        )
        # Issue 11.3: a brand-like From domain served by the brand's own name servers is its
        # own; asked with what is left of the message's DNS budget (lookalike module).
        owned: tuple[str, ...] = ()
        if budget is not None:
            from .lookalike import dns_owned_senders

            owned = dns_owned_senders((a.domain for a in view.from_), budget)
        return analyse(
            view,
            auth,
            offline=options.offline,
            trusted_arc_sealers=options.trusted_arc_sealers,
            dns_owned=owned,
        )
    except RecursionError:
        reason = "message too deeply nested"
    except MemoryError:
        reason = "message too large to analyse"
    except Exception as exc:  # the verdict must say "unknown", never crash or say "ok"
        log.exception("analysis failed")
        reason = f"internal error: {type(exc).__name__}"
    return Analysis(
        "unknown",
        None,
        (Finding("unparseable", Severity.INFO, {}, (reason,)),),
        unchecked_summary(reason),
        options.offline,
    )


def check(
    raw: bytes, *, resolver: Resolver | None = None, options: CheckOptions | None = None
) -> BannerPayload:
    from .banner import render

    opts = options or CheckOptions()
    return render(analyse_raw(raw, resolver=resolver, options=opts), opts.lang)
