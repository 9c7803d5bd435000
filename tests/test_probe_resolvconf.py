"""``mailcheck probe`` through the system resolver: no --zone, no --nameserver, only a
resolv.conf named by MAILCHECK_RESOLV_CONF that points at the fixture zone server.

This needs the DNS core's MAILCHECK_RESOLV_CONF and ZoneServer(bind_port=...) (branch
dns-core); until both branches are merged it fails, on purpose unguarded.

A resolv.conf names no port, so the zone server listens on port 53 of an address of
its own, picked at random in 127.0.0.0/8 away from the fixture hosts (127.0.0.0/16);
Linux answers every loopback address without configuration.
"""

from __future__ import annotations

import errno
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailcheck.dns.zones import load_zones
from mailcheck.dns.zoneserver import ZoneServer
from tests.helpers import ZONES, mentions, one_check
from tests.helpers.smtp_servers import Script, free_port, known_users, smtp_server
from tests.test_probe_system import HELO, MX, assert_refused, mailcheck

RESOLV_ATTEMPTS = 50


@pytest.fixture(scope="module")
def resolv_conf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    zones = load_zones([ZONES])
    rng = random.Random()
    for _ in range(RESOLV_ATTEMPTS):
        address = f"127.{rng.randint(100, 254)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        server = ZoneServer(zones, host=address, bind_port=53)  # type: ignore[call-arg]
        try:
            server.start()
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                continue
            raise
        break
    else:  # pragma: no cover - every address tried was taken
        raise OSError("no loopback address with a free port 53 for the zone server")
    path = tmp_path_factory.mktemp("probe-resolv") / "resolv.conf"
    path.write_text(f"# the fixture zone server as the system resolver\nnameserver {address}\n")
    try:
        yield path, address
    finally:
        server.stop()


def test_probe_through_resolv_conf_is_deliverable_under_test_and_local(resolv_conf: tuple[Path, str]) -> None:
    path, address = resolv_conf
    port = free_port()
    env = {"MAILCHECK_RESOLV_CONF": str(path)}
    args = ("probe", "user@probe.test", "--mail-from", "sender@mail.local", "--port", str(port), "--helo", HELO, "--timeout", "2")
    with smtp_server(MX, port, Script(rcpt=known_users("user@probe.test"))) as server:
        run = mailcheck(*args, "--format", "json", env=env)
        gone = mailcheck("probe", "gone@probe.test", *args[2:], "--format", "json", env=env)
    assert run.exit_code == 0, run.stdout + run.stderr
    report = run.json()
    assert (report["verdict"], report["status"]) == ("deliverable", "warn")
    verdict = one_check(report, "acceptance.verdict")
    assert verdict["status"] == "pass"
    assert mentions(verdict["summary"], "250 2.1.5", "'OK'", "mx1.probe.test", MX, "refuses unknown")
    ptr = one_check(report, "mx.ptr", MX)
    assert (ptr["status"], ptr["side_fact"]) == ("error", True)
    assert_refused(ptr["summary"], f"{address}:53")
    assert server.args("MAIL")[0].startswith("FROM:<sender@mail.local>")
    assert gone.exit_code == 1
    assert (gone.json()["verdict"], one_check(gone.json(), "acceptance.verdict")["status"]) == ("undeliverable", "fail")
