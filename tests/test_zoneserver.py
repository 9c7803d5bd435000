"""The loopback zone server answers as an authoritative server would."""

from __future__ import annotations

import time
from pathlib import Path

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from mailcheck.dns.zones import load_zones
from mailcheck.errors import BadInput
from tests.helpers import ZONES


def ask(server, name: str, rdtype: str, tcp: bool = False) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, server.host, port=server.port, timeout=2)


def answer_texts(response: dns.message.Message) -> list[str]:
    return [f"{rrset.name} {dns.rdatatype.to_text(rrset.rdtype)} {rd}" for rrset in response.answer for rd in rrset]


@pytest.mark.parametrize("tcp", [False, True])
def test_positive_answer_is_authoritative(zone_server, tcp):
    response = ask(zone_server, "mx2.good.example", "A", tcp=tcp)
    assert response.rcode() == dns.rcode.NOERROR
    assert response.flags & dns.flags.AA
    assert answer_texts(response) == ["mx2.good.example. A 127.0.0.11"]


def test_nxdomain_carries_the_soa(zone_server):
    response = ask(zone_server, "nothing.good.example", "A")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert response.flags & dns.flags.AA
    assert [(str(r.name), dns.rdatatype.to_text(r.rdtype)) for r in response.authority] == [("good.example.", "SOA")]


def test_nodata_carries_the_soa(zone_server):
    response = ask(zone_server, "mx2.good.example", "TXT")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.answer == []
    assert [dns.rdatatype.to_text(r.rdtype) for r in response.authority] == ["SOA"]


def test_empty_non_terminal_is_nodata_not_nxdomain(zone_server):
    response = ask(zone_server, "ent.sub.cname-chain.example", "A")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.answer == []


def test_cname_chain_is_chased_inside_the_zones(zone_server):
    response = ask(zone_server, "start.cname-chain.example", "A")
    assert answer_texts(response) == [
        "start.cname-chain.example. CNAME middle.cname-chain.example.",
        "middle.cname-chain.example. CNAME end.cname-chain.example.",
        "end.cname-chain.example. A 127.0.0.40",
    ]


def test_cname_into_another_zone_is_chased(zone_server):
    response = ask(zone_server, "out.cname-chain.example", "A")
    assert answer_texts(response) == [
        "out.cname-chain.example. CNAME mx1.good.example.",
        "mx1.good.example. A 127.0.0.10",
    ]


def test_cname_loop_is_servfail(zone_server):
    assert ask(zone_server, "loop1.cname-chain.example", "A").rcode() == dns.rcode.SERVFAIL


def test_wildcard_is_expanded(zone_server):
    response = ask(zone_server, "anything.wild.cname-chain.example", "A")
    assert answer_texts(response) == ["anything.wild.cname-chain.example. A 127.0.0.41"]


def test_names_outside_the_zones_are_refused(zone_server):
    response = ask(zone_server, "example.com", "A")
    assert response.rcode() == dns.rcode.REFUSED
    assert not response.flags & dns.flags.AA


def test_every_fixture_host_address_is_loopback():
    """design.md: a test, benchmark or demo never connects anywhere but loopback."""
    import ipaddress

    offenders = []
    for origin, zone in load_zones([ZONES]).items():
        for name, rdataset in zone.iterate_rdatasets():
            if rdataset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                for rdata in rdataset:
                    if not ipaddress.ip_address(rdata.address).is_loopback and not _is_blocklist_zone(origin):
                        offenders.append(f"{name} {rdata.address}")
    assert offenders == []


def _is_blocklist_zone(origin) -> bool:
    # Blocklist answers (127.0.0.2, or deliberately broken ones) are looked up, never connected to.
    return not str(origin).endswith(("example.", "arpa."))


def test_malformed_zone_file_names_file_and_line(tmp_path: Path):
    bad = tmp_path / "broken.example.zone"
    bad.write_text("$ORIGIN broken.example.\n$TTL 300\n@ SOA ns1 host 1 2 3 4 5\n@ NS ns1\nwww IN BOGUS 1\n")
    with pytest.raises(BadInput) as info:
        load_zones([bad])
    assert str(info.value) == f"zone file {bad}:5: unknown rdatatype 'BOGUS'"


def test_zone_without_soa_is_refused(tmp_path: Path):
    bad = tmp_path / "nosoa.example.zone"
    bad.write_text("$ORIGIN nosoa.example.\n$TTL 300\n@ NS ns1\n")
    with pytest.raises(BadInput, match="has no SOA record"):
        load_zones([bad])


def test_missing_zone_path_is_bad_input(tmp_path: Path):
    with pytest.raises(BadInput, match="no such file or folder"):
        load_zones([tmp_path / "nope"])


def _wire(name: str, rdtype: str, query_id: int, **options) -> bytes:
    query = dns.message.make_query(name, rdtype, **options)
    query.id = query_id
    return query.to_wire()


def test_a_query_asked_again_gets_the_first_reply_under_its_own_id():
    from mailcheck.dns.zoneserver import ZoneServer

    server = ZoneServer(load_zones([ZONES]))
    # One record a section: dnspython shuffles the records of a set each time it
    # renders one, so only such a reply has one byte order.
    started = time.perf_counter()
    first = server.respond(_wire("mx2.good.example", "A", 0x1111), "udp")
    again = server.respond(_wire("mx2.good.example", "A", 0x2222), "udp")
    built = server._build_reply(_wire("mx2.good.example", "A", 0x2222), "udp")
    assert first is not None and again is not None and built is not None
    assert server.replies_reused == 1
    assert again == built[0]  # byte for byte the reply built anew for that query
    assert (first[:2], again[:2]) == (b"\x11\x11", b"\x22\x22")
    assert first[2:] == again[2:]
    reply = dns.message.from_wire(again)
    assert reply.id == 0x2222 and reply.flags & dns.flags.AA
    assert answer_texts(reply) == ["mx2.good.example. A 127.0.0.11"]
    # Each query is still counted as served, the reused ones too.
    assert [(q.name, q.rdtype, q.transport) for q in server.queries] == [("mx2.good.example.", "A", "udp")] * 2
    # And when each arrived, for the benchmarks' timelines.
    assert len(server.arrivals) == 2 and started <= server.arrivals[0] <= server.arrivals[1] <= time.perf_counter()
    server.reset_counters()
    assert (server.queries, server.arrivals, server.replies_reused) == ([], [], 0)


def test_queries_that_differ_in_flags_edns_or_transport_get_their_own_replies():
    from mailcheck.dns.zoneserver import ZoneServer

    server = ZoneServer(load_zones([ZONES]))
    # The same question, the DO bit the only difference.
    plain = server.respond(_wire("dnssec-good.example", "SOA", 7, use_edns=0), "udp")
    signed = server.respond(_wire("dnssec-good.example", "SOA", 7, want_dnssec=True), "udp")
    no_edns = server.respond(_wire("big.cname-chain.example", "TXT", 7), "udp")
    big_edns = server.respond(_wire("big.cname-chain.example", "TXT", 7, use_edns=0, payload=4096), "udp")
    over_tcp = server.respond(_wire("big.cname-chain.example", "TXT", 7), "tcp")
    assert server.replies_reused == 0
    assert None not in (plain, signed, no_edns, big_edns, over_tcp)
    rdtypes = [[rrset.rdtype for rrset in dns.message.from_wire(r).answer] for r in (plain, signed)]
    assert rdtypes == [[dns.rdatatype.SOA], [dns.rdatatype.SOA, dns.rdatatype.RRSIG]]
    # Without EDNS the big TXT set does not fit 512 bytes: truncated; with it, or over TCP, whole.
    truncated = dns.message.from_wire(no_edns)
    assert truncated.flags & dns.flags.TC and truncated.answer == []
    for whole in (big_edns, over_tcp):
        reply = dns.message.from_wire(whole)
        assert not reply.flags & dns.flags.TC
        assert sorted(len(b"".join(rd.strings)) for rd in reply.answer[0]) == [513, 750]
