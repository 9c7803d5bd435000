"""DNS servers on loopback for the tests: misbehaving ones (silent, refusing, failing),
scripted ones that answer whatever a test needs (an rcode, records owned by another
name), and a proxy in front of the zone server that loses datagrams."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.rcode

Script = Callable[[dns.message.Message], "dns.message.Message | None"]


@contextmanager
def scripted_dns(script: Script) -> Iterator[int]:
    """Serve UDP on 127.0.0.1 and answer each query with ``script(query)`` (None: no
    answer); yield the port."""
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
            reply = script(dns.message.from_wire(data))
            if reply is not None:
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
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def dropping_proxy(upstream_port: int, upstream_host: str = "127.0.0.1") -> Iterator[LossyProxy]:
    """A UDP proxy on 127.0.0.1 in front of a DNS server that loses the first datagram
    of every distinct question (name, type, class, DO bit), as a lossy network would;
    retransmissions of it go through. TCP (after a truncated answer) is passed through
    on the same port, as a real server offers both.
    """
    proxy = LossyProxy()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.1)
    proxy.port = udp.getsockname()[1]
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", proxy.port))
    tcp.listen(16)
    tcp.settimeout(0.1)
    stop = threading.Event()
    seen: set[tuple[str, int, int, bool]] = set()

    def forward(data: bytes, peer: tuple[str, int]) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
            out.settimeout(5)
            out.sendto(data, (upstream_host, upstream_port))
            try:
                reply = out.recv(65535)
            except TimeoutError:
                return
        udp.sendto(reply, peer)

    def serve_udp() -> None:
        while not stop.is_set():
            try:
                data, peer = udp.recvfrom(65535)
            except (TimeoutError, OSError):
                continue
            query = dns.message.from_wire(data)
            question = query.question[0]
            key = (question.name.to_text().lower(), question.rdtype, question.rdclass, bool(query.ednsflags & dns.flags.DO))
            with proxy.lock:
                first = key not in seen
                seen.add(key)
                if first:
                    proxy.dropped.append(f"{key[0]} {question.rdtype}")
                else:
                    proxy.forwarded += 1
            if not first:
                threading.Thread(target=forward, args=(data, peer), daemon=True).start()

    def pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65535):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            sink.close()

    def serve_tcp() -> None:
        while not stop.is_set():
            try:
                client, _ = tcp.accept()
            except (TimeoutError, OSError):
                continue
            client.settimeout(5)
            server = socket.create_connection((upstream_host, upstream_port), timeout=5)
            threading.Thread(target=pipe, args=(client, server), daemon=True).start()
            threading.Thread(target=pipe, args=(server, client), daemon=True).start()

    threads = [threading.Thread(target=serve, daemon=True) for serve in (serve_udp, serve_tcp)]
    for thread in threads:
        thread.start()
    try:
        yield proxy
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        udp.close()
        tcp.close()
