"""The ``minuku`` command: check, scan, domain, host, schema (and install/uninstall/doctor).

Exit status of ``check`` (and ``scan``, for the worst message): 0 ok, 1 caution or warning,
2 danger, 3 unknown, 4 usage or input error. Imports stay inside the commands so that
``minuku host`` starts fast.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

EXIT = {"ok": 0, "caution": 1, "warning": 1, "danger": 2, "unknown": 3}
EXIT_USAGE = 4

_COLOURS = {
    "danger": "\033[1;97;41m",
    "warning": "\033[1;30;43m",
    "caution": "\033[30;103m",
    "ok": "\033[30;42m",
    "unknown": "\033[97;100m",
}
_RESET = "\033[0m"


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _add_dns_options(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--offline", action="store_true", help="send no DNS query at all")
    g.add_argument(
        "--dns-fixture", metavar="FILE", help="answer DNS from a JSON file instead of the network"
    )
    _add_nameserver_option(g)
    p.add_argument(
        "--lang", choices=("ja", "en"), help="language of the verdict (default: from the locale)"
    )
    p.add_argument(
        "--trust-authserv-id",
        action="append",
        default=[],
        metavar="ID",
        help="trust Authentication-Results with this authserv-id (your receiving server's), "
        "where only that server writes them; without one no A-R is trusted",
    )
    p.add_argument(
        "--trust-arc-sealer",
        action="append",
        default=[],
        metavar="DOMAIN",
        help="also believe ARC chains sealed by this domain (a list of well-known ones is built in)",
    )
    p.add_argument(
        "--dns-budget",
        type=float,
        default=2.5,
        metavar="SECONDS",
        help="total DNS time per message (default 2.5)",
    )
    p.add_argument(
        "--no-sender-lookups",
        action="store_true",
        help="ask DNS only about brands' own domains, never about names the sender controls",
    )


# --- DNS server choice (--nameserver): check, scan and host ---


def _add_nameserver_option(p: Any) -> None:
    p.add_argument(
        "--nameserver",
        action="append",
        default=[],
        metavar="IP[:PORT]",
        help="ask this DNS server (repeatable; default: the system's resolver)",
    )


def _nameservers(values: Sequence[str]) -> tuple[str, ...]:
    from .dns import format_nameserver, parse_nameserver

    try:
        return tuple(format_nameserver(*parse_nameserver(v)) for v in values)
    except ValueError as exc:
        raise UsageError(f"--nameserver: {exc}") from None


# --- end of DNS server choice ---


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog="minuku", description="See through impersonation mail (見抜く).")
    parser.add_argument("--version", action="version", version=f"minuku {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("check", help="check one message (.eml file, or - for stdin)")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print the banner payload as JSON")
    _add_dns_options(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "scan", help="check many messages: .eml files, folders, mbox files, Maildirs"
    )
    p.add_argument("paths", nargs="+")
    p.add_argument("--jsonl", action="store_true", help="one JSON object per message")
    p.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        metavar="N",
        help="check N messages at a time, each in its own process (default: every core this"
        " process may use); the output is in input order, the same for any N",
    )
    _add_dns_options(p)
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("domain", help="tell whether domains imitate a brand")
    p.add_argument("names", nargs="+")
    p.add_argument("--json", action="store_true")
    p.add_argument("--explain", action="store_true", help="say why a name is NOT flagged")
    p.set_defaults(func=cmd_domain)

    p = sub.add_parser("host", help="run the native-messaging host (Thunderbird starts this)")
    p.add_argument(
        "rest", nargs="*", help=argparse.SUPPRESS
    )  # Thunderbird passes manifest path and add-on id
    _add_nameserver_option(p)
    p.set_defaults(func=cmd_host)

    p = sub.add_parser("schema", help="write the JSON Schema of the wire protocol")
    p.add_argument("-o", "--output", help="file to write (default: stdout)")
    p.set_defaults(func=cmd_schema)

    try:
        from .install import add_subcommands
    except ImportError:  # the installer is optional for the checking core
        pass
    else:
        add_subcommands(sub)  # type: ignore[arg-type]
    return parser


def _options(args: argparse.Namespace) -> tuple[Any, Any]:
    from .banner import default_lang
    from .check import CheckOptions

    resolver = None
    if args.dns_fixture:
        from .dns import FixtureResolver

        try:
            resolver = FixtureResolver.from_file(args.dns_fixture)
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read DNS fixture {args.dns_fixture}: {exc}") from None
    opts = CheckOptions(
        lang=args.lang or default_lang(),
        offline=bool(args.offline),
        trusted_authserv_ids=tuple(args.trust_authserv_id),
        trusted_arc_sealers=tuple(args.trust_arc_sealer),
        dns_budget_s=args.dns_budget,
        nameservers=_nameservers(getattr(args, "nameserver", None) or ()),
        sender_lookups=not args.no_sender_lookups,
    )
    return resolver, opts


def _read_input(name: str) -> bytes:
    """One message's bytes for ``check``; mboxes with several messages and folders are refused.

    ``check`` judges exactly one message: an mbox or Maildir read as one message would be a
    meaningless "ok". A file that starts with a single mbox "From " line (RFC 4155 §2) is one
    message saved with its envelope line: the line is dropped (and ">From " unescaped, as
    ``scan`` does), so ``check`` and ``scan`` agree.
    """
    from .limits import MAX_MESSAGE_BYTES

    if name != "-" and os.path.isdir(name):
        raise UsageError(_folder_refusal(Path(name)))
    try:
        if name == "-":
            data = sys.stdin.buffer.read(MAX_MESSAGE_BYTES + 1)
            separators = 0
            if data.startswith(b"From "):
                separators = mbox_separators(data.splitlines(keepends=True))
        else:
            with open(name, "rb") as fh:
                data = fh.read(MAX_MESSAGE_BYTES + 1)
                separators = 0
                if data.startswith(b"From "):
                    fh.seek(0)
                    separators = mbox_separators(fh)  # streams the whole file
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror}") from None
    if separators > 1:
        at_least = "at least " if name == "-" and len(data) > MAX_MESSAGE_BYTES else ""
        raise UsageError(
            f"{name}: this looks like an mbox with {at_least}{separators} messages:"
            " use `minuku scan`"
        )
    if len(data) > MAX_MESSAGE_BYTES:
        raise UsageError(f"{name}: message is over {MAX_MESSAGE_BYTES // (1024 * 1024)} MB")
    if separators == 1:
        data = _mbox_body(data.splitlines(keepends=True)[1:])
    return data


# An mbox separator after the first line: "From " + envelope sender + an asctime-like date
# (RFC 4155 §2). The date shape keeps an unescaped body line ("From now on, ...") after a blank
# line from counting as a second message.
_OBS_FROM_FIELD_RE = re.compile(rb"From[ \t]*:")
_MBOX_FROM_RE = re.compile(rb"From \S+ +.*\b\d{1,2}:\d{2}\b.*\b\d{4}\b")


def mbox_separators(lines: Iterable[bytes]) -> int:
    """How many mbox "From " separator lines ``lines`` has (0 when it is not an mbox).

    The first line counts when it starts with "From " but is not the obsolete header form
    "From : x" (RFC 5322 §4.5.1 allows white space before the colon; stripping that line would
    drop the author); later ones only after a blank line and with the sender-and-date shape.
    """
    count = 0
    first = True
    prev_blank = False
    for line in lines:
        if first:
            if not line.startswith(b"From ") or _OBS_FROM_FIELD_RE.match(line):
                return 0
            count = 1
        elif prev_blank and line.startswith(b"From ") and _MBOX_FROM_RE.match(line):
            count += 1
        first = False
        prev_blank = line in (b"\n", b"\r\n")
    return count


def _folder_refusal(path: Path) -> str:
    """The message for ``check DIR``: a folder holds many messages, which is ``scan``'s job."""
    limit = 100_000  # counting stops here: a huge folder must not stall a usage error
    if (path / "cur").is_dir() and (path / "new").is_dir():
        kind, unit = "a Maildir", "messages"
        files = (f for sub in ("cur", "new") for f in (path / sub).iterdir())
    else:
        kind, unit = "a folder", "files"
        files = (f for f in path.rglob("*"))
    n = 0
    for f in files:
        if not f.name.startswith(".") and f.is_file():
            n += 1
            if n >= limit:
                break
    more = "+" if n >= limit else ""
    return f"{path}: this looks like {kind} with {n}{more} {unit}: use `minuku scan`"


def cmd_check(args: argparse.Namespace) -> int:
    from .check import check

    resolver, opts = _options(args)
    raw = _read_input(args.file)
    payload = check(raw, resolver=resolver, options=opts)
    if args.json:
        # The boundary: only JSON output loads pydantic, to validate what it prints.
        from .wire import payload_json

        print(payload_json(payload, indent=2))
    else:
        print_report(payload, sys.stdout)
    return EXIT[payload.verdict]


def print_report(payload: Any, out: IO[str]) -> None:
    from .banner import catalogue_text

    t = catalogue_text(payload.locale)["cli"]
    colour = out.isatty() and os.environ.get("NO_COLOR") is None
    word = payload.verdict.upper()
    head = f" {word} " if not colour else f"{_COLOURS[payload.verdict]} {word} {_RESET}"
    out.write(f"{head} {payload.title}\n")
    out.write(f"  {payload.summary}\n")
    if payload.brand:
        out.write(f"  {t['brand']}: {payload.brand.name}\n")
    if payload.reasons:
        out.write(f"\n{t['reasons']}:\n")
        for r in payload.reasons:
            out.write(f"  [{r.severity}] {r.text}  ({r.code})\n")
            for e in r.evidence[:3]:
                out.write(f"      {e}\n")
    out.write(f"\n{t['auth']}:\n")
    for line in payload.auth.lines:
        out.write(f"  {line.text}\n")
    for d in payload.auth.disagreements:
        out.write(f"  ! {d}\n")
    if payload.offline:
        out.write(f"  {t['offline_note']}\n")
    if payload.advice:
        out.write(f"\n{t['advice']}:\n")
        for a in payload.advice:
            out.write(f"  - {a.text}" + (f"\n    {a.url}" if a.url else "") + "\n")
        if payload.brand and payload.brand.report_to and payload.verdict in ("danger", "warning"):
            lead = t["report_to"].replace("{brand}", payload.brand.name)
            out.write(f"  - {lead}\n    {payload.brand.report_to}\n")


def iter_messages(paths: Sequence[str]) -> Iterator[tuple[str, int | None, bytes | Exception]]:
    """(path, mbox index or None, raw bytes or the error reading it), for files, dirs, mboxes."""
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file() and not f.name.startswith("."):
                    yield from _iter_file(f)
        elif path.exists():
            yield from _iter_file(path)
        else:
            yield (p, None, FileNotFoundError(f"no such file: {p}"))


def _too_large() -> Exception:
    from .limits import MAX_MESSAGE_BYTES

    return ValueError(f"message is over {MAX_MESSAGE_BYTES // (1024 * 1024)} MB: not checked")


def _iter_file(path: Path) -> Iterator[tuple[str, int | None, bytes | Exception]]:
    from .limits import MAX_MESSAGE_BYTES

    try:
        with open(path, "rb") as fh:
            head = fh.read(5)
    except OSError as exc:
        yield (str(path), None, exc)
        return
    if head == b"From ":
        yield from _iter_mbox(path)
        return
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_MESSAGE_BYTES + 1)  # a 5 GB "message" is not read whole
    except OSError as exc:
        yield (str(path), None, exc)
        return
    yield (str(path), None, _too_large() if len(data) > MAX_MESSAGE_BYTES else data)


_SKIP_CHUNK = 1 << 20


def _bounded_lines(fh: IO[bytes], limit: int) -> Iterator[bytes | None]:
    """The lines of ``fh``; a line longer than ``limit`` is read through in chunks and comes
    out as None, so memory is bounded by ``limit``, never by the file."""
    readline = fh.readline
    cap = limit + 1
    while True:
        line = readline(cap)
        if not line:
            return
        if len(line) <= limit:
            yield line
            continue
        while not line.endswith(b"\n"):
            line = readline(_SKIP_CHUNK)
            if not line:
                break
        yield None


def _iter_mbox(path: Path) -> Iterator[tuple[str, int | None, bytes | Exception]]:
    """Split an mbox on its "From " lines (mboxrd: ">From " lines are unescaped), streaming.

    A message over the wire's size cap (``limits.MAX_MESSAGE_BYTES``, as the add-on's) is read
    through without being kept and reported as an error: the memory a scan needs is bounded by
    that cap, not by the mbox (a crafted 5 GB mbox with no "From " line in it included).
    """
    from .limits import MAX_MESSAGE_BYTES

    index = 0
    buf: list[bytes] = []
    size = 0
    count = 0  # lines of the current message, kept or not
    last = b""
    too_large = False
    started = False
    with open(path, "rb") as fh:
        for line in _bounded_lines(fh, MAX_MESSAGE_BYTES):
            if (
                line is not None
                and line.startswith(b"From ")
                and (not started or count == 0 or last in (b"\n", b"\r\n"))
            ):
                if started:
                    yield (str(path), index, _too_large() if too_large else _mbox_body(buf))
                    index += 1
                buf, size, count, last, too_large = [], 0, 0, b"", False
                started = True
                continue
            count += 1
            last = line if line is not None else b"-"
            if too_large:
                continue
            if line is None or size + len(line) > MAX_MESSAGE_BYTES:
                buf, too_large = [], True
                continue
            size += len(line)
            buf.append(line)
    if started:
        yield (str(path), index, _too_large() if too_large else _mbox_body(buf))


def _mbox_body(lines: list[bytes]) -> bytes:
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines = lines[:-1]
    out = []
    for line in lines:
        stripped = line.lstrip(b">")
        if stripped.startswith(b"From ") and line.startswith(b">"):
            line = line[1:]
        out.append(line)
    return b"".join(out)


def cmd_scan(args: argparse.Namespace) -> int:
    import functools

    from .scan import default_jobs, scan

    _, opts = _options(args)  # also refuses a DNS fixture it cannot read, before any work
    factory = None
    if args.dns_fixture:
        from .dns import FixtureResolver

        # Each check process reads the fixture itself: a partial pickles, a resolver need not.
        factory = functools.partial(FixtureResolver.from_file, args.dns_fixture)
    show_progress = sys.stderr.isatty()
    worst = 0
    counts: dict[str, int] = {}
    n = 0
    records = scan(
        iter_messages(args.paths),
        options=opts,
        jobs=args.jobs or default_jobs(),
        resolver_factory=factory,
    )
    try:
        for record in records:
            n += 1
            counts[record["verdict"]] = counts.get(record["verdict"], 0) + 1
            worst = max(worst, EXIT[record["verdict"]] if record["verdict"] != "unknown" else 0)
            if args.jsonl:
                print(json.dumps(record, ensure_ascii=False), flush=False)
            elif record["verdict"] != "ok":
                print(
                    f"{record['verdict']:8} {record['path']}  {record.get('title') or record.get('error', '')}"
                )
            if show_progress:
                sys.stderr.write(f"\r{_bar(n, counts)}")
                sys.stderr.flush()
    except KeyboardInterrupt:  # Ctrl-C: what was printed stands; the check processes end too
        records.close()
        sys.stdout.flush()
        sys.stderr.write(f"\ninterrupted after {n} messages\n")
        return 130
    if show_progress:
        sys.stderr.write("\n")
    if not args.jsonl:
        print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "no messages")
    return worst


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a number of processes: {text!r}")
    return value


def _bar(n: int, counts: dict[str, int]) -> str:
    return f"scanned {n}: " + " ".join(f"{k}={v}" for k, v in sorted(counts.items()))


def cmd_domain(args: argparse.Namespace) -> int:
    from .catalogue import load
    from .lookalike import check_domain

    cat = load()
    rows = []
    for name in args.names:
        m = check_domain(name)
        owner = cat.owner_of(name)
        rows.append(
            {
                "domain": name,
                "imitates": m.brand_id if m else None,
                "technique": m.technique if m else None,
                "detail": m.detail if m else None,
                "genuine_brand": owner.id if owner else None,
            }
        )
        if getattr(args, "explain", False) and m is None:
            from .lookalike import explain_clean

            rows[-1]["why_not"] = explain_clean(name)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for r in rows:
            if r["imitates"]:
                print(f"{r['domain']}: imitates {r['imitates']} ({r['technique']}: {r['detail']})")
            elif r["genuine_brand"]:
                print(f"{r['domain']}: genuine {r['genuine_brand']} domain")
            else:
                print(f"{r['domain']}: no brand imitation found")
            if r.get("why_not"):
                print(f"  why: {r['why_not']}")
    return 1 if any(r["imitates"] for r in rows) else 0


def cmd_host(args: argparse.Namespace) -> int:
    from .nativemsg import main as host_main

    servers = [f"--nameserver={v}" for v in getattr(args, "nameserver", None) or []]
    return host_main([*servers, *(getattr(args, "rest", None) or [])])


def cmd_schema(args: argparse.Namespace) -> int:
    from .wire import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else list(argv)
    if args_in[:1] == ["host"]:
        # Thunderbird's launch: skip building the whole parser (start-up time).
        from .nativemsg import main as host_main

        return host_main(args_in[1:])
    parser = build_parser()
    args = parser.parse_args(args_in)
    try:
        result: int = args.func(args)
        return result
    except UsageError as exc:
        print(f"minuku: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
