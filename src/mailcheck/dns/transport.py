"""DNS messages on the wire: one query's bytes, and one exchange with one nameserver.

A bulk run asks tens of thousands of questions; dnspython builds a Message object,
renders it, and opens a socket (and an asyncio transport) for every attempt, which
cost more CPU than the answer's parsing. Here a query is its header, the question's
wire bytes and an EDNS OPT record, written directly (RFC 1035 §4.1, RFC 6891 §6.1.2),
and the lookups a resolver has in flight to one nameserver share one connected UDP
socket, each attempt waiting for the reply with its ID and question. Answers are
still parsed by dnspython; only what the header alone decides (TC, and the rcode of
an answer with no records) is read here.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import struct
import time
from collections.abc import Sequence

import dns.name

# Header flags of our queries: RD, and AD to ask a validating resolver about DNSSEC
# (RFC 6840 §5.7); DO, in the OPT record's TTL field, asks for RRSIGs (RFC 3225).
_FLAGS_RD_AD = 0x0120
_DO = 0x8000
_QR = 0x80
_TC = 0x02
_CLASS_IN = 1
_TYPE_OPT = 41
# Largest DNS message over TCP (a two-byte length prefix).
MAX_MESSAGE = 65535


class Truncated(Exception):
    """The UDP reply had the TC bit: the same question goes again over TCP."""


class BadReply(Exception):
    """A TCP reply that is not about the question asked."""


def question_wire(name: str, rdtype: int) -> bytes:
    """The question section for ``name`` (no trailing dot needed) and ``rdtype``.

    Plain ASCII names are encoded here; anything else (escapes, non-ASCII, a bad
    label) goes through dnspython, which encodes or rejects it as it always did.
    """
    labels = [] if name in ("", ".") else name.rstrip(".").split(".")
    lengths = [len(label) for label in labels]
    if name.isascii() and "\\" not in name and (not lengths or (min(lengths) > 0 and max(lengths) < 64)):
        encoded = b"".join(bytes((len(label),)) + label.encode() for label in labels) + b"\x00"
        if len(encoded) <= 255:
            return encoded + struct.pack("!HH", rdtype, _CLASS_IN)
    wire = dns.name.from_text(name).to_wire()
    assert wire is not None  # to_wire() without a file returns the bytes
    return wire + struct.pack("!HH", rdtype, _CLASS_IN)


def query_wire(query_id: int, question: bytes, *, payload: int, dnssec: bool) -> bytes:
    """A recursive query with one question and an EDNS(0) OPT record."""
    header = struct.pack("!HHHHHH", query_id, _FLAGS_RD_AD, 1, 0, 0, 1)
    opt = b"\x00" + struct.pack("!HHIH", _TYPE_OPT, payload, _DO if dnssec else 0, 0)
    return header + question + opt


def is_truncated(reply: bytes) -> bool:
    return bool(reply[2] & _TC)


def rcode_of(reply: bytes) -> int:
    return reply[3] & 0x0F


def answer_count(reply: bytes) -> int:
    return int.from_bytes(reply[6:8], "big")


def matches(reply: bytes, query_id: int, question: bytes) -> bool:
    """``reply`` answers this query: its ID, the QR bit and the question echoed back.

    The name is compared without regard to case (a server may echo it in its own);
    an error reply without a question section also counts (RFC 1035 lets a server
    that could not parse the question leave it out).
    """
    if len(reply) < 12 or int.from_bytes(reply[:2], "big") != query_id or not reply[2] & _QR:
        return False
    questions = reply[4:6]
    if questions == b"\x00\x00":
        return rcode_of(reply) != 0
    end = 12 + len(question)
    return (
        questions == b"\x00\x01"
        and reply[12 : end - 4].lower() == question[:-4].lower()
        and reply[end - 4 : end] == question[-4:]
    )


# How many queries one socket's source port carries before new queries go out from a
# fresh socket: a burst shares a port, a long bulk run does not, so an off-path forger
# has to guess the port again and again (RFC 5452), not once for the whole run.
QUERIES_PER_SOCKET = 64


class _Socket:
    """One connected UDP socket of a channel and the attempts waiting on it."""

    def __init__(self, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        self.sock = sock
        self.loop = loop
        # query ID -> (question, the attempts it belongs to, its place among them)
        self.waiting: dict[int, tuple[bytes, _Attempts, int]] = {}
        self.sent = 0


class _Attempts:
    """Attempts sent together and waited for as one: done when each has its reply (or
    its error), or when the time is up."""

    __slots__ = ("done", "replies", "arrived", "left")

    def __init__(self, done: asyncio.Future[None], size: int) -> None:
        self.done = done
        self.replies: list[bytes | OSError | None] = [None] * size
        self.arrived = [0.0] * size  # time.perf_counter() when each reply came
        self.left = size

    def deliver(self, index: int, reply: bytes | OSError) -> None:
        if self.replies[index] is not None:
            return
        self.replies[index] = reply
        self.arrived[index] = time.perf_counter()
        self.left -= 1
        if not self.left and not self.done.done():
            self.done.set_result(None)

    def expire(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


class UdpChannel:
    """Connected UDP sockets to one nameserver, shared by the attempts in flight.

    Connected, so the kernel hands us only datagrams from that server (and an ICMP
    "port unreachable" as an error). A socket is opened by the first attempt and
    closed when none is left waiting, so nothing outlives the lookups that used it;
    after QUERIES_PER_SOCKET queries new attempts go out from a new socket while the
    old one finishes its own. Sharing one source port among a burst of queries trades
    some of the entropy that a port per query gives against off-path spoofing; the
    random ID and the echoed question are still checked.
    """

    def __init__(self, address: str, port: int) -> None:
        self.address = address
        self.port = port
        self._current: _Socket | None = None

    async def exchange(self, question: bytes, *, payload: int, dnssec: bool, timeout: float) -> bytes:
        """Send the question once and wait up to ``timeout`` for its reply.

        TimeoutError when none came; OSError when the socket failed (a refusal).
        """
        replies, _arrived = await self.exchange_all((question,), payload=payload, dnssec=dnssec, timeout=timeout)
        reply = replies[0]
        if isinstance(reply, BaseException):
            raise reply
        return reply

    async def exchange_all(
        self, questions: Sequence[bytes], *, payload: int, dnssec: bool, timeout: float
    ) -> tuple[list[bytes | OSError | TimeoutError], list[float]]:
        """Send each question once and wait up to ``timeout`` for all the replies.

        Each question's reply, or TimeoutError when none came, or OSError when the
        socket failed; and when each reply came (``time.perf_counter()``). A probe's
        many questions (a domain's DKIM selectors) so cost one timer and one wake-up.
        """
        loop = asyncio.get_running_loop()
        attempts = _Attempts(loop.create_future(), len(questions))
        # Every query's random ID from one read of the system's randomness.
        randomness = secrets.token_bytes(2 * len(questions))
        sent: list[tuple[_Socket, int]] = []
        try:
            for index, question in enumerate(questions):
                try:
                    entry = self._socket_for(loop)
                except OSError as exc:  # no route to the server, say: this attempt failed
                    attempts.deliver(index, exc)
                    continue
                query_id = int.from_bytes(randomness[2 * index : 2 * index + 2], "big")
                while query_id in entry.waiting:
                    query_id = secrets.randbits(16)
                entry.waiting[query_id] = (question, attempts, index)
                entry.sent += 1
                sent.append((entry, query_id))
                try:
                    entry.sock.send(query_wire(query_id, question, payload=payload, dnssec=dnssec))
                except OSError as exc:
                    attempts.deliver(index, exc)
            timer = loop.call_later(timeout, attempts.expire)
            try:
                await attempts.done
            finally:
                timer.cancel()
        finally:
            for entry, query_id in sent:
                del entry.waiting[query_id]
                if not entry.waiting:
                    self._close(entry)
        replies = [TimeoutError() if reply is None else reply for reply in attempts.replies]
        return replies, attempts.arrived

    def _socket_for(self, loop: asyncio.AbstractEventLoop) -> _Socket:
        current = self._current
        if current is not None and current.loop is loop and current.sent < QUERIES_PER_SOCKET:
            return current
        if current is not None and current.loop is not loop:
            self._close(current)
        # A full socket stays open for the replies it still waits for, and closes
        # when the last of them is done.
        family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.connect((self.address, self.port))
            entry = _Socket(sock, loop)
            loop.add_reader(sock.fileno(), self._readable, entry)
        except BaseException:
            sock.close()
            raise
        self._current = entry
        return entry

    def _close(self, entry: _Socket) -> None:
        if self._current is entry:
            self._current = None
        if entry.sock.fileno() < 0:
            return
        if not entry.loop.is_closed():
            entry.loop.remove_reader(entry.sock.fileno())
        entry.sock.close()

    def _readable(self, entry: _Socket) -> None:
        sock = entry.sock
        while sock.fileno() >= 0:
            try:
                reply = sock.recv(MAX_MESSAGE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. ECONNREFUSED: nothing listens there
                for _question, attempts, index in list(entry.waiting.values()):
                    attempts.deliver(index, OSError(exc.errno, exc.strerror))
                return
            if len(reply) < 12:
                continue
            query_id = int.from_bytes(reply[:2], "big")
            waiting = entry.waiting.get(query_id)
            # Anything else (a late reply to an earlier attempt, a stray datagram) is dropped.
            if waiting is not None and matches(reply, query_id, waiting[0]):
                waiting[1].deliver(waiting[2], reply)


async def exchange_tcp(address: str, port: int, question: bytes, *, payload: int, dnssec: bool, timeout: float) -> bytes:
    """The question over TCP (RFC 7766), for a reply too big for UDP."""
    query_id = secrets.randbits(16)
    query = query_wire(query_id, question, payload=payload, dnssec=dnssec)
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(address, port)
        try:
            writer.write(len(query).to_bytes(2, "big") + query)
            length = int.from_bytes(await reader.readexactly(2), "big")
            reply = await reader.readexactly(length)
        finally:
            writer.close()
    if not matches(reply, query_id, question):
        raise BadReply(f"the TCP reply from {address} is not about the question asked")
    return reply
