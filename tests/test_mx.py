"""Routing: every MX outcome, with the status and the values the user sees."""

from __future__ import annotations

import pytest

from mailcheck.checks.mx import MxRecord, _null_mx, check_fcrdns
from tests.helpers import ZONES, offline, one_check, run_async, run_cli
from tests.helpers.dns_servers import misbehaving_dns


def report_for(domain: str) -> dict:
    return run_cli("domain", domain, *offline("--format", "json", "--dkim-selector", "none")).json()


@pytest.mark.parametrize(
    ("domain", "check_id", "subject", "status", "summary"),
    [
        (
            "mx-null.example",
            "mx.null",
            "mx-null.example",
            "warn",
            "mx-null.example publishes a null MX (0 .): it declares that it accepts no mail, "
            "so bounces and replies to it are lost and receivers may refuse its mail",
        ),
        (
            "mx-nullmixed.example",
            "mx.null",
            "mx-nullmixed.example",
            "fail",
            "a null MX (.) is mixed with 1 other MX record(s); RFC 7505 allows it only alone",
        ),
        (
            "mx-nullpref.example",
            "mx.null",
            "mx-nullpref.example",
            "fail",
            "mx-nullpref.example publishes a null MX with preference 10 ('10 .'); "
            "RFC 7505 requires the null MX to have preference 0 ('0 .')",
        ),
        (
            "mx-implicit.example",
            "mx.records",
            "mx-implicit.example",
            "warn",
            "no MX records; senders fall back to mx-implicit.example's own address (127.0.0.20) as an implicit MX",
        ),
        (
            "mx-nothing.example",
            "mx.records",
            "mx-nothing.example",
            "fail",
            "mx-nothing.example has no MX and no A/AAAA records: no server receives its mail",
        ),
        (
            "mx-cname.example",
            "mx.host",
            "mail.mx-cname.example",
            "warn",
            "mail.mx-cname.example → 127.0.0.10, ::1 (through a CNAME to mx1.good.example; MX targets must not be aliases)",
        ),
        (
            "mx-literal.example",
            "mx.host",
            "127.0.0.21",
            "fail",
            "MX target 127.0.0.21 is an IP address; an MX must name a host",
        ),
        (
            "mx-dangling.example",
            "mx.host",
            "gone.mx-dangling.example",
            "fail",
            "MX target gone.mx-dangling.example does not exist (NXDOMAIN): mail to it cannot be delivered",
        ),
        (
            "mx-dangling.example",
            "mx.host",
            "noaddr.mx-dangling.example",
            "fail",
            "MX target noaddr.mx-dangling.example has no A or AAAA record: mail to it cannot be delivered",
        ),
        (
            "mx-ptr.example",
            "mx.ptr",
            "127.0.0.30",
            "warn",
            "127.0.0.30 has no reverse DNS (PTR); many receivers distrust such hosts",
        ),
        (
            "mx-ptr.example",
            "mx.ptr",
            "127.0.0.31",
            "warn",
            "127.0.0.31 → elsewhere.mx-ptr.example, but elsewhere.mx-ptr.example does not resolve back to 127.0.0.31 (no FCrDNS)",
        ),
        (
            # The PTR names a host outside the fixture zones: its A lookup goes unanswered.
            "mx-ptrlookup.example",
            "mx.ptr",
            "127.0.0.32",
            "error",
            "could not tell: mx.ptrlookup.test A: outside the loaded zones and --offline is set",
        ),
        (
            "good.example",
            "mx.records",
            "good.example",
            "pass",
            "2 MX hosts in preference order: 10 mx1.good.example, 20 mx2.good.example",
        ),
        (
            "good.example",
            "mx.ptr",
            "::1",
            "pass",
            "::1 → mx1.good.example, which resolves back to ::1 (forward-confirmed)",
        ),
    ],
)
def test_mx_outcomes(domain, check_id, subject, status, summary):
    check = one_check(report_for(domain), check_id, subject)
    assert (check["status"], check["summary"]) == (status, summary)


def test_mx_records_are_listed_in_preference_order_in_details():
    check = one_check(report_for("good.example"), "mx.records")
    assert check["details"]["mx"] == [
        {"preference": 10, "host": "mx1.good.example"},
        {"preference": 20, "host": "mx2.good.example"},
    ]


@pytest.mark.parametrize(
    ("domain", "fix"),
    [
        ("mx-nullmixed.example", "Remove the '0 .' record, or make it the only MX record."),
        (
            "mx-nullpref.example",
            "Replace the '10 .' record with a single '0 .' if mx-nullpref.example accepts no mail, "
            "or with MX records naming the hosts that receive its mail.",
        ),
    ],
)
def test_invalid_null_mx_fix_names_the_records_to_change(domain, fix):
    check = one_check(report_for(domain), "mx.null")
    assert (check["status"], check["fix"]) == ("fail", fix)


def test_several_null_mx_records_are_not_mixed_with_other_records():
    check = _null_mx("two.example", [MxRecord(0, ""), MxRecord(10, "")])
    assert (check.status.value, check.summary) == (
        "fail",
        "two.example publishes 2 null MX records ('0 .', '10 .'); RFC 7505 allows a single one, '0 .'",
    )
    assert check.fix == (
        "Replace the '0 .', '10 .' records with a single '0 .' if two.example accepts no mail, "
        "or with MX records naming the hosts that receive its mail."
    )


def test_ptr_name_whose_forward_lookup_fails_is_could_not_tell():
    # The fixture zones answer the PTR; the resolver asked for everything else answers SERVFAIL.
    with misbehaving_dns("servfail") as port:
        result = run_cli(
            "domain",
            "mx-ptrlookup.example",
            "--zone",
            str(ZONES),
            "--nameserver",
            f"127.0.0.1:{port}",
            "--timeout",
            "2",
            "--no-smtp",
            "--format",
            "json",
            "--dkim-selector",
            "none",
        )
    check = one_check(result.json(), "mx.ptr", "127.0.0.32")
    assert (check["status"], check["summary"]) == (
        "error",
        f"could not tell: mx.ptrlookup.test A: 127.0.0.1:{port} answered SERVFAIL",
    )
    assert check["details"] == {"ptr": ["mx.ptrlookup.test"], "confirmed": []}


def test_fcrdns_compares_the_address_in_its_normal_form(resolver_factory):
    # ::1 written out in full still matches the AAAA answer "::1".
    check = run_async(check_fcrdns(resolver_factory(), "0:0:0:0:0:0:0:1", "mx1.good.example"))
    assert (check.status.value, check.subject, check.summary) == (
        "pass",
        "::1",
        "::1 → mx1.good.example, which resolves back to ::1 (forward-confirmed)",
    )


def test_null_mx_has_no_host_checks():
    report = report_for("mx-null.example")
    routing = next(o for o in report["obstacles"] if o["id"] == "routing")
    assert [c["id"] for c in routing["checks"]] == ["mx.null"]


@pytest.mark.parametrize(("domain", "code"), [("mx-dangling.example", 1), ("mx-ptr.example", 0)])
def test_exit_code_follows_the_worst_mx_finding(domain, code):
    # mx-ptr.example authenticates well: only its reverse DNS warnings remain.
    result = run_cli("domain", domain, *offline("--no-smtp", "-q"))
    assert result.exit_code == code, result.stdout
