"""Routing: every MX outcome, with the status and the values the user sees."""

from __future__ import annotations

import pytest

from tests.conftest import offline, one_check, run_cli


def report_for(domain: str) -> dict:
    return run_cli("domain", domain, *offline("--format", "json", "--dkim-selector", "none")).json()


@pytest.mark.parametrize(
    ("domain", "check_id", "subject", "status", "summary"),
    [
        (
            "mx-null.example", "mx.null", "mx-null.example", "warn",
            "mx-null.example publishes a null MX (0 .): it declares that it accepts no mail, "
            "so bounces and replies to it are lost and receivers may refuse its mail",
        ),
        (
            "mx-nullmixed.example", "mx.null", "mx-nullmixed.example", "fail",
            "a null MX (.) is mixed with 1 other MX record(s); RFC 7505 allows it only alone",
        ),
        (
            "mx-implicit.example", "mx.records", "mx-implicit.example", "warn",
            "no MX records; senders fall back to mx-implicit.example's own address (127.0.0.20) as an implicit MX",
        ),
        (
            "mx-nothing.example", "mx.records", "mx-nothing.example", "fail",
            "mx-nothing.example has no MX and no A/AAAA records: no server receives its mail",
        ),
        (
            "mx-cname.example", "mx.host", "mail.mx-cname.example", "warn",
            "mail.mx-cname.example → 127.0.0.10, ::1 (through a CNAME to mx1.good.example; MX targets must not be aliases)",
        ),
        (
            "mx-literal.example", "mx.host", "127.0.0.21", "fail",
            "MX target 127.0.0.21 is an IP address; an MX must name a host",
        ),
        (
            "mx-dangling.example", "mx.host", "gone.mx-dangling.example", "fail",
            "MX target gone.mx-dangling.example does not exist (NXDOMAIN): mail to it cannot be delivered",
        ),
        (
            "mx-dangling.example", "mx.host", "noaddr.mx-dangling.example", "fail",
            "MX target noaddr.mx-dangling.example has no A or AAAA record: mail to it cannot be delivered",
        ),
        (
            "mx-ptr.example", "mx.ptr", "127.0.0.30", "warn",
            "127.0.0.30 has no reverse DNS (PTR); many receivers distrust such hosts",
        ),
        (
            "mx-ptr.example", "mx.ptr", "127.0.0.31", "warn",
            "127.0.0.31 → elsewhere.mx-ptr.example, but elsewhere.mx-ptr.example does not resolve back "
            "to 127.0.0.31 (no FCrDNS)",
        ),
        (
            "good.example", "mx.records", "good.example", "pass",
            "2 MX hosts in preference order: 10 mx1.good.example, 20 mx2.good.example",
        ),
        (
            "good.example", "mx.ptr", "::1", "pass",
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


def test_null_mx_has_no_host_checks():
    report = report_for("mx-null.example")
    routing = next(o for o in report["obstacles"] if o["id"] == "routing")
    assert [c["id"] for c in routing["checks"]] == ["mx.null"]


@pytest.mark.parametrize(("domain", "code"), [("mx-dangling.example", 1), ("mx-ptr.example", 0)])
def test_exit_code_follows_the_worst_mx_finding(domain, code):
    # mx-ptr.example authenticates well: only its reverse DNS warnings remain.
    result = run_cli("domain", domain, *offline("-q"))
    assert result.exit_code == code, result.stdout
