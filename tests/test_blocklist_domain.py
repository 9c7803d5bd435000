"""The reputation obstacle of mailcheck domain: the domain, its MX addresses and --ip."""

from __future__ import annotations

from mailcheck.checks.context import DomainOptions
from mailcheck.checks.reputation import check_reputation
from mailcheck.dns.library import LibraryResolver
from mailcheck.domain_report import domain_report
from mailcheck.model import Status
from mailcheck.names import parse_domain
from tests.helpers import mentions, offline, one_check, run_async, run_cli


def _reputation(report: dict) -> dict:
    [obstacle] = [o for o in report["obstacles"] if o["id"] == "reputation"]
    return obstacle


def test_good_domain_is_clean_on_every_list_and_exits_0():
    result = run_cli("domain", "good.example", "--format", "json", "--no-smtp", *offline())
    assert result.exit_code == 0, result.stdout
    reputation = _reputation(result.json())
    assert reputation["status"] == "pass"
    assert [c["subject"] for c in reputation["checks"]] == [
        "good.example @ dbl.spamhaus.org",
        "good.example @ multi.uribl.com",
        "good.example @ multi.surbl.org",
        "127.0.0.10 @ zen.spamhaus.org",
        "127.0.0.10 @ bl.spamcop.net",
        "::1 @ zen.spamhaus.org",  # SpamCop answers for IPv4 only
        "127.0.0.11 @ zen.spamhaus.org",
        "127.0.0.11 @ bl.spamcop.net",
    ]
    assert mentions(
        one_check(result.json(), "blocklist.listing", "127.0.0.11 @ bl.spamcop.net")["summary"],
        "127.0.0.11",
        "mx2.good.example",
        "bl.spamcop.net",
    )


def test_listed_mx_address_fails_the_reputation_obstacle():
    result = run_cli("domain", "blocklist-mx.example", "--format", "json", *offline())
    assert result.exit_code == 1
    report = result.json()
    assert _reputation(report)["status"] == "fail"
    check = one_check(report, "blocklist.listing", "127.0.3.25 @ zen.spamhaus.org")
    assert check["status"] == "fail"
    assert mentions(check["summary"], "127.0.3.25", "mx.blocklist-mx.example", "zen.spamhaus.org", "127.0.0.3")
    assert check["details"]["reasons"] == ["Listed by CSS, see https://check.spamhaus.org/css/127.0.3.25"]


def test_listed_domain_fails_in_text():
    result = run_cli("domain", "blocklist-spam.example", "--no-color", *offline())
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if "blocklist-spam.example @ dbl.spamhaus.org" in line]
    assert len(lines) == 1
    assert lines[0].endswith("blocklist-spam.example is listed on Spamhaus DBL (dbl.spamhaus.org): spam domain (127.0.1.2)")
    assert "reason: https://check.spamhaus.org/results?query=blocklist-spam.example" in result.stdout


def test_sending_ip_is_looked_up_and_its_reverse_dns_confirmed():
    result = run_cli("domain", "good.example", "--ip", "127.0.3.25", "--format", "json", *offline())
    assert result.exit_code == 1
    report = result.json()
    listed = one_check(report, "blocklist.listing", "127.0.3.25 @ zen.spamhaus.org")
    assert listed["status"] == "fail"
    assert listed["summary"].startswith("127.0.3.25 (sending IP) is listed on Spamhaus ZEN (zen.spamhaus.org): CSS")
    fcrdns = one_check(report, "ip.fcrdns")
    assert fcrdns["status"] == "pass"
    assert fcrdns["subject"] == "127.0.3.25 (sending IP)"
    assert mentions(fcrdns["summary"], "127.0.3.25", "mx.blocklist-mx.example", "127.0.3.25")
    assert _reputation(report)["status"] == "fail"
    assert any(c["id"] == "ip.fcrdns" for c in _reputation(report)["checks"])


def test_sending_ip_without_reverse_dns_warns():
    result = run_cli("domain", "good.example", "--ip", "127.0.3.99", "--format", "json", *offline())
    report = result.json()
    fcrdns = one_check(report, "ip.fcrdns")
    assert fcrdns["status"] == "warn"
    assert mentions(fcrdns["summary"], "127.0.3.99")
    assert one_check(report, "blocklist.listing", "127.0.3.99 @ bl.spamcop.net")["status"] == "pass"
    # SPF rejects this IP (a fail of the authentication obstacle); reputation only warns.
    assert _reputation(report)["status"] == "warn"


def test_lists_outside_the_offline_zones_are_skipped_not_errors(zone_server):
    from mailcheck.dns.nameservers import Nameserver
    from mailcheck.dns.resolver import Resolver

    async def run():
        # Only good.example's own zones are served: no list's zone is.
        resolver = Resolver(
            zone_server=Nameserver(zone_server.host, zone_server.port),
            zone_origins=["good.example.", "0.0.127.in-addr.arpa."],
            offline=True,
            timeout=1,
        )
        import asyncio

        library = LibraryResolver(resolver, asyncio.get_running_loop())
        report = await domain_report(
            parse_domain("good.example"), resolver, library, DomainOptions(), checks=[("blocklist", check_reputation)]
        )
        return report

    report = run_async(run())
    assert report.status is Status.SKIP
    summaries = [c.summary for c in report.checks]
    assert summaries[0] == "Spamhaus ZEN was not asked: --offline is set and --zone does not serve zen.spamhaus.org"
    assert len(summaries) == 5 and all(c.id == "blocklist.list" for c in report.checks)
