"""Bulk runs over worker processes (run_targets(..., workers=N)): the same reports as
one process, in input order, each handed over once; a crash stays one target's; the
forked workers are under the network guard."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mailcheck.cli.domain import domain_options
from mailcheck.commands.domain import DomainChecker, DomainRequest
from mailcheck.model import Obstacle, Report, Status
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


def _run(workers: int, seen: list[Report] | None = None):
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


# -- a mailbox over the workers (mailcheck message --mbox) ----------------------------


def _mailbox(tmp_path, count: int):
    from tests.helpers.message_fixtures import message, received, sign

    trace = b"Return-Path: <bounce@sender.example>\r\n" + received("mx.receiver.test", "mail.sender.example", "127.0.0.25")
    path = tmp_path / "box.mbox"
    with path.open("wb") as out:
        for n in range(count):
            if n % 2:
                signed = sign(
                    message(sender="news@esp.example", message_id=f"<{n}@esp.example>"), domain="esp.example", selector="s1"
                )
            else:
                signed = sign(message(message_id=f"<{n}@sender.example>"))
            out.write(b"From a@b Sun Mar  1 12:00:00 2026\n" + (trace + signed).replace(b"\r\n", b"\n") + b"\n")
    return path


def _request(path: Path) -> Any:
    """The message command's request for the mbox at ``path``, default options."""
    from mailcheck.commands.message import message_request
    from mailcheck.sources import SourceSpec

    return message_request(
        SourceSpec(mboxes=(str(path),)),
        ip=None,
        helo=None,
        mail_from=None,
        authserv_id=None,
        trusted_hop=None,
        at=None,
        providers=None,
        kind=None,
        trusted_sealers=(),
        reputation=True,
    )


def _messages(path, workers: int | None, seen: list[Report] | None = None):
    from mailcheck.commands.message import run_message

    return run_message(_request(path), NETWORK, None if seen is None else seen.append, concurrency=4, workers=workers)


def test_a_mailbox_over_two_workers_gives_the_reports_of_one_process(tmp_path):
    path = _mailbox(tmp_path, 12)
    alone = _messages(path, 1)
    seen: list[Report] = []
    spread = _messages(path, None, seen)  # 12 messages, 4 in flight: every core
    assert default_workers(12, 4) == min(os.cpu_count() or 1, 4)
    targets = [f"{path}#{n}" for n in range(1, 13)]
    assert [r.target for r in spread.reports] == targets
    assert [_outline(r) for r in spread.reports] == [_outline(r) for r in alone.reports]
    assert sorted(r.target for r in seen) == sorted(targets)
    signatures = [c for r in spread.reports for c in r.checks if c.id == "dkim.signature"]
    assert [c.status for c in signatures] == [Status.PASS] * 12
    assert {c.details["domain"] for c in signatures} == {"sender.example", "esp.example"}
    # Each domain's messages went to one worker: its key was looked up once in the run.
    keys = sorted(q.name.lower().rstrip(".") for q in spread.log if "._domainkey." in q.name.lower())
    assert keys == ["s1._domainkey.esp.example", "s2048._domainkey.sender.example"]


class LinesOf:
    """An on_report in two halves (mailcheck.model.SplitReportHandler): the digest names
    the process that made it, so the test sees where each half ran."""

    def __init__(self) -> None:
        self.taken: list[tuple[int, str, str]] = []
        self.whole: list[Report] = []

    def __call__(self, report: Report) -> None:
        self.whole.append(report)

    def digest(self, report: Report) -> tuple[int, str, str]:
        from mailcheck.render.jsonl import render_line

        return os.getpid(), report.target, render_line(report)

    def take(self, digest: tuple[int, str, str]) -> None:
        self.taken.append(digest)


def test_a_run_that_keeps_no_report_gets_each_line_rendered_in_a_worker(tmp_path):
    path = _mailbox(tmp_path, 12)
    alone = _messages(path, 1)
    from mailcheck.commands.message import run_message
    from mailcheck.render.jsonl import render_line

    request = _request(path)
    lines = LinesOf()
    spread = run_message(request, NETWORK, lines, keep=False, concurrency=4, workers=2)
    assert spread.reports == [] and spread.count == 12 and lines.whole == []
    assert spread.worst is Status.worst(r.status for r in alone.reports)
    assert {pid for pid, _, _ in lines.taken} - {os.getpid()} == {pid for pid, _, _ in lines.taken}
    assert len({pid for pid, _, _ in lines.taken}) == 2  # both workers rendered
    # The lines are the reports' own, each once, whichever process rendered them (a
    # streamed line has no run figures: the run was not over when it was written).
    one_process = [render_line(dataclasses.replace(r, dns=None)) for r in alone.reports]
    assert sorted(line for _, _, line in lines.taken) == sorted(one_process)
    # A run that keeps its reports gets them whole: the handler is called, no digest.
    kept = LinesOf()
    run_message(request, NETWORK, kept, keep=True, concurrency=4, workers=2)
    assert kept.taken == [] and sorted(r.target for r in kept.whole) == sorted(f"{path}#{n}" for n in range(1, 13))


def test_a_message_is_routed_by_its_from_domain():
    from mailcheck.commands.message import from_domain_key
    from mailcheck.sources import Source

    def key(data: bytes) -> str:
        return from_domain_key(Source("m", data, len(data)))

    assert key(b"Received: x\r\nFROM: News <News@Sender.Example>\r\nTo: a@b.c\r\n\r\nbody") == "sender.example"
    # Only the header block counts: a From: line in the body is not the sender.
    assert key(b"Subject: hi\r\n\r\nFrom: someone@else.example\r\n") == ""
    assert key(b"\x00\x01binary") == ""


def test_keys_go_to_the_least_loaded_worker_and_stay_there():
    from mailcheck.workers import _SPILL_AFTER, _Chooser

    chooser = _Chooser(2)
    first, _ = chooser.worker_for("a.example")
    chooser.placed(first)
    second, _ = chooser.worker_for("b.example")
    assert (first, second) == (0, 1)
    for _ in range(3):
        chooser.placed(chooser.worker_for("a.example")[0])
    assert chooser.counts == [4, 0]
    assert chooser.worker_for("c.example") == (1, False) and chooser.worker_for("a.example") == (0, False)
    # Only a key with many targets may go to a second worker.
    answers = [chooser.worker_for("a.example") for _ in range(_SPILL_AFTER)]
    assert answers[-1] == (0, True) and answers[_SPILL_AFTER - 6] == (0, False)


def test_a_full_worker_queue_spills_a_big_key_only_to_a_worker_out_of_work():
    import multiprocessing
    import threading

    from mailcheck.workers import _place

    context = multiprocessing.get_context("fork")
    busy, idle = context.Queue(maxsize=1), context.Queue(maxsize=4)
    stop = threading.Event()
    try:
        busy.put((0, "first"))
        # The preferred queue is full, the other empty: a big key's target goes there.
        assert _place([busy, idle], 0, (1, "second"), stop, spill=True) == 1
        # Neither a key that may not spill, nor a queue that still has work, takes it:
        # it waits for the preferred worker, and gives up when the run is stopped.
        threading.Timer(0.2, stop.set).start()
        assert _place([busy, idle], 0, (2, "third"), stop, spill=True) is None
        stop.clear()
        assert idle.get(timeout=1) == (1, "second")
        threading.Timer(0.2, stop.set).start()
        assert _place([busy, idle], 0, (3, "fourth"), stop, spill=False) is None
        assert busy.get(timeout=1) == (0, "first") and idle.qsize() == 0
    finally:
        for q in (busy, idle):
            q.cancel_join_thread()


class CollectorSettings:
    """Reports, as its summary, how the worker's garbage collector is set."""

    command = "collector"

    def label(self, target: str) -> str:
        return target

    async def check(self, target: str, env: Env) -> Report:
        import gc

        from mailcheck.run import CRASH

        settings = f"thresholds {gc.get_threshold()}, frozen {gc.get_freeze_count() > 0}, pid {os.getpid()}"
        return Report("collector", target, (Obstacle("run", "Run", (CRASH.info(target, settings),)),))


def test_workers_leave_what_they_inherit_out_of_their_garbage_collections():
    import gc

    from mailcheck.run import BULK_YOUNG_COLLECTION

    before = (gc.get_threshold(), gc.get_freeze_count())
    outcome = run_targets(CollectorSettings(), ["a", "b", "c", "d"], NETWORK, scope=DnsScope.TARGET, concurrency=2, workers=2)
    summaries = [r.checks[0].summary for r in outcome.reports]
    # ... and collect their young objects less often (a bulk run leaves no cyclic garbage).
    in_workers = (BULK_YOUNG_COLLECTION, *before[0][1:])
    assert before[0][0] < BULK_YOUNG_COLLECTION
    assert all(s.startswith(f"thresholds {in_workers}, frozen True, pid ") for s in summaries)
    assert all(not s.endswith(f"pid {os.getpid()}") for s in summaries)  # set in the workers
    assert (gc.get_threshold(), gc.get_freeze_count()) == before  # and not in this process


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        return [int(child) for child in listing.read().split()]


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads the process tree from /proc (Linux)")
def test_workers_end_when_their_parent_is_killed(tmp_path):
    import signal
    import time

    from mailcheck.dns.zones import load_zones
    from mailcheck.dns.zoneserver import ZoneServer
    from tests.helpers.cli_subprocess import popen_mailcheck

    listing = tmp_path / "domains.txt"
    listing.write_text("\n".join(["good.example", "mx-ptr.example", "dmarc-none.example"] * 20) + "\n")
    # 300 ms an answer and four domains in flight: the list would take a minute.
    with ZoneServer(load_zones([ZONES]), latency=0.3) as server:
        process = popen_mailcheck(
            "domain", "--from-file", str(listing), "--nameserver", f"127.0.0.1:{server.port}",
            "--concurrency", "4", "--no-smtp", "--format", "jsonl",
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        workers: list[int] = []
        try:
            deadline = time.monotonic() + 30
            while len(workers := _children(process.pid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(workers) == 2
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            deadline = time.monotonic() + 10
            while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert [pid for pid in workers if _running(pid)] == []
        finally:
            if process.poll() is None:
                process.kill()
            for pid in workers:
                if _running(pid):
                    os.kill(pid, signal.SIGKILL)
