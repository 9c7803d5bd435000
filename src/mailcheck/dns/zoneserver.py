"""A small authoritative DNS server on loopback, serving zones loaded from files.

``--zone`` runs one for the length of a command, and the test suite and benchmarks
run the same server over ``fixtures/zones``. It answers with the AA flag, NXDOMAIN
and NODATA with the zone's SOA in the authority section, follows CNAMEs inside its
zones, expands wildcards, returns RRSIGs when asked with the DO bit, truncates UDP
answers that do not fit (so clients retry over TCP), and refuses names outside its
zones. ``latency`` delays every answer, to benchmark against a far-away server. A
query asked again is answered with the reply built for it the first time.
"""

from __future__ import annotations

import collections
import heapq
import select
import socket
import socketserver
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

MAX_CNAME_HOPS = 8
NO_EDNS_UDP_SIZE = 512
UDP_RECEIVE_BUFFER = 4 * 1024 * 1024
MAX_KEPT_RRSETS = 100_000
# Finished replies kept for queries asked again (see ZoneServer._respond); a bulk
# benchmark's zones give some 70,000 distinct questions.
MAX_KEPT_REPLIES = 200_000
# A client's attempt waits 1.25 s with the default --timeout of 5 s (see
# mailcheck.dns.resolver.attempt_timeout); a query older than this is answered too late.
MAX_QUEUE_DELAY = 1.0


@dataclass(frozen=True)
class ServedQuery:
    name: str
    rdtype: str
    transport: str


@dataclass
class ZoneServer:
    """Serve ``zones`` on ``host`` (UDP and TCP, one port); use as a context manager.

    ``bind_port`` 0 takes any free port; a fixed one (53, for a resolv.conf, which
    cannot name a port) is taken as given or fails with OSError.
    """

    zones: Mapping[dns.name.Name, dns.zone.Zone]
    host: str = "127.0.0.1"
    latency: float = 0.0
    bind_port: int = 0
    queries: list[ServedQuery] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._servers: list[socketserver.BaseServer] = []
        self._udp: _UdpService | None = None
        self._parents: dict[dns.name.Name | None, set[dns.name.Name]] = {}
        self._rrsets: dict[tuple[dns.name.Name, int, int, bool], list[dns.rrset.RRset]] = {}
        self._replies: dict[tuple[bytes, str], tuple[bytes, ServedQuery | None]] = {}
        self.replies_reused = 0  # queries answered from the kept replies (benchmarks read it)
        # When each of ``queries`` arrived (time.perf_counter()): a benchmark reads when a
        # client's first question left and its last answer came back.
        self.arrivals: list[float] = []
        self._lock = threading.Lock()
        self._active = 0
        self.max_active = 0  # the most queries it held at once (benchmarks read it)
        self.port = 0

    @property
    def origins(self) -> list[str]:
        return [origin.to_text() for origin in self.zones]

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> ZoneServer:
        for _ in range(1 if self.bind_port else 20):  # the UDP port may be taken for TCP; try another
            udp = _UdpService(self, self.host, self.bind_port)
            try:
                tcp = _ThreadingTCPServer((self.host, udp.port), self._tcp_handler())
            except OSError:
                udp.close()
                if self.bind_port:
                    raise
                continue
            break
        else:  # pragma: no cover - the loopback has run out of ports
            raise OSError("no free port for the zone server")
        self.port = udp.port
        self._udp, self._servers = udp, [tcp]
        udp.start()
        threading.Thread(target=tcp.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []

    def __enter__(self) -> ZoneServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- answering -------------------------------------------------------------

    def respond(self, wire: bytes, transport: str) -> bytes | None:
        """The reply to one query (None: no reply), at once; the transports add the latency."""
        return self._respond(wire, transport)

    def _hold(self) -> None:
        with self._lock:
            self._active += 1
            self.max_active = max(self.max_active, self._active)

    def _release(self) -> None:
        with self._lock:
            self._active -= 1

    def reset_counters(self) -> None:
        with self._lock:
            self.queries.clear()
            self.arrivals.clear()
            self.max_active = 0
            self.replies_reused = 0
            if self._udp is not None:
                self._udp.shed = 0

    @property
    def shed(self) -> int:
        """UDP queries dropped unanswered for having waited too long (an overloaded server)."""
        return self._udp.shed if self._udp is not None else 0

    def _respond(self, wire: bytes, transport: str) -> bytes | None:
        # The reply depends on nothing but the query's bytes after its ID (flags, the
        # question, EDNS and its DO bit) and the transport, and the zones do not change
        # while served: a query asked again gets the reply built the first time, under
        # its own ID. Building one with dnspython costs about 0.5 ms of CPU, which in
        # a benchmark is taken from the client it measures on the same cores. (Only
        # the order of a set's records, which dnspython shuffles at each rendering,
        # stays that of the first reply.)
        arrived = time.perf_counter()
        key = (wire[2:], transport)
        kept = self._replies.get(key)
        if kept is not None:
            reply, served = kept
            with self._lock:
                self.replies_reused += 1
                if served is not None:
                    self.queries.append(served)
                    self.arrivals.append(arrived)
            return wire[:2] + reply
        answered = self._build_reply(wire, transport)
        if answered is None:
            return None
        reply, served = answered
        if served is not None:
            with self._lock:
                self.queries.append(served)
                self.arrivals.append(arrived)
        if len(self._replies) >= MAX_KEPT_REPLIES:
            self._replies.clear()
        self._replies[key] = (reply[2:], served)
        return reply

    def _build_reply(self, wire: bytes, transport: str) -> tuple[bytes, ServedQuery | None] | None:
        """The reply to ``wire``, and the question it answered (None: not a question)."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        response = dns.message.make_response(query)
        response.flags &= ~dns.flags.RA
        if len(query.question) != 1 or query.opcode() != 0:
            response.set_rcode(dns.rcode.FORMERR if len(query.question) != 1 else dns.rcode.NOTIMP)
            return response.to_wire(), None
        question = query.question[0]
        served = ServedQuery(question.name.to_text(), dns.rdatatype.to_text(question.rdtype), transport)
        self._answer(response, question.name, question.rdtype, want_dnssec=_wants_dnssec(query))
        if transport == "udp":
            limit = query.payload if query.edns >= 0 else NO_EDNS_UDP_SIZE
            try:
                return response.to_wire(max_size=max(limit, NO_EDNS_UDP_SIZE)), served
            except dns.exception.TooBig:
                truncated = dns.message.make_response(query)
                truncated.flags |= dns.flags.TC | dns.flags.AA
                return truncated.to_wire(), served
        return response.to_wire(max_size=65535), served

    def _answer(self, response: dns.message.Message, qname: dns.name.Name, rdtype: int, want_dnssec: bool) -> None:
        zone = self._zone_for(qname)
        if rdtype == dns.rdatatype.DS and zone is not None and zone.origin == qname:
            # DS lives on the parent side of a zone cut (RFC 4035 §3.1.4.1): answer it
            # from the parent zone when we serve that too.
            zone = self._zone_for(qname.parent()) if len(qname) > 1 else zone
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return
        response.flags |= dns.flags.AA
        name = qname
        for _ in range(MAX_CNAME_HOPS):
            node = zone.get_node(name) or self._wildcard(zone, name)
            if node is None:
                if not self._has_descendants(zone, name):
                    response.set_rcode(dns.rcode.NXDOMAIN)
                self._add_soa(response, zone, want_dnssec)
                return
            rdataset = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RdataType.make(rdtype))
            if rdataset is not None:
                self._add(response.answer, name, rdataset, node, rdtype, want_dnssec)
                return
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname is None:
                self._add_soa(response, zone, want_dnssec)
                return
            self._add(response.answer, name, cname, node, dns.rdatatype.CNAME, want_dnssec)
            name = cname[0].target
            zone = self._zone_for(name)
            if zone is None:  # the chain leaves our zones: the client goes on from here
                return
        response.set_rcode(dns.rcode.SERVFAIL)

    def _zone_for(self, name: dns.name.Name) -> dns.zone.Zone | None:
        # The closest enclosing zone: walk up from the name, one dict lookup per label,
        # rather than comparing with every zone (benchmarks serve over a thousand).
        candidate = name
        while True:
            zone = self.zones.get(candidate)
            if zone is not None or candidate == dns.name.root:
                return zone
            candidate = candidate.parent()

    @staticmethod
    def _wildcard(zone: dns.zone.Zone, name: dns.name.Name):  # type: ignore[no-untyped-def]
        parent = name
        while parent != zone.origin and len(parent) > 1:
            parent = parent.parent()
            if zone.get_node(parent) is not None:
                break
            candidate = dns.name.Name(("*",) + parent.labels)
            node = zone.get_node(candidate)
            if node is not None:
                return node
        return None

    def _has_descendants(self, zone: dns.zone.Zone, name: dns.name.Name) -> bool:
        """An empty non-terminal (a name with only names below it) exists: NODATA."""
        origin = zone.origin
        parents = self._parents.get(origin)
        if parents is None:  # every name above a node of the zone, worked out once a zone
            parents = set()
            for other in zone.nodes:
                while other != origin and len(other) > 1:
                    other = other.parent()
                    parents.add(other)
            self._parents[origin] = parents
        return name in parents

    def _add(self, section: list, name: dns.name.Name, rdataset, node, rdtype: int, want_dnssec: bool) -> None:  # type: ignore[no-untyped-def]
        # The zones do not change while served: each RRset (and its signatures) is
        # built once, as building one hashes every record (a bulk run asks thousands).
        key = (name, rdataset.rdtype, rdataset.covers, want_dnssec)
        rrsets = self._rrsets.get(key)
        if rrsets is None:
            rrset = dns.rrset.RRset(name, dns.rdataclass.IN, rdataset.rdtype)
            rrset.update(rdataset)
            rrsets = [rrset]
            if want_dnssec:
                sigs = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdataset.rdtype)
                if sigs is not None:
                    sig_rrset = dns.rrset.RRset(name, dns.rdataclass.IN, dns.rdatatype.RRSIG, rdataset.rdtype)
                    sig_rrset.update(sigs)
                    rrsets.append(sig_rrset)
            if len(self._rrsets) >= MAX_KEPT_RRSETS:  # wildcards make names without end
                self._rrsets.clear()
            self._rrsets[key] = rrsets
        section.extend(rrsets)

    def _add_soa(self, response: dns.message.Message, zone: dns.zone.Zone, want_dnssec: bool) -> None:
        origin = zone.origin
        node = zone.get_node(origin) if origin is not None else None
        if origin is None or node is None:  # load_zone_file checks the SOA: cannot happen
            return
        soa = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.SOA)
        self._add(response.authority, origin, soa, node, dns.rdatatype.SOA, want_dnssec)

    def _tcp_handler(self) -> type:
        server = self

        class TcpHandler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                while True:
                    header = self.rfile.read(2)
                    if len(header) < 2:
                        return
                    data = self.rfile.read(int.from_bytes(header, "big"))
                    server._hold()
                    try:
                        reply = server.respond(data, "tcp")
                        if reply is None:
                            return
                        if server.latency:
                            time.sleep(server.latency)
                    finally:
                        server._release()
                    self.wfile.write(len(reply).to_bytes(2, "big") + reply)

        return TcpHandler


class _UdpService:
    """UDP from two threads: one answers each datagram as it comes, one sends each
    reply when the server's latency has passed since its query came.

    A thread per query (socketserver's way), sleeping for the latency, cost more CPU
    than the answer itself, and the benchmarks' zone server shares the machine with
    the client it measures. When queries come faster than it answers, a query that
    has waited longer than MAX_QUEUE_DELAY is dropped unanswered, as a busy server's
    full queue drops it: its client has most likely sent it again by then, and
    answering every stale copy would only make the queue longer.
    """

    def __init__(self, server: ZoneServer, host: str, port: int) -> None:
        self._server = server
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        try:
            # A bulk client sends bursts (a domain's 51 DKIM selectors, for twenty
            # domains at once); the default receive buffer (~200 KB) would drop some.
            # The kernel caps this at net.core.rmem_max.
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RECEIVE_BUFFER)
            self._sock.bind((host, port))
        except OSError:
            self._sock.close()
            raise
        self._sock.setblocking(False)
        self._readable = select.poll()
        self._readable.register(self._sock, select.POLLIN)
        self.port: int = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._due: list[tuple[float, int, bytes, tuple[str, int]]] = []  # a heap of (when, order, reply, peer)
        self._order = 0
        self._wakeup = threading.Condition()
        self.shed = 0  # queries dropped for waiting too long (see MAX_QUEUE_DELAY)
        self._threads = [
            threading.Thread(target=self._receive, daemon=True, name="zone-server-udp"),
            threading.Thread(target=self._send_when_due, daemon=True, name="zone-server-udp-latency"),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def close(self) -> None:
        self._stop.set()
        with self._wakeup:
            self._wakeup.notify()
        for thread in self._threads:
            if thread.is_alive():
                thread.join()
        self._sock.close()

    def _receive(self) -> None:
        server = self._server
        waiting: collections.deque[tuple[float, bytes, tuple[str, int]]] = collections.deque()
        while not self._stop.is_set():
            self._take_waiting(waiting)
            if not waiting:
                self._readable.poll(50)  # milliseconds: how often it looks at the stop flag
                continue
            received, data, peer = waiting.popleft()
            if time.monotonic() - received > MAX_QUEUE_DELAY:
                self.shed += 1
                continue
            server._hold()
            try:
                reply = server.respond(data, "udp")
            except Exception:  # noqa: BLE001  (one bad query must not stop the server)
                reply = None
            if reply is None:
                server._release()
            elif server.latency:
                with self._wakeup:
                    self._order += 1
                    heapq.heappush(self._due, (received + server.latency, self._order, reply, peer))
                    self._wakeup.notify()
            else:
                self._send(reply, peer)

    def _take_waiting(self, waiting: collections.deque[tuple[float, bytes, tuple[str, int]]]) -> None:
        """Move every datagram the socket holds into ``waiting``, stamped with the time."""
        while True:
            try:
                data, peer = self._sock.recvfrom(65535)
            except OSError:  # BlockingIOError: none left
                return
            waiting.append((time.monotonic(), data, peer))

    def _send_when_due(self) -> None:
        while not self._stop.is_set():
            with self._wakeup:
                now = time.monotonic()
                if not self._due or self._due[0][0] > now:
                    self._wakeup.wait(timeout=min(0.05, self._due[0][0] - now) if self._due else 0.05)
                    continue
                due = []
                while self._due and self._due[0][0] <= now:
                    due.append(heapq.heappop(self._due))
            for _when, _order, reply, peer in due:
                self._send(reply, peer)

    def _send(self, reply: bytes, peer: tuple[str, int]) -> None:
        try:
            self._sock.sendto(reply, peer)
        except OSError:
            pass  # the client has gone, or the send buffer is full: a lost datagram
        finally:
            self._server._release()


class _ThreadingTCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        super().server_bind()


def _wants_dnssec(query: dns.message.Message) -> bool:
    # Message.want_dnssec() is a setter (it returns None), so read the DO bit itself.
    return bool(query.ednsflags & dns.flags.DO)
