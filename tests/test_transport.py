"""smtp.*, tls.*, dane.* and mta-sts.certificate: real aiosmtpd servers on 127.0.2.0/24
offering STARTTLS with trustme certificates (valid, expired, wrong name, expiring soon,
TLS 1.2 only, TLS 1.1 only, no STARTTLS), tied to MTA-STS policies from a loopback
HTTPS server and to TLSA records.

The certificates are made when the tests start, so TLSA records for them cannot sit in
fixtures/zones: the DANE domain's zone (transport-dane.example) is written at test time
into a temporary folder, with TLSA data computed from the test certificate, and served
next to the fixture zones by a zone server of this module. transport-danestart.example,
whose servers never show a certificate, needs no such data and is a fixture zone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import ssl
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mailcheck.dns.nameservers import Nameserver
from mailcheck.dns.resolver import Resolver
from mailcheck.dns.zones import load_zones
from mailcheck.dns.zoneserver import ZoneServer
from mailcheck.model import Status
from tests.helpers import ZONES, mentions, offline, one_check, run_cli
from tests.helpers.https_server import HttpsServer, Route
from tests.helpers.smtp_servers import Script, blocked_port, smtp_server
from tests.helpers.transport import POLICY_HOSTS, checks_of, policy, transport_report

NOW = dt.datetime.now(dt.UTC)


class LimitedTls:
    """A trustme leaf certificate served with a capped TLS version."""

    def __init__(self, leaf: trustme.LeafCert, maximum: ssl.TLSVersion) -> None:
        self.leaf, self.maximum = leaf, maximum

    def configure_cert(self, context: ssl.SSLContext) -> None:
        self.leaf.configure_cert(context)
        if self.maximum < ssl.TLSVersion.TLSv1_2:
            context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let OpenSSL 3 speak TLS 1.0/1.1 at all
            context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = self.maximum


def spki_sha256(leaf: trustme.LeafCert) -> str:
    cert = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def cert_sha512(leaf: trustme.LeafCert) -> str:
    cert = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes())
    return hashlib.sha512(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def dane_zone(folder: Path, good: trustme.LeafCert, other: trustme.LeafCert) -> None:
    """transport-dane.example: mx matches its TLSA (3 1 1 and 3 0 2), mx2 publishes
    a record for another key."""
    (folder / "transport-dane.example.zone").write_text(
        f"""$ORIGIN transport-dane.example.
$TTL 300
@        SOA   ns1.good.example. hostmaster.good.example. 2026112401 3600 600 604800 300
@        NS    ns1.good.example.
@        MX    10 mx.transport-dane.example.
@        MX    20 mx2.transport-dane.example.
mx       A     127.0.2.16
mx2      A     127.0.2.17
_25._tcp.mx   TLSA  3 1 1 {spki_sha256(good)}
_25._tcp.mx   TLSA  3 0 2 {cert_sha512(good)}
_25._tcp.mx2  TLSA  3 1 1 {spki_sha256(other)}
"""
    )


def free_port(address: str) -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Every SMTP server of this module on one port, the policy server, the DANE zone."""
    ca = trustme.CA()
    folder = tmp_path_factory.mktemp("transport")
    ca_file = str(folder / "ca.pem")
    ca.cert_pem.write_to_path(ca_file)
    dane_leaf = ca.issue_cert("mx.transport-dane.example", "mx2.transport-dane.example")
    zones = folder / "zones"
    zones.mkdir()
    dane_zone(zones, dane_leaf, ca.issue_cert("mx.transport-dane.example"))
    port = free_port("127.0.2.10")
    servers = {
        "127.0.2.10": ("mx.transport-good.example", ca.issue_cert("mx.transport-good.example")),
        "127.0.2.11": (
            "mx.transport-expired.example",
            ca.issue_cert(
                "mx.transport-expired.example", not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=35)
            ),
        ),
        "127.0.2.12": ("mx.transport-wrongname.example", ca.issue_cert("other.transport-wrongname.example")),
        "127.0.2.13": (
            "mx.transport-tls12.example",
            LimitedTls(ca.issue_cert("mx.transport-tls12.example"), ssl.TLSVersion.TLSv1_2),
        ),
        "127.0.2.14": ("mx.transport-plain.example", None),
        "127.0.2.15": (
            "mx.transport-soon.example",
            ca.issue_cert("mx.transport-soon.example", not_after=NOW + dt.timedelta(days=5, hours=1)),
        ),
        "127.0.2.16": ("mx.transport-dane.example", dane_leaf),
        "127.0.2.17": ("mx2.transport-dane.example", dane_leaf),
        "127.0.2.18": ("mx.transport-old.example", LimitedTls(ca.issue_cert("mx.transport-old.example"), ssl.TLSVersion.TLSv1_1)),
    }
    text = {"Content-Type": "text/plain"}
    routes = {f"{host}/.well-known/mta-sts.txt": Route(200, text, policy("enforce", mx)) for host, mx in POLICY_HOSTS.items()}
    routes["mta-sts.transport-tls12.example/.well-known/mta-sts.txt"] = Route(
        200, text, policy("testing", "mx.transport-tls12.example")
    )
    from contextlib import ExitStack

    with ExitStack() as stack:
        records = {
            address: stack.enter_context(smtp_server(address, port, Script(), tls=leaf, hostname=name))
            for address, (name, leaf) in servers.items()
        }
        https = stack.enter_context(
            HttpsServer(routes, hostnames=[*POLICY_HOSTS, "mta-sts.transport-tls12.example"], host="127.0.2.1")
        )
        # The HTTPS server has its own trustme CA: trust both.
        both = folder / "both.pem"
        both.write_text(Path(ca_file).read_text() + Path(https.ca_file).read_text())
        zone_server = stack.enter_context(ZoneServer(load_zones([ZONES, zones])))
        yield {
            "port": port,
            "https_port": https.port,
            "ca_file": str(both),
            "zones": zones,
            "zone_server": zone_server,
            "records": records,
        }


def subject(label: str) -> str:
    """The check subject of an MX address whose summaries say "host [address]"."""
    return label.replace(" [", " ").rstrip("]")


def run(world, domain: str, timeout: float = 2.0, **options):
    server = world["zone_server"]
    resolver = Resolver(
        zone_server=Nameserver(server.host, server.port), zone_origins=server.origins, offline=True, timeout=timeout
    )
    settings = {"smtp_port": world["port"], "https_port": world["https_port"], "ca_file": world["ca_file"], **options}
    return transport_report(None, domain, resolver=resolver, **settings)


def test_valid_certificate_and_enforce_policy_pass(world):
    before = dt.datetime.now(dt.UTC)
    result = run(world, "transport-good.example")
    after = dt.datetime.now(dt.UTC)
    label = "mx.transport-good.example [127.0.2.10]"
    port = world["port"]
    connect = one_check(result, "smtp.connect", subject(label))
    assert connect["status"] == "pass"
    assert connect["summary"].startswith(f"{label}:{port} greets: 220 mx.transport-good.example")
    banner = one_check(result, "smtp.banner", subject(label))
    assert banner["status"] == "info"
    assert mentions(banner["summary"], "mx.transport-good.example", "127.0.2.10")
    starttls = one_check(result, "smtp.starttls", subject(label))
    assert starttls["status"] == "pass"
    assert starttls["summary"].startswith(f"{label}:{port} offers STARTTLS; TLS starts (TLSv1.3, TLS_")
    version = one_check(result, "tls.version", subject(label))
    assert (version["status"], version["summary"]) == ("pass", f"{label} negotiates TLSv1.3")
    cert = one_check(result, "tls.certificate", subject(label))
    assert cert["status"] == "pass"
    assert cert["summary"].startswith(f"certificate of {label} is valid for mx.transport-good.example, issued by OU=Testing CA #")
    # The days left as the check counted them at some moment of the run: one more if
    # the run began before a midnight (UTC) it ended after.
    days = {(dt.datetime(3000, 1, 1, tzinfo=dt.UTC) - moment).days for moment in (before, after)}
    assert any(cert["summary"].endswith(f"expires 3000-01-01 ({left} days)") for left in days)
    assert cert["details"]["sans"] == ["mx.transport-good.example"]
    sts = one_check(result, "mta-sts.certificate", subject(label))
    assert sts["status"] == "pass"
    assert mentions(sts["summary"], f"MX {label}", "mx.transport-good.example")
    # Banner, EHLO, STARTTLS, QUIT: never MAIL FROM.
    assert world["records"]["127.0.2.10"].verbs()[-3:] == ["EHLO", "STARTTLS", "QUIT"]
    assert "MAIL" not in world["records"]["127.0.2.10"].verbs()


def test_expired_certificate_fails_the_enforce_policy(world):
    result = run(world, "transport-expired.example")
    label = "mx.transport-expired.example [127.0.2.11]"
    expired_on = (NOW - dt.timedelta(days=35)).strftime("%Y-%m-%d")
    cert = one_check(result, "tls.certificate", subject(label))
    assert cert["status"] == "warn"
    assert cert["summary"].startswith(f"certificate of {label} expired on {expired_on};")
    sts = one_check(result, "mta-sts.certificate", subject(label))
    assert sts["status"] == "fail"
    assert mentions(sts["summary"], f"MX {label}", "certificate has expired", "mode enforce")


def test_wrong_name_fails_the_enforce_policy(world):
    result = run(world, "transport-wrongname.example")
    label = "mx.transport-wrongname.example [127.0.2.12]"
    cert = one_check(result, "tls.certificate", subject(label))
    assert cert["status"] == "warn"
    assert mentions(cert["summary"], "does not name mx.transport-wrongname.example", "other.transport-wrongname.example")
    sts = one_check(result, "mta-sts.certificate", subject(label))
    assert sts["status"] == "fail"
    assert (
        "its certificate does not name mx.transport-wrongname.example (names: other.transport-wrongname.example)"
        in sts["summary"]
    )


def test_tls12_is_acceptable_and_testing_mode_is_held_to_the_certificate(world):
    result = run(world, "transport-tls12.example")
    label = "mx.transport-tls12.example [127.0.2.13]"
    version = one_check(result, "tls.version", subject(label))
    assert version["status"] == "pass"
    assert mentions(version["summary"], label, "TLSv1.2", "1.3")
    assert one_check(result, "mta-sts.mode")["status"] == "info"
    assert one_check(result, "mta-sts.certificate", subject(label))["status"] == "pass"


def test_tls11_only_fails(world):
    result = run(world, "transport-old.example")
    label = "mx.transport-old.example [127.0.2.18]"
    version = one_check(result, "tls.version", subject(label))
    assert version["status"] == "fail"
    assert version["summary"].startswith(
        f"{label}:{world['port']} offers STARTTLS but speaks only TLSv1.1, which is obsolete (RFC 8996)"
    )


def test_client_context_floor_is_tls12_and_the_legacy_probe_still_names_tls11(world, monkeypatch):
    import asyncio

    from mailcheck.smtp import tls as tls_module
    from mailcheck.smtp.session import SmtpSession
    from mailcheck.smtp.starttls_probe import legacy_tls_version

    class OldDefaults(ssl.SSLContext):
        """A Python build or system OpenSSL policy whose default floor is TLS 1.0 and
        whose ciphers allow it (Python 3.11 happens to default to 1.2: not ours to rely on)."""

        def __new__(cls, *args, **kwargs):
            context = super().__new__(cls, *args, **kwargs)
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            return context

    class SslWithOldDefaults:
        SSLContext = OldDefaults

        def __getattr__(self, name: str):
            return getattr(ssl, name)

    with monkeypatch.context() as patch:
        patch.setattr(tls_module, "ssl", SslWithOldDefaults())
        verified, unverified = tls_module.client_context(True), tls_module.client_context(False)
    assert verified.minimum_version is ssl.TLSVersion.TLSv1_2
    assert unverified.minimum_version is ssl.TLSVersion.TLSv1_2
    port = world["port"]

    async def handshake(context: ssl.SSLContext) -> str | None:
        session = SmtpSession(timeout=2.0)
        try:
            await session.connect("127.0.2.18", port, server_hostname="mx.transport-old.example")
            await session.ehlo("[127.0.0.1]")
            return await session.starttls_with(context)
        finally:
            session.close()

    # The floor keeps the TLS 1.1-only server out, whatever the defaults...
    with pytest.raises((ssl.SSLError, ConnectionError)):
        asyncio.run(handshake(unverified))
    # ...and it is the floor that does: lowered, the same context speaks TLS 1.1 to it.
    unverified.minimum_version = ssl.TLSVersion.TLSv1
    assert asyncio.run(handshake(unverified)) == "TLSv1.1"
    # The legacy probe, with its own context, still names the old version for tls.version.
    assert asyncio.run(legacy_tls_version("127.0.2.18", port, "mx.transport-old.example", 2.0)) == "TLSv1.1"


def test_certificate_expiring_within_14_days_warns(world):
    result = run(world, "transport-soon.example")
    label = "mx.transport-soon.example [127.0.2.15]"
    cert = one_check(result, "tls.certificate", subject(label))
    assert cert["status"] == "warn"
    until = (NOW + dt.timedelta(days=5, hours=1)).strftime("%Y-%m-%d")
    assert mentions(cert["summary"], f"of {label}", "5 days", until)


def test_no_starttls_warns_and_fails_the_enforce_policy(world):
    result = run(world, "transport-plain.example")
    label = "mx.transport-plain.example [127.0.2.14]"
    starttls = one_check(result, "smtp.starttls", subject(label))
    assert starttls["status"] == "warn"
    assert mentions(starttls["summary"], f"{label}:{world['port']}", "does not offer STARTTLS")
    sts = one_check(result, "mta-sts.certificate", subject(label))
    assert sts["status"] == "fail"
    assert mentions(sts["summary"], f"MX {label}", "does not offer STARTTLS", "mode enforce")


def test_dane_records_match_and_mismatch(world):
    result = run(world, "transport-dane.example")
    tlsa = one_check(result, "dane.tlsa", "mx.transport-dane.example")
    assert tlsa["status"] == "warn"  # the zone server does not validate: no AD bit
    assert mentions(tlsa["summary"], "2 TLSA", "_25._tcp.mx.transport-dane.example")
    assert tlsa["summary"].endswith(
        "but the answer is not DNSSEC-authenticated (no AD bit): DANE without DNSSEC is ignored by senders"
    )
    match = one_check(result, "dane.match", "mx.transport-dane.example 127.0.2.16")
    assert match["status"] == "pass"
    assert mentions(match["summary"], "mx.transport-dane.example", "127.0.2.16", "TLSA 3", "1", "1", "SHA2-256")
    assert len(match["details"]["matching"]) == 2  # 3 0 2 matches as well
    mismatch = one_check(result, "dane.match", "mx2.transport-dane.example 127.0.2.17")
    assert mismatch["status"] == "warn"
    assert mentions(mismatch["summary"], "mx2.transport-dane.example", "127.0.2.17", "none of its 1 TLSA")


def test_dane_keeps_its_tlsa_findings_when_no_session_could_start(resolver_factory):
    # Every MX host's address lookup unanswered: the sessions never start. Driven
    # directly, as the run's cache answers the hosts' addresses for the sessions.
    import asyncio

    from mailcheck.checks.context import DomainContext, DomainOptions
    from mailcheck.checks.dane import check_dane
    from mailcheck.checks.mx_sessions import MxUnknown, StartTlsResults
    from mailcheck.dns.errors import DnsUnavailable
    from mailcheck.dns.library import LibraryResolver
    from mailcheck.names import parse_domain

    async def sessions() -> StartTlsResults:
        return MxUnknown(DnsUnavailable("refuses.transport-danestart.example", "A", "no answer within 2s from 127.0.0.1:53"))

    async def checks() -> list:
        resolver = resolver_factory()
        context = DomainContext(
            parse_domain("transport-danestart.example"),
            resolver,
            LibraryResolver(resolver, asyncio.get_running_loop()),
            DomainOptions(),
            2.0,
        )
        return await check_dane(context, sessions())

    found = asyncio.run(checks())
    hosts = ["refuses.transport-danestart.example", "noehlo.transport-danestart.example", "plain.transport-danestart.example"]
    assert [(c.id, c.subject, c.status) for c in found] == [
        *(("dane.tlsa", host, Status.WARN) for host in hosts),
        *(("dane.match", host, Status.ERROR) for host in hosts),
    ]
    assert mentions(found[-1].summary, "plain.transport-danestart.example", "refuses.transport-danestart.example", "127.0.0.1:53")


def test_dane_mismatch_under_dnssec_fails():
    from mailcheck.checks.dane import _match
    from mailcheck.smtp.starttls_probe import MxProbe
    from mailcheck.transport.dane import Tlsa

    ca = trustme.CA()
    leaf = ca.issue_cert("mx.transport-dane.example")
    der = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes()).public_bytes(serialization.Encoding.DER)
    tls = type("Tls", (), {"leaf_der": der})()
    probe = MxProbe(
        "mx.transport-dane.example", "127.0.2.16", 25, reachable=True, banner_code=220, starttls_offered=True, tls=tls
    )  # type: ignore[arg-type]
    other = Tlsa(3, 1, 1, bytes.fromhex(spki_sha256(ca.issue_cert("x.transport-dane.example"))))
    right = Tlsa(3, 1, 1, bytes.fromhex(spki_sha256(leaf)))
    assert _match(probe, [other], authenticated=True).status is Status.FAIL
    assert "DANE senders will not deliver" in _match(probe, [other], authenticated=True).summary
    assert _match(probe, [other, right], authenticated=True).status is Status.PASS


def test_every_mx_refusing_means_the_domain_cannot_receive_mail(world):
    # Nothing listens on this port at good.example's MX addresses: refused at once.
    result = run(world, "good.example")
    refused = one_check(result, "smtp.connect", "good.example")
    assert refused["status"] == "fail"
    port = world["port"]
    assert mentions(refused["summary"], f"port {port}", "3 tried", "good.example")
    assert refused["fix"].startswith(
        f"Run the mail server on mx1.good.example, mx2.good.example listening on port {port}, "
        "or point the MX records at hosts that do"
    )
    assert [a["error"] for a in refused["details"]["attempts"]] == ["connection refused"] * 3
    assert checks_of(result, "smtp.starttls") == []
    transport = next(o for o in result["obstacles"] if o["id"] == "transport")
    assert transport["status"] == "fail"


def test_timeout_is_could_not_tell_not_a_hang(world):
    port = free_port("127.0.2.14")
    with blocked_port("127.0.2.14", port):
        result = run(world, "transport-plain.example", timeout=0.5, smtp_port=port, https_port=9)
    blocked = one_check(result, "smtp.connect", "transport-plain.example")
    assert blocked["status"] == "error"
    assert mentions(blocked["summary"], f"port {port}", "1 tried", "0.5", "transport-plain.example", f"port {port}")
    assert (
        blocked["fix"]
        == f"Run from a network that allows outbound port {port} (many ISPs and clouds block it), or pass --no-smtp."
    )


def test_no_smtp_skips_the_sessions(world):
    before = world["records"]["127.0.2.10"].connections
    result = run(world, "transport-good.example", smtp=False)
    assert world["records"]["127.0.2.10"].connections == before
    assert one_check(result, "smtp.starttls")["summary"] == "STARTTLS on the MX hosts not checked: --no-smtp"
    assert checks_of(result, "tls.certificate") == []


def test_cli_end_to_end_text_and_json(world):
    args = offline(
        "domain",
        "transport-expired.example",
        "--zone",
        str(world["zones"]),
        "--port",
        str(world["port"]),
        "--https-port",
        str(world["https_port"]),
        "--ca-file",
        world["ca_file"],
    )
    text = run_cli(*args, "--no-color")
    assert text.exit_code == 1, text.stderr
    assert (
        "✗ mta-sts.certificate [mx.transport-expired.example 127.0.2.11]  MX mx.transport-expired.example [127.0.2.11]: its certificate"
        in text.stdout
    )
    assert "chain:   certificate has expired" in text.stdout
    data = run_cli(*args, "--format", "json")
    assert data.exit_code == 1
    report = data.json()
    transport = next(o for o in report["obstacles"] if o["id"] == "transport")
    assert transport["status"] == "fail"
    cert = one_check(report, "tls.certificate", "mx.transport-expired.example 127.0.2.11")
    assert cert["details"]["trusted"] is False and cert["details"]["trust_error"] == "certificate has expired"
    dane = run_cli(
        *offline(
            "domain",
            "transport-dane.example",
            "--zone",
            str(world["zones"]),
            "--port",
            str(world["port"]),
            "--ca-file",
            world["ca_file"],
            "--format",
            "json",
        )
    )
    assert one_check(dane.json(), "dane.match", "mx.transport-dane.example 127.0.2.16")["status"] == "pass"


class ValidatingServer(ZoneServer):
    """The zone server posing as a validating resolver: every answer carries the AD bit."""

    def respond(self, wire: bytes, transport: str) -> bytes | None:
        import dns.flags
        import dns.message

        reply = super().respond(wire, transport)
        if reply is None:
            return None
        message = dns.message.from_wire(reply)
        message.flags |= dns.flags.AD | dns.flags.RA
        return message.to_wire()


def test_dane_under_dnssec_passes_and_a_mismatch_fails(world):
    with ValidatingServer(load_zones([ZONES, world["zones"]])) as server:
        # As an upstream resolver, not --zone: the run trusts its AD bit.
        resolver = Resolver(upstream=[Nameserver(server.host, server.port)], timeout=2.0)
        result = transport_report(
            None, "transport-dane.example", resolver=resolver, smtp_port=world["port"], ca_file=world["ca_file"]
        )
    tlsa = one_check(result, "dane.tlsa", "mx.transport-dane.example")
    assert tlsa["status"] == "pass"
    assert tlsa["summary"].startswith("2 DNSSEC-authenticated TLSA record(s) at _25._tcp.mx.transport-dane.example: 3 1 1 ")
    assert one_check(result, "dane.match", "mx.transport-dane.example 127.0.2.16")["status"] == "pass"
    mismatch = one_check(result, "dane.match", "mx2.transport-dane.example 127.0.2.17")
    assert mismatch["status"] == "fail"
    assert mentions(mismatch["summary"], "mx2.transport-dane.example", "127.0.2.17", "none of its 1 TLSA")
    # The AD bit is all the DANE checks read; the domain's own zone is not signed here.
    assert one_check(result, "dnssec.signed")["status"] == "info"


def test_dane_without_a_tls_attempt_is_an_error_but_no_starttls_fails(world):
    # Every MX publishes TLSA; refuses greets with 554, noehlo refuses EHLO: TLS is never
    # tried, so no DANE verdict. plain greets and does not offer STARTTLS: DANE fails.
    port = free_port("127.0.2.41")
    servers = {
        "127.0.2.41": (
            "refuses.transport-danestart.example",
            Script(banner=("554 5.7.1 refuses.transport-danestart.example no service",)),
        ),
        "127.0.2.42": ("noehlo.transport-danestart.example", Script(ehlo="554 5.7.1 no EHLO for you")),
        "127.0.2.43": ("plain.transport-danestart.example", Script()),
    }
    from contextlib import ExitStack

    with ExitStack() as stack:
        for address, (name, script) in servers.items():
            stack.enter_context(smtp_server(address, port, script, hostname=name))
        plain_run = run(world, "transport-danestart.example", smtp_port=port, https_port=9)
        with ValidatingServer(load_zones([ZONES])) as server:
            resolver = Resolver(upstream=[Nameserver(server.host, server.port)], timeout=2.0)
            signed_run = transport_report(None, "transport-danestart.example", resolver=resolver, smtp_port=port, https_port=9)
    for result in (plain_run, signed_run):
        refused = one_check(result, "dane.match", "refuses.transport-danestart.example 127.0.2.41")
        assert refused["status"] == "error"
        assert mentions(
            refused["summary"],
            "refuses.transport-danestart.example",
            "127.0.2.41",
            "554 5.7.1",
            "refuses.transport-danestart.example",
            "of 220",
        )
        no_ehlo = one_check(result, "dane.match", "noehlo.transport-danestart.example 127.0.2.42")
        assert no_ehlo["status"] == "error"
        assert mentions(no_ehlo["summary"], "noehlo.transport-danestart.example", "127.0.2.42", "554 5.7.1")
    summary = (
        "plain.transport-danestart.example [127.0.2.43] publishes TLSA records but TLS does not start "
        "(STARTTLS not offered); DANE senders will not deliver"
    )
    unsigned = one_check(plain_run, "dane.match", "plain.transport-danestart.example 127.0.2.43")
    assert (unsigned["status"], unsigned["summary"]) == ("warn", summary)
    signed = one_check(signed_run, "dane.match", "plain.transport-danestart.example 127.0.2.43")
    assert (signed["status"], signed["summary"]) == ("fail", summary)
    assert one_check(signed_run, "dane.tlsa", "plain.transport-danestart.example")["status"] == "pass"


def test_resolver_ad_bit_is_reported(world):
    with ValidatingServer(load_zones([ZONES])) as server:
        resolver = Resolver(upstream=[Nameserver(server.host, server.port)], timeout=2.0)
        result = transport_report(None, "dnssec-good.example", resolver=resolver, smtp=False)
    ad = one_check(result, "dnssec.ad")
    assert (ad["status"], ad["summary"]) == ("pass", "the resolver validated dnssec-good.example (AD bit set on its answers)")
    assert one_check(result, "dnssec.signatures")["status"] == "pass"


def test_a_refusing_banner_is_a_warning_and_ends_the_look(world):
    port = free_port("127.0.2.19")
    script = Script(banner=("554 5.7.1 mx.transport-refused.example no service for you",))
    with smtp_server("127.0.2.19", port, script, hostname="mx.transport-refused.example"):
        result = run(world, "transport-refused.example", smtp_port=port, https_port=9)
    connect = one_check(result, "smtp.connect", "mx.transport-refused.example 127.0.2.19")
    assert connect["status"] == "warn"
    assert mentions(
        connect["summary"], "mx.transport-refused.example", f"[127.0.2.19]:{port}", "554 5.7.1", "mx.transport-refused.example"
    )
    assert checks_of(result, "smtp.starttls") == []


def test_a_silent_mx_is_named_as_one_and_cannot_tell(world):
    # The only MX accepts TCP and never greets: the domain's own server timing out, so
    # "could not tell" (error), and named for what it did, not "accept connections".
    port = free_port("127.0.2.14")
    with smtp_server("127.0.2.14", port, Script(behaviour="silent"), hostname="mx.transport-plain.example"):
        result = run(world, "transport-plain.example", timeout=0.5, smtp_port=port, https_port=9)
    connect = one_check(result, "smtp.connect", "mx.transport-plain.example 127.0.2.14")
    assert connect["status"] == "error"
    assert mentions(connect["summary"], "mx.transport-plain.example", f"[127.0.2.14]:{port}", "0.5")
    assert connect["details"]["failure"] == "silent"
    assert "accept connections" not in connect["fix"] and "sends no 220 greeting" in connect["fix"]
    assert checks_of(result, "smtp.starttls") == []


def test_an_mx_that_speaks_garbage_is_named_and_fails(world):
    port = free_port("127.0.2.14")
    with smtp_server("127.0.2.14", port, Script(behaviour="garbage"), hostname="mx.transport-plain.example"):
        result = run(world, "transport-plain.example", timeout=0.5, smtp_port=port, https_port=9)
    connect = one_check(result, "smtp.connect", "mx.transport-plain.example 127.0.2.14")
    assert connect["status"] == "fail"
    assert mentions(
        connect["summary"],
        "mx.transport-plain.example",
        f"[127.0.2.14]:{port}",
        "'HTTP/1.1 400 Bad Request'",
        "transport-plain.example",
    )
    assert connect["details"]["failure"] == "not-smtp"
    assert connect["fix"].startswith(f"What answers on port {port} of mx.transport-plain.example is not a working mail server")


def test_an_mx_that_hangs_up_at_ehlo_fails_and_one_that_stalls_cannot_tell(world):
    port = free_port("127.0.2.14")
    with smtp_server("127.0.2.14", port, Script(close_after_ehlo=True), hostname="mx.transport-plain.example"):
        result = run(world, "transport-plain.example", timeout=0.5, smtp_port=port, https_port=9)
    starttls = one_check(result, "smtp.starttls", "mx.transport-plain.example 127.0.2.14")
    assert starttls["status"] == "fail"
    assert mentions(starttls["summary"], "mx.transport-plain.example", f"[127.0.2.14]:{port}", "closed the connection", "at EHLO")
    assert one_check(result, "smtp.connect", "mx.transport-plain.example 127.0.2.14")["status"] == "pass"
    with smtp_server("127.0.2.14", port, Script(stall_ehlo=True), hostname="mx.transport-plain.example"):
        stalled = run(world, "transport-plain.example", timeout=0.5, smtp_port=port, https_port=9)
    starttls = one_check(stalled, "smtp.starttls", "mx.transport-plain.example 127.0.2.14")
    assert starttls["status"] == "error"
    assert mentions(starttls["summary"], "mx.transport-plain.example", f"[127.0.2.14]:{port}", "0.5")


def test_the_session_introduces_itself_with_a_dotted_name_or_an_address_literal(world):
    from mailcheck.smtp.starttls_probe import helo_name

    run(world, "transport-good.example")
    sent = world["records"]["127.0.2.10"].args("EHLO")[-1]
    assert sent == helo_name("127.0.0.1")
    assert sent.startswith("[127.") or "." in sent


def test_helo_name_falls_back_to_an_address_literal(monkeypatch):
    from mailcheck.smtp import starttls_probe

    monkeypatch.setattr(starttls_probe.socket, "gethostname", lambda: "buildbox")
    assert starttls_probe.helo_name("127.0.0.5") == "[127.0.0.5]"
    assert starttls_probe.helo_name("::1") == "[IPv6:::1]"
    monkeypatch.setattr(starttls_probe.socket, "gethostname", lambda: "mta1.example.net")
    assert starttls_probe.helo_name("127.0.0.5") == "mta1.example.net"


def test_one_mx_down_while_another_answers_is_a_warning(world):
    result = run(world, "transport-halfdown.example")
    port = world["port"]
    down = one_check(result, "smtp.connect", "backup.transport-halfdown.example 127.0.2.21")
    assert down["status"] == "warn"
    assert mentions(down["summary"], "backup.transport-halfdown.example", f"[127.0.2.21]:{port}", "connection refused")
    assert one_check(result, "smtp.connect", "mx.transport-halfdown.example 127.0.2.10")["status"] == "pass"


def test_an_unanswered_address_lookup_is_could_not_tell_not_no_address(world):
    # The only MX host lies under .invalid, which no DNS answers offline.
    result = run(world, "transport-lostmx.example", https_port=9)
    starttls = one_check(result, "smtp.starttls", "transport-lostmx.example")
    assert starttls["status"] == "error"
    assert mentions(starttls["summary"], "mx.transport-lostmx.invalid", "--offline")
    # TLSA hangs off the host name, so DANE still looks (and cannot tell either).
    tlsa = one_check(result, "dane.tlsa", "mx.transport-lostmx.invalid")
    assert (tlsa["status"], tlsa["summary"]) == (
        "error",
        "could not look up _25._tcp.mx.transport-lostmx.invalid TLSA: outside the loaded zones and --offline is set",
    )
