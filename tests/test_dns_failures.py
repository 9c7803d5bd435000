"""Failures keep their kind and their name, in the resolver, in what the library
adapters hand pyspf and checkdmarc, and in what a user reads; bad DNS input (an
empty --nameserver, a broken resolv.conf, a zone file that is not UTF-8) is a
one-line usage error."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import dns.message
import dns.rcode
import dns.rrset
import pytest

from mailcheck.dns.errors import DnsError, DnsUnavailable, Failure, NoRecords, NoSuchDomain
from mailcheck.dns.library import LibraryResolver, LookupFailed, LookupTimedOut, library_dns
from mailcheck.dns.nameservers import Nameserver
from mailcheck.dns.resolver import Resolver
from tests.helpers import ZONES, run_async, run_cli
from tests.helpers.cli_subprocess import guarded_env, mailcheck_command
from tests.helpers.dns_servers import rcode_reply, scripted_dns


def _failure(port: int, name: str, rdtype: str = "TXT", timeout: float = 1.0) -> DnsError:
    async def go() -> DnsError:
        resolver = Resolver(upstream=[Nameserver("127.0.0.1", port)], timeout=timeout)
        with pytest.raises(DnsError) as info:
            await resolver.query(name, rdtype)
        return info.value

    return run_async(go())


def _stranger_answer(query: dns.message.Message) -> dns.message.Message:
    """NOERROR, with a TXT record owned by a name nobody asked about and no CNAME."""
    reply = dns.message.make_response(query)
    reply.answer.append(dns.rrset.from_text("elsewhere.example.", 300, "IN", "TXT", '"v=spf1 -all"'))
    return reply


@pytest.mark.parametrize(
    ("rcode", "kind", "reason"),
    [
        (dns.rcode.SERVFAIL, Failure.SERVFAIL, "answered SERVFAIL"),
        (dns.rcode.REFUSED, Failure.REFUSED, "refused the query (REFUSED)"),
        (dns.rcode.NOTIMP, Failure.NOTIMP, "answered NOTIMP"),
        (dns.rcode.FORMERR, Failure.FORMERR, "answered FORMERR"),
    ],
)
def test_each_rcode_keeps_its_kind_and_the_name(rcode, kind, reason):
    with scripted_dns(rcode_reply(rcode)) as port:
        error = _failure(port, "_dmarc.x.example")
    assert isinstance(error, DnsUnavailable)
    assert error.kind is kind
    assert error.reason == f"127.0.0.1:{port} {reason}"
    assert error.message == f"{kind.value} for _dmarc.x.example TXT: 127.0.0.1:{port} {reason}"


def test_a_silent_server_is_a_timeout_after_retries_within_the_budget():
    received: list[str] = []

    def silent(query: dns.message.Message) -> None:
        received.append(query.question[0].name.to_text())

    with scripted_dns(silent) as port:
        error = _failure(port, "_dmarc.x.example", timeout=1.0)
    assert error.kind is Failure.TIMEOUT
    assert error.message == f"timeout for _dmarc.x.example TXT: no answer within 1s from 127.0.0.1:{port}"
    # Retransmitted within the budget, not one datagram for the whole of it.
    assert len(received) >= 3 and set(received) == {"_dmarc.x.example."}


def test_an_answer_owned_by_another_name_is_wrong_owner_not_no_records():
    with scripted_dns(_stranger_answer) as port:
        error = _failure(port, "asked.example")
    assert not isinstance(error, NoRecords)
    assert error.kind is Failure.WRONG_OWNER
    assert error.message == (
        f"wrong owner for asked.example TXT: 127.0.0.1:{port} answered about elsewhere.example, not the name asked (wrong owner)"
    )


def test_nxdomain_nodata_and_a_cname_loop_from_the_zone_server(zone_server):
    async def go() -> list[DnsError]:
        resolver = Resolver(upstream=[Nameserver(zone_server.host, zone_server.port)], timeout=1)
        errors = []
        for name, rdtype in [("missing.good.example", "A"), ("mx2.good.example", "AAAA"), ("loop1.cname-chain.example", "A")]:
            try:
                await resolver.query(name, rdtype)
            except DnsError as exc:
                errors.append(exc)
        return errors

    nxdomain, nodata, loop = run_async(go())
    assert (type(nxdomain), nxdomain.kind, nxdomain.reason) == (
        NoSuchDomain,
        Failure.NXDOMAIN,
        "the name does not exist (NXDOMAIN)",
    )
    assert (type(nodata), nodata.kind, nodata.reason) == (NoRecords, Failure.NODATA, "no AAAA record")
    assert (type(loop), loop.kind) == (DnsUnavailable, Failure.CNAME_LOOP)
    assert (
        loop.message == f"CNAME loop for loop1.cname-chain.example A: 127.0.0.1:{zone_server.port} answered SERVFAIL: CNAME loop"
    )


def _library_outcomes(port: int, name: str) -> tuple[BaseException, tuple[str, int, str]]:
    """What LibraryResolver raises for ``name``, and pyspf's verdict for a record that
    includes it (pyspf resolves through the same adapter)."""
    import spf

    async def go():
        resolver = Resolver(upstream=[Nameserver("127.0.0.1", port)], timeout=0.5)
        library = LibraryResolver(resolver, asyncio.get_running_loop())

        def lookups():
            try:
                library.resolve(name, "TXT")
            except BaseException as exc:  # noqa: BLE001 - the test inspects what it is
                raised = exc
            return raised, spf.query(i="192.0.2.1", s=f"postmaster@{name}", h=name).check()

        with library_dns(library):
            return await asyncio.to_thread(lookups)

    return run_async(go())


def test_libraries_get_the_rcode_and_the_name_not_a_lifetime_timeout():
    with scripted_dns(rcode_reply(dns.rcode.SERVFAIL)) as port:
        raised, spf_result = _library_outcomes(port, "_dmarc.x.example")
    assert isinstance(raised, LookupFailed)
    assert str(raised) == f"SERVFAIL for _dmarc.x.example TXT: 127.0.0.1:{port} answered SERVFAIL"
    assert spf_result == (
        "temperror",
        451,
        f"SPF Temporary Error: DNS SERVFAIL for _dmarc.x.example TXT: 127.0.0.1:{port} answered SERVFAIL",
    )


def test_libraries_get_wrong_owner_as_a_failure_not_as_no_record():
    with scripted_dns(_stranger_answer) as port:
        raised, spf_result = _library_outcomes(port, "asked.example")
    assert isinstance(raised, LookupFailed) and raised.error.kind is Failure.WRONG_OWNER
    assert spf_result[0] == "temperror"
    assert spf_result[2] == (
        f"SPF Temporary Error: DNS wrong owner for asked.example TXT: 127.0.0.1:{port} answered about "
        "elsewhere.example, not the name asked (wrong owner)"
    )


def test_libraries_get_a_timeout_as_dnspython_s_timeout_with_the_name():
    import dns.resolver

    with scripted_dns(lambda query: None) as port:
        raised, spf_result = _library_outcomes(port, "slow.example")
    assert isinstance(raised, LookupTimedOut) and isinstance(raised, dns.resolver.LifetimeTimeout)
    assert str(raised) == f"timeout for slow.example TXT: no answer within 0.5s from 127.0.0.1:{port}"
    assert spf_result[:2] == ("temperror", 451) and "DNS timeout for slow.example TXT" in spf_result[2]


def test_checkdmarc_reports_the_rcode_and_the_name():
    from checkdmarc.dmarc import DMARCError, query_dmarc_record

    with scripted_dns(rcode_reply(dns.rcode.SERVFAIL)) as port:

        async def go() -> str:
            resolver = Resolver(upstream=[Nameserver("127.0.0.1", port)], timeout=0.5)
            library = LibraryResolver(resolver, asyncio.get_running_loop())
            with pytest.raises(DMARCError) as info:
                await asyncio.to_thread(query_dmarc_record, "x.example", resolver=library)
            return str(info.value)

        message = run_async(go())
    assert message == f"SERVFAIL for _dmarc.x.example TXT: 127.0.0.1:{port} answered SERVFAIL"


# -- bad DNS input is a usage error -----------------------------------------------------


@pytest.mark.parametrize("value", ["", ",", " , ,"])
def test_an_empty_nameserver_is_a_usage_error(value):
    result = run_cli("domain", "good.example", "--nameserver", value)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"mailcheck: error: --nameserver {value!r}: expected an IP address, HOST:PORT or [IPv6]:PORT\n"


def _with_resolv_conf(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "MAILCHECK_RESOLV_CONF": str(path)}
    return subprocess.run(mailcheck_command(*args), capture_output=True, text=True, env=guarded_env(env), timeout=60)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "it names no nameserver"),
        (b"# no nameserver line\nsearch example\n", "it names no nameserver"),
        (b"nameserver not-an-address\n", "nameserver not-an-address is not a dns.nameserver.Nameserver instance"),
        (b"nameserver 127.0.0.1 \xff\n", "not a resolv.conf file (not UTF-8 text)"),
    ],
)
def test_a_broken_resolv_conf_is_a_usage_error(tmp_path: Path, content, message):
    path = tmp_path / "resolv.conf"
    if content is not None:
        path.write_bytes(content)
    result = _with_resolv_conf(path, "blocklist", "192.0.2.1")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"mailcheck: error: MAILCHECK_RESOLV_CONF={path}: {message}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_zone_file_that_is_not_utf8_names_the_file_and_line(tmp_path: Path):
    zone = tmp_path / "latin1.example.zone"
    zone.write_bytes(
        b"$ORIGIN latin1.example.\n$TTL 300\n"
        b"@ SOA ns1.latin1.example. hostmaster.latin1.example. 1 3600 600 604800 300\n"
        b"@ NS ns1.latin1.example.\nns1 A 127.0.0.1\n"
        b'@ TXT "caf\xe9"\n'
    )
    result = run_cli("domain", "latin1.example", "--zone", str(zone), "--offline")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"mailcheck: error: zone file {zone}:6: byte 0xe9 is not UTF-8 text "
        "(write non-ASCII names as punycode xn--..., other bytes as \\DDD escapes)\n"
    )


def test_the_fixture_zones_are_still_utf8():
    for path in ZONES.glob("*.zone"):
        path.read_bytes().decode("utf-8")
