"""Bulk runs over worker processes (run_targets(..., workers=N)): the same reports as
one process, in input order, each handed over once; a crash stays one target's; the
forked workers are under the network guard."""

from __future__ import annotations

import os
import socket

import pytest

from mailcheck.cli.domain import domain_options
from mailcheck.commands.domain import DomainChecker, DomainRequest
from mailcheck.model import Report, Status
from mailcheck.names import parse_domain
from mailcheck.run import DnsScope, Env, run_targets
from mailcheck.runtime import NetworkOptions
from mailcheck.workers import default_workers, fork_available, shares
from tests.helpers import ZONES, netguard

pytestmark = pytest.mark.skipif(not fork_available(), reason="worker processes are forked (Linux)")

NAMES = ["good.example", "mx-null.example", "nope.example", "mx-ptr.example", "spf-toomany.example", "dmarc-inherit.example"]
NETWORK = NetworkOptions(zones=(str(ZONES),), offline=True, timeout=2)


def _outline(report: Report) -> tuple[str, str, list[tuple[str, str, str]]]:
    return report.target, report.status.value, [(c.id, c.status.value, c.summary) for c in report.checks]


def _run(workers: int, seen: list[Report] | None = None):  # type: ignore[no-untyped-def]
    request = DomainRequest(
        tuple(parse_domain(n) for n in NAMES),
        domain_options(["google"], None, None, None, smtp=False, port=25, https_port=443, ca_file=None, bimi_selector="default"),
    )
    return run_targets(
        DomainChecker(request.options),
        request.domains,
        NETWORK,
        scope=DnsScope.TARGET,
        concurrency=2,
        on_report=None if seen is None else seen.append,
        workers=workers,
    )


def test_two_workers_give_the_reports_of_one_process_in_input_order():
    alone = _run(1)
    seen: list[Report] = []
    spread = _run(2, seen)
    assert [r.target for r in spread.reports] == NAMES
    assert [_outline(r) for r in spread.reports] == [_outline(r) for r in alone.reports]
    assert sorted(r.target for r in seen) == sorted(NAMES)  # each handed over once
    assert spread.count == 6 and spread.worst is Status.FAIL  # nope.example does not exist
    # Each worker has its own shared cache, so two processes ask a few names twice.
    assert spread.dns is not None and alone.dns.queries <= spread.dns.queries < 2 * alone.dns.queries
    assert len(spread.log) == spread.dns.queries
    assert {r.dns for r in spread.reports} == {spread.dns}


class Crashing:
    command = "domain"

    def label(self, target: str) -> str:
        return target

    async def check(self, target: str, env: Env) -> Report:
        if target == "boom.example":
            raise ValueError("broken on purpose")
        return await DomainChecker(
            domain_options(
                ["google"], None, None, None, smtp=False, port=25, https_port=443, ca_file=None, bimi_selector="default"
            )
        ).check(parse_domain(target), env)


def test_a_crash_in_a_worker_is_that_targets_error_report():
    outcome = run_targets(
        Crashing(), ["good.example", "boom.example", "mx-null.example"], NETWORK, scope=DnsScope.TARGET, concurrency=2, workers=2
    )
    assert [r.target for r in outcome.reports] == ["good.example", "boom.example", "mx-null.example"]
    crash = outcome.reports[1]
    assert crash.status is Status.ERROR
    assert [c.summary for c in crash.checks] == ["checking boom.example crashed: ValueError: broken on purpose"]
    assert outcome.reports[0].status is Status.PASS


class Reaching:
    """A check that tries to leave loopback from inside a worker process."""

    command = "domain"

    def label(self, target: str) -> str:
        return target

    async def check(self, target: str, env: Env) -> Report:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"x", ("192.0.2.1", 53))
        raise AssertionError("the guard let the datagram out")


def test_forked_workers_are_under_the_network_guard():
    with netguard.watch() as attempts:
        outcome = run_targets(Reaching(), ["a.example", "b.example"], NETWORK, scope=DnsScope.TARGET, concurrency=2, workers=2)
    assert [r.status for r in outcome.reports] == [Status.ERROR, Status.ERROR]
    assert all("NonLoopbackConnection" in r.checks[0].summary for r in outcome.reports)
    assert sorted(a.describe().split(" (from")[0] for a in attempts) == ["udp sendto 192.0.2.1:53"] * 2
    assert all(a.where.endswith("in a child process") for a in attempts)


def test_default_workers_is_every_core_for_a_bulk_list_only():
    cores = os.cpu_count() or 1
    assert default_workers(5, 20) == 1
    assert default_workers(1000, 20) == min(cores, 20)
    assert default_workers(1000, 1) == 1
    assert shares(20, 3) == [7, 7, 6] and sum(shares(5, 2)) == 5
