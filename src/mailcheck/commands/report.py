"""``mailcheck report``: every document of the sources read, judged, and summed up.

Sources are expanded into documents before the run loop (a zip or a message with
several attachments is several documents), so each document is its own report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailcheck.model import Check, Obstacle, Report, RunOutcome
from mailcheck.reports import judge
from mailcheck.reports.aggregate import AggregateReport
from mailcheck.reports.containers import Document, documents
from mailcheck.reports.failure import FailureReport
from mailcheck.reports.reading import Invalid, Reading, damage_check, invalid_check, read_check, read_document
from mailcheck.reports.summary import Tally
from mailcheck.reports.tlsrpt import TlsReport
from mailcheck.run import DnsScope, Env, run_targets
from mailcheck.sources import SourceSpec, open_sources

if TYPE_CHECKING:
    from mailcheck.runtime import NetworkOptions

# The checks against today's DNS that a --summary carries over from its documents.
SUMMARY_CROSS_CHECKS = frozenset({"report.spf-source", "report.dkim-selector", "report.tls-failure"})
MAX_SUMMARY_CROSS_CHECKS = 200


@dataclass(frozen=True)
class ReportRequest:
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
        if isinstance(reading, AggregateReport):
            names = await judge.reverse_names(read.failing, env)
            cross_checks = await judge.cross_check_aggregate(reading, env)
        elif isinstance(reading, TlsReport):
            cross_checks = await judge.cross_check_tls(reading, env)
        elif isinstance(reading, FailureReport):
            cross_checks = await judge.cross_check_failure(reading, env)
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
) -> tuple[RunOutcome[Document], Tally]:
    """Run every document; with ``summary`` only unreadable documents are handed over
    one by one, then the summary report last."""
    checker = ReportChecker(dns=request.dns, summary=request.summary)
    targets = report_documents(request.sources)
    kept: list[Report] = []
    # Under --summary, what today's DNS says is kept once per check and subject.
    cross_checks: dict[tuple[str, str, str], Check] = {}

    def hand_over(report: Report) -> None:
        if request.summary and report.extra.get("report_type") != "invalid":
            for check in report.checks:
                if check.id in SUMMARY_CROSS_CHECKS and len(cross_checks) < MAX_SUMMARY_CROSS_CHECKS:
                    key = (check.id, check.subject, str(check.details.get("result_type", "")))
                    cross_checks.setdefault(key, check)
            damage = [check for check in report.checks if check.id == "report.damage"]
            if not damage:
                return
            # A damaged document is still named: its totals in the summary may be short.
            report = Report(report.command, report.target, (Obstacle("report", "Report", tuple(damage)),), extra=report.extra)
        on_report(report)
        if keep and request.summary:
            kept.append(report)

    scope = DnsScope.RUN if request.dns else DnsScope.NONE
    outcome = run_targets(checker, targets, network, scope=scope, on_report=hand_over, keep=keep and not request.summary)
    if request.summary:
        summary = checker.tally.report(tuple(cross_checks.values()))
        on_report(summary)
        outcome.reports = (kept + [summary]) if keep else []
    return outcome, checker.tally
