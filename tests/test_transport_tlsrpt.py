"""tlsrpt.*: the _smtp._tls record and whether its rua destinations can take reports."""

from __future__ import annotations

import socket

import pytest

from tests.helpers import mentions, offline, one_check, run_cli
from tests.helpers.transport import checks_of, transport_report


def test_good_record_and_destinations(resolver_factory):
    result = transport_report(resolver_factory, "transport-good.example", smtp=False, https_port=9)
    record = one_check(result, "tlsrpt.record")
    assert record["status"] == "pass"
    assert mentions(
        record["summary"],
        "_smtp._tls.transport-good.example",
        "v=TLSRPTv1",
        "rua=mailto:tlsrpt@transport-good.example",
        "https://tlsrpt.transport-good.example/v1",
    )
    assert record["details"]["rua"] == ["mailto:tlsrpt@transport-good.example", "https://tlsrpt.transport-good.example/v1"]
    mailto = one_check(result, "tlsrpt.rua", "mailto:tlsrpt@transport-good.example")
    assert mailto["status"] == "pass"
    assert mentions(mailto["summary"], "mailto:tlsrpt@transport-good.example", "transport-good.example")
    https = one_check(result, "tlsrpt.rua", "https://tlsrpt.transport-good.example/v1")
    assert https["status"] == "pass"


def test_mailto_domain_with_a_null_mx_fails(resolver_factory):
    # reports.transport-nullrua.example has an A record, but its null MX says it takes
    # no mail: senders do not fall back to the address, the report bounces.
    result = transport_report(resolver_factory, "transport-nullrua.example", smtp=False, https_port=9)
    assert one_check(result, "tlsrpt.record")["status"] == "pass"
    rua = one_check(result, "tlsrpt.rua", "mailto:tlsrpt@reports.transport-nullrua.example")
    assert rua["status"] == "fail"
    assert mentions(rua["summary"], "reports.transport-nullrua.example", "reports.transport-nullrua.example", "RFC 7505")
    assert rua["details"]["mx"] == [{"preference": 0, "host": "."}]


def test_invalid_uri_fails(resolver_factory):
    result = transport_report(resolver_factory, "transport-bad.example", smtp=False)
    record = one_check(result, "tlsrpt.record")
    assert record["status"] == "fail"
    assert mentions(
        record["summary"],
        "_smtp._tls.transport-bad.example",
        "reports.transport-bad.example",
        "v=TLSRPTv1",
        "rua=ftp://reports.transport-bad.example/",
    )
    assert checks_of(result, "tlsrpt.rua") == []


def test_missing_record_is_info_but_warns_next_to_mta_sts(resolver_factory):
    plain = one_check(transport_report(resolver_factory, "good.example", smtp=False), "tlsrpt.record")
    assert plain["status"] == "info"
    assert mentions(plain["summary"], "_smtp._tls.good.example")
    with_sts = one_check(
        transport_report(resolver_factory, "transport-expired.example", smtp=False, https_port=9), "tlsrpt.record"
    )
    assert with_sts["status"] == "warn"
    assert with_sts["summary"].endswith("; with MTA-STS published, those failures are mail you lose unseen")


def test_good_example_demo_exits_0_with_no_smtp_and_fails_without():
    # The README's offline demo passes --no-smtp: no SMTP server listens on
    # good.example's MX addresses, so without it every connection is refused, which
    # means the domain cannot receive mail (transport never passes unchecked).
    with socket.socket() as probe:
        probe.settimeout(0.5)
        if probe.connect_ex(("127.0.0.10", 25)) == 0:
            pytest.skip("an SMTP server listens on this machine's loopback port 25")
    result = run_cli(*offline("domain", "good.example", "--no-smtp", "--no-color"))
    assert result.exit_code == 0, result.stdout
    assert "- smtp.starttls  STARTTLS on the MX hosts not checked: --no-smtp" in result.stdout
    assert "i tlsrpt.record  no TLS-RPT record at _smtp._tls.good.example" in result.stdout
    data = run_cli(*offline("domain", "good.example", "--no-smtp", "--format", "json"))
    assert data.json()["status"] == "pass"
    transport = next(o for o in data.json()["obstacles"] if o["id"] == "transport")
    assert {c["status"] for c in transport["checks"]} == {"skip", "info"}
    assert {c["id"] for c in transport["checks"]} == {
        "smtp.starttls",
        "mta-sts.record",
        "dane.tlsa",
        "tlsrpt.record",
        "bimi.record",
    }
    refused = run_cli(*offline("domain", "good.example", "--no-color"))
    assert refused.exit_code == 1
    assert (
        "✗ smtp.connect  no MX address accepts connections on port 25 (3 tried, each refused): "
        "good.example cannot receive mail; STARTTLS was not checked"
    ) in refused.stdout
