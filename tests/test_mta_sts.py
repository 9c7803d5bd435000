"""mta-sts.*: the record, the policy fetched from a loopback HTTPS server with a trustme
CA (good, wrong mx list, redirect, 404, oversize, wrong content type, mode none/testing),
and the coverage of the real MX hosts. SMTP is off here, except for an MX whose address
lookup fails, where no session starts; test_transport.py ties the policy to real
STARTTLS certificates."""

from __future__ import annotations

import pytest

from tests.helpers import mentions, offline, one_check, run_cli
from tests.helpers.https_server import HttpsServer, Route, redirect
from tests.helpers.transport import POLICY_HOSTS, checks_of, policy, transport_report

HTTPS_ADDRESS = "127.0.2.1"  # mta-sts.transport-*.example in the fixture zones


def routes() -> dict[str, Route]:
    text = {"Content-Type": "text/plain"}
    found = {f"{host}/.well-known/mta-sts.txt": Route(200, text, policy("enforce", mx)) for host, mx in POLICY_HOSTS.items()}
    found.update(
        {
            "mta-sts.transport-tls12.example/.well-known/mta-sts.txt": Route(
                200, text, policy("testing", "mx.transport-tls12.example")
            ),
            "mta-sts.transport-none.example/.well-known/mta-sts.txt": Route(200, text, policy("none")),
            "mta-sts.transport-wrongmx.example/.well-known/mta-sts.txt": Route(
                200, text, policy("enforce", "mx.transport-wrongmx.example")
            ),
            "mta-sts.transport-redirect.example/.well-known/mta-sts.txt": redirect(
                "https://mta-sts.transport-good.example/.well-known/mta-sts.txt", 301
            ),
            "mta-sts.transport-big.example/.well-known/mta-sts.txt": Route(
                200, text, policy("enforce", "mx.transport-good.example") + b"x" * 70_000
            ),
            "mta-sts.transport-ctype.example/.well-known/mta-sts.txt": Route(
                200, {"Content-Type": "text/html; charset=utf-8"}, policy("enforce", "mx.transport-good.example")
            ),
            "mta-sts.transport-lostmx.example/.well-known/mta-sts.txt": Route(
                200, text, policy("enforce", "mx.transport-lostmx.invalid")
            ),
            # transport-404.example has no route: the server answers 404.
        }
    )
    return found


@pytest.fixture(scope="module")
def policy_server():
    names = [
        f"mta-sts.{d}"
        for d in (
            "transport-good.example",
            "transport-expired.example",
            "transport-wrongname.example",
            "transport-tls12.example",
            "transport-plain.example",
            "transport-wrongmx.example",
            "transport-redirect.example",
            "transport-404.example",
            "transport-big.example",
            "transport-ctype.example",
            "transport-none.example",
            "transport-lostmx.example",
        )
    ]
    with HttpsServer(routes(), hostnames=names, host=HTTPS_ADDRESS) as server:
        yield server


def report(resolver_factory, server, domain: str, **options):
    return transport_report(resolver_factory, domain, smtp=False, https_port=server.port, ca_file=server.ca_file, **options)


def test_good_policy_enforce_covers_the_mx(resolver_factory, policy_server):
    result = report(resolver_factory, policy_server, "transport-good.example")
    record = one_check(result, "mta-sts.record")
    assert record["status"] == "pass"
    assert mentions(record["summary"], "_mta-sts.transport-good.example", "v=STSv1", "id=2026112401", "id 2026112401")
    fetched = one_check(result, "mta-sts.policy")
    assert fetched["status"] == "pass"
    assert mentions(
        fetched["summary"],
        "https://mta-sts.transport-good.example/.well-known/mta-sts.txt",
        f"{HTTPS_ADDRESS}:{policy_server.port}",
        "max_age 604800",
        "mx.transport-good.example",
    )
    assert one_check(result, "mta-sts.mode")["status"] == "pass"
    covered = one_check(result, "mta-sts.mx", "mx.transport-good.example")
    assert covered["status"] == "pass"
    assert mentions(covered["summary"], "covered", "mx.transport-good.example")
    skipped = one_check(result, "mta-sts.certificate", "mx.transport-good.example")
    assert skipped["status"] == "skip" and "--no-smtp" in skipped["summary"]
    # The request went to the address from our DNS, with the real name in Host: and SNI.
    assert any(
        r.host == "mta-sts.transport-good.example" and r.path == "/.well-known/mta-sts.txt" for r in policy_server.requests
    )


def test_wrong_mx_list_fails_for_the_uncovered_mx_in_enforce(resolver_factory, policy_server):
    result = report(resolver_factory, policy_server, "transport-wrongmx.example")
    assert one_check(result, "mta-sts.mx", "mx.transport-wrongmx.example")["status"] == "pass"
    uncovered = one_check(result, "mta-sts.mx", "backup.transport-wrongmx.example")
    assert uncovered["status"] == "fail"
    assert mentions(uncovered["summary"], "backup.transport-wrongmx.example", "not covered", "mx.transport-wrongmx.example")
    assert "mx: backup.transport-wrongmx.example" in uncovered["fix"]


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        (
            "transport-redirect.example",
            "answers HTTP 301 redirect to https://mta-sts.transport-good.example/.well-known/mta-sts.txt; senders must not follow redirects",
        ),
        ("transport-404.example", "answers HTTP 404; only 200 is accepted"),
        ("transport-big.example", "is larger than 65536 bytes (64 KiB); senders may refuse it"),
        ("transport-ctype.example", "is served as text/html; charset=utf-8, not text/plain"),
    ],
)
def test_policy_fetch_failures(resolver_factory, policy_server, domain, expected):
    result = report(resolver_factory, policy_server, domain)
    fetched = one_check(result, "mta-sts.policy")
    assert fetched["status"] == "fail"
    assert mentions(
        fetched["summary"], f"https://mta-sts.{domain}/.well-known/mta-sts.txt", f"{HTTPS_ADDRESS}:{policy_server.port}", expected
    )
    assert checks_of(result, "mta-sts.mx") == []  # no policy, nothing to hold the MX to


def test_untrusted_certificate_fails_without_the_test_ca(resolver_factory, policy_server):
    result = transport_report(resolver_factory, "transport-good.example", smtp=False, https_port=policy_server.port)
    fetched = one_check(result, "mta-sts.policy")
    assert fetched["status"] == "fail"
    assert mentions(fetched["summary"], "certificate not valid", "unable to get local issuer certificate")
    assert "senders must not use a policy fetched without a valid certificate" in fetched["summary"]


def test_mode_none_warns_and_testing_informs(resolver_factory, policy_server):
    none = report(resolver_factory, policy_server, "transport-none.example")
    mode = one_check(none, "mta-sts.mode")
    assert mode["status"] == "warn"
    assert mode["summary"] == "MTA-STS mode none: the policy is withdrawn and protects nothing"
    assert one_check(none, "mta-sts.policy")["summary"].endswith("mode none, max_age 604800, mx (none)")
    testing = report(resolver_factory, policy_server, "transport-tls12.example")
    assert one_check(testing, "mta-sts.mode")["status"] == "info"
    assert one_check(testing, "mta-sts.mode")["summary"].startswith("MTA-STS mode testing: senders report TLS failures")


def test_invalid_record_fails_and_missing_record_is_info(resolver_factory, policy_server):
    bad = report(resolver_factory, policy_server, "transport-bad.example")
    record = one_check(bad, "mta-sts.record")
    assert record["status"] == "fail"
    assert mentions(
        record["summary"], "_mta-sts.transport-bad.example", "be 1", "32 letters", "RFC 8461", "3.1", "v=STSv1", "id=not-valid!"
    )
    missing = report(resolver_factory, policy_server, "good.example")
    record = one_check(missing, "mta-sts.record")
    assert record["status"] == "info"
    assert record["summary"].startswith("no MTA-STS record at _mta-sts.good.example: senders fall back to opportunistic TLS")


def test_dead_policy_server_is_a_failure_not_a_hang(resolver_factory):
    # Nothing listens on this port of 127.0.2.1: the fetch fails at once.
    result = transport_report(resolver_factory, "transport-good.example", smtp=False, https_port=9)
    fetched = one_check(result, "mta-sts.policy")
    assert fetched["status"] == "fail"
    assert mentions(
        fetched["summary"], "https://mta-sts.transport-good.example/.well-known/mta-sts.txt", "127.0.2.1:9", "connection refused"
    )


def test_policy_host_timing_out_is_could_not_tell_not_a_failure(resolver_factory):
    # The policy host accepts the connection and answers after the run's timeout: the
    # domain's own server timing out is an error (exit 3), as in the SMTP checks.
    slow = {
        "mta-sts.transport-good.example/.well-known/mta-sts.txt": Route(
            200, {"Content-Type": "text/plain"}, policy("enforce", "mx.transport-good.example"), delay=2.0
        )
    }
    with HttpsServer(slow, hostnames=["mta-sts.transport-good.example"], host=HTTPS_ADDRESS) as server:
        result = transport_report(
            resolver_factory, "transport-good.example", smtp=False, https_port=server.port, ca_file=server.ca_file, timeout=0.5
        )
    fetched = one_check(result, "mta-sts.policy")
    assert fetched["status"] == "error"
    assert mentions(
        fetched["summary"],
        "https://mta-sts.transport-good.example/.well-known/mta-sts.txt",
        f"{HTTPS_ADDRESS}:{server.port}",
        "timed out",
    )
    assert fetched["fix"].startswith("Make mta-sts.transport-good.example answer HTTPS promptly")
    assert checks_of(result, "mta-sts.mode") == []


def test_failed_mx_address_lookup_is_an_error_naming_it(resolver_factory, policy_server):
    # SMTP on, but the MX host lies under .invalid: its address lookup fails, no session
    # starts, and the certificate check must say why rather than "has no address".
    result = transport_report(
        resolver_factory, "transport-lostmx.example", smtp_port=9, https_port=policy_server.port, ca_file=policy_server.ca_file
    )
    assert one_check(result, "mta-sts.mx", "mx.transport-lostmx.invalid")["status"] == "pass"
    cert = one_check(result, "mta-sts.certificate", "mx.transport-lostmx.invalid")
    assert cert["status"] == "error"
    assert mentions(cert["summary"], "mx.transport-lostmx.invalid", "mx.transport-lostmx.invalid")
    assert cert["details"]["type"] == "A"


def test_failed_mx_lookup_inside_the_probes_is_an_error_naming_it(resolver_factory, policy_server):
    # The run's cache gives the probes the MX answer mta-sts.mx saw, so this path is
    # driven directly: the sessions' own MX lookup fails after the policy was fetched.
    import asyncio

    from mailcheck.checks.context import DomainContext, DomainOptions
    from mailcheck.checks.mta_sts import check_mta_sts
    from mailcheck.checks.mx_sessions import MxUnknown, StartTlsResults
    from mailcheck.dns.errors import DnsUnavailable
    from mailcheck.dns.library import LibraryResolver
    from mailcheck.names import parse_domain

    async def sessions() -> StartTlsResults:
        return MxUnknown(DnsUnavailable("transport-wrongmx.example", "MX", "no answer within 2s from 127.0.0.1:53"))

    async def run():
        resolver = resolver_factory()
        options = DomainOptions(https_port=policy_server.port, ca_file=policy_server.ca_file)
        context = DomainContext(
            parse_domain("transport-wrongmx.example"),
            resolver,
            LibraryResolver(resolver, asyncio.get_running_loop()),
            options,
            2.0,
        )
        return await check_mta_sts(context, sessions())

    certificates = [c for c in asyncio.run(run()) if c.id == "mta-sts.certificate"]
    assert [(c.subject, c.status.value) for c in certificates] == [
        ("mx.transport-wrongmx.example", "error"),
        ("backup.transport-wrongmx.example", "error"),
    ]
    assert mentions(certificates[1].summary, "backup.transport-wrongmx.example", "transport-wrongmx.example", "127.0.0.1:53")
    assert certificates[1].details["name"] == "transport-wrongmx.example"


def test_cli_text_and_json(policy_server):
    args = offline(
        "domain",
        "transport-wrongmx.example",
        "--no-smtp",
        "--https-port",
        str(policy_server.port),
        "--ca-file",
        policy_server.ca_file,
    )
    text = run_cli(*args, "--no-color")
    assert text.exit_code == 1, text.stderr
    assert "✗ mta-sts.mx [backup.transport-wrongmx.example]  MX backup.transport-wrongmx.example is not covered" in text.stdout
    data = run_cli(*args, "--format", "json")
    assert data.exit_code == 1
    transport = next(o for o in data.json()["obstacles"] if o["id"] == "transport")
    assert transport["status"] == "fail"
    assert one_check(data.json(), "mta-sts.policy")["details"]["mx"] == ["mx.transport-wrongmx.example"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--https-port", "70000"), "--https-port must be a TCP port from 1 to 65535, not 70000"),
        (("--port", "0"), "--port must be a TCP port from 1 to 65535, not 0"),
        (("--ca-file", "/nonexistent/ca.pem"), "--ca-file /nonexistent/ca.pem: no such file"),
        (("--bimi-selector", "bad selector"), "--bimi-selector 'bad selector' is not a valid selector"),
    ],
)
def test_cli_bad_transport_options(args, message):
    result = run_cli(*offline("domain", "good.example", *args))
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
