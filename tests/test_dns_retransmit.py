"""One lost UDP datagram must not turn into an error: within a lookup's --timeout the
resolver retransmits. A real loopback proxy in front of the zone server drops the first
datagram of every question, and `mailcheck domain` must reach the same verdicts."""

from __future__ import annotations

import json
import subprocess
import time

from mailcheck.dns.nameservers import Nameserver
from mailcheck.dns.resolver import Resolver, attempt_timeout
from tests.helpers import run_async, validate_report
from tests.helpers.cli_subprocess import mailcheck_command
from tests.helpers.dns_servers import dropping_proxy

DOMAIN = "good.example"
TIMEOUT = 2.0


def _domain_run(port: int) -> tuple[int, float, dict[tuple[str, str], str], dict]:
    """`mailcheck domain` with every query sent to 127.0.0.1:port: exit code, seconds,
    each check's status, and the report's dns figures."""
    started = time.perf_counter()
    process = subprocess.run(
        mailcheck_command(
            "domain",
            DOMAIN,
            "--no-smtp",  # nothing listens on the fixture MX hosts: DNS is what is measured
            "--nameserver",
            f"127.0.0.1:{port}",
            "--timeout",
            str(TIMEOUT),
            "--format",
            "json",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.perf_counter() - started
    assert "Traceback" not in process.stderr, process.stderr
    report = json.loads(process.stdout)
    validate_report(report)
    verdicts = {(c["id"], c["subject"]): c["status"] for o in report["obstacles"] for c in o["checks"]}
    return process.returncode, elapsed, verdicts, report["dns"]


def test_domain_through_a_lossy_network_gets_the_same_verdicts(zone_server, record_property, capsys):
    direct_code, direct_seconds, direct, direct_dns = _domain_run(zone_server.port)
    with dropping_proxy(zone_server.port) as proxy:
        lossy_code, lossy_seconds, lossy, lossy_dns = _domain_run(proxy.port)

    assert direct_code == 0 and direct[("spf.record", DOMAIN)] == "pass"
    assert (lossy_code, lossy) == (direct_code, direct)
    assert [key for key, status in lossy.items() if status == "error"] == []
    assert not any(key[0].endswith(".crash") for key in lossy)
    # Every question lost its first datagram and was answered by a retransmission.
    assert len(proxy.dropped) == lossy_dns["queries"] == direct_dns["queries"]
    assert proxy.forwarded >= len(proxy.dropped)
    figures = {
        "checks": len(lossy),
        "queries": lossy_dns["queries"],
        "dropped": len(proxy.dropped),
        "direct_seconds": round(direct_seconds, 2),
        "lossy_seconds": round(lossy_seconds, 2),
        "direct_dns_ms": direct_dns["elapsed_ms"],
        "lossy_dns_ms": lossy_dns["elapsed_ms"],
        "attempt_timeout": attempt_timeout(TIMEOUT, 1),
    }
    for key, value in figures.items():
        record_property(key, value)
    with capsys.disabled():
        print(f"\nlossy-network figures for `mailcheck domain {DOMAIN} --timeout {TIMEOUT:g}`: {figures}")


def test_one_lookup_survives_a_lost_datagram(zone_server):
    with dropping_proxy(zone_server.port) as proxy:

        async def go() -> tuple[list[str], list[str]]:
            resolver = Resolver(upstream=[Nameserver("127.0.0.1", proxy.port)], timeout=TIMEOUT)
            answer = await resolver.query("mx1.good.example", "A")
            return [r.address for r in answer.rdata], [q.outcome for q in resolver.log]

        addresses, outcomes = run_async(go())
    assert addresses == ["127.0.0.10"]
    assert outcomes == ["NOERROR"]
    assert (proxy.dropped, proxy.forwarded) == (["mx1.good.example. 1"], 1)


def test_the_attempt_timeout_divides_the_budget_among_rounds_and_servers():
    assert attempt_timeout(2.0, 1) == 0.5
    assert attempt_timeout(2.0, 2) == 0.25
    assert attempt_timeout(60.0, 1) == 2.0  # a round never waits longer than two seconds
