"""mailcheck report over worker processes: the same output as one process, in input order."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from mailcheck.commands.report import ReportChecker, ReportRequest, run_in_workers, run_report
from mailcheck.commands.report_workers import Parallel, map_in_order, spread
from mailcheck.errors import BadInput
from mailcheck.model import Report, Status
from mailcheck.render.jsonl import render_line
from mailcheck.reports.containers import Document
from mailcheck.runtime import NetworkOptions
from mailcheck.sources import SourceSpec
from tests.helpers import ROOT, mentions, run_cli
from tests.helpers.cli_subprocess import popen_mailcheck

REPORTS = ROOT / "fixtures" / "reports"
# Readable, damaged, unreadable, two reports in one message, TLS and failure reports.
MIXED = (
    "aggregate-rfc7489.xml",
    "tlsrpt-rfc8460.json",
    "aggregate-damaged.xml",
    "not-a-report.txt",
    "two-reports.eml",
    "aggregate-rfc9990.xml",
    "failure-arf.eml",
    "aggregate-no-metadata.xml",
    "aggregate-rfc7489.zip",
)
TWO_WORKERS = Parallel(workers=2, min_paths=1, batch=3)
ONE_PROCESS = Parallel(workers=1)


def maildir(tmp_path: Path, copies: int) -> Path:
    """A Maildir holding the MIXED fixtures ``copies`` times over, named in that order."""
    cur = tmp_path / "inbox" / "cur"
    cur.mkdir(parents=True)
    for number in range(copies):
        for place, name in enumerate(MIXED):
            shutil.copyfile(REPORTS / name, cur / f"{number:04d}-{place}-{name}")
    return cur.parent


class Lines:
    """A streamed handler as the CLI's: the line rendered where the report was made."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, report: Report) -> None:
        self.take(self.digest(report))

    def digest(self, report: Report) -> str:
        return render_line(report, version="test")

    def take(self, digest: str) -> None:
        self.lines.append(digest)


def streamed(inbox: Path, plan: Parallel, *, summary: bool = False) -> tuple[list[str], int, Status, int]:
    request = ReportRequest(SourceSpec(maildirs=(str(inbox),)), dns=False, summary=summary)
    handler = Lines()
    outcome, tally = run_report(request, NetworkOptions(), handler, keep=False, parallel=plan)
    return handler.lines, outcome.count, outcome.worst, tally.readable


def test_workers_stream_the_same_lines_in_input_order(tmp_path):
    inbox = maildir(tmp_path, 4)
    alone = streamed(inbox, ONE_PROCESS)
    spread = streamed(inbox, TWO_WORKERS)
    assert spread == alone
    lines, count, worst, readable = spread
    # two-reports.eml is two documents; everything else one.
    assert count == len(lines) == 4 * (len(MIXED) + 1)
    assert (worst, readable) == (Status.ERROR, 4 * (len(MIXED) + 1 - 2))
    targets = [json.loads(line)["target"] for line in lines]
    assert targets[0] == str(inbox / "cur" / "0000-0-aggregate-rfc7489.xml")
    assert targets[-1] == str(inbox / "cur" / "0003-8-aggregate-rfc7489.zip")
    assert targets == sorted(targets)  # the Maildir's name order, whatever worker read which
    invalid = [json.loads(line) for line in lines if json.loads(line)["report_type"] == "invalid"]
    assert [Path(r["target"]).name for r in invalid[:2]] == ["0000-3-not-a-report.txt", "0000-7-aggregate-no-metadata.xml"]


def test_workers_read_messages_saved_from_outlook_as_one_process_does(tmp_path):
    cur = tmp_path / "inbox" / "cur"
    cur.mkdir(parents=True)
    for number in range(7):
        shutil.copyfile(REPORTS / "two-reports-outlook.msg", cur / f"{number:04d}.msg")
    alone = streamed(cur.parent, ONE_PROCESS)
    spread = streamed(cur.parent, TWO_WORKERS)
    assert spread == alone
    lines, count, worst, readable = spread
    assert (count, len(lines), worst, readable) == (14, 14, Status.WARN, 14)
    kinds = [json.loads(line)["report_type"] for line in lines]
    assert kinds == ["aggregate", "smtp_tls"] * 7


def test_a_summary_over_workers_adds_up_the_same_tables(tmp_path):
    inbox = maildir(tmp_path, 3)
    alone, spread = (streamed(inbox, plan, summary=True) for plan in (ONE_PROCESS, TWO_WORKERS))
    assert spread == alone
    lines = spread[0]
    summary = json.loads(lines[-1])
    assert summary["target"] == "summary"
    tables = summary["summary"]
    assert tables["documents"] == {"read": 24, "invalid": 6, "failure_reports": 3}
    assert tables["domains"] == [
        {"domain": "reports.example", "policy": "none", "messages": 3423, "passing": 3321, "pass_share": 0.9702}
    ]
    assert tables["tls_policies"] == [
        {"policy_domain": "reports.example", "successful_session_count": 5700, "failed_session_count": 300}
    ]
    checks = {c["id"]: c for o in summary["obstacles"] for c in o["checks"]}
    assert mentions(checks["report.by-org"]["summary"], "4 reporting organizations", "24 reports read", "6 unreadable")
    # The TLS failures the documents name are carried over, once each.
    failures = [c["summary"] for o in summary["obstacles"] for c in o["checks"] if c["id"] == "report.tls-failure"]
    assert [f.split(":")[0] for f in failures] == ["sts-policy-fetch-error", "certificate-expired"]
    # The unreadable and the damaged documents are still named, in input order.
    shown = [(Path(json.loads(line)["target"]).name, json.loads(line)["report_type"]) for line in lines[:4]]
    assert shown == [
        ("0000-2-aggregate-damaged.xml", "aggregate"),
        ("0000-3-not-a-report.txt", "invalid"),
        ("0000-7-aggregate-no-metadata.xml", "invalid"),
        ("0001-2-aggregate-damaged.xml", "aggregate"),
    ]


class _CrashesOnTls(ReportChecker):
    """A reader that breaks on one kind of document, as a bug would."""

    def check_now(self, target: Document) -> Report:
        if target.kind == "json":
            raise ValueError("unlucky")
        return super().check_now(target)


def test_a_crash_in_a_worker_is_that_documents_error_and_the_run_goes_on(tmp_path):
    names = ("aggregate-rfc7489.xml", "tlsrpt-rfc8460.json", "aggregate-rfc9990.xml") * 3
    paths = []
    for number, name in enumerate(names):
        paths.append(tmp_path / f"{number}-{name}")
        shutil.copyfile(REPORTS / name, paths[-1])
    request = ReportRequest(SourceSpec(files=tuple(map(str, paths))), dns=False)
    checker = _CrashesOnTls(dns=False, summary=False)
    shown: list[Report] = []
    outcome = run_in_workers(checker, request, NetworkOptions(), map(str, paths), 2, 3, shown.append, shown.append, keep=True)
    assert [r.target for r in shown] == [str(p) for p in paths]
    assert [r.status for r in shown] == [Status.WARN, Status.ERROR, Status.PASS] * 3
    crashed = shown[4].checks[0]
    assert (crashed.id, crashed.summary) == ("run.crash", f"checking {paths[4]} crashed: ValueError: unlucky")
    assert (outcome.count, outcome.worst) == (9, Status.ERROR)


def test_few_paths_stay_in_one_process_and_a_short_input_forks_fewer_workers():
    names = [f"{n:03d}.xml" for n in range(300)]
    eight = Parallel(workers=8, min_paths=10, batch=5)
    assert spread(iter(names[:9]), eight) is None
    assert spread(iter(names), Parallel(workers=1, min_paths=1)) is None
    paths, workers = spread(iter(names[:30]), eight)
    assert (list(paths), workers) == (names[:30], 3)  # two batches of 5 each
    paths, workers = spread(iter(names), eight)
    assert (list(paths), workers) == (names, 8)


def _slow_for_even(batch: list[str]) -> str:
    if int(batch[0]) % 2 == 0:
        time.sleep(0.05)
    return "+".join(batch)


def test_results_come_in_input_order_however_long_each_batch_takes():
    taken: list[str] = []
    map_in_order(_slow_for_even, ([str(n), f"{n}b"] for n in range(12)), 2, taken.append)
    assert taken == [f"{n}+{n}b" for n in range(12)]


def _refuses(batch: list[str]) -> str:
    if batch == ["bad"]:
        raise BadInput("a path went missing")
    if batch == ["broken"]:
        raise KeyError("no such thing")
    return batch[0]


def test_a_workers_bad_input_and_failure_end_the_run_here():
    with pytest.raises(BadInput, match="a path went missing"):
        map_in_order(_refuses, iter([["ok"], ["bad"], ["ok"]]), 2, lambda _: None)
    with pytest.raises(RuntimeError, match="a worker process failed: KeyError: 'no such thing'"):
        map_in_order(_refuses, iter([["ok"], ["broken"]]), 2, lambda _: None)


def test_the_cli_over_many_files_writes_what_one_process_writes(tmp_path):
    inbox = maildir(tmp_path, 60)  # 540 files: past the point where workers pay off
    result = run_cli("report", "--maildir", str(inbox), "--no-dns", "--format", "jsonl")
    assert result.exit_code == 3  # the unreadable documents: no verdict on them
    lines = result.stdout.splitlines()
    assert len(lines) == 60 * (len(MIXED) + 1)
    request = ReportRequest(SourceSpec(maildirs=(str(inbox),)), dns=False)
    one = Lines()
    run_report(request, NetworkOptions(), one, keep=False, parallel=ONE_PROCESS)
    version = json.loads(lines[0])["tool"]["version"]
    assert lines == [line.replace('"version":"test"', f'"version":"{version}"', 1) for line in one.lines]
    summary = run_cli("report", "--maildir", str(inbox), "--no-dns", "--summary")
    assert summary.exit_code == 3
    assert mentions(summary.stdout, "report.by-org", "480 reports read", "120 unreadable", "60 failure reports")
    assert "192.0.2.200: 1,440 messages, 0.0% pass" in summary.stdout


def test_ctrl_c_ends_the_workers_and_leaves_whole_lines(tmp_path):
    inbox = maildir(tmp_path, 400)  # 3,600 files: seconds of work
    process = popen_mailcheck(
        "report", "--maildir", str(inbox), "--no-dns", "--format", "jsonl",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=False, bufsize=0,
    )  # fmt: skip
    try:
        first = process.stdout.readline().decode()
        process.send_signal(signal.SIGINT)
        rest_bytes, stderr_bytes = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    stderr = stderr_bytes.decode()
    assert process.returncode == 130, stderr
    lines = [first, *rest_bytes.decode().splitlines(keepends=True)]
    assert all(line.endswith("\n") for line in lines)
    documents = [json.loads(line) for line in lines]
    assert 1 <= len(documents) < 400 * (len(MIXED) + 1)
    assert documents[0]["target"] == str(inbox / "cur" / "0000-0-aggregate-rfc7489.xml")
    assert "Traceback" not in stderr
    # No worker outlives the run.
    leftover = subprocess.run(["pgrep", "-f", f"--maildir {inbox}"], capture_output=True, text=True)
    assert leftover.stdout == ""
