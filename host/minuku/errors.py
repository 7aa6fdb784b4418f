"""The host's error tree.

    MinukuError
    ├── TemporaryError      the world may answer later: DNS timeout, SERVFAIL, budget spent
    │   └── DnsTempError
    │       └── DnsBudgetExceeded
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

    def __init__(self, name: str, rdtype: str, reason: str) -> None:
        super().__init__(f"{rdtype} {name}: {reason}")
        self.name = name
        self.rdtype = rdtype
        self.reason = reason


class DnsBudgetExceeded(DnsTempError):
    """The per-message DNS time budget is spent; no further queries are sent."""


class DnsOffline(DnsTempError):
    """Offline mode: the query was not sent at all."""
