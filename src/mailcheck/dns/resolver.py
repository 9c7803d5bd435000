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
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver
import dns.reversename

from mailcheck.dns.errors import DnsError, DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.dns.nameservers import Nameserver
from mailcheck.dns.shared_answers import SharedAnswers
from mailcheck.model import DnsStats

T = TypeVar("T")

DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_IN_FLIGHT = 64
# Large enough for big TXT sets, small enough to avoid IP fragmentation (DNS flag day 2020).
EDNS_PAYLOAD = 1232


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
    server; every other name goes to ``upstream`` (or the system's resolvers), or,
    when ``offline``, fails at once as "could not tell".
    """

    def __init__(
        self,
        *,
        upstream: Sequence[Nameserver] = (),
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
        self._zone_resolver = _stub(zone_server and [zone_server], timeout)
        self._upstream = None if offline else _stub(list(upstream) or None, timeout)
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
            elif kept is not None:
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
        results = await asyncio.gather(
            self.query(name, "A"), self.query(name, "AAAA"), return_exceptions=True
        )
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
            raise DnsUnavailable(name, rdtype, "outside the loaded zones and --offline is set")
        async with self._limit:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            started = time.perf_counter()
            server = ", ".join(_server_text(ns.address, ns.port) for ns in stub.nameservers)
            try:
                raw = await stub.resolve(name, rdtype, search=False)
            except dns.resolver.NXDOMAIN:
                self._record(name, rdtype, server, "NXDOMAIN", started)
                raise NoSuchDomain(name, rdtype, "the name does not exist (NXDOMAIN)") from None
            except dns.resolver.NoAnswer:
                self._record(name, rdtype, server, "NODATA", started)
                raise NoRecords(name, rdtype, f"no {rdtype} record") from None
            except dns.resolver.LifetimeTimeout:
                self._record(name, rdtype, server, "timeout", started)
                raise DnsUnavailable(
                    name, rdtype, f"no answer within {self.timeout:g}s from {server}"
                ) from None
            except dns.resolver.NoNameservers as exc:
                self._record(name, rdtype, server, "SERVFAIL/REFUSED", started)
                raise DnsUnavailable(name, rdtype, _no_nameservers_reason(exc, server)) from None
            except (dns.exception.DNSException, OSError, ValueError) as exc:
                self._record(name, rdtype, server, "error", started)
                raise DnsUnavailable(name, rdtype, str(exc) or type(exc).__name__) from None
            finally:
                self._in_flight -= 1
        self._record(name, rdtype, _server_text(str(raw.nameserver), raw.port), "NOERROR", started)
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


def _stub(nameservers: Sequence[Nameserver] | None, timeout: float) -> dns.asyncresolver.Resolver | None:
    """A dnspython stub resolver; None nameservers means the system's (resolv.conf)."""
    if nameservers is not None and not nameservers:
        return None
    if nameservers is None:
        try:
            stub = dns.asyncresolver.Resolver(configure=True)
        except dns.resolver.NoResolverConfiguration:
            return None
    else:
        stub = dns.asyncresolver.Resolver(configure=False)
        stub.nameservers = [dns.nameserver.Do53Nameserver(ns.address, ns.port) for ns in nameservers]
    stub.timeout = timeout
    stub.lifetime = timeout * max(1, len(stub.nameservers))
    stub.cache = None  # the run's cache is ours: it also keeps NXDOMAIN and failures
    # Ask for the AD bit (RFC 6840 §5.7) so a validating resolver tells us about DNSSEC.
    stub.flags = dns.flags.RD | dns.flags.AD
    stub.use_edns(0, 0, EDNS_PAYLOAD)
    return stub


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


def _no_nameservers_reason(exc: dns.resolver.NoNameservers, server: str) -> str:
    text = str(exc)
    if "REFUSED" in text:
        return f"{server} refused the query (REFUSED)"
    if "SERVFAIL" in text:
        return f"{server} answered SERVFAIL"
    return f"no nameserver could answer ({server})"


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
