"""Scripted SMTP servers on loopback for tests: real aiosmtpd servers, one per scenario.

    ca = trustme.CA()
    with smtp_server("127.0.1.15", port, Script(), tls=ca.issue_cert("mx.probe-tls.example")) as server:
        ...run the client...
    server.commands   # [("EHLO", "prober.probe-client.example"), ("STARTTLS", None), ...]

Every command received is recorded. DATA, BDAT, VRFY and EXPN are refused and fail
the test when the ``with`` block ends: a probe must never send them.

``Script`` says how the server behaves; the defaults accept everything. Scenarios that
are not SMTP at all (``silent``, ``garbage``) are plain asyncio listeners, since aiosmtpd
always greets. ``blocked_port`` makes connections time out (a full listen backlog).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from aiosmtpd.smtp import SMTP

FORBIDDEN = ("DATA", "BDAT", "VRFY", "EXPN")
ACCEPT = "250 2.1.5 OK"


@dataclass(frozen=True)
class Script:
    # The greeting, one entry per line, full lines ("220-...", "220 ...");
    # None: aiosmtpd's own "220 HOST Python SMTP ...".
    banner: tuple[str, ...] | None = None
    # How RCPT TO is answered: address -> reply (may contain "\r\n" for multi-line).
    rcpt: Callable[[str], str] = lambda address: ACCEPT
    # How MAIL FROM is answered: (address, over TLS) -> reply.
    mail: Callable[[str, bool], str] = lambda address, tls: "250 2.1.0 OK"
    ehlo: str | None = None  # a reply replacing the EHLO answer ("502 ..." forces HELO)
    ehlo_extra: tuple[str, ...] = ()  # extension lines to add ("PIPELINING")
    close_after_ehlo: bool = False
    stall_rcpt: bool = False  # never answer RCPT TO (a server that stalls mid-session)
    stall_ehlo: bool = False  # greet, then never answer EHLO
    # "smtp", "silent" (accepts and never greets), "garbage" (not SMTP)
    behaviour: str = "smtp"


def known_users(*users: str, refusal: str = "550 5.1.1 <{address}>: User unknown") -> Callable[[str], str]:
    """RCPT answers: 250 for these addresses, ``refusal`` for any other."""
    wanted = {u.lower() for u in users}
    return lambda address: ACCEPT if address.lower() in wanted else refusal.format(address=address)


@dataclass
class ServerRecord:
    address: str
    port: int
    commands: list[tuple[str, str | None]] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)
    connections: int = 0

    def verbs(self) -> list[str]:
        return [verb for verb, _ in self.commands]

    def args(self, verb: str) -> list[str | None]:
        return [arg for v, arg in self.commands if v == verb]


def free_port() -> int:
    """A TCP port free on loopback, shared by all servers of one test."""
    with socket.socket() as probe:
        probe.bind(("127.0.1.254", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, script: Script, record: ServerRecord) -> None:
        self.script = script
        self.record = record

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        if self.script.close_after_ehlo:
            server.transport.close()
            return []
        if self.script.stall_ehlo:
            await asyncio.sleep(30)  # cancelled when the server stops
        if self.script.ehlo is not None:
            return [self.script.ehlo]
        session.host_name = hostname
        extra = [f"250-{line}" for line in self.script.ehlo_extra]
        return responses[:-1] + extra + responses[-1:]

    async def handle_MAIL(self, server, session, envelope, address, options):
        reply = self.script.mail(address, session.ssl is not None)
        if reply.startswith("250"):
            envelope.mail_from = address
        return reply

    async def handle_RCPT(self, server, session, envelope, address, options):
        if self.script.stall_rcpt:
            await asyncio.sleep(30)  # cancelled when the server stops
        reply = self.script.rcpt(address)
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply


class _ScriptedSMTP(SMTP):
    """aiosmtpd with a scripted banner, a record of every command, and no DATA."""

    def __init__(self, script: Script, record: ServerRecord, **kwargs) -> None:
        super().__init__(_Handler(script, record), enable_SMTPUTF8=True, **kwargs)
        self._script = script
        self._record = record
        self._greeted = False
        self._smtp_methods = {verb: self._recording(verb, method) for verb, method in self._smtp_methods.items()}

    def _recording(self, verb, method):
        async def run(arg):
            self._record.commands.append((verb, arg))
            return await method(arg)

        return run

    async def push(self, status):
        if not self._greeted and str(status).startswith("220 "):
            self._greeted = True
            if self._script.banner is not None:
                for line in self._script.banner:
                    await super().push(line)
                if not self._script.banner[-1].startswith("220"):
                    self.transport.close()
                return
        await super().push(status)

    async def _refuse(self, verb: str, arg: str | None) -> None:
        self._record.forbidden.append(f"{verb} {arg or ''}".strip())
        await self.push(f"502 5.5.1 {verb} must never be sent by a probe")

    async def smtp_DATA(self, arg):
        await self._refuse("DATA", arg)

    async def smtp_BDAT(self, arg):
        await self._refuse("BDAT", arg)

    async def smtp_VRFY(self, arg):
        await self._refuse("VRFY", arg)

    async def smtp_EXPN(self, arg):
        await self._refuse("EXPN", arg)


class _RawProtocol(asyncio.Protocol):
    """Not SMTP: a listener that never greets, or one that answers with garbage."""

    def __init__(self, behaviour: str, record: ServerRecord) -> None:
        self.behaviour = behaviour
        self.record = record

    def connection_made(self, transport):
        self.transport = transport
        if self.behaviour == "garbage":
            transport.write(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<html>\x00\xff</html>\r\n")

    def data_received(self, data: bytes) -> None:
        for line in data.decode("utf-8", "replace").splitlines():
            verb, _, arg = line.partition(" ")
            self.record.commands.append((verb.upper(), arg or None))
            if verb.upper() in FORBIDDEN:
                self.record.forbidden.append(line)


@contextmanager
def smtp_server(
    address: str, port: int, script: Script = Script(), *, tls: object | None = None, hostname: str | None = None
) -> Iterator[ServerRecord]:
    """Serve ``script`` on address:port in a thread; ``tls`` is a trustme LeafCert for STARTTLS."""
    record = ServerRecord(address, port)
    context = None
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.configure_cert(context)  # type: ignore[attr-defined]

    def factory() -> asyncio.Protocol:
        record.connections += 1  # one protocol per TCP connection (STARTTLS keeps it)
        if script.behaviour != "smtp":
            return _RawProtocol(script.behaviour, record)
        return _ScriptedSMTP(script, record, hostname=hostname or address, tls_context=context)

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(loop.create_server(factory, address, port, reuse_address=True), loop).result(5)
    try:
        yield record
    finally:

        async def stop() -> None:
            server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
    if record.forbidden:
        pytest.fail(f"the SMTP server at {address} received forbidden commands: {record.forbidden}")


@contextmanager
def blocked_port(address: str, port: int) -> Iterator[None]:
    """Connections to address:port time out, as when a network drops port 25.

    A listener with a zero backlog that never accepts: once its one queue slot is
    taken, Linux drops further SYNs, so connect() waits until the client gives up.
    """
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(0)
    fillers = []
    try:
        for _ in range(2):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex((address, port))
            fillers.append(filler)
        yield
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
