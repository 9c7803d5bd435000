"""DNS servers on loopback for the tests: misbehaving ones (silent, refusing, failing),
scripted ones that answer whatever a test needs (an rcode, records owned by another
name), and a proxy in front of the zone server that loses datagrams."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.rcode

# A script's answer to a query: a reply, replies sent one after the other, or None (no answer).
Script = Callable[[dns.message.Message], "dns.message.Message | Sequence[dns.message.Message] | None"]


@contextmanager
def scripted_dns(script: Script, peers: list[tuple[str, int]] | None = None) -> Iterator[int]:
    """Serve UDP on 127.0.0.1 and answer each query with ``script(query)`` (None: no
    answer; several replies: each in turn); yield the port. ``peers`` collects each
    query's source address."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            if peers is not None:
                peers.append(peer)
            replies = script(dns.message.from_wire(data))
            for reply in [] if replies is None else [replies] if isinstance(replies, dns.message.Message) else replies:
                sock.sendto(reply.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        sock.close()


def rcode_reply(rcode: dns.rcode.Rcode) -> Script:
    def script(query: dns.message.Message) -> dns.message.Message:
        reply = dns.message.make_response(query)
        reply.set_rcode(rcode)
        return reply

    return script


@contextmanager
def misbehaving_dns(behaviour: str) -> Iterator[int]:
    """Serve UDP on 127.0.0.1; yield the port. behaviour: silent, refused or servfail."""
    scripts: dict[str, Script] = {
        "silent": lambda query: None,
        "refused": rcode_reply(dns.rcode.REFUSED),
        "servfail": rcode_reply(dns.rcode.SERVFAIL),
    }
    with scripted_dns(scripts[behaviour]) as port:
        yield port


@dataclass
class LossyProxy:
    """What the proxy did: each question's first datagram dropped, the rest forwarded."""

    port: int = 0
    dropped: list[str] = field(default_factory=list)
    forwarded: int = 0


class _LossyProxyServer:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.record = LossyProxy()
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._seen: set[tuple[str, int, int, bool]] = set()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(0.1)
        self.record.port = self.udp.getsockname()[1]
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.record.port))
        self.tcp.listen(16)
        self.tcp.settimeout(0.1)

    def _first_time(self, query: dns.message.Message) -> bool:
        question = query.question[0]
        key = (question.name.to_text().lower(), question.rdtype, question.rdclass, bool(query.ednsflags & dns.flags.DO))
        with self._lock:
            first = key not in self._seen
            self._seen.add(key)
            if first:
                self.record.dropped.append(f"{key[0]} {question.rdtype}")
            else:
                self.record.forwarded += 1
        return first

    def _forward(self, data: bytes, peer: tuple[str, int]) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
            out.settimeout(5)
            out.sendto(data, self.upstream)
            try:
                reply = out.recv(65535)
            except TimeoutError:
                return
        self.udp.sendto(reply, peer)

    def serve_udp(self) -> None:
        while not self.stop.is_set():
            try:
                data, peer = self.udp.recvfrom(65535)
            except (TimeoutError, OSError):
                continue
            if not self._first_time(dns.message.from_wire(data)):
                threading.Thread(target=self._forward, args=(data, peer), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65535):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            sink.close()

    def serve_tcp(self) -> None:
        while not self.stop.is_set():
            try:
                client, _ = self.tcp.accept()
            except (TimeoutError, OSError):
                continue
            client.settimeout(5)
            server = socket.create_connection(self.upstream, timeout=5)
            threading.Thread(target=self._pipe, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()

    def close(self) -> None:
        self.udp.close()
        self.tcp.close()


@contextmanager
def dropping_proxy(upstream_port: int, upstream_host: str = "127.0.0.1") -> Iterator[LossyProxy]:
    """A UDP proxy on 127.0.0.1 in front of a DNS server that loses the first datagram
    of every distinct question (name, type, class, DO bit), as a lossy network would;
    retransmissions of it go through. TCP (after a truncated answer) is passed through
    on the same port, as a real server offers both.
    """
    proxy = _LossyProxyServer((upstream_host, upstream_port))
    threads = [threading.Thread(target=serve, daemon=True) for serve in (proxy.serve_udp, proxy.serve_tcp)]
    for thread in threads:
        thread.start()
    try:
        yield proxy.record
    finally:
        proxy.stop.set()
        for thread in threads:
            thread.join()
        proxy.close()
