"""``mailcheck report``: every document of the sources read, judged, and summed up.

Sources are expanded into documents before the run loop (a zip or a message with
several attachments is several documents), so each document is its own report. Many
files read without DNS go over worker processes instead (``run_in_workers``, see
mailcheck.commands.report_workers), with the same output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from mailcheck.commands.report_workers import Parallel, batches, map_in_order, spread
from mailcheck.model import Check, Obstacle, Report, RunOutcome, SplitReportHandler, Status
from mailcheck.reports import judge
from mailcheck.reports.aggregate import AggregateReport
from mailcheck.reports.containers import Document, documents
from mailcheck.reports.failure import FailureReport
from mailcheck.reports.reading import Invalid, Reading, damage_check, invalid_check, read_check, read_document
from mailcheck.reports.summary import Tally
from mailcheck.reports.tlsrpt import TlsReport
from mailcheck.run import DnsScope, Env, run_targets
from mailcheck.sources import SourceSpec, document_paths, open_sources, read_path

if TYPE_CHECKING:
    from mailcheck.runtime import NetworkOptions

# The checks against today's DNS that a --summary carries over from its documents.
SUMMARY_CROSS_CHECKS = frozenset({"report.spf-source", "report.dkim-selector", "report.tls-failure"})
MAX_SUMMARY_CROSS_CHECKS = 200


@dataclass(frozen=True)
class ReportRequest:
    """What ``mailcheck report`` was asked: which documents, and how to judge them."""

    sources: SourceSpec
    # Cross-check against the live DNS (left out with --offline / --no-dns).
    dns: bool = True
    summary: bool = False


@dataclass(frozen=True)
class _Read:
    """One document read: the report (or why none), its damage, its failing sources."""

    reading: Reading
    damage: tuple[str, ...]
    failing: list[judge.Source]


@dataclass
class ReportChecker:
    """Reads and judges one document; adds what it read to the run's tally (summed up
    only for a summary; counted otherwise)."""

    dns: bool
    summary: bool = True
    tally: Tally = field(default_factory=Tally)
    command: str = "report"

    def label(self, target: Document) -> str:
        return target.label

    def check_now(self, target: Document) -> Report:
        """The whole report of a document without DNS (the run loop's ImmediateCheck)."""
        return self._report(target.label, self._read(target), {}, [])

    async def check(self, target: Document, env: Env) -> Report:
        if not self.dns:
            return self.check_now(target)
        read = self._read(target)
        reading = read.reading
        names: dict[str, str] = {}
        cross_checks: list[Check] = []
        from mailcheck.reports import cross_checks as today

        if isinstance(reading, AggregateReport):
            names = await today.reverse_names(read.failing, env)
            cross_checks = await today.cross_check_aggregate(reading, env)
        elif isinstance(reading, TlsReport):
            cross_checks = await today.cross_check_tls(reading, env)
        elif isinstance(reading, FailureReport):
            cross_checks = await today.cross_check_failure(reading, env)
        return self._report(target.label, read, names, cross_checks)

    def _read(self, target: Document) -> _Read:
        reading, damage = read_document(target)
        if isinstance(reading, Invalid):
            self.tally.add_invalid()
            return _Read(reading, damage, [])
        failing = judge.failing_sources(reading.records) if isinstance(reading, AggregateReport) else []
        if self.summary:
            self.tally.add(reading, failing)
        else:
            self.tally.count_read()
        return _Read(reading, damage, failing)

    def _report(self, subject: str, read: _Read, names: dict[str, str], cross_checks: list[Check]) -> Report:
        """``cross_checks``: what today's DNS says, after the document's own judgements."""
        reading = read.reading
        if isinstance(reading, Invalid):
            return _report(subject, "invalid", [invalid_check(subject, reading)], [], [])
        checks = [read_check(subject, reading)]
        if read.damage:
            checks.append(damage_check(subject, read.damage))
        if isinstance(reading, AggregateReport):
            authentication = judge.aggregate_judgements(subject, reading, read.failing, names) + cross_checks
            return _report(subject, "aggregate", checks, authentication, [])
        if isinstance(reading, TlsReport):
            return _report(subject, "smtp_tls", checks, [], judge.tls_judgements(subject, reading) + cross_checks)
        return _report(subject, "failure", checks, cross_checks, [])


def _report(subject: str, kind: str, read: list[Check], authentication: list[Check], transport: list[Check]) -> Report:
    obstacles = [Obstacle("report", "Report", tuple(read))]
    if authentication:
        obstacles.append(Obstacle("authentication", "Authentication", tuple(authentication)))
    if transport:
        obstacles.append(Obstacle("transport", "Transport", tuple(transport)))
    return Report("report", subject, tuple(obstacles), extra={"report_type": kind})


class CrossChecks:
    """What a --summary carries over from its documents' checks (today's DNS, the TLS
    failures): the first of each check and subject, at most MAX_SUMMARY_CROSS_CHECKS."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str, str], Check] = {}

    def add_report(self, report: Report) -> None:
        if report.extra.get("report_type") != "invalid":
            for check in report.checks:
                if check.id in SUMMARY_CROSS_CHECKS:
                    self.add(check)

    def add(self, check: Check) -> None:
        if len(self.found) < MAX_SUMMARY_CROSS_CHECKS:
            self.found.setdefault((check.id, check.subject, str(check.details.get("result_type", ""))), check)


def _shown(report: Report, summary: bool, cross_checks: CrossChecks) -> Report | None:
    """What a run shows of one document's report: all of it, or under --summary an
    unreadable document's and a damaged one's damage (its totals may be short), the
    checks the summary carries over having gone to ``cross_checks``."""
    if summary:
        cross_checks.add_report(report)
    if not summary or report.extra.get("report_type") == "invalid":
        return report
    damage = [check for check in report.checks if check.id == "report.damage"]
    if not damage:
        return None
    return Report(report.command, report.target, (Obstacle("report", "Report", tuple(damage)),), extra=report.extra)


def report_documents(spec: SourceSpec) -> Iterator[Document]:
    """Every document of every source, lazily (paths are checked at once: BadInput)."""
    sources = open_sources(spec)

    def expand() -> Iterator[Document]:
        for source in sources:
            yield from documents(source, spec.max_size)

    return expand()


def run_report(
    request: ReportRequest,
    network: NetworkOptions,
    on_report: Callable[[Report], None],
    keep: bool,
    *,
    parallel: Parallel | None = None,
) -> tuple[RunOutcome[Document], Tally]:
    """Run every document; with ``summary`` only unreadable documents are handed over
    one by one, then the summary report last. ``parallel``: when the documents go
    over worker processes (by default: from 500 files on, one a core)."""
    checker = ReportChecker(dns=request.dns, summary=request.summary)
    kept: list[Report] = []
    cross_checks = CrossChecks()

    def hand_over(report: Report) -> None:
        shown = _shown(report, request.summary, cross_checks)
        if shown is not None:
            show(shown)

    def show(shown: Report) -> None:
        on_report(shown)
        if keep and request.summary:
            kept.append(shown)

    scope = DnsScope.RUN if request.dns else DnsScope.NONE
    plan = parallel or Parallel()
    spread_paths = _paths_for_workers(request, plan, on_report, keep)
    if spread_paths is not None:
        paths, workers = spread_paths
        outcome = run_in_workers(checker, request, network, paths, workers, plan.batch, on_report, show, keep, cross_checks)
    else:
        targets = report_documents(request.sources)
        outcome = run_targets(checker, targets, network, scope=scope, on_report=hand_over, keep=keep and not request.summary)
    if request.summary:
        summary = checker.tally.report(tuple(cross_checks.found.values()))
        on_report(summary)
        outcome.reports = (kept + [summary]) if keep else []
    return outcome, checker.tally


# -- over worker processes (see mailcheck.commands.report_workers) ----------------------


@runtime_checkable
class FoldingHandler(SplitReportHandler, Protocol):
    """A SplitReportHandler whose digests of consecutive reports fold into one: a
    worker then sends one digest a batch (its lines as one text), and this process
    takes, and writes, one a batch."""

    def fold(self, digests: list[Any]) -> Any: ...


@dataclass(frozen=True)
class _Batch:
    """What a worker sends back for a batch of paths: how many documents and their
    worst status, what the run shows of them (rendered lines where the handler has a
    digest, else the reports), and their tally."""

    count: int
    worst: Status
    shown: list[Any]
    tally: Tally
    # Under --summary, the batch's checks the summary carries over, in input order.
    cross_checks: list[Check]


def _paths_for_workers(
    request: ReportRequest, plan: Parallel, on_report: Callable[[Report], None], keep: bool
) -> tuple[Iterator[str], int] | None:
    """The paths to hand out and to how many workers, when the run goes over workers:
    many files, no DNS, and little coming back (a summary's few reports, or lines a
    worker renders)."""
    if request.dns or (plan.workers is not None and plan.workers < 2):
        return None
    if not (request.summary or (not keep and isinstance(on_report, SplitReportHandler))):
        return None
    open_sources(request.sources)  # every path checked now (BadInput), as in one process
    paths = document_paths(request.sources)
    return None if paths is None else spread(paths, plan)


def run_in_workers(
    checker: ReportChecker,
    request: ReportRequest,
    network: NetworkOptions,
    paths: Iterable[str],
    workers: int,
    batch_size: int,
    on_report: Callable[[Report], None],
    show: Callable[[Report], None],
    keep: bool,
    cross_checks: CrossChecks | None = None,
) -> RunOutcome[Document]:
    """``checker`` over the documents of ``paths`` in ``workers`` processes, ``batch_size``
    paths a message. With
    ``keep`` False and an ``on_report`` that is a SplitReportHandler, a worker renders
    its digests (folded by batch for a FoldingHandler) and ``on_report.take`` gets
    them here; else ``show`` gets each report the run shows (mailcheck.commands.report._shown).
    Under --summary, ``cross_checks`` gets the checks the summary carries over."""
    digest = on_report.digest if isinstance(on_report, SplitReportHandler) and not keep else None
    max_size = request.sources.max_size

    def judge_batch(batch: list[str]) -> _Batch:
        """In a worker: the batch's documents through the run loop, as in one process."""
        checker.tally = Tally()
        shown: list[Any] = []
        carried = CrossChecks()

        def keep_shown(report: Report) -> None:
            view = _shown(report, request.summary, carried)
            if view is not None:
                shown.append(digest(view) if digest is not None else view)

        targets = (document for path in batch for document in documents(read_path(path, max_size), max_size))
        done = run_targets(checker, targets, network, scope=DnsScope.NONE, on_report=keep_shown, keep=False)
        if digest is not None and isinstance(on_report, FoldingHandler) and shown:
            shown = [on_report.fold(shown)]
        return _Batch(done.count, done.worst, shown, checker.tally, list(carried.found.values()))

    outcome: RunOutcome[Document] = RunOutcome()
    tally = checker.tally

    def take(batch: _Batch) -> None:
        """Here, in input order: the batch's lines written, its tally added."""
        outcome.count += batch.count
        outcome.worst = Status.worst((outcome.worst, batch.worst))
        for item in batch.shown:
            if digest is not None and isinstance(on_report, SplitReportHandler):
                on_report.take(item)
            else:
                show(item)
        tally.merge(batch.tally)
        if cross_checks is not None:
            for check in batch.cross_checks:
                cross_checks.add(check)

    map_in_order(judge_batch, batches(paths, batch_size), workers, take)
    return outcome
