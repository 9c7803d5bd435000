"""dnssec.*: the signed fixture zones written by fixtures/make_signed_zone.py (Ed25519
keys, signatures valid until 2036), verified offline: DS at the parent against the
DNSKEYs, and RRSIGs over DNSKEY/SOA/MX with dns.dnssec.validate."""

from __future__ import annotations

import re

from mailcheck.dns.nameservers import Nameserver
from mailcheck.dns.resolver import Resolver
from mailcheck.dns.zones import load_zones
from mailcheck.dns.zoneserver import ZoneServer
from tests.helpers import ZONES, mentions, offline, one_check, run_cli
from tests.helpers.transport import transport_report


def ds_line(domain: str) -> str:
    text = (ZONES / "example.zone").read_text()
    match = re.search(rf"^{domain.split('.')[0]}\s+DS\s+(.+)$", text, re.M)
    assert match, f"no DS for {domain} in example.zone"
    return match.group(1).strip()


def test_signed_zone_with_matching_ds_passes(resolver_factory):
    result = transport_report(resolver_factory, "dnssec-good.example", smtp=False)
    signed = one_check(result, "dnssec.signed")
    assert signed["status"] == "pass"
    assert re.fullmatch(
        r"dnssec-good\.example publishes 2 DNSKEY\(s\): KSK \d+ alg ED25519, ZSK \d+ alg ED25519", signed["summary"]
    )
    ds = one_check(result, "dnssec.ds")
    key_tag = ds_line("dnssec-good.example").split()[0]
    assert ds["status"] == "pass"
    assert mentions(ds["summary"], f"DS {key_tag}", "type 2", "dnssec-good.example")
    assert ds["details"]["matched"] == [ds_line("dnssec-good.example")]
    sigs = one_check(result, "dnssec.signatures")
    assert sigs["status"] == "pass"
    assert mentions(sigs["summary"], "dns.dnssec.validate", "2036-01-01")
    first = sigs["details"]["sets"][0]
    assert (first["type"], first["state"], first["key_tags"]) == ("DNSKEY", "valid", [int(key_tag)])
    assert first["until"].startswith("2036-01-01")
    ad = one_check(result, "dnssec.ad")
    assert ad["status"] == "info"
    assert "did not set the AD bit for dnssec-good.example" in ad["summary"]


def test_island_of_security_warns(resolver_factory):
    result = transport_report(resolver_factory, "dnssec-island.example", smtp=False)
    ds = one_check(result, "dnssec.ds")
    assert ds["status"] == "warn"
    assert mentions(ds["summary"], "dnssec-island.example", "no DS record")
    assert one_check(result, "dnssec.signatures")["status"] == "pass"


def test_ds_naming_another_key_fails(resolver_factory):
    result = transport_report(resolver_factory, "dnssec-bogus.example", smtp=False)
    ds = one_check(result, "dnssec.ds")
    assert ds["status"] == "fail"
    assert mentions(ds["summary"], ds_line("dnssec-bogus.example"), "dnssec-bogus.example")


def test_unsigned_domain_is_info(resolver_factory):
    result = transport_report(resolver_factory, "good.example", smtp=False)
    signed = one_check(result, "dnssec.signed")
    assert signed["status"] == "info"
    assert signed["summary"].startswith("good.example is not DNSSEC-signed (no DNSKEY, no DS at the parent)")
    assert [c["id"] for c in result["obstacles"][0]["checks"] if c["id"].startswith("dnssec")] == ["dnssec.signed"]


def test_unanswered_ds_lookup_without_dnskey_says_unsigned_without_claiming_no_ds(tmp_path):
    # Only good.example's zone is served, not its parent example.: the DS query is refused,
    # as in a CI run over a team's own zone files. Unsigned is still the verdict (info),
    # but the summary must not claim the parent has no DS.
    (tmp_path / "good.example.zone").write_text((ZONES / "good.example.zone").read_text())
    with ZoneServer(load_zones([tmp_path])) as server:
        resolver = Resolver(
            zone_server=Nameserver(server.host, server.port), zone_origins=server.origins, offline=True, timeout=2.0
        )
        result = transport_report(None, "good.example", resolver=resolver, smtp=False)
    signed = one_check(result, "dnssec.signed")
    assert signed["status"] == "info"
    assert mentions(signed["summary"], "good.example", "no DNSKEY", f"{server.host}:{server.port}", "REFUSED")
    assert [c["id"] for c in result["obstacles"][0]["checks"] if c["id"].startswith("dnssec")] == ["dnssec.signed"]


def test_tampered_record_fails_signature_validation(tmp_path):
    # Change the MX after signing, as a zone edited without re-signing would be.
    signed = (ZONES / "dnssec-good.example.zone").read_text()
    tampered = signed.replace("IN MX 10 mx.dnssec-good.example.", "IN MX 20 mx.dnssec-good.example.")
    assert tampered != signed
    (tmp_path / "dnssec-good.example.zone").write_text(tampered)
    (tmp_path / "example.zone").write_text((ZONES / "example.zone").read_text())
    with ZoneServer(load_zones([tmp_path])) as server:
        resolver = Resolver(
            zone_server=Nameserver(server.host, server.port), zone_origins=server.origins, offline=True, timeout=2.0
        )
        result = transport_report(None, "dnssec-good.example", resolver=resolver, smtp=False)
    sigs = one_check(result, "dnssec.signatures")
    assert sigs["status"] == "fail"
    assert mentions(sigs["summary"], "dnssec-good.example", "MX: no RRSIGs validated")
    assert sigs["details"]["verified"] == ["DNSKEY", "SOA"]


def test_cli_text_and_json():
    text = run_cli(*offline("domain", "dnssec-bogus.example", "--no-smtp", "--no-color"))
    assert text.exit_code == 1
    assert "✗ dnssec.ds  no DS at the parent" in text.stdout
    data = run_cli(*offline("domain", "dnssec-good.example", "--no-smtp", "--format", "json"))
    dns_obstacle = next(o for o in data.json()["obstacles"] if o["id"] == "dns")
    assert [c["status"] for c in dns_obstacle["checks"] if c["id"].startswith("dnssec.")] == ["pass", "pass", "pass", "info"]


def test_zone_server_answers_ds_from_the_parent_and_rrsigs_with_do(zone_server):
    # What the checks above rely on: DS is parent-side data (RFC 4035 §3.1.4.1), and
    # RRSIGs come back only when the query sets the DO bit.
    import dns.message
    import dns.query
    import dns.rdatatype

    ds = dns.query.udp(dns.message.make_query("dnssec-good.example.", "DS"), zone_server.host, port=zone_server.port, timeout=2)
    assert [r.to_text() for r in ds.answer[0]] == [ds_line("dnssec-good.example")]
    plain = dns.query.udp(
        dns.message.make_query("dnssec-good.example.", "SOA"), zone_server.host, port=zone_server.port, timeout=2
    )
    signed = dns.query.udp(
        dns.message.make_query("dnssec-good.example.", "SOA", want_dnssec=True),
        zone_server.host,
        port=zone_server.port,
        timeout=2,
    )
    assert [rrset.rdtype for rrset in plain.answer] == [dns.rdatatype.SOA]
    assert [rrset.rdtype for rrset in signed.answer] == [dns.rdatatype.SOA, dns.rdatatype.RRSIG]
