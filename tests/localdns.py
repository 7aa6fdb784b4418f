"""A small real DNS server for tests and benchmarks: 127.0.0.1, a free port, UDP and TCP.

It answers from a dict shaped like ``examples/dns-fixture.json`` (``{"name": {"TXT": [...],
"A": [...]}}``) with dnspython's message handling, and can misbehave on demand: a delay per
answer, NXDOMAIN for every name, silence (queries dropped), SERVFAIL or REFUSED; a single name
can also be ``"SILENT"`` or ``"SERVFAIL"``. Negative answers carry an SOA whose TTL is
``soa_ttl`` and whose MINIMUM is ``negative_ttl`` (RFC 2308 §3). Every request is answered on its own thread, so concurrent
queries wait concurrently, as with a real recursive resolver. UDP answers over the client's
size limit (512 octets without EDNS, RFC 1035 §4.2.1) are truncated (TC) and asked again over
TCP.

    with LocalDns(zone, delay=0.05) as server:
        DnspythonResolver([server.address])
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Mapping
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

MODES = ("normal", "nxdomain", "silent", "servfail", "refused")


def _txt(value: object) -> str:
    """One TXT record in zone-file syntax: character-strings of at most 255 octets."""
    parts = value if isinstance(value, (list, tuple)) else [value]
    chunks: list[str] = []
    for part in parts:
        data = str(part).encode()
        for i in range(0, max(len(data), 1), 255):
            piece = data[i : i + 255].decode("latin-1")
            chunks.append('"' + piece.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " ".join(chunks)


class LocalDns:
    def __init__(
        self,
        zone: Mapping[str, Any],
        *,
        delay: float = 0.0,
        mode: str = "normal",
        ttl: int = 300,
        negative_ttl: int = 30,
        soa_ttl: int = 300,
    ) -> None:
        self.zone = {k.rstrip(".").lower(): v for k, v in zone.items() if k != "_canary"}
        self.delay = delay
        self.mode = mode
        self.ttl = ttl
        self.negative_ttl = negative_ttl  # the SOA MINIMUM
        self.soa_ttl = soa_ttl  # the SOA record's own TTL
        self.queries: list[tuple[str, str, str]] = []  # (name, type, "udp" | "tcp")
        self.max_concurrent = 0
        self._concurrent = 0
        self._lock = threading.Lock()
        self._servers: list[socketserver.BaseServer] = []
        self.port = 0

    # -- life cycle

    def __enter__(self) -> LocalDns:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        outer = self

        class Udp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                reply = outer.answer(data, "udp")
                if reply is not None:
                    sock.sendto(reply, self.client_address)

        class Tcp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                conn.settimeout(5)
                try:
                    while True:
                        head = _recv_exact(conn, 2)
                        if len(head) < 2:
                            return
                        data = _recv_exact(conn, int.from_bytes(head, "big"))
                        reply = outer.answer(data, "tcp")
                        if reply is None:
                            return
                        conn.sendall(len(reply).to_bytes(2, "big") + reply)
                except OSError:
                    return

        class UdpServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
            daemon_threads = True

        class TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        for _ in range(20):  # the free UDP port must be free for TCP too
            udp = UdpServer(("127.0.0.1", 0), Udp)
            port = udp.server_address[1]
            try:
                tcp = TcpServer(("127.0.0.1", port), Tcp)
            except OSError:
                udp.server_close()
                continue
            break
        else:
            raise RuntimeError("no free port for UDP and TCP")
        self.port = port
        self._servers = [udp, tcp]
        for srv in self._servers:
            threading.Thread(
                target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            ).start()

    def stop(self) -> None:
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
        self._servers = []

    # -- answering

    def count(self, name: str, rdtype: str | None = None) -> int:
        name = name.rstrip(".").lower()
        with self._lock:
            return sum(1 for n, t, _ in self.queries if n == name and rdtype in (None, t))

    def answer(self, wire: bytes, transport: str) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        q = query.question[0]
        name = q.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(q.rdtype)
        with self._lock:
            self.queries.append((name, rdtype, transport))
            self._concurrent += 1
            self.max_concurrent = max(self.max_concurrent, self._concurrent)
        try:
            if self.delay:
                time.sleep(self.delay)
            entry = self.zone.get(name)
            if self.mode == "silent" or entry in ("SILENT", "TIMEOUT"):
                return None
            response = dns.message.make_response(query)
            response.flags |= dns.flags.RA
            if self.mode == "servfail" or entry == "SERVFAIL":
                response.set_rcode(dns.rcode.SERVFAIL)
            elif self.mode == "refused":
                response.set_rcode(dns.rcode.REFUSED)
            elif self.mode == "nxdomain" or entry is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
                response.authority.append(self._soa())
            else:
                values = entry.get(rdtype) if isinstance(entry, Mapping) else None
                if not values:
                    response.authority.append(self._soa())  # NODATA (RFC 2308 §2.2)
                else:
                    if isinstance(values, str):
                        values = [values]
                    texts = [_txt(v) if rdtype in ("TXT", "SPF") else str(v) for v in values]
                    response.answer.append(
                        dns.rrset.from_text(q.name, self.ttl, "IN", rdtype, *texts)
                    )
            limit = 65535 if transport == "tcp" else max(query.payload, 512)
            try:
                return response.to_wire(max_size=limit)
            except dns.exception.TooBig:
                response.answer.clear()
                response.flags |= dns.flags.TC
                return response.to_wire()
        finally:
            with self._lock:
                self._concurrent -= 1

    def _soa(self) -> dns.rrset.RRset:
        n = self.negative_ttl
        return dns.rrset.from_text(
            "example.",
            self.soa_ttl,
            "IN",
            "SOA",
            f"ns.example. hostmaster.example. 1 3600 600 86400 {n}",
        )


def _recv_exact(conn: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        got = conn.recv(n - len(buf))
        if not got:
            break
        buf += got
    return buf
