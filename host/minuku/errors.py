"""The host's error tree.

    MinukuError
    ├── TemporaryError      the world may answer later: DNS timeout, SERVFAIL, budget spent
    │   └── DnsTempError
    │       ├── DnsBudgetExceeded   the per-message budget is spent: not sent
    │       ├── DnsOffline          offline mode: not sent
    │       ├── ResolverFailing     the resolver is known to fail (circuit open): not sent
    │       └── ResolverLying       the resolver said NXDOMAIN, but it also denies names that exist
    ├── PermanentError      the data is wrong and will stay wrong: syntax, policy records
    └── BadInput            what we were handed is unusable: frame, base64, size, usage

Checks turn Temporary/Permanent errors into ``temperror``/``permerror`` results with the reason;
the native-messaging loop turns anything that escapes a request into an error frame and lives on.
"""


class MinukuError(Exception):
    """Base of every error the host raises on purpose."""


class TemporaryError(MinukuError):
    pass


class PermanentError(MinukuError):
    pass


class BadInput(MinukuError):
    """Input we cannot use; ``code`` is the stable wire code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class DnsTempError(TemporaryError):
    """A DNS query failed for now (timeout, SERVFAIL, no resolver); names the query."""

    def __init__(self, name: str, rdtype: str, reason: str, *, local: bool = False) -> None:
        super().__init__(f"{rdtype} {name}: {reason}")
        self.name = name
        self.rdtype = rdtype
        self.reason = reason
        # True when the failure is ours (an unsupported type), not the resolver's: it says
        # nothing about the resolver's health.
        self.local = local


class DnsBudgetExceeded(DnsTempError):
    """The per-message DNS time budget is spent; no further queries are sent."""


class DnsOffline(DnsTempError):
    """Offline mode: the query was not sent at all."""


class ResolverFailing(DnsTempError):
    """The resolver timed out or refused recently (confirmed): queries fail fast for a while."""


class ResolverLying(DnsTempError):
    """An NXDOMAIN answer that cannot be trusted: the resolver denies a name that must exist."""
