"""A small authoritative DNS server on loopback, serving zones loaded from files.

``--zone`` runs one for the length of a command, and the test suite and benchmarks
run the same server over ``fixtures/zones``. It answers with the AA flag, NXDOMAIN
and NODATA with the zone's SOA in the authority section, follows CNAMEs inside its
zones, expands wildcards, returns RRSIGs when asked with the DO bit, truncates UDP
answers that do not fit (so clients retry over TCP), and refuses names outside its
zones. ``latency`` delays every answer, to benchmark against a far-away server.
"""

from __future__ import annotations

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


@dataclass
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
        self._lock = threading.Lock()
        self._active = 0
        self.max_active = 0  # the most queries it held at once (benchmarks read it)
        self.port = 0

    @property
    def origins(self) -> list[str]:
        return [origin.to_text() for origin in self.zones]

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> ZoneServer:
        handler = self._handler_classes()
        for _ in range(1 if self.bind_port else 20):  # the UDP port may be taken for TCP; try another
            udp = _ThreadingUDPServer((self.host, self.bind_port), handler[0])
            port = udp.server_address[1]
            try:
                tcp = _ThreadingTCPServer((self.host, port), handler[1])
            except OSError:
                udp.server_close()
                if self.bind_port:
                    raise
                continue
            break
        else:  # pragma: no cover - the loopback has run out of ports
            raise OSError("no free port for the zone server")
        self.port = port
        self._servers = [udp, tcp]
        for server in self._servers:
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
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
        with self._lock:
            self._active += 1
            self.max_active = max(self.max_active, self._active)
        try:
            return self._respond(wire, transport)
        finally:
            with self._lock:
                self._active -= 1

    def reset_counters(self) -> None:
        with self._lock:
            self.queries.clear()
            self.max_active = 0

    def _respond(self, wire: bytes, transport: str) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        if self.latency:
            time.sleep(self.latency)
        response = dns.message.make_response(query)
        response.flags &= ~dns.flags.RA
        if len(query.question) != 1 or query.opcode() != 0:
            response.set_rcode(dns.rcode.FORMERR if len(query.question) != 1 else dns.rcode.NOTIMP)
            return response.to_wire()
        question = query.question[0]
        with self._lock:
            self.queries.append(ServedQuery(question.name.to_text(), dns.rdatatype.to_text(question.rdtype), transport))
        self._answer(response, question.name, question.rdtype, want_dnssec=_wants_dnssec(query))
        if transport == "udp":
            limit = query.payload if query.edns >= 0 else NO_EDNS_UDP_SIZE
            try:
                return response.to_wire(max_size=max(limit, NO_EDNS_UDP_SIZE))
            except dns.exception.TooBig:
                truncated = dns.message.make_response(query)
                truncated.flags |= dns.flags.TC | dns.flags.AA
                return truncated.to_wire()
        return response.to_wire(max_size=65535)

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

    @staticmethod
    def _has_descendants(zone: dns.zone.Zone, name: dns.name.Name) -> bool:
        """An empty non-terminal (a name with only names below it) exists: NODATA."""
        return any(other != name and other.is_subdomain(name) for other in zone.nodes)

    @staticmethod
    def _add(section: list, name: dns.name.Name, rdataset, node, rdtype: int, want_dnssec: bool) -> None:  # type: ignore[no-untyped-def]
        rrset = dns.rrset.RRset(name, dns.rdataclass.IN, rdataset.rdtype)
        rrset.update(rdataset)
        section.append(rrset)
        if want_dnssec:
            sigs = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdataset.rdtype)
            if sigs is not None:
                sig_rrset = dns.rrset.RRset(name, dns.rdataclass.IN, dns.rdatatype.RRSIG, rdataset.rdtype)
                sig_rrset.update(sigs)
                section.append(sig_rrset)

    def _add_soa(self, response: dns.message.Message, zone: dns.zone.Zone, want_dnssec: bool) -> None:
        origin = zone.origin
        node = zone.get_node(origin) if origin is not None else None
        if origin is None or node is None:  # load_zone_file checks the SOA: cannot happen
            return
        soa = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.SOA)
        self._add(response.authority, origin, soa, node, dns.rdatatype.SOA, want_dnssec)

    def _handler_classes(self) -> tuple[type, type]:
        server = self

        class UdpHandler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                reply = server.respond(data, "udp")
                if reply is not None:
                    sock.sendto(reply, self.client_address)

        class TcpHandler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                while True:
                    header = self.rfile.read(2)
                    if len(header) < 2:
                        return
                    data = self.rfile.read(int.from_bytes(header, "big"))
                    reply = server.respond(data, "tcp")
                    if reply is None:
                        return
                    self.wfile.write(len(reply).to_bytes(2, "big") + reply)

        return UdpHandler, TcpHandler


class _ThreadingUDPServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # A bulk client sends a burst of queries at once (a domain's 51 DKIM selectors,
        # for twenty domains); the default receive buffer (~200 KB) drops some of them
        # while the handler threads start. The kernel caps this at net.core.rmem_max.
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RECEIVE_BUFFER)
        super().server_bind()


class _ThreadingTCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        super().server_bind()


def _wants_dnssec(query: dns.message.Message) -> bool:
    # Message.want_dnssec() is a setter (it returns None), so read the DO bit itself.
    return bool(query.ednsflags & dns.flags.DO)
