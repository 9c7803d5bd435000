"""mailcheck the way a user runs it: no --zone, no --nameserver, only the system
resolver, here a resolv.conf (MAILCHECK_RESOLV_CONF) that points at the fixture zone
server. Every command runs as a subprocess of the installed package, in text and JSON.

A resolv.conf cannot name a port (dnspython reads ``nameserver ADDRESS`` only, as the
C library does), so the zone server has to listen on port 53. Port 53 of 127.0.0.1
may be taken by the machine's own stub resolver, and tests may run in parallel, so the
server takes port 53 of an address of its own, picked at random in 127.0.0.0/8 away
from the fixture hosts (127.0.0.0/16), which every Linux loopback answers without
configuration. Binding port 53 needs root or CAP_NET_BIND_SERVICE: CI runs as root.
"""

from __future__ import annotations

import errno
import json
import os
import random
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailcheck.dns.zones import load_zones
from mailcheck.dns.zoneserver import ZoneServer
from tests.helpers import ROOT, ZONES, CliResult, mentions, validate_report
from tests.helpers.cli_subprocess import guarded_env, mailcheck_command

MESSAGE = """\
From: News <news@good.test>
To: reader@corp.local
Subject: links under .test, .local and .example
Message-ID: <system-resolver@good.test>
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

Our shop: https://good.test/shop and the intranet: http://www.corp.local/wiki
An offer: https://links-listed.example/offer
"""


@dataclass(frozen=True)
class SystemResolver:
    address: str
    resolv_conf: Path
    server: ZoneServer


@pytest.fixture(scope="module")
def system_resolver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SystemResolver]:
    zones = load_zones([ZONES])
    rng = random.Random()
    for _ in range(50):
        address = f"127.{rng.randint(100, 254)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        server = ZoneServer(zones, host=address, bind_port=53)
        try:
            server.start()
        except PermissionError:
            pytest.skip("binding port 53 needs root or CAP_NET_BIND_SERVICE")
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                continue
            raise
        break
    else:  # pragma: no cover - fifty random addresses all taken
        raise OSError("no free loopback address with port 53 for the zone server")
    resolv_conf = tmp_path_factory.mktemp("system") / "resolv.conf"
    resolv_conf.write_text(f"# the fixture zone server, as a user's system resolver\nnameserver {address}\n")
    try:
        yield SystemResolver(address, resolv_conf, server)
    finally:
        server.stop()


def mailcheck(system: SystemResolver, *args: str, cwd: Path = ROOT) -> CliResult:
    """``python -m mailcheck ARGS`` with only MAILCHECK_RESOLV_CONF pointing anywhere."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILCHECK_") and key not in ("HOME",)}
    env["MAILCHECK_RESOLV_CONF"] = str(system.resolv_conf)
    env["HOME"] = str(system.resolv_conf.parent)
    process = subprocess.run(mailcheck_command(*args), capture_output=True, text=True, env=guarded_env(env), cwd=cwd, timeout=120)
    assert "Traceback" not in process.stderr + process.stdout, process.stderr
    return CliResult(process.returncode, process.stdout, process.stderr)


def checks(report: dict) -> dict[tuple[str, str], dict]:
    return {(c["id"], c["subject"]): c for o in report["obstacles"] for c in o["checks"]}


def no_crash(report: dict) -> None:
    crashed = [key for key in checks(report) if key[0].endswith(".crash")]
    assert crashed == [], crashed


def test_the_zone_server_is_the_only_nameserver_the_run_knows(system_resolver):
    from mailcheck.dns.nameservers import Nameserver, system_nameservers

    assert system_nameservers(str(system_resolver.resolv_conf)) == (Nameserver(system_resolver.address, 53),)


DOMAINS = [
    (
        "good.test",
        0,
        "pass",
        {
            ("mx.host", "mx1.good.test"): ("pass", "mx1.good.test → 127.0.9.10"),
            ("mx.ptr", "127.0.9.10"): (
                "pass",
                "127.0.9.10 → mx1.good.test, which resolves back to 127.0.9.10 (forward-confirmed)",
            ),
            ("spf.record", "good.test"): ("pass", "SPF record: v=spf1 mx ip4:192.0.2.0/24 -all"),
            ("dkim.key", "google"): ("pass", "google: RSA 2048-bit key (k=rsa, h=any)"),
            ("dmarc.record", "good.test"): ("pass", "_dmarc.good.test: v=DMARC1; p=reject; rua=mailto:dmarc-reports@good.test"),
        },
    ),
    (
        "corp.local",
        0,
        "warn",
        {
            ("dns.ns", "corp.local"): ("warn", "1 nameserver: ns1.corp.local (one server is a single point of failure)"),
            ("mx.host", "mail.corp.local"): ("pass", "mail.corp.local → 127.0.9.20"),
            ("spf.record", "corp.local"): ("pass", "SPF record: v=spf1 a:mail.corp.local ~all"),
            ("blocklist.listing", "127.0.9.20 @ zen.spamhaus.org"): (
                "pass",
                "127.0.9.20 (MX mail.corp.local) is not listed on Spamhaus ZEN (zen.spamhaus.org)",
            ),
        },
    ),
    (
        "good.example",
        0,
        "pass",
        {
            ("spf.record", "good.example"): ("pass", "SPF record: v=spf1 mx include:_spf.good.example -all"),
            ("mx.host", "mx2.good.example"): ("pass", "mx2.good.example → 127.0.0.11"),
        },
    ),
    (
        "nope.example",
        1,
        "fail",
        {
            ("dns.exists", "nope.example"): ("fail", "nope.example does not exist (NXDOMAIN): no mail can be sent from or to it"),
        },
    ),
]


def test_domain_through_the_system_resolver(system_resolver):
    # One run for all four domains (a subprocess costs seconds): the worst decides the exit.
    names = [domain for domain, *_ in DOMAINS]
    run = mailcheck(system_resolver, "domain", *names, "--no-smtp", "--format", "json", "--timeout", "3")
    assert run.exit_code == 1, run.stderr
    document = json.loads(run.stdout)
    reports = {r["target"]: r for r in document["reports"]}
    assert list(reports) == names
    for domain, _exit_code, status, expected in DOMAINS:
        report = reports[domain]
        validate_report(report)
        no_crash(report)
        assert report["status"] == status
        found = checks(report)
        assert {key: (found[key]["status"], found[key]["summary"]) for key in expected} == expected
        # Every lookup was answered: the parents test. and local. are not served, but the
        # DS query asked of them only makes dnssec.signed say it could not check.
        assert [key for key, check in found.items() if check["status"] == "error"] == []

    for domain, exit_code, _status, expected in DOMAINS[:2]:
        text = mailcheck(system_resolver, "domain", domain, "--no-smtp", "--no-color", "-v", "--timeout", "3")
        assert text.exit_code == exit_code
        assert text.stdout.startswith(f"{domain}  ")
        for (check_id, _subject), (_status, summary) in expected.items():
            assert check_id in text.stdout and summary in text.stdout
        assert ".crash" not in text.stdout


def test_blocklist_through_the_system_resolver(system_resolver):
    run = mailcheck(system_resolver, "blocklist", "192.0.2.1", "127.0.0.2", "--format", "json")
    assert run.exit_code == 1, run.stderr
    document = json.loads(run.stdout)
    assert document["schema"] == "mailcheck.reports/1"
    reports = {r["target"]: r for r in document["reports"]}
    for report in reports.values():
        validate_report(report)
        no_crash(report)
    clean = checks(reports["192.0.2.1"])
    assert mentions(clean[("blocklist.listing", "192.0.2.1 @ zen.spamhaus.org")]["summary"], "192.0.2.1", "zen.spamhaus.org")
    assert reports["192.0.2.1"]["status"] == "pass"
    listed = checks(reports["127.0.0.2"])[("blocklist.listing", "127.0.0.2 @ zen.spamhaus.org")]
    assert listed["status"] == "fail"
    assert listed["summary"].startswith("127.0.0.2 is listed on Spamhaus ZEN (zen.spamhaus.org)")

    text = mailcheck(system_resolver, "blocklist", "192.0.2.1", "--no-color", "-v")
    assert text.exit_code == 0
    assert "192.0.2.1 is not listed on SpamCop (bl.spamcop.net)" in text.stdout


def test_blocklist_self_test_through_the_system_resolver(system_resolver):
    run = mailcheck(system_resolver, "blocklist", "--self-test", "--format", "json")
    assert run.exit_code == 0, run.stderr
    report = run.json()
    no_crash(report)
    found = checks(report)
    assert {key[1] for key in found} == {
        "zen.spamhaus.org",
        "bl.spamcop.net",
        "dbl.spamhaus.org",
        "multi.uribl.com",
        "multi.surbl.org",
    }
    assert {check["status"] for check in found.values()} == {"pass"}
    assert mentions(
        found[("blocklist.self-test", "multi.uribl.com")]["summary"],
        "multi.uribl.com",
        "RFC 5782",
        "test.uribl.com",
        "127.0.0.14",
    )
    text = mailcheck(system_resolver, "blocklist", "--self-test", "--no-color")
    assert text.exit_code == 0 and "self-test  ✓ PASS" in text.stdout


def test_links_through_the_system_resolver(system_resolver, tmp_path: Path):
    message = tmp_path / "links.eml"
    message.write_text(MESSAGE)
    run = mailcheck(system_resolver, "links", str(message), "--format", "json")
    assert run.exit_code == 1, run.stderr
    report = run.json()
    no_crash(report)
    found = checks(report)
    assert mentions(found[("links.found", str(message))]["summary"], "3 links", "3 hosts", f"in {message}")
    assert {key[1]: check["status"] for key, check in found.items() if key[0] == "links.url"} == {
        "https://good.test/shop": "pass",
        "http://www.corp.local/wiki": "pass",
        "https://links-listed.example/offer": "fail",
    }
    assert mentions(
        found[("links.url", "http://www.corp.local/wiki")]["summary"], "http://www.corp.local/wiki", "www.corp.local", "3 lists"
    )
    assert mentions(
        found[("blocklist.listing", "links-listed.example @ dbl.spamhaus.org")]["summary"],
        "links-listed.example",
        "dbl.spamhaus.org",
        "127.0.1.4",
    )
    text = mailcheck(system_resolver, "links", str(message), "--no-color", "-v")
    assert text.exit_code == 1
    assert "https://good.test/shop: good.test: not listed on 3 lists" in text.stdout


def test_check_config_through_the_system_resolver(system_resolver, tmp_path: Path):
    config = tmp_path / "mailcheck.toml"
    config.write_text(
        "timeout = 3\nsmtp = false\n"
        '[domains."good.test"]\n'
        '[domains."good.test".expect]\n'
        '"dmarc.policy" = { status = "pass", effective = "reject" }\n'
        '[domains."corp.local"]\n'
        'expect = { "dmarc.policy" = "pass" }\n'
    )
    run = mailcheck(system_resolver, "check", "--config", str(config), "--format", "json", cwd=tmp_path)
    assert run.exit_code == 1, run.stderr
    document = json.loads(run.stdout)
    reports = {r["target"]: r for r in document["reports"]}
    assert set(reports) == {"good.test", "corp.local"}
    for report in reports.values():
        validate_report(report)
        no_crash(report)
    good = checks(reports["good.test"])
    assert good[("expect.dmarc.policy", "good.test")]["status"] == "pass"
    assert reports["good.test"]["status"] == "pass"
    corp = checks(reports["corp.local"])
    assert corp[("dmarc.policy", "corp.local")]["status"] == "warn"
    assert corp[("expect.dmarc.policy", "corp.local")]["status"] == "fail"
    assert [key for r in reports.values() for key, c in checks(r).items() if c["status"] == "error"] == []

    text = mailcheck(system_resolver, "check", "--config", str(config), "--no-color", cwd=tmp_path)
    assert text.exit_code == 1
    assert "2 targets checked" in text.stdout


def test_explain_needs_no_dns(system_resolver):
    run = mailcheck(system_resolver, "explain", "spf.record", "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout)["id"] == "spf.record"
    text = mailcheck(system_resolver, "explain", "spf.record")
    assert text.exit_code == 0 and text.stdout.startswith("spf.record: One SPF record is published")
