"""The run's resolver: every DNS query of a run goes through one of these.

It owns the nameservers and timeouts, caches every outcome for the run (NXDOMAIN and
NODATA included), lets identical queries in flight share one network query, caps how
many queries are in flight, and logs each query for ``--verbose`` and the report.
"""

from __future__ import annotations

import mailcheck.dns.doh_off  # noqa: F401  (first: dnspython's resolver loads with DoH off)

# isort: split
import asyncio
import functools
import ipaddress
import re
import time
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.reversename

from mailcheck.dns.errors import DnsError, DnsUnavailable, Failure, NoRecords, NoSuchDomain
from mailcheck.dns.nameservers import DEFAULT_TIMEOUT, Nameserver, system_nameservers
from mailcheck.dns.plain_answer import read_plain_answer
from mailcheck.dns.shared_answers import SharedAnswers
from mailcheck.dns.slots import Slots
from mailcheck.dns.transport import (
    BadReply,
    Truncated,
    UdpChannel,
    answer_count,
    exchange_tcp,
    is_truncated,
    question_wire,
    rcode_of,
)
from mailcheck.model import DnsStats

T = TypeVar("T")

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
    # dnspython's own answer, or the reply to build it from at first use: only the
    # adapter that hands answers to libraries and the DNSSEC checks want it.
    source: dns.resolver.Answer | Reply = field(repr=False, compare=False)

    @functools.cached_property
    def raw(self) -> dns.resolver.Answer:
        """dnspython's answer (its ``response`` is the whole reply)."""
        if isinstance(self.source, Reply):
            return self.source.answer()
        return self.source

    @property
    def via_cname(self) -> bool:
        return self.canonical_name != self.name

    def texts(self) -> list[str]:
        """TXT records, each one's strings joined with nothing between (RFC 7208 §3.3)."""
        return [b"".join(r.strings).decode("utf-8", "replace") for r in self.rdata]

    def to_text(self) -> list[str]:
        return [r.to_text() for r in self.rdata]


@dataclass(frozen=True)
class Reply:
    """A reply that answered ``name``'s ``type_code`` question, as it came from ``nameserver``."""

    wire: bytes
    name: str
    type_code: dns.rdatatype.RdataType
    nameserver: Nameserver

    def answer(self) -> dns.resolver.Answer:
        response = dns.message.from_wire(self.wire)
        assert isinstance(response, dns.message.QueryMessage)  # its opcode is QUERY: it was read so
        return dns.resolver.Answer(
            dns.name.from_text(self.name),
            self.type_code,
            dns.rdataclass.IN,
            response,
            self.nameserver.address,
            self.nameserver.port,
        )


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
        self._zone_origins = frozenset(o.rstrip(".").lower() or "." for o in zone_origins)
        self._zone_servers: tuple[Nameserver, ...] = (zone_server,) if zone_server else ()
        if upstream is None and not offline:
            upstream = system_nameservers(None)
        self._upstream: tuple[Nameserver, ...] = () if offline or upstream is None else tuple(upstream)
        # One UDP socket a nameserver for the lookups in flight (see mailcheck.dns.transport),
        # the bulk run's when it shares them.
        self._channels: dict[Nameserver, UdpChannel] = shared.channels if shared is not None else {}
        # Each query's outcome, or the future its callers wait on while it is asked.
        self._cache: dict[tuple[str, str, bool], Answer | DnsError | asyncio.Future[Answer]] = {}
        self._limit = Slots(max_in_flight)
        if shared is not None and shared.in_flight is not None:
            self._limit = shared.in_flight  # the bulk run's cap, across its domains
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
        cached = self._cache.get(key)
        if isinstance(cached, Answer):  # answered (the usual case in a bulk run): nothing to wait for
            return cached
        outcome = (await self._query_keys([key]))[0]
        if isinstance(outcome, DnsError):
            raise outcome.copy()  # the kept one stays without a traceback (see _settled)
        return outcome

    async def query_all(self, names: Sequence[str], rdtype: str) -> list[Answer | DnsError]:
        """What ``settle(query(name, rdtype))`` gives for each of ``names``, asked together.

        A probe's many names (a domain's 51 DKIM selectors, most of them answered
        NXDOMAIN) go out at once and are waited for as one: a timer and a wake-up for
        all, not a task, a future, a timer and a chain of coroutines each. A name
        whose first attempt went unanswered, or was truncated or refused, goes on as
        ``query`` would have (the next nameserver, retries, TCP) within the same budget.
        """
        kind = rdtype.upper()
        return await self._query_keys([(name.rstrip(".").lower() or ".", kind, False) for name in names])

    async def _query_keys(self, keys: Sequence[tuple[str, str, bool]]) -> list[Answer | DnsError]:
        outcomes: list[Answer | DnsError | None] = []
        asked: list[tuple[int, tuple[str, str, bool], asyncio.Future[Answer]]] = []
        shared_waits: list[tuple[int, asyncio.Future[Answer]]] = []
        loop = asyncio.get_running_loop()
        for key in keys:
            cached = self._cache.get(key)
            if cached is None:
                cached = self._kept(key)
            if cached is None:
                pending: asyncio.Future[Answer] = loop.create_future()
                self._cache[key] = pending
                asked.append((len(outcomes), key, pending))
                outcomes.append(None)
            elif isinstance(cached, asyncio.Future):
                shared_waits.append((len(outcomes), cached))
                outcomes.append(None)
            else:
                outcomes.append(cached)
        if asked:
            try:
                fetched = await self._fetch_all([key for _index, key, _pending in asked])
            except BaseException:  # cancelled: let later callers ask again
                for _index, key, pending in asked:
                    if self._cache.get(key) is pending:
                        del self._cache[key]
                        pending.cancel()
                raise
            for (index, key, pending), outcome in zip(asked, fetched, strict=True):
                self._settled(key, pending, outcome)
                outcomes[index] = outcome
        for index, future in shared_waits:
            # shield: one caller being cancelled must not cancel the shared query.
            shared_outcome = await settle(asyncio.shield(future))
            if isinstance(shared_outcome, DnsError):
                shared_outcome = shared_outcome.with_traceback(None)  # see _settled
            outcomes[index] = shared_outcome
        return [outcome for outcome in outcomes if outcome is not None]

    def _kept(self, key: tuple[str, str, bool]) -> Answer | DnsError | None:
        """The bulk run's shared outcome for ``key``, now this resolver's too."""
        kept = self._shared.get(key) if self._shared is not None else None
        if isinstance(kept, (Answer, DnsError)):
            self._cache[key] = kept
            return kept
        return None

    def _settled(self, key: tuple[str, str, bool], pending: asyncio.Future[Answer], outcome: Answer | DnsError) -> None:
        """``outcome`` is the answer to ``key``: for later callers, and the ones waiting.

        A failure is kept without its traceback, and whoever raises it raises a copy:
        a traceback holds the frames it passed through, they hold this resolver, and
        the resolver its cache, so each domain of a bulk run became a cycle (its whole
        resolver in it) that only the cyclic garbage collector could free, which cost
        over a fifth of the run's CPU.
        """
        if isinstance(outcome, DnsError):
            outcome.__traceback__ = None
        self._cache[key] = outcome
        if isinstance(outcome, DnsError):
            pending.set_exception(outcome.copy())
            pending.exception()  # seen: asyncio must not log it as never retrieved
            if self._shared is not None:
                self._shared.put(key, outcome, None)
        else:
            pending.set_result(outcome)
            if self._shared is not None:
                self._shared.put(key, outcome, outcome.ttl)

    # -- conveniences ------------------------------------------------------------

    async def txt(self, name: str) -> list[str]:
        return (await self.query(name, "TXT")).texts()

    async def addresses(self, name: str) -> list[str]:
        """A and AAAA records of a host, asked together; NoRecords when it has neither."""
        key = name.rstrip(".").lower() or "."
        results = await self._query_keys([(key, "A", False), (key, "AAAA", False)])
        addresses: list[str] = []
        for result in results:
            if isinstance(result, Answer):
                addresses.extend(r.address for r in result.rdata)
        if addresses:
            return addresses
        for result in results:
            if isinstance(result, (NoSuchDomain, DnsUnavailable)):
                raise result.copy()  # the kept one stays without a traceback (see _settled)
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

    def _route(self, name: str) -> tuple[Nameserver, ...]:
        """The zone server for names inside the loaded zones, else the upstream ones."""
        if self._zone_servers and self._zone_origins:
            suffix = name
            while True:
                if suffix in self._zone_origins:
                    return self._zone_servers
                if suffix == ".":
                    break
                suffix = suffix.partition(".")[2] or "."
        return self._upstream

    async def _fetch(
        self,
        name: str,
        rdtype: str,
        dnssec: bool,
        *,
        first: bytes | BaseException | None = None,
        deadline: float | None = None,
        started: float | None = None,
    ) -> Answer:
        """One lookup. ``first``: the outcome of an attempt already made at the first
        nameserver (a reply, or the error it ended in), within the budget that ends
        at ``deadline`` and was ``started`` then (see query_all)."""
        servers = self._route(name)
        if not servers:
            self._record(name, rdtype, "-", "offline", time.perf_counter())
            if self.offline:
                raise DnsUnavailable(name, rdtype, "outside the loaded zones and --offline is set", Failure.OFFLINE)
            raise DnsUnavailable(
                name, rdtype, "no nameserver to ask (the system's resolv.conf names none)", Failure.NO_NAMESERVERS
            )
        await self._limit.take()
        self._in_flight += 1
        self._max_in_flight = max(self._max_in_flight, self._in_flight)
        started = time.perf_counter() if started is None else started
        server = _servers_text(servers)
        try:
            answer, answered_by = await self._lookup(name, rdtype, dnssec, servers, server, first, deadline)
        except DnsError as exc:
            self._record(name, rdtype, server, exc.kind.value, started)
            raise
        except (dns.exception.DNSException, OSError, ValueError) as exc:
            self._record(name, rdtype, server, "error", started)
            raise _unavailable(name, rdtype, exc) from None
        finally:
            self._in_flight -= 1
            self._limit.give()
        self._record(name, rdtype, _server_text(answered_by.address, answered_by.port), "NOERROR", started)
        return answer

    async def _fetch_all(self, keys: Sequence[tuple[str, str, bool]]) -> list[Answer | DnsError]:
        """Each key's lookup (see query_all): the ones with the same nameservers together."""
        if len(keys) == 1:  # one query (the usual case): straight to its nameservers
            servers = self._route(keys[0][0])
            if servers:
                return await self._ask_together(keys, servers)
        together: dict[tuple[Nameserver, ...], list[int]] = {}
        outcomes: list[Answer | DnsError | None] = [None] * len(keys)
        for index, (name, _rdtype, _dnssec) in enumerate(keys):
            together.setdefault(self._route(name), []).append(index)

        async def ask(servers: tuple[Nameserver, ...], indexes: list[int]) -> None:
            if not servers:  # nothing to ask: _fetch says why at once
                for index in indexes:
                    outcomes[index] = await settle(self._fetch(*keys[index]))
                return
            for index, outcome in zip(indexes, await self._ask_together([keys[i] for i in indexes], servers), strict=True):
                outcomes[index] = outcome

        if len(together) == 1:
            await ask(*next(iter(together.items())))
        else:
            await asyncio.gather(*(ask(servers, indexes) for servers, indexes in together.items()))
        return [outcome for outcome in outcomes if outcome is not None]

    async def _ask_together(
        self, keys: Sequence[tuple[str, str, bool]], servers: tuple[Nameserver, ...]
    ) -> list[Answer | DnsError]:
        """The first attempt of every key's lookup at the first nameserver, sent as one
        burst (as many at a time as the in-flight limit lets go); a lookup that this
        attempt does not end goes on in ``_fetch``."""
        loop = asyncio.get_running_loop()
        per_attempt = attempt_timeout(self.timeout, len(servers))
        nameserver, server = servers[0], _servers_text(servers)
        answered_by = _server_text(nameserver.address, nameserver.port)
        channel = self._channel(nameserver)
        outcomes: list[Answer | DnsError | None] = [None] * len(keys)
        going_on: list[tuple[int, bytes | BaseException, float, float]] = []
        questions: dict[int, bytes] = {}
        for index, (name, rdtype, _dnssec) in enumerate(keys):
            try:
                questions[index] = question_wire(name, _type_code(rdtype))
            except (dns.exception.DNSException, ValueError) as exc:  # a name DNS cannot carry
                self._record(name, rdtype, server, "error", time.perf_counter())
                outcomes[index] = _unavailable(name, rdtype, exc)
        todo = list(questions)
        start = 0
        while start < len(todo):
            count = self._limit.take_free(len(todo) - start)
            if not count:
                await self._limit.take()
                count = 1 + self._limit.take_free(len(todo) - start - 1)
            # A lookup's budget starts when it may go out, as in _fetch.
            started, deadline = time.perf_counter(), loop.time() + self.timeout
            chunk = todo[start : start + count]
            start += count
            self._in_flight += count
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            try:
                left = deadline - loop.time()
                replies, arrived = await channel.exchange_all(
                    [questions[i] for i in chunk], payload=EDNS_PAYLOAD, dnssec=keys[chunk[0]][2], timeout=min(per_attempt, left)
                )
            finally:
                self._in_flight -= count
                self._limit.give(count)
            for index, reply, when in zip(chunk, replies, arrived, strict=True):
                name, rdtype, _dnssec = keys[index]
                if isinstance(reply, BaseException) or is_truncated(reply):
                    going_on.append((index, reply, deadline, started))
                    continue
                try:
                    judged = _judge(name, rdtype, questions[index], reply, nameserver, server)
                except DnsError as exc:
                    self._record(name, rdtype, server, exc.kind.value, started, when)
                    outcomes[index] = exc
                except (dns.exception.DNSException, ValueError) as exc:
                    self._record(name, rdtype, server, "error", started, when)
                    outcomes[index] = _unavailable(name, rdtype, exc)
                else:
                    if isinstance(judged, Answer):
                        self._record(name, rdtype, answered_by, "NOERROR", started, when)
                        outcomes[index] = judged
                    else:  # this server leaves play: the lookup goes on without it
                        going_on.append((index, reply, deadline, started))
        if going_on:
            results = await asyncio.gather(
                *(
                    settle(self._fetch(*keys[index], first=first, deadline=deadline, started=started))
                    for index, first, deadline, started in going_on
                )
            )
            for (index, *_attempt), result in zip(going_on, results, strict=True):
                outcomes[index] = result
        return [outcome for outcome in outcomes if outcome is not None]

    async def _lookup(
        self,
        name: str,
        rdtype: str,
        dnssec: bool,
        servers: Sequence[Nameserver],
        server: str,
        first: bytes | BaseException | None = None,
        deadline: float | None = None,
    ) -> tuple[Answer, Nameserver]:
        """One lookup within the ``--timeout`` budget, as dnspython's stub resolver does it.

        Each round asks every nameserver still in play in turn, one attempt each (see
        attempt_timeout), with a growing pause between rounds; a server that answered
        with an error rcode, a malformed reply or a refusal leaves play; a truncated
        reply is asked again over TCP. NXDOMAIN and NOERROR end the lookup. ``first``
        stands for the first attempt's outcome when that was already made.
        """
        type_code = _type_code(rdtype)
        question = question_wire(name, type_code)
        loop = asyncio.get_running_loop()
        if deadline is None:
            deadline = loop.time() + self.timeout
        per_attempt = attempt_timeout(self.timeout, len(servers))
        in_play = list(servers)
        this_round: list[Nameserver] = []
        failures: list[tuple[object, dns.message.Message | None]] = []
        pause, first_round = 0.1, True
        while True:
            if not this_round:
                if not in_play:
                    kind, reason = _no_nameservers_failure(name, failures, server)
                    raise DnsUnavailable(name, rdtype, reason, kind)
                if not first_round:
                    await asyncio.sleep(min(pause, max(0.0, deadline - loop.time())))
                    pause = min(pause * 2, MAX_ATTEMPT_TIMEOUT)
                this_round, first_round = list(in_play), False
            nameserver = this_round.pop(0)
            if loop.time() >= deadline:
                raise DnsUnavailable(name, rdtype, f"no answer within {self.timeout:g}s from {server}", Failure.TIMEOUT)
            udp_reply, first = first, None
            try:
                reply = await self._exchange(nameserver, question, dnssec, deadline, per_attempt, udp_reply)
            except TimeoutError as exc:
                failures.append((exc, None))
                continue
            except (OSError, EOFError, BadReply, Truncated) as exc:
                failures.append((exc, None))
                in_play.remove(nameserver)
                continue
            judged = _judge(name, rdtype, question, reply, nameserver, server)
            if isinstance(judged, Answer):
                return judged, nameserver
            failures.append(judged)
            in_play.remove(nameserver)

    def _channel(self, nameserver: Nameserver) -> UdpChannel:
        channel = self._channels.get(nameserver)
        if channel is None:
            channel = self._channels[nameserver] = UdpChannel(nameserver.address, nameserver.port)
        return channel

    async def _exchange(
        self,
        nameserver: Nameserver,
        question: bytes,
        dnssec: bool,
        deadline: float,
        per_attempt: float,
        udp_reply: bytes | BaseException | None = None,
    ) -> bytes:
        """One attempt at one nameserver (over TCP too when UDP came back truncated);
        ``udp_reply``: what its UDP query already gave."""
        loop = asyncio.get_running_loop()
        if udp_reply is None:
            left = deadline - loop.time()
            reply = await self._channel(nameserver).exchange(
                question, payload=EDNS_PAYLOAD, dnssec=dnssec, timeout=min(per_attempt, left)
            )
        elif isinstance(udp_reply, BaseException):
            raise udp_reply
        else:
            reply = udp_reply
        if not is_truncated(reply):
            return reply
        left = deadline - loop.time()
        if left <= 0:
            raise TimeoutError()
        reply = await exchange_tcp(
            nameserver.address, nameserver.port, question, payload=EDNS_PAYLOAD, dnssec=dnssec, timeout=min(per_attempt, left)
        )
        if is_truncated(reply):
            raise Truncated(f"{_server_text(nameserver.address, nameserver.port)} truncated its answer over TCP")
        return reply

    def _record(self, name: str, rdtype: str, server: str, outcome: str, started: float, ended: float | None = None) -> None:
        now = time.perf_counter() if ended is None else ended
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


def _unavailable(name: str, rdtype: str, exc: Exception) -> DnsUnavailable:
    """What dnspython or the socket raised, as the lookup's failure: the one place
    where a backend's error becomes ours."""
    return DnsUnavailable(name, rdtype, str(exc) or type(exc).__name__)


def _answer(name: str, rdtype: str, raw: dns.resolver.Answer) -> Answer:
    rrset = raw.rrset
    return Answer(
        name=name,
        rdtype=rdtype,
        rdata=tuple(rrset or ()),
        canonical_name=_canonical_text(name, raw),
        ttl=rrset.ttl if rrset is not None else 0,
        authenticated=bool(raw.response.flags & dns.flags.AD),
        source=raw,
    )


def _judge(
    name: str, rdtype: str, question: bytes, reply: bytes, nameserver: Nameserver, server: str
) -> Answer | tuple[object, dns.message.Message | None]:
    """What ``reply`` (matched to ``question``, its wire bytes) means, as dnspython's
    stub resolver reads it.

    The answer; or, raised, NoSuchDomain / NoRecords / wrong owner (the lookup's end);
    or the failure entry of a server that leaves play (an error rcode, a malformed reply).
    """
    # No record in the answer section: the header alone says NXDOMAIN or NODATA, which
    # most lookups of a bulk run get (DKIM selectors that do not exist); the rest of
    # such a reply (the SOA) is not parsed.
    if answer_count(reply) == 0 and rcode_of(reply) == dns.rcode.NXDOMAIN:
        raise NoSuchDomain(name, rdtype, "the name does not exist (NXDOMAIN)")
    if answer_count(reply) == 0 and rcode_of(reply) == dns.rcode.NOERROR:
        raise NoRecords(name, rdtype, f"no {rdtype} record")
    type_code = _type_code(rdtype)
    # The records of the type asked at a plain name asked, and nothing else (most
    # positive answers): read without dnspython's Message, which is built only if asked for.
    plain = read_plain_answer(reply, question, type_code) if _PLAIN_NAME.fullmatch(name) else None
    if plain is not None:
        return Answer(
            name=name,
            rdtype=rdtype,
            rdata=plain.rdata,
            canonical_name=name,
            ttl=plain.ttl,
            authenticated=bool(reply[3] & dns.flags.AD),
            source=Reply(reply, name, type_code, nameserver),
        )
    response: dns.message.Message | None = None
    try:
        response = dns.message.from_wire(reply)
        if not isinstance(response, dns.message.QueryMessage):
            raise dns.exception.FormError("the reply is not a query's answer")
        rcode = response.rcode()
        if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            if rcode == dns.rcode.YXDOMAIN:
                raise dns.resolver.YXDOMAIN()
            return dns.rcode.to_text(rcode), response
        # dnspython's Answer follows the CNAME chain (and rejects a loop), for NXDOMAIN too.
        answer = dns.resolver.Answer(
            dns.name.from_text(name),
            type_code if rcode == dns.rcode.NOERROR else dns.rdatatype.ANY,
            dns.rdataclass.IN,
            response,
            nameserver.address,
            nameserver.port,
        )
    except dns.resolver.YXDOMAIN:
        raise
    except (dns.exception.DNSException, ValueError) as exc:  # malformed, or a CNAME loop
        return exc, response
    if rcode == dns.rcode.NXDOMAIN:
        raise NoSuchDomain(name, rdtype, "the name does not exist (NXDOMAIN)")
    if answer.rrset is not None:
        return _answer(name, rdtype, answer)
    stranger = _wrong_owner(name, response)
    if stranger is not None:
        raise DnsUnavailable(
            name, rdtype, f"{server} answered about {stranger}, not the name asked (wrong owner)", Failure.WRONG_OWNER
        )
    raise NoRecords(name, rdtype, f"no {rdtype} record")


def attempt_timeout(budget: float, servers: int) -> float:
    """How long one attempt at one nameserver waits, within a lookup's ``budget``.

    dnspython retries a silent nameserver (and moves on to the next one) until the
    lookup's lifetime is spent; an attempt of a quarter of the budget, shared among the
    nameservers, leaves room for three or four rounds, so one lost UDP datagram costs
    one attempt instead of the whole lookup. A round never waits more than two seconds:
    a server that has not answered by then has most likely lost the query.
    """
    return min(MAX_ATTEMPT_TIMEOUT, budget / ATTEMPTS_PER_BUDGET / max(1, servers))


# A name whose text form is itself: lower-case letters, digits, hyphens, underscores.
_PLAIN_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")


def _canonical_text(name: str, raw: dns.resolver.Answer) -> str:
    """The name the answer is for after any CNAME, as text (lower-cased, no final dot).

    Without a CNAME that is the name asked, which for a plain name is already its own
    text form; rendering it again costs more than the rest of reading a short answer.
    """
    if _PLAIN_NAME.fullmatch(name) and raw.canonical_name == raw.qname:
        return name
    return raw.canonical_name.to_text(omit_final_dot=True).lower()


@functools.cache
def _servers_text(servers: tuple[Nameserver, ...]) -> str:
    """The nameservers of a lookup as its log and messages name them (asked per query)."""
    return ", ".join(_server_text(ns.address, ns.port) for ns in servers)


@functools.cache
def _type_code(rdtype: str) -> dns.rdatatype.RdataType:
    return dns.rdatatype.from_text(rdtype)


def _server_text(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


_RCODE_FAILURES = {
    dns.rcode.SERVFAIL: Failure.SERVFAIL,
    dns.rcode.REFUSED: Failure.REFUSED,
    dns.rcode.NOTIMP: Failure.NOTIMP,
    dns.rcode.FORMERR: Failure.FORMERR,
}


def _no_nameservers_failure(
    name: str, failures: Sequence[tuple[object, dns.message.Message | None]], server: str
) -> tuple[Failure, str]:
    """Which failure every nameserver gave up with, named as users read it.

    ``failures`` has one (error, response) entry per attempt; the last one with a
    response says what the servers answered. The reason leaves the name out: checks
    put it first ("could not look up NAME TYPE: REASON").
    """
    for error, response in reversed(failures):
        if isinstance(error, dns.message.ChainTooLong) or (
            response is not None and _cname_loop(dns.name.from_text(name), response)
        ):
            return Failure.CNAME_LOOP, f"{server} answered SERVFAIL: CNAME loop"
        if response is not None:
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


def _wrong_owner(name: str, response: dns.message.Message) -> str | None:
    """The name a NOERROR answer is about when no CNAME links it to the name asked.

    dnspython's chaining finds no answer in it, which would read as NODATA ("no
    records"); it is a broken or spoofed answer, so it must not be taken for a fact.
    """
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
