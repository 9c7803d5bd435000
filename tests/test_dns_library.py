"""Libraries that resolve on their own (pyspf, checkdmarc) go through the run's resolver."""

from __future__ import annotations

import asyncio

import dns.resolver
import pytest

from mailcheck.dns.nameservers import Nameserver
from mailcheck.runtime import NetworkOptions, run_dns
from tests.helpers import run_async


def _network(zone_server) -> NetworkOptions:
    # The zone server as the *upstream* nameserver: every query must arrive there.
    return NetworkOptions(nameservers=(Nameserver("127.0.0.1", zone_server.port),), timeout=2)


def test_pyspf_and_checkdmarc_lookups_reach_only_the_configured_server(zone_server):
    import spf
    from checkdmarc.dmarc import query_dmarc_record

    before = len(zone_server.queries)

    async def go():
        async with run_dns(_network(zone_server), None) as (resolver, library):
            spf_result = await asyncio.to_thread(spf.check2, i="192.0.2.7", s="postmaster@good.example", h="good.example")
            dmarc = await asyncio.to_thread(query_dmarc_record, "good.example", resolver=library)
            return spf_result, dmarc, resolver

    (result, explanation), dmarc, resolver = run_async(go())
    assert result == "pass"
    assert dmarc["record"] == "v=DMARC1; p=reject; rua=mailto:dmarc-reports@good.example; adkim=s; aspf=r"
    asked = [(q.name, q.rdtype) for q in zone_server.queries[before:]]
    assert ("good.example.", "TXT") in asked  # pyspf
    assert ("_spf.good.example.", "TXT") in asked  # pyspf's include
    assert ("_dmarc.good.example.", "TXT") in asked  # checkdmarc
    # Every query went through the run's resolver, so it is in its log too.
    logged = {(q.name, q.rdtype) for q in resolver.log}
    assert {(n.rstrip("."), t) for n, t in asked} <= logged


def test_library_resolver_translates_outcomes(zone_server):
    async def go():
        async with run_dns(_network(zone_server), None) as (_, library):

            def lookups():
                outcomes = []
                for name, rdtype in [("missing.good.example", "A"), ("mx2.good.example", "AAAA")]:
                    try:
                        library.resolve(name, rdtype)
                    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer) as exc:
                        outcomes.append(type(exc).__name__)
                answer = library.resolve("mx1.good.example", "A")
                outcomes.append([r.address for r in answer])
                return outcomes

            return await asyncio.to_thread(lookups)

    assert run_async(go()) == ["NXDOMAIN", "NoAnswer", ["127.0.0.10"]]


def test_library_resolver_refuses_to_block_the_event_loop(zone_server):
    async def go():
        async with run_dns(_network(zone_server), None) as (_, library):
            with pytest.raises(RuntimeError, match="worker thread"):
                library.resolve("good.example", "A")

    run_async(go())


def test_spf_ptr_skips_a_name_whose_address_lookup_fails(zone_server):
    """RFC 7208 §5.5: 127.0.9.25's first PTR name meets a CNAME loop on its address
    lookup; that name is skipped (pyspf alone would give temperror) and the second
    validates, so ptr matches."""
    from mailcheck.checks.spf_evaluation import _check_host

    async def go():
        async with run_dns(_network(zone_server), None) as (resolver, _library):
            evaluation = await asyncio.to_thread(
                _check_host, "127.0.9.25", "postmaster@spf-ptrloop.example", "spf-ptrloop.example"
            )
            return evaluation, {(q.name, q.rdtype): q.outcome for q in resolver.log}

    evaluation, outcomes = run_async(go())
    assert (evaluation.result, evaluation.mechanism) == ("pass", "ptr:spf-ptrloop.example")
    assert outcomes[("loop1.spf-ptrloop.example", "A")] == "CNAME loop"  # met, and skipped
    assert outcomes[("mail.spf-ptrloop.example", "A")] == "NOERROR"


def test_spf_ptr_does_not_match_when_no_name_validates(zone_server):
    from mailcheck.checks.spf_evaluation import _check_host

    async def go():
        async with run_dns(_network(zone_server), None):
            # 127.0.9.26 has no PTR: the mechanism does not match and -all decides.
            return await asyncio.to_thread(_check_host, "127.0.9.26", "postmaster@spf-ptrloop.example", "spf-ptrloop.example")

    evaluation = run_async(go())
    assert (evaluation.result, evaluation.mechanism) == ("fail", "-all")
