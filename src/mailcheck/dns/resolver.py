"""The run's resolver: every DNS query of a run goes through one of these.

It owns the nameservers and timeouts, caches every outcome for the run (NXDOMAIN and
NODATA included), lets identical queries in flight share one network query, caps how
many queries are in flight, and logs each query for ``--verbose`` and the report.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import dns.asyncresolver
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.reversename

from mailcheck.dns.errors import DnsError, DnsUnavailable, Failure, NoRecords, NoSuchDomain
from mailcheck.dns.nameservers import Nameserver, system_nameservers
from mailcheck.dns.shared_answers import SharedAnswers
from mailcheck.model import DnsStats

T = TypeVar("T")

DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_IN_FLIGHT = 64
# Large enough for big TXT sets, small enough to avoid IP fragmentation (DNS flag day 2020).
EDNS_PAYLOAD = 1232
ATTEMPTS_PER_BUDGET = 4
MAX_ATTEMPT_TIMEOUT = 2.0


@dataclass(frozen=True)
class Answer:
    """A positive answer: the records of one type at one name, after CNAME chasing."""

    name: str
    rdtype: str
    rdata: tuple[Any, ...]
    canonical_name: str
    ttl: int
    authenticated: bool
    # dnspython's own answer, kept for the adapter that hands it to libraries.
    raw: dns.resolver.Answer = field(repr=False, compare=False)

    @property
    def via_cname(self) -> bool:
        return self.canonical_name != self.name

    def texts(self) -> list[str]:
        """TXT records, each one's strings joined with nothing between (RFC 7208 §3.3)."""
        return [b"".join(r.strings).decode("utf-8", "replace") for r in self.rdata]

    def to_text(self) -> list[str]:
        return [r.to_text() for r in self.rdata]


@dataclass(frozen=True)
class QueryRecord:
    name: str
    rdtype: str
    server: str
    outcome: str
    started_ms: float
    elapsed_ms: float


class Resolver:
    """Async, cached, de-duplicated DNS for one run.

    Names inside the zones that ``--zone`` loaded are asked of the loopback zone
    server; every other name goes to ``upstream`` (None: the nameservers of the
    system's resolv.conf), or, when ``offline``, fails at once as "could not tell".
    """

    def __init__(
        self,
        *,
        upstream: Sequence[Nameserver] | None = None,
        zone_server: Nameserver | None = None,
        zone_origins: Iterable[str] = (),
        offline: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        shared: SharedAnswers | None = None,
    ) -> None:
        self.timeout = timeout
        self._shared = shared
        self.offline = offline
        # A set, so routing a name walks its labels (a few lookups) instead of
        # comparing it with every zone: bulk runs serve thousands of zones.
        self._zone_origins = frozenset(dns.name.from_text(o) for o in zone_origins)
        self._zone_resolver = _stub([zone_server] if zone_server else None, timeout)
        if upstream is None and not offline:
            upstream = system_nameservers(None)
        self._upstream = None if offline else _stub(upstream, timeout)
        self._zone_signed = _signed(self._zone_resolver)
        self._upstream_signed = _signed(self._upstream)
        self._cache: dict[tuple[str, str, bool], asyncio.Future[Answer]] = {}
        self._limit = asyncio.Semaphore(max_in_flight)
        self._in_flight = 0
        self._max_in_flight = 0
        self._clock_start = time.perf_counter()
        self.log: list[QueryRecord] = []

    # -- the one primitive -------------------------------------------------------

    async def query(self, name: str, rdtype: str, *, dnssec: bool = False) -> Answer:
        """Answer for (name, rdtype), or NoSuchDomain / NoRecords / DnsUnavailable.

        ``dnssec`` sets the DO bit, so ``answer.raw.response`` carries the RRSIGs; only
        the DNSSEC checks want them, so other queries stay small.
        """
        key = (name.rstrip(".").lower() or ".", rdtype.upper(), dnssec)
        future = self._cache.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._cache[key] = future
            kept = self._shared.get(key) if self._shared is not None else None
            if isinstance(kept, DnsError):
                future.set_exception(kept)
            elif isinstance(kept, Answer):
                future.set_result(kept)
            else:
                try:
                    answer = await self._fetch(*key)
                except DnsError as exc:
                    future.set_exception(exc)
                    if self._shared is not None:
                        self._shared.put(key, exc, None)
                except BaseException:  # cancelled: let later callers ask again
                    del self._cache[key]
                    future.cancel()
                    raise
                else:
                    future.set_result(answer)
                    if self._shared is not None:
                        self._shared.put(key, answer, answer.ttl)
        # shield: one caller being cancelled must not cancel the shared query.
        return await asyncio.shield(future)

    # -- conveniences ------------------------------------------------------------

    async def txt(self, name: str) -> list[str]:
        return (await self.query(name, "TXT")).texts()

    async def addresses(self, name: str) -> list[str]:
        """A and AAAA records of a host, asked together; NoRecords when it has neither."""
        results = await asyncio.gather(self.query(name, "A"), self.query(name, "AAAA"), return_exceptions=True)
        addresses: list[str] = []
        for result in results:
            if isinstance(result, Answer):
                addresses.extend(r.address for r in result.rdata)
        if addresses:
            return addresses
        for result in results:
            if isinstance(result, (NoSuchDomain, DnsUnavailable)):
                raise result
        raise NoRecords(name, "A/AAAA", "no address records")

    async def ptr(self, address: str) -> list[str]:
        reverse = dns.reversename.from_address(address).to_text(omit_final_dot=True)
        answer = await self.query(reverse, "PTR")
        return [r.target.to_text(omit_final_dot=True).lower() for r in answer.rdata]

    # -- bookkeeping -------------------------------------------------------------

    def stats(self) -> DnsStats:
        if not self.log:
            return DnsStats(queries=0, elapsed_ms=0, max_in_flight=0)
        start = min(r.started_ms for r in self.log)
        end = max(r.started_ms + r.elapsed_ms for r in self.log)
        return DnsStats(
            queries=len(self.log),
            elapsed_ms=round(end - start),
            max_in_flight=self._max_in_flight,
        )

    # -- the network -------------------------------------------------------------

    def _route(self, name: str, dnssec: bool) -> dns.asyncresolver.Resolver | None:
        if self._zone_resolver is not None and self._zone_origins:
            qname = dns.name.from_text(name)
            while True:
                if qname in self._zone_origins:
                    return self._zone_signed if dnssec else self._zone_resolver
                if qname == dns.name.root:
                    break
                qname = qname.parent()
        return self._upstream_signed if dnssec else self._upstream

    async def _fetch(self, name: str, rdtype: str, dnssec: bool) -> Answer:
        stub = self._route(name, dnssec)
        if stub is None:
            self._record(name, rdtype, "-", "offline", time.perf_counter())
            if self.offline:
                raise DnsUnavailable(name, rdtype, "outside the loaded zones and --offline is set", Failure.OFFLINE)
            raise DnsUnavailable(
                name, rdtype, "no nameserver to ask (the system's resolv.conf names none)", Failure.NO_NAMESERVERS
            )
        async with self._limit:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            started = time.perf_counter()
            server = ", ".join(_server_text(ns.address, ns.port) for ns in _nameservers(stub))
            try:
                raw = await stub.resolve(name, rdtype, search=False)
            except dns.resolver.NXDOMAIN:
                self._record(name, rdtype, server, "NXDOMAIN", started)
                raise NoSuchDomain(name, rdtype, "the name does not exist (NXDOMAIN)") from None
            except dns.resolver.NoAnswer as exc:
                stranger = _wrong_owner(name, exc)
                if stranger is not None:
                    self._record(name, rdtype, server, Failure.WRONG_OWNER.value, started)
                    raise DnsUnavailable(
                        name,
                        rdtype,
                        f"{server} answered about {stranger}, not the name asked (wrong owner)",
                        Failure.WRONG_OWNER,
                    ) from None
                self._record(name, rdtype, server, "NODATA", started)
                raise NoRecords(name, rdtype, f"no {rdtype} record") from None
            except dns.resolver.LifetimeTimeout:
                self._record(name, rdtype, server, "timeout", started)
                raise DnsUnavailable(
                    name,
                    rdtype,
                    f"no answer within {self.timeout:g}s from {server}",
                    Failure.TIMEOUT,
                ) from None
            except dns.resolver.NoNameservers as exc:
                kind, reason = _no_nameservers_failure(name, exc, server)
                self._record(name, rdtype, server, kind.value, started)
                raise DnsUnavailable(name, rdtype, reason, kind) from None
            except dns.message.ChainTooLong:
                self._record(name, rdtype, server, Failure.CNAME_LOOP.value, started)
                raise DnsUnavailable(name, rdtype, f"{server} answered a CNAME loop", Failure.CNAME_LOOP) from None
            except (dns.exception.DNSException, OSError, ValueError) as exc:
                self._record(name, rdtype, server, "error", started)
                raise DnsUnavailable(name, rdtype, str(exc) or type(exc).__name__) from None
            finally:
                self._in_flight -= 1
        self._record(name, rdtype, _server_text(str(raw.nameserver), raw.port or 53), "NOERROR", started)
        return Answer(
            name=name,
            rdtype=rdtype,
            rdata=tuple(raw.rrset or ()),
            canonical_name=raw.canonical_name.to_text(omit_final_dot=True).lower(),
            ttl=raw.rrset.ttl if raw.rrset is not None else 0,
            authenticated=bool(raw.response.flags & dns.flags.AD),
            raw=raw,
        )

    def _record(self, name: str, rdtype: str, server: str, outcome: str, started: float) -> None:
        now = time.perf_counter()
        self.log.append(
            QueryRecord(
                name=name,
                rdtype=rdtype,
                server=server,
                outcome=outcome,
                started_ms=(started - self._clock_start) * 1000,
                elapsed_ms=(now - started) * 1000,
            )
        )


def attempt_timeout(budget: float, servers: int) -> float:
    """How long one attempt at one nameserver waits, within a lookup's ``budget``.

    dnspython retries a silent nameserver (and moves on to the next one) until the
    lookup's lifetime is spent; an attempt of a quarter of the budget, shared among the
    nameservers, leaves room for three or four rounds, so one lost UDP datagram costs
    one attempt instead of the whole lookup. A round never waits more than two seconds:
    a server that has not answered by then has most likely lost the query.
    """
    return min(MAX_ATTEMPT_TIMEOUT, budget / ATTEMPTS_PER_BUDGET / max(1, servers))


def _stub(nameservers: Sequence[Nameserver] | None, budget: float) -> dns.asyncresolver.Resolver | None:
    """A dnspython stub resolver for these nameservers (None or none: no stub)."""
    if not nameservers:
        return None
    stub = dns.asyncresolver.Resolver(configure=False)
    stub.nameservers = [dns.nameserver.Do53Nameserver(ns.address, ns.port) for ns in nameservers]
    stub.timeout = attempt_timeout(budget, len(nameservers))
    stub.lifetime = budget  # --timeout is the budget of one lookup, retries included
    stub.cache = None  # the run's cache is ours: it also keeps NXDOMAIN and failures
    # Ask for the AD bit (RFC 6840 §5.7) so a validating resolver tells us about DNSSEC.
    stub.flags = dns.flags.RD | dns.flags.AD
    stub.use_edns(0, 0, EDNS_PAYLOAD)
    return stub


def _nameservers(stub: dns.asyncresolver.Resolver) -> list[Nameserver]:
    # The stubs are built from our Nameservers only (see _stub), so every entry is a
    # dnspython Do53Nameserver with an address and a port.
    return [Nameserver(ns.address, ns.port) for ns in stub.nameservers if isinstance(ns, dns.nameserver.Do53Nameserver)]


def _server_text(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _signed(stub: dns.asyncresolver.Resolver | None) -> dns.asyncresolver.Resolver | None:
    """A copy of ``stub`` that asks with the DO bit (RFC 3225) for RRSIGs."""
    if stub is None:
        return None
    signed = dns.asyncresolver.Resolver(configure=False)
    signed.nameservers = list(stub.nameservers)
    signed.timeout, signed.lifetime, signed.cache, signed.flags = stub.timeout, stub.lifetime, None, stub.flags
    signed.use_edns(0, dns.flags.DO, EDNS_PAYLOAD)
    return signed


_RCODE_FAILURES = {
    dns.rcode.SERVFAIL: Failure.SERVFAIL,
    dns.rcode.REFUSED: Failure.REFUSED,
    dns.rcode.NOTIMP: Failure.NOTIMP,
    dns.rcode.FORMERR: Failure.FORMERR,
}


def _no_nameservers_failure(name: str, exc: dns.resolver.NoNameservers, server: str) -> tuple[Failure, str]:
    """Which failure every nameserver gave up with, named as users read it.

    dnspython keeps one (server, tcp, port, error, response) entry per attempt; the
    last one with a response says what the servers answered. The reason leaves the
    name out: checks put it first ("could not look up NAME TYPE: REASON").
    """
    entries = list(exc.kwargs.get("errors") or ())
    for _server, _tcp, _port, error, response in reversed(entries):
        if isinstance(error, dns.message.ChainTooLong) or (
            response is not None and _cname_loop(dns.name.from_text(name), response)
        ):
            return Failure.CNAME_LOOP, f"{server} answered SERVFAIL: CNAME loop"
        if isinstance(response, dns.message.Message):
            rcode = response.rcode()
            kind = _RCODE_FAILURES.get(rcode, Failure.OTHER_RCODE)
            text = dns.rcode.to_text(rcode)
            if kind is Failure.REFUSED:
                return kind, f"{server} refused the query (REFUSED)"
            return kind, f"{server} answered {text}"
        if isinstance(error, dns.exception.FormError):
            return Failure.FORMERR, f"{server} sent a malformed answer ({error})"
    return Failure.NETWORK, f"no nameserver could answer ({server})"


def _cname_loop(qname: dns.name.Name, response: dns.message.Message) -> bool:
    """The answer's CNAME chain from ``qname`` comes back to a name it has passed."""
    targets = {rrset.name: rrset[0].target for rrset in response.answer if rrset.rdtype == dns.rdatatype.CNAME and rrset}
    seen = {qname}
    name = qname
    while name in targets:
        name = targets[name]
        if name in seen:
            return True
        seen.add(name)
    return False


def _wrong_owner(name: str, exc: dns.resolver.NoAnswer) -> str | None:
    """The name a NOERROR answer is about when no CNAME links it to the name asked.

    dnspython reports such an answer as "no answer", which would read as NODATA ("no
    records"); it is a broken or spoofed answer, so it must not be taken for a fact.
    """
    response = exc.kwargs.get("response")
    if not isinstance(response, dns.message.Message):
        return None
    chain = {dns.name.from_text(name)}
    for rrset in response.answer:  # CNAMEs in answer order extend the chain
        if rrset.rdtype == dns.rdatatype.CNAME and rrset.name in chain and rrset:
            chain.add(rrset[0].target)
    for rrset in response.answer:
        if rrset.name not in chain:
            return rrset.name.to_text(omit_final_dot=True)
    return None


async def settle(awaitable: Awaitable[T]) -> T | DnsError:
    """The answer, or the DnsError it raised: lets several lookups be judged together."""
    try:
        return await awaitable
    except DnsError as exc:
        return exc


def is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
