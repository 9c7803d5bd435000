"""The run's resolver: cache, single flight, in-flight cap, TXT joining, TCP fallback,
"could not tell" for dead, refusing and failing servers, and one socket for the lookups
in flight that takes only the replies to its own questions."""

from __future__ import annotations

import asyncio
import gc
import time
import weakref
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import dns.message
import dns.rrset
import pytest

from mailcheck.dns.errors import DnsError, DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.dns.nameservers import Nameserver
from mailcheck.dns.resolver import Answer, Resolver, settle
from mailcheck.dns.transport import QUERIES_PER_SOCKET
from mailcheck.dns.zoneserver import ZoneServer
from tests.helpers import run_async
from tests.helpers.dns_servers import dropping_proxy, misbehaving_dns, scripted_dns


def test_answers_and_logs_each_network_query(resolver_factory, zone_server):
    async def go():
        resolver = resolver_factory()
        answer = await resolver.query("mx1.good.example", "A")
        return answer, resolver

    answer, resolver = run_async(go())
    assert [r.address for r in answer.rdata] == ["127.0.0.10"]
    assert answer.canonical_name == "mx1.good.example"
    assert [(q.name, q.rdtype, q.outcome) for q in resolver.log] == [("mx1.good.example", "A", "NOERROR")]
    assert resolver.log[0].server == f"127.0.0.1:{zone_server.port}"


def test_cache_keeps_nxdomain_and_nodata(resolver_factory):
    async def go():
        resolver = resolver_factory()
        for _ in range(3):
            with pytest.raises(NoSuchDomain):
                await resolver.query("missing.good.example", "TXT")
            with pytest.raises(NoRecords):
                await resolver.query("mx2.good.example", "AAAA")
        return resolver

    resolver = run_async(go())
    assert [(q.name, q.outcome) for q in resolver.log] == [
        ("missing.good.example", "NXDOMAIN"),
        ("mx2.good.example", "NODATA"),
    ]


def test_identical_queries_in_flight_share_one_network_query(resolver_factory):
    async def go():
        resolver = resolver_factory()
        answers = await asyncio.gather(*(resolver.query("Good.Example.", "MX") for _ in range(20)))
        return answers, resolver

    answers, resolver = run_async(go())
    assert len(resolver.log) == 1
    assert all(a.rdata == answers[0].rdata for a in answers)
    assert sorted(r.exchange.to_text() for r in answers[0].rdata) == ["mx1.good.example.", "mx2.good.example."]


@contextmanager
def answers_after(zone_server: ZoneServer, seconds: float) -> Iterator[None]:
    """The fixture zone server with ``seconds`` added to every answer, for the block."""
    zone_server.latency = seconds
    try:
        yield
    finally:
        zone_server.latency = 0.0


def test_in_flight_cap_is_respected(resolver_factory, zone_server):
    async def go():
        resolver = resolver_factory(max_in_flight=3)
        names = [f"n{i}.good.example" for i in range(9)]
        await asyncio.gather(*(resolver.query(n, "A") for n in names), return_exceptions=True)
        return resolver.stats()

    with answers_after(zone_server, 0.05):
        stats = run_async(go())
    assert stats.queries == 9
    assert stats.max_in_flight == 3
    assert stats.elapsed_ms >= 150  # three rounds of 50 ms


def test_txt_strings_are_joined_without_spaces_and_big_answers_come_over_tcp(resolver_factory, zone_server):
    before = len(zone_server.queries)

    async def go():
        return await resolver_factory().txt("big.cname-chain.example")

    texts = run_async(go())
    assert sorted(len(t) for t in texts) == [513, 750]
    assert "0123456789" * 50 + "second record" in texts
    transports = [q.transport for q in zone_server.queries[before:] if q.name == "big.cname-chain.example."]
    assert transports == ["udp", "tcp"]


def test_cname_chain_is_followed(resolver_factory):
    async def go():
        return await resolver_factory().query("start.cname-chain.example", "A")

    answer = run_async(go())
    assert answer.canonical_name == "end.cname-chain.example"
    assert answer.via_cname
    assert [r.address for r in answer.rdata] == ["127.0.0.40"]


def test_names_outside_zones_fail_fast_offline(resolver_factory):
    async def go():
        resolver = resolver_factory()
        started = time.perf_counter()
        with pytest.raises(DnsUnavailable) as info:
            await resolver.query("example.com", "A")
        return info.value, time.perf_counter() - started

    error, elapsed = run_async(go())
    assert "outside the loaded zones" in error.reason
    assert elapsed < 0.1


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [("silent", "no answer within 0.3s"), ("refused", "refused the query"), ("servfail", "SERVFAIL")],
)
def test_misbehaving_servers_are_could_not_tell(behaviour, reason):
    with misbehaving_dns(behaviour) as port:

        async def go():
            resolver = Resolver(upstream=[Nameserver("127.0.0.1", port)], timeout=0.3)
            started = time.perf_counter()
            with pytest.raises(DnsUnavailable) as info:
                await resolver.query("anything.example", "TXT")
            return info.value, time.perf_counter() - started

        error, elapsed = run_async(go())
    assert reason in error.reason
    assert elapsed < 1.5


def test_shared_answers_keep_answers_for_their_ttl_and_never_could_not_tell():
    from mailcheck.dns.shared_answers import MAX_TTL, NEGATIVE_TTL, SharedAnswers

    now = [1000.0]
    shared = SharedAnswers(max_entries=2, clock=lambda: now[0])
    missing = NoSuchDomain("gone.example", "TXT", "the name does not exist (NXDOMAIN)")
    shared.put(("a.example", "TXT", False), "answer-a", 30)
    shared.put(("gone.example", "TXT", False), missing, None)
    shared.put(("slow.example", "TXT", False), DnsUnavailable("slow.example", "TXT", "timeout"), None)
    assert shared.get(("a.example", "TXT", False)) == "answer-a"
    kept = shared.get(("gone.example", "TXT", False))
    # A copy without the traceback (which would hold the raising domain's frames alive).
    assert type(kept) is NoSuchDomain and str(kept) == str(missing) and kept is not missing
    assert kept.__traceback__ is None
    assert shared.get(("slow.example", "TXT", False)) is None  # a timeout is never shared
    now[0] += 31  # past a.example's TTL, within the negative one
    assert shared.get(("a.example", "TXT", False)) is None
    assert isinstance(shared.get(("gone.example", "TXT", False)), NoSuchDomain)
    now[0] += NEGATIVE_TTL
    assert shared.get(("gone.example", "TXT", False)) is None
    # A long TTL is capped, and the least recently used entry goes first.
    shared.put(("b.example", "A", False), "answer-b", 86400)
    shared.put(("c.example", "A", False), "answer-c", 86400)
    shared.put(("d.example", "A", False), "answer-d", 86400)
    assert len(shared) == 2 and shared.get(("b.example", "A", False)) is None
    now[0] += MAX_TTL
    assert shared.get(("d.example", "A", False)) is None


def test_resolvers_sharing_answers_ask_the_network_once(zone_server):
    from mailcheck.dns.shared_answers import SharedAnswers

    shared = SharedAnswers()

    def fresh() -> Resolver:
        server = Nameserver(zone_server.host, zone_server.port)
        return Resolver(zone_server=server, zone_origins=zone_server.origins, offline=True, timeout=2, shared=shared)

    async def go():
        first, second = fresh(), fresh()
        one = await first.query("mx1.good.example", "A")
        two = await second.query("mx1.good.example", "A")
        with pytest.raises(NoSuchDomain):
            await first.query("missing.good.example", "TXT")
        with pytest.raises(NoSuchDomain):
            await second.query("missing.good.example", "TXT")
        return first, second, one, two

    first, second, one, two = run_async(go())
    assert [r.address for r in two.rdata] == [r.address for r in one.rdata] == ["127.0.0.10"]
    assert [(q.name, q.outcome) for q in first.log] == [("mx1.good.example", "NOERROR"), ("missing.good.example", "NXDOMAIN")]
    assert second.log == [] and shared.hits == 2


def test_lookups_in_flight_share_one_socket_and_skip_replies_to_other_questions():
    """Each query gets, first, a reply with another ID and one about another name: both
    are dropped, and the real reply that follows still ends the same attempt."""

    def answer(query: dns.message.Message) -> list[dns.message.Message]:
        name = query.question[0].name
        wrong_id = dns.message.make_response(query)
        wrong_id.id = (query.id + 1) % 65536
        wrong_id.answer.append(dns.rrset.from_text(name, 300, "IN", "A", "192.0.2.66"))
        other = dns.message.make_query("other.example", "A")
        other.id = query.id
        wrong_name = dns.message.make_response(other)
        wrong_name.answer.append(dns.rrset.from_text("other.example.", 300, "IN", "A", "192.0.2.77"))
        right = dns.message.make_response(query)
        right.answer.append(dns.rrset.from_text(name, 300, "IN", "A", f"127.0.0.{name.labels[0][1:].decode()}"))
        return [wrong_id, wrong_name, right]

    peers: list[tuple[str, int]] = []
    with scripted_dns(answer, peers) as port:

        async def go() -> tuple[list[list[str]], Resolver]:
            resolver = Resolver(upstream=[Nameserver("127.0.0.1", port)], timeout=2)
            answers = await asyncio.gather(*(resolver.query(f"h{n}.example", "A") for n in range(1, 11)))
            return [[r.address for r in a.rdata] for a in answers], resolver

        addresses, resolver = run_async(go())
    assert addresses == [[f"127.0.0.{n}"] for n in range(1, 11)]
    assert [q.outcome for q in resolver.log] == ["NOERROR"] * 10
    assert len(peers) == 10  # no attempt timed out, none was sent twice
    assert len(set(peers)) == 1  # the ten lookups in flight went out from one socket


def test_a_socket_carries_a_bounded_number_of_queries_then_a_fresh_port_takes_over():
    def answer(query: dns.message.Message) -> dns.message.Message:
        reply = dns.message.make_response(query)
        reply.answer.append(dns.rrset.from_text(query.question[0].name, 300, "IN", "A", "192.0.2.1"))
        return reply

    peers: list[tuple[str, int]] = []
    lookups = 2 * QUERIES_PER_SOCKET + 10
    with scripted_dns(answer, peers) as port:

        async def go() -> list[list[str]]:
            resolver = Resolver(upstream=[Nameserver("127.0.0.1", port)], timeout=5)
            answers = await asyncio.gather(*(resolver.query(f"r{n}.example", "A") for n in range(lookups)))
            return [[r.address for r in a.rdata] for a in answers]

        addresses = run_async(go())
    assert addresses == [["192.0.2.1"]] * lookups and len(peers) == lookups
    per_port = Counter(peer[1] for peer in peers).values()
    # None past the bound, so at least three source ports. Not exactly 64, 64 and 10: a
    # socket whose replies are all in closes, and when the loop reads replies before the
    # last lookups have sent (a loaded machine), those go out from a fresh one.
    assert max(per_port) <= QUERIES_PER_SOCKET and len(per_port) >= 3


def _outcome_text(outcome: object) -> str:
    """An outcome as the checks read it: the answer's texts, or the error's kind and reason."""
    if isinstance(outcome, DnsError):
        return f"{type(outcome).__name__}: {outcome.reason}"
    assert isinstance(outcome, Answer)
    return " | ".join(sorted(outcome.texts()))


PROBED = [
    "good.example",  # an answer
    "missing.good.example",  # NXDOMAIN
    "mx2.good.example",  # NODATA
    "big.cname-chain.example",  # truncated over UDP: asked again over TCP
    "example.com",  # outside the zones, offline: could not tell
    "good.example",  # asked twice: one lookup
]


def test_names_asked_together_get_what_each_query_gets(resolver_factory, zone_server):
    before = len(zone_server.queries)

    async def go():
        together, alone = resolver_factory(), resolver_factory()
        outcomes = await together.query_all(PROBED, "TXT")
        one_by_one = [await settle(alone.query(name, "TXT")) for name in PROBED]
        logged = len(together.log)
        again = [await settle(together.query(name, "TXT")) for name in PROBED]  # from its cache
        return outcomes, one_by_one, again, together.log[:logged], len(together.log) - logged

    outcomes, one_by_one, again, log, asked_again = run_async(go())
    assert [_outcome_text(o) for o in outcomes] == [_outcome_text(o) for o in one_by_one]
    assert [_outcome_text(o) for o in again] == [_outcome_text(o) for o in outcomes]
    assert asked_again == 0
    texts = [_outcome_text(o) for o in outcomes]
    assert texts[0] == texts[5] and texts[0].startswith("v=spf1 ")
    assert texts[1:3] == ["NoSuchDomain: the name does not exist (NXDOMAIN)", "NoRecords: no TXT record"]
    assert "0123456789" * 50 + "second record" in texts[3]
    assert texts[4] == "DnsUnavailable: outside the loaded zones and --offline is set"
    assert sorted((q.name, q.outcome) for q in log) == sorted(
        [
            ("good.example", "NOERROR"),
            ("missing.good.example", "NXDOMAIN"),
            ("mx2.good.example", "NODATA"),
            ("big.cname-chain.example", "NOERROR"),
            ("example.com", "offline"),
        ]
    )
    big = [q.transport for q in zone_server.queries[before:] if q.name == "big.cname-chain.example."]
    assert big == ["udp", "tcp", "udp", "tcp"]  # together, then alone


def test_names_asked_together_survive_lost_datagrams(zone_server):
    names = [f"{selector}._domainkey.dkim-keys.example" for selector in ("strong", "nothere", "weak")]
    with dropping_proxy(zone_server.port) as proxy:

        async def go():
            resolver = Resolver(upstream=[Nameserver("127.0.0.1", proxy.port)], timeout=2)
            return await resolver.query_all(names, "TXT"), resolver.log

        outcomes, log = run_async(go())
    assert [type(o).__name__ for o in outcomes] == ["Answer", "NoSuchDomain", "Answer"]
    assert all(text.startswith("v=DKIM1") for o in outcomes if isinstance(o, Answer) for text in o.texts())
    assert sorted(proxy.dropped) == sorted(f"{name}. 16" for name in names)  # every first datagram lost
    assert proxy.forwarded == len(names)
    assert sorted((q.name, q.outcome) for q in log) == sorted(zip(names, ["NOERROR", "NXDOMAIN", "NOERROR"], strict=True))


def test_names_asked_together_keep_to_the_in_flight_cap(resolver_factory, zone_server):
    async def go():
        resolver = resolver_factory(max_in_flight=4)
        outcomes = await resolver.query_all([f"s{n}._domainkey.good.example" for n in range(10)], "TXT")
        return outcomes, resolver.stats()

    with answers_after(zone_server, 0.05):
        outcomes, stats = run_async(go())
    assert [type(o).__name__ for o in outcomes] == ["NoSuchDomain"] * 10
    assert (stats.queries, stats.max_in_flight) == (10, 4)
    assert stats.elapsed_ms >= 150  # 4, 4 and 2 at a time, 50 ms each


def test_slots_hand_a_freed_slot_to_the_first_waiter_and_skip_the_cancelled():
    from mailcheck.dns.slots import Slots

    async def go() -> tuple[int, int, list[str], int]:
        slots = Slots(3)
        free_now = slots.take_free(5)  # a burst takes what is free
        order: list[str] = []

        async def wait(label: str) -> None:
            await slots.take()
            order.append(label)

        first, cancelled, last = (asyncio.ensure_future(wait(label)) for label in ("first", "cancelled", "last"))
        await asyncio.sleep(0)
        none_while_waiting = slots.take_free(1)  # no jumping the queue
        cancelled.cancel()
        await asyncio.sleep(0)
        slots.give(2)  # two of the burst's three: to first and last, none to the cancelled one
        await asyncio.gather(first, last)
        slots.give(3)  # the burst's third, and first's and last's: all three free again
        return free_now, none_while_waiting, order, slots.take_free(5)

    free_now, none_while_waiting, order, left = run_async(go())
    assert (free_now, none_while_waiting) == (3, 0)
    assert order == ["first", "last"]
    assert left == 3


def test_resolvers_of_a_bulk_run_share_one_cap_on_queries_in_flight(resolver_factory, zone_server):
    from mailcheck.dns.shared_answers import SharedAnswers

    async def go():
        shared = SharedAnswers(max_in_flight=3)
        resolvers = [resolver_factory(shared=shared) for _ in range(2)]
        started = time.perf_counter()
        outcomes = await asyncio.gather(
            *(r.query_all([f"cap{n}-{i}._domainkey.good.example" for n in range(4)], "TXT") for i, r in enumerate(resolvers))
        )
        return outcomes, time.perf_counter() - started, [r.stats().max_in_flight for r in resolvers]

    with answers_after(zone_server, 0.05):
        outcomes, elapsed, most_at_once = run_async(go())
    assert [type(o).__name__ for each in outcomes for o in each] == ["NoSuchDomain"] * 8
    # Eight queries, three at a time between the two: three rounds of 50 ms (one, had
    # each resolver sent its four at once).
    assert elapsed >= 0.15
    assert max(most_at_once) <= 3


def test_a_resolver_whose_lookups_failed_is_freed_without_the_cycle_collector(resolver_factory):
    """A kept failure carries no traceback (whose frames would hold the resolver): a bulk
    run's resolver, one a domain, goes with its domain's report, not at the next full
    collection of the garbage collector."""

    async def go() -> tuple[weakref.ref[Resolver], list[str]]:
        resolver = resolver_factory()
        seen = []
        for _ in range(2):  # asked, then from the cache
            for outcome in await resolver.query_all(["nosuch.good.example", "good.example"], "TLSA"):
                seen.append(type(outcome).__name__)
            seen.append(type(await settle(resolver.query("nosuch.good.example", "TXT"))).__name__)
            seen.append(type(await settle(resolver.addresses("nosuch.good.example"))).__name__)
        return weakref.ref(resolver), seen

    gc.disable()
    try:
        gone, seen = run_async(go())
        assert gone() is None
    finally:
        gc.enable()
    assert seen == ["NoSuchDomain", "NoRecords", "NoSuchDomain", "NoSuchDomain"] * 2
