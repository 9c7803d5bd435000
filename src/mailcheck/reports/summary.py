"""``--summary``: every document of a run folded into tables per reporting organization,
per source and per day, and the readiness verdict per domain over all of them.

The tally keeps counters, never the reports, so a Maildir of 10,000 reports costs the
size of its tables.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.model import Check, Obstacle, Report
from mailcheck.reports.aggregate import AggregateReport
from mailcheck.reports.failure import FailureReport
from mailcheck.reports.judge import Source, readiness_check
from mailcheck.reports.tlsrpt import TlsReport
from mailcheck.words import counted

SUMMARY_TARGET = "summary"
# Rows of the source table shown; the JSON keeps them all.

BY_ORG = CheckSpec(
    id="report.by-org",
    title="Reports per reporting organization",
    verifies=(
        "Over every document of the run: per reporting organization, the reports read, the "
        "messages (or TLS sessions) they cover and the share that passed DMARC (or succeeded)."
    ),
    why=(
        "Each large receiver sees a different part of the domain's mail; one organization "
        "with a low pass rate points at the senders that reach its users."
    ),
    example=Example(
        bad="google.com  30 reports  12,400 messages  71.0% pass",
        good="google.com  30 reports  12,400 messages  99.7% pass",
        why="Once every sender is aligned, every receiver sees the domain's mail pass.",
    ),
    refs=("RFC 7489 §7.2",),
)

BY_SOURCE = CheckSpec(
    id="report.by-source",
    title="Mail per sending source",
    verifies=(
        "Over every aggregate report of the run: per source IP, the messages, the share that "
        "passed DMARC, the header From domains and the organizations that saw it, largest first."
    ),
    why="It is the list of who sends as the domain: each line is a service to authenticate or a spoofer to reject.",
    example=Example(
        bad="192.0.2.7  4,100 messages  0.0% pass  example.com",
        good="192.0.2.7  4,100 messages  100.0% pass  example.com",
        why="The source was added to SPF and signs with aligned DKIM.",
    ),
    refs=("RFC 7489 §7.2",),
)

BY_DAY = CheckSpec(
    id="report.by-day",
    title="Mail per day",
    verifies=(
        "Over every aggregate report of the run: per day (the report's begin date, UTC), the "
        "messages and the share that passed DMARC, so a change in a sender shows on the day it happened."
    ),
    why="A drop in the pass rate on one day is a new sender, a broken key or a changed record that day.",
    example=Example(
        bad="2026-11-29  3,000 messages  99.1% pass\n2026-11-30  3,100 messages  62.4% pass",
        good="2026-11-29  3,000 messages  99.1% pass\n2026-11-30  3,100 messages  99.3% pass",
        why="The day's drop was a DKIM key rotated without publishing the new selector; it was published.",
    ),
    refs=("RFC 7489 §7.2",),
)


@dataclass
class _Org:
    """One reporting organization's share of the summary."""

    kind: str
    reports: int = 0
    messages: int = 0
    passing: int = 0


@dataclass
class _Source:
    """One sending IP's share of the summary: its messages and who it sent as."""

    messages: int = 0
    passing: int = 0
    domains: Counter[str] = field(default_factory=Counter)
    orgs: set[str] = field(default_factory=set)


@dataclass
class _Domain:
    """One reported domain's share of the summary: its policy and its failing senders."""

    policy: str = "none"
    messages: int = 0
    passing: int = 0
    forwarded: int = 0
    failing: Counter[str] = field(default_factory=Counter)
    last_end: str = ""


@dataclass
class Tally:
    """What every document of a run adds up to."""

    documents: int = 0
    invalid: int = 0
    failure_reports: int = 0
    orgs: dict[tuple[str, str], _Org] = field(default_factory=dict)
    sources: dict[str, _Source] = field(default_factory=dict)
    days: dict[str, list[int]] = field(default_factory=dict)
    domains: dict[str, _Domain] = field(default_factory=dict)
    failures_by_domain: Counter[str] = field(default_factory=Counter)
    tls: dict[str, list[int]] = field(default_factory=dict)

    @property
    def readable(self) -> int:
        return self.documents - self.invalid

    def count_read(self) -> None:
        """One more document read, counted but not summed up (no summary asked for)."""
        self.documents += 1

    def add_invalid(self) -> None:
        self.documents += 1
        self.invalid += 1

    def add(self, report: AggregateReport | FailureReport | TlsReport, failing: Sequence[Source] = ()) -> None:
        """``failing``: an aggregate report's ``failing_sources``, when the caller has them."""
        self.documents += 1
        if isinstance(report, AggregateReport):
            self._aggregate(report, failing)
        elif isinstance(report, TlsReport):
            org = self.orgs.setdefault((report.organization_name, "smtp_tls"), _Org("smtp_tls"))
            org.reports += 1
            org.messages += report.successful + report.failed
            org.passing += report.successful
            for policy in report.policies:
                counts = self.tls.setdefault(policy.policy_domain, [0, 0])
                counts[0] += policy.successful_session_count
                counts[1] += policy.failed_session_count
        else:
            self.failure_reports += 1
            self.failures_by_domain[report.reported_domain or "?"] += 1

    def merge(self, later: Tally) -> None:
        """Add the tally of the documents that come after this one's (a worker's
        batch): the same tables as if one tally had seen them all in that order."""
        self.documents += later.documents
        self.invalid += later.invalid
        self.failure_reports += later.failure_reports
        for key, org in later.orgs.items():
            mine = self.orgs.setdefault(key, _Org(org.kind))
            mine.reports += org.reports
            mine.messages += org.messages
            mine.passing += org.passing
        for ip, source in later.sources.items():
            seen = self.sources.get(ip)
            if seen is None:
                self.sources[ip] = source
                continue
            seen.messages += source.messages
            seen.passing += source.passing
            seen.domains.update(source.domains)
            seen.orgs |= source.orgs
        for day, (messages, passing) in later.days.items():
            counts = self.days.setdefault(day, [0, 0])
            counts[0] += messages
            counts[1] += passing
        for name, domain in later.domains.items():
            mine_domain = self.domains.setdefault(name, _Domain())
            # The policy of the latest report, the later document on a tie (as add does).
            if domain.last_end >= mine_domain.last_end:
                mine_domain.policy, mine_domain.last_end = domain.policy, domain.last_end
            mine_domain.messages += domain.messages
            mine_domain.passing += domain.passing
            mine_domain.forwarded += domain.forwarded
            mine_domain.failing.update(domain.failing)
        self.failures_by_domain.update(later.failures_by_domain)
        for name, (ok, failed) in later.tls.items():
            counts = self.tls.setdefault(name, [0, 0])
            counts[0] += ok
            counts[1] += failed

    def _aggregate(self, report: AggregateReport, failing: Sequence[Source]) -> None:
        name = report.metadata.org_name
        org = self.orgs.setdefault((name, "aggregate"), _Org("aggregate"))
        org.reports += 1
        org.messages += report.messages
        org.passing += report.passing
        day = self.days.setdefault(report.metadata.begin_date[:10], [0, 0])
        day[0] += report.messages
        day[1] += report.passing
        domain = self.domains.setdefault(report.policy.domain, _Domain())
        if report.metadata.end_date >= domain.last_end:
            domain.policy, domain.last_end = report.policy.p, report.metadata.end_date
        domain.messages += report.messages
        domain.passing += report.passing
        for source in failing:
            domain.failing[source.ip] += source.messages
        domain.forwarded += sum(
            r.count for r in report.records if not r.passes and any(x.type in _FORWARDED for x in r.override_reasons)
        )
        for record in report.records:
            seen = self.sources.get(record.source_ip)
            if seen is None:
                seen = self.sources[record.source_ip] = _Source()
            seen.messages += record.count
            seen.passing += record.count if record.passes else 0
            seen.domains[record.header_from] += record.count
            seen.orgs.add(name)

    # -- the report ---------------------------------------------------------------

    def tables(self) -> dict[str, Any]:
        return {
            "documents": {"read": self.readable, "invalid": self.invalid, "failure_reports": self.failure_reports},
            "organizations": [
                {
                    "org_name": name,
                    "report_type": kind,
                    "reports": o.reports,
                    "messages": o.messages,
                    "passing": o.passing,
                    "pass_share": _share(o.passing, o.messages),
                }
                for (name, kind), o in sorted(self.orgs.items(), key=lambda item: (-item[1].messages, item[0]))
            ],
            "sources": [
                {
                    "ip_address": ip,
                    "messages": s.messages,
                    "passing": s.passing,
                    "pass_share": _share(s.passing, s.messages),
                    "header_from": [d for d, _ in s.domains.most_common()],
                    "reporters": sorted(s.orgs),
                }
                for ip, s in sorted(self.sources.items(), key=lambda item: (-item[1].messages, item[0]))
            ],
            "days": [
                {"date": day, "messages": m, "passing": p, "pass_share": _share(p, m)}
                for day, (m, p) in sorted(self.days.items())
            ],
            "domains": [
                {
                    "domain": name,
                    "policy": d.policy,
                    "messages": d.messages,
                    "passing": d.passing,
                    "pass_share": _share(d.passing, d.messages),
                }
                for name, d in sorted(self.domains.items())
            ],
            "tls_policies": [
                {"policy_domain": name, "successful_session_count": ok, "failed_session_count": failed}
                for name, (ok, failed) in sorted(self.tls.items())
            ],
            "failure_reports": dict(self.failures_by_domain),
        }

    def report(self, cross_checks: Sequence[Check] = ()) -> Report:
        """The summary report; ``cross_checks`` are the documents' checks against today's DNS."""
        tables = self.tables()
        checks: list[Check] = []
        orgs = tables["organizations"]
        checks.append(
            BY_ORG.info(
                "organizations",
                f"{counted(len(orgs), 'reporting organization')}, {counted(self.readable, 'report')} read"
                + (f", {self.invalid:,} unreadable" if self.invalid else "")
                + (f", {counted(self.failure_reports, 'failure report')}" if self.failure_reports else ""),
                details={"organizations": orgs},
            )
        )
        sources = tables["sources"]
        if sources:
            checks.append(
                BY_SOURCE.info(
                    "sources",
                    f"{counted(len(sources), 'source')} sent {counted(sum(s['messages'] for s in sources), 'message')}",
                    details={"sources": sources},
                )
            )
            days = tables["days"]
            checks.append(
                BY_DAY.info(
                    "days",
                    f"{len(days)} days, {days[0]['date']} to {days[-1]['date']}",
                    details={"days": days},
                )
            )
        readiness = [
            readiness_check(
                name,
                d.policy,
                d.messages,
                d.passing,
                d.forwarded,
                [Source(ip, n, (), "", "", "", False) for ip, n in d.failing.most_common()],
            )
            for name, d in sorted(self.domains.items())
        ]
        obstacles = [Obstacle("summary", "Summary", tuple(checks))]
        authentication = [*readiness, *(c for c in cross_checks if c.id != "report.tls-failure")]
        if authentication:
            obstacles.append(Obstacle("authentication", "Authentication", tuple(authentication)))
        transport = [c for c in cross_checks if c.id == "report.tls-failure"]
        if transport:
            obstacles.append(Obstacle("transport", "Transport", tuple(transport)))
        return Report("report", SUMMARY_TARGET, tuple(obstacles), extra={"report_type": "summary", "summary": tables})


_FORWARDED = frozenset({"forwarded", "mailing_list", "trusted_forwarder", "local_policy"})


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
