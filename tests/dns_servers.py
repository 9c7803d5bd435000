"""Misbehaving DNS servers on loopback: silent, refusing, or failing every query."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dns.message
import dns.rcode


@contextmanager
def misbehaving_dns(behaviour: str) -> Iterator[int]:
    """Serve UDP on 127.0.0.1; yield the port. behaviour: silent, refused or servfail."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()
    seen: list[str] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            query = dns.message.from_wire(data)
            seen.append(query.question[0].name.to_text())
            if behaviour == "silent":
                continue
            reply = dns.message.make_response(query)
            reply.set_rcode(dns.rcode.REFUSED if behaviour == "refused" else dns.rcode.SERVFAIL)
            sock.sendto(reply.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        sock.close()
