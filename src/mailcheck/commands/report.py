"""``mailcheck report``: every document of the sources read, judged, and summed up.

Sources are expanded into documents before the run loop (a zip or a message with
several attachments is several documents), so each document is its own report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from mailcheck.model import Check, Obstacle, Report
from mailcheck.reports import judge
from mailcheck.reports.aggregate import AggregateReport
from mailcheck.reports.containers import Document, documents
from mailcheck.reports.failure import FailureReport
from mailcheck.reports.reading import Invalid, damage_check, invalid_check, read_check, read_document
from mailcheck.reports.summary import Tally
from mailcheck.reports.tlsrpt import TlsReport
from mailcheck.run import DnsScope, Env, RunOutcome, run_targets
from mailcheck.runtime import NetworkOptions
from mailcheck.sources import SourceSpec, open_sources

# The checks against today's DNS that a --summary carries over from its documents.
SUMMARY_CROSS_CHECKS = frozenset({"report.spf-source", "report.dkim-selector", "report.tls-failure"})
MAX_SUMMARY_CROSS_CHECKS = 200


@dataclass(frozen=True)
class ReportRequest:
    sources: SourceSpec
    # Cross-check against the live DNS (left out with --offline / --no-dns).
    dns: bool = True
    summary: bool = False


@dataclass
class ReportChecker:
    """Reads and judges one document; adds what it read to the run's tally."""

    dns: bool
    tally: Tally = field(default_factory=Tally)
    command: str = "report"

    def label(self, target: Document) -> str:
        return target.label

    async def check(self, target: Document, env: Env) -> Report:
        reading, damage = read_document(target)
        subject = target.label
        if isinstance(reading, Invalid):
            self.tally.add_invalid()
            return _report(subject, "invalid", [invalid_check(subject, reading)], [], [])
        failing = judge.failing_sources(reading.records) if isinstance(reading, AggregateReport) else []
        self.tally.add(reading, failing)
        read = [read_check(subject, reading)]
        if damage:
            read.append(damage_check(subject, damage))
        authentication: list[Check] = []
        transport: list[Check] = []
        if isinstance(reading, AggregateReport):
            authentication = await judge.aggregate_judgements(subject, reading, failing, env)
            if self.dns:
                authentication += await judge.cross_check_aggregate(reading, env)
            kind = "aggregate"
        elif isinstance(reading, TlsReport):
            transport = judge.tls_judgements(subject, reading)
            if self.dns:
                transport += await judge.cross_check_tls(reading, env)
            kind = "smtp_tls"
        else:
            assert isinstance(reading, FailureReport)
            if self.dns:
                authentication = await judge.cross_check_failure(reading, env)
            kind = "failure"
        return _report(subject, kind, read, authentication, transport)


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
    checker = ReportChecker(dns=request.dns)
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
