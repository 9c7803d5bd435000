"""`mailcheck domain` end to end, as a user runs it: text, JSON, exit codes, bad input."""

from __future__ import annotations

import pytest

from tests.helpers import mentions, offline, one_check, run_cli
from tests.helpers.dns_servers import misbehaving_dns


def test_healthy_domain_text_report_exits_0():
    result = run_cli("domain", "good.example", *offline("--no-smtp", "-v"))
    assert result.exit_code == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("good.example  ✓ PASS")
    assert "    ✓ mx.records  2 MX hosts in preference order: 10 mx1.good.example, 20 mx2.good.example" in lines
    assert "    ✓ mx.host [mx1.good.example]  mx1.good.example → 127.0.0.10, ::1" in lines
    assert result.stderr == ""


def test_healthy_domain_json_report():
    result = run_cli("domain", "good.example", *offline("--no-smtp", "--format", "json"))
    report = result.json()
    assert result.exit_code == 0
    assert (report["schema"], report["command"], report["target"], report["status"]) == (
        "mailcheck.report/1",
        "domain",
        "good.example",
        "pass",
    )
    assert [o["id"] for o in report["obstacles"]][:2] == ["dns", "routing"]
    assert mentions(one_check(report, "dns.ns")["summary"], "2 nameservers", "ns1.good.example", "ns2.good.example")
    assert mentions(one_check(report, "mx.ptr", "127.0.0.11")["summary"], "127.0.0.11", "mx2.good.example", "127.0.0.11")
    assert report["dns"]["queries"] > 5


def test_missing_domain_fails_and_skips_the_rest():
    result = run_cli("domain", "nowhere.example", *offline("--format", "json"))
    report = result.json()
    assert result.exit_code == 1
    exists = one_check(report, "dns.exists")
    assert exists["status"] == "fail"
    assert mentions(exists["summary"], "nowhere.example", "NXDOMAIN")
    others = [c for o in report["obstacles"] for c in o["checks"] if not c["id"].startswith("dns.")]
    assert others and {c["status"] for c in others} == {"skip"}
    assert {c["summary"] for c in others} == {"skipped: nowhere.example does not exist"}


def test_several_domains_make_one_document_and_the_worst_exit_code():
    result = run_cli("domain", "good.example", "mx-dangling.example", *offline("--no-smtp", "--format", "json"))
    document = result.json()
    assert result.exit_code == 1
    assert document["schema"] == "mailcheck.reports/1"
    assert [(r["target"], r["status"]) for r in document["reports"]] == [
        ("good.example", "pass"),
        ("mx-dangling.example", "fail"),
    ]


def test_idn_is_shown_both_ways():
    result = run_cli("domain", "bücher.example", *offline("--format", "json"))
    report = result.json()
    assert report["target"] == "xn--bcher-kva.example"
    assert report["target_unicode"] == "bücher.example"
    text = run_cli("domain", "bücher.example", *offline())
    assert text.stdout.splitlines()[0].startswith("bücher.example (xn--bcher-kva.example)")


def test_trailing_dot_is_accepted():
    result = run_cli("domain", "good.example.", *offline("--no-smtp", "--format", "json"))
    assert result.exit_code == 0
    assert result.json()["target"] == "good.example"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("domain", ""), "empty domain name"),
        (("domain", "  "), "empty domain name"),
        (("domain", "a..b"), "has an empty label"),
        (("domain", "x" * 64 + ".example"), "has a label of 64 characters"),
        (("domain", ("abcdefghi." * 26) + "example"), "characters long (at most 253)"),
        (("domain", "192.0.2.1"), "is an IP address, not a domain name"),
        (("domain", "good.example", "--nameserver", "garbage"), "--nameserver 'garbage'"),
        (("domain", "good.example", "--timeout", "0"), "--timeout must be a positive number"),
        (("domain", "good.example", "--zone", "/nonexistent"), "no such file or folder"),
        (("domain", "good.example", "--offline"), "--offline needs --zone"),
        (("domain", "good.example", "--ip", "999.1.1.1"), "is not an IPv4 or IPv6 address"),
        (("domain", "good.example", "--format", "yaml"), "--format 'yaml' is not one of text, json"),
        (("domain",), "give at least one DOMAIN"),
        (("domain", "good.example", "--bogus"), "No such option: --bogus"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = run_cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("mailcheck: error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_zone_is_exit_2_naming_file_and_line(tmp_path):
    zone = tmp_path / "oops.example.zone"
    zone.write_text("$ORIGIN oops.example.\n$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\n@ MX ten mx1\n")
    result = run_cli("domain", "oops.example", "--zone", str(zone), "--offline")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"mailcheck: error: zone file {zone}:")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("behaviour", ["silent", "refused", "servfail"])
def test_unusable_nameserver_gives_errors_and_exit_3(behaviour):
    with misbehaving_dns(behaviour) as port:
        result = run_cli(
            "domain",
            "good.example",
            "--nameserver",
            f"127.0.0.1:{port}",
            "--timeout",
            "0.3",
            "--format",
            "json",
            "--dkim-selector",
            "s1",
        )
    report = result.json()
    assert result.exit_code == 3, result.stdout
    statuses = {c["status"] for o in report["obstacles"] for c in o["checks"]}
    assert statuses == {"error"}
    assert one_check(report, "dns.exists")["summary"].startswith("could not tell: good.example SOA:")


def test_environment_nameserver_is_used(monkeypatch, zone_server):
    monkeypatch.setenv("MAILCHECK_NAMESERVER", f"127.0.0.1:{zone_server.port}")
    before = len(zone_server.queries)
    result = run_cli("domain", "good.example", "--format", "json", "--dkim-selector", "google", "--no-smtp")
    assert result.exit_code == 0, result.stdout
    asked = {q.name for q in zone_server.queries[before:]}
    assert {"good.example.", "_dmarc.good.example."} <= asked


def test_verbose_shows_the_query_log():
    result = run_cli("domain", "good.example", *offline("-v"))
    assert "DNS queries (" in result.stdout
    assert "good.example MX -> NOERROR @ 127.0.0.1:" in result.stdout


def test_quiet_shows_only_problems():
    result = run_cli("domain", "mx-ptr.example", *offline("--no-smtp", "-q"))
    assert result.exit_code == 0
    assert "    ! mx.ptr [127.0.0.30]  127.0.0.30 has no reverse DNS (PTR)" in result.stdout
    assert "✓" not in result.stdout.replace("✓ PASS", "")


def test_help_lists_global_options():
    result = run_cli("domain", "--help")
    assert result.exit_code == 0
    for option in ("--nameserver", "--zone", "--offline", "--timeout", "--format", "--no-color", "--quiet", "--verbose"):
        assert option in result.stdout
