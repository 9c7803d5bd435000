"""The loopback zone server answers as an authoritative server would."""

from __future__ import annotations

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
