"""``mailcheck probe`` the way a user runs it: a fresh ``python -m mailcheck`` process,
no --zone, DNS from one nameserver (the fixture zone server on loopback, as a site's
resolver), an SMTP server on the MX address. The names are under .test and .local.

The zone server refuses the PTR query of the MX address (no fixture serves its reverse
zone), as real resolvers do for private ranges: a side fact, so the probe still exits
by its verdict. tests/test_probe_resolvconf.py runs the same through a resolv.conf.
"""

from __future__ import annotations

import os
import subprocess

from tests.helpers import ROOT, CliResult, mentions, one_check
from tests.helpers.cli_subprocess import guarded_env, mailcheck_command
from tests.helpers.smtp_servers import Script, free_port, known_users, smtp_server

MX = "127.0.6.10"  # mx1.probe.test
HELO = "prober.probe-client.example"


def mailcheck(*args: str, env: dict[str, str] | None = None) -> CliResult:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("MAILCHECK_")}
    clean.update(env or {})
    process = subprocess.run(
        mailcheck_command(*args), capture_output=True, text=True, env=guarded_env(clean), cwd=ROOT, timeout=120
    )
    assert "Traceback" not in process.stderr + process.stdout, process.stderr
    return CliResult(process.returncode, process.stdout, process.stderr)


def assert_refused(summary: str, server: str) -> None:
    """The unmade PTR check's words; the resolver's may name the query too
    ("refused the query for 10.6.0.127.in-addr.arpa PTR (REFUSED)")."""
    assert summary.startswith(f"could not look up the PTR of {MX}: {server} refused the query"), summary
    assert summary.endswith("(REFUSED)"), summary


def probe_args(port: int, *addresses: str) -> tuple[str, ...]:
    return ("probe", *addresses, "--port", str(port), "--helo", HELO, "--timeout", "2")


def test_probe_through_a_nameserver_is_deliverable_although_the_ptr_is_refused(zone_server) -> None:
    port = free_port()
    nameserver = ("--nameserver", f"127.0.0.1:{zone_server.port}")
    with smtp_server(MX, port, Script(rcpt=known_users("user@probe.test"))) as server:
        data = mailcheck(
            *probe_args(port, "user@probe.test"), *nameserver, "--mail-from", "sender@mail.local", "--format", "json"
        )
        text = mailcheck(*probe_args(port, "user@probe.test"), *nameserver, "--no-color")
    assert data.exit_code == 0, data.stdout + data.stderr
    assert text.exit_code == 0, text.stdout + text.stderr
    report = data.json()
    assert (report["command"], report["target"], report["verdict"], report["status"]) == (
        "probe",
        "user@probe.test",
        "deliverable",
        "warn",
    )
    verdict = one_check(report, "acceptance.verdict")
    assert verdict["status"] == "pass"
    assert mentions(verdict["summary"], "250 2.1.5", "'OK'", "mx1.probe.test", MX, "refuses unknown")
    ptr = one_check(report, "mx.ptr", MX)
    assert (ptr["status"], ptr["side_fact"]) == ("error", True)
    assert_refused(ptr["summary"], f"127.0.0.1:{zone_server.port}")
    assert one_check(report, "smtp.connection", f"mx1.probe.test {MX}")["status"] == "pass"
    lines = text.stdout.splitlines()
    assert lines[:2] == ["user@probe.test  ! WARN", "  1 check could not be made:"]
    assert lines[2].startswith(f"    ? mx.ptr [{MX}]: ")
    assert_refused(lines[2].removeprefix(f"    ? mx.ptr [{MX}]: "), f"127.0.0.1:{zone_server.port}")
    assert server.args("MAIL")[0].startswith("FROM:<sender@mail.local>")
    assert "RCPT" in server.verbs() and "DATA" not in server.verbs()


def test_probe_through_a_nameserver_of_an_unknown_mailbox_exits_1(zone_server) -> None:
    port = free_port()
    with smtp_server(MX, port, Script(rcpt=known_users("user@probe.test"))):
        run = mailcheck(*probe_args(port, "gone@probe.test"), "--nameserver", f"127.0.0.1:{zone_server.port}", "--format", "json")
    assert run.exit_code == 1
    report = run.json()
    assert (report["verdict"], report["status"]) == ("undeliverable", "fail")
    assert one_check(report, "acceptance.verdict")["summary"].startswith(
        f"undeliverable: 550 5.1.1 mailbox unknown — '<gone@probe.test>: User unknown' (mx1.probe.test {MX})"
    )
