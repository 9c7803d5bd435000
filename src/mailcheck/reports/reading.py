"""One document read: an aggregate, failure or TLS report, or exactly why it is none.

The checks here say what was read (``report.aggregate``, ``report.failure``,
``report.smtp-tls``), what was wrong with it but still read (``report.damage``), and
what could not be read at all (``report.invalid``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.model import Check, Status
from mailcheck.reports.aggregate import AggregateReport, read_aggregate
from mailcheck.reports.containers import Document
from mailcheck.reports.failure import FailureReport, read_exim_report, read_failure_report
from mailcheck.reports.tlsrpt import TlsReport, read_tls_report
from mailcheck.reports.values import NotAReport
from mailcheck.words import counted

INVALID = CheckSpec(
    id="report.invalid",
    title="The document is a report mailcheck can read",
    verifies=(
        "Reads the document as a DMARC aggregate report (XML), a DMARC failure report (an ARF "
        "message or Exim's text form) or an SMTP TLS report (JSON), after unpacking gzip, zip "
        "and email attachments. A document none of these can read is an error naming the "
        "element or field that is missing or wrong, and the line."
    ),
    why=(
        "Reports come from many receivers' software and some are broken. Knowing which element "
        "of which file is wrong tells whether the reporter or the mailbox that received it "
        "is at fault, and the other documents of the run are still read."
    ),
    example=Example(
        bad="<feedback>\n  <policy_published>...</policy_published>\n</feedback>",
        good="<feedback>\n  <report_metadata>...</report_metadata>\n  <policy_published>...</policy_published>\n</feedback>",
        why="An aggregate report needs its report_metadata: who reported, the report id and the dates.",
    ),
    refs=("RFC 7489 §7.2", "RFC 8460 §4"),
)

DAMAGE = CheckSpec(
    id="report.damage",
    title="The report was read whole",
    verifies=(
        "Lists what had to be repaired or left out to read the report: bytes that are not "
        "UTF-8, control bytes, a bare ampersand, a file cut short, upper-case values, counts "
        "sent as strings, records that could not be read. Each is a warning; the rest of the "
        "report is read."
    ),
    why=(
        "A repaired report may miss records, so its totals can be lower than what the receiver "
        "saw. A reporter that sends damaged reports every day is worth telling."
    ),
    example=Example(
        bad="<org_name>AT&T</org_name>",
        good="<org_name>AT&amp;T</org_name>",
        why="In XML an ampersand starts an entity; a literal one is written &amp;.",
    ),
    refs=("RFC 7489 §7.2.1.1",),
)

AGGREGATE = CheckSpec(
    id="report.aggregate",
    title="A DMARC aggregate report",
    verifies=(
        "Reads the report's metadata, the policy the receiver saw published and every record "
        "(source IP, count, evaluated policy, identifiers, DKIM and SPF results), with "
        "parsedmarc's field names and dates in UTC. The summary gives the messages, sources "
        "and the share that passed DMARC."
    ),
    why=(
        "Aggregate reports are the only view a domain owner has of who sends mail in the "
        "domain's name, and whether receivers see it authenticated."
    ),
    example=Example(
        bad='_dmarc.example.com. TXT "v=DMARC1; p=none"',
        good='_dmarc.example.com. TXT "v=DMARC1; p=none; rua=mailto:dmarc@example.com"',
        why="Receivers only send aggregate reports to the rua= addresses the record names.",
    ),
    refs=("RFC 7489 §7.2", "RFC 9990"),
)

FAILURE = CheckSpec(
    id="report.failure",
    title="A DMARC failure report",
    verifies=(
        "Reads a failure report (an ARF message after RFC 6591 or RFC 9991, or the plain-text "
        "report Exim sends): the feedback type, the reported domain, the source IP, the "
        "arrival date, the envelope addresses and which authentication failed. Each is a "
        "warning, since a message in the domain's name failed."
    ),
    why=(
        "A failure report is one message that failed DMARC, sent as it happened: the quickest "
        "sign of a new unauthenticated sender or of spoofing."
    ),
    example=Example(
        bad='_dmarc.example.com. TXT "v=DMARC1; p=none; ruf=dmarc-failures@example.com"',
        good='_dmarc.example.com. TXT "v=DMARC1; p=none; ruf=mailto:dmarc-failures@example.com; fo=1"',
        why="ruf= takes mailto: URIs; fo=1 asks for a report when any mechanism fails.",
    ),
    refs=("RFC 6591 §3", "RFC 7489 §7.3"),
)

SMTP_TLS = CheckSpec(
    id="report.smtp-tls",
    title="An SMTP TLS report",
    verifies=(
        "Reads an RFC 8460 report: the reporting organization, dates, and per policy (sts, "
        "tlsa, no-policy-found) the successful and failed session counts and the failure "
        "details. Passes when no session failed, warns when some did, fails when none "
        "succeeded."
    ),
    why=(
        "A sender that enforces MTA-STS or DANE does not deliver over a connection it cannot "
        "secure; the TLS report is how the receiving domain learns that mail is waiting."
    ),
    example=Example(
        bad='_smtp._tls.example.com. TXT "v=TLSRPTv1"',
        good='_smtp._tls.example.com. TXT "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"',
        why="Without a rua= destination no TLS report is sent.",
    ),
    refs=("RFC 8460 §4",),
)


@dataclass(frozen=True)
class Invalid:
    """Why a document is not a report mailcheck can read, and the line where it shows."""

    reason: str
    line: int | None


Reading = AggregateReport | FailureReport | TlsReport | Invalid


_READERS: dict[str, Callable[[bytes], AggregateReport | FailureReport | TlsReport]] = {
    "xml": read_aggregate,
    "json": read_tls_report,
    "failure": read_failure_report,
    "exim": read_exim_report,
}


def read_document(document: Document) -> tuple[Reading, tuple[str, ...]]:
    """The report the document holds (or why none), and the damage met on the way."""
    if document.problem is not None:
        return Invalid(document.problem, None), document.damage
    reader = _READERS.get(document.kind)
    if reader is None:
        return Invalid("not a report", None), document.damage
    try:
        report = reader(document.data)
    except NotAReport as exc:
        return Invalid(exc.reason, exc.line), document.damage
    return report, document.damage + report.damage


def invalid_check(subject: str, invalid: Invalid) -> Check:
    where = f" (line {invalid.line})" if invalid.line else ""
    return INVALID.error(
        subject,
        f"not a report mailcheck can read{where}: {invalid.reason}",
        details={"reason": invalid.reason, "line": invalid.line},
        fix="Check that the file is the report as the receiver sent it; if it is, the reporter sends a malformed report.",
    )


def damage_check(subject: str, damage: tuple[str, ...]) -> Check:
    first = damage[0] + (f" (and {len(damage) - 1} more)" if len(damage) > 1 else "")
    return DAMAGE.warn(
        subject,
        f"read with repairs: {first}",
        details={"problems": list(damage)},
        fix="The totals may miss what was left out; ask the reporter for a clean copy if they matter.",
    )


def read_check(subject: str, report: AggregateReport | FailureReport | TlsReport) -> Check:
    if isinstance(report, AggregateReport):
        return _aggregate_check(subject, report)
    if isinstance(report, FailureReport):
        return _failure_check(subject, report)
    return _tls_check(subject, report)


def _aggregate_check(subject: str, report: AggregateReport) -> Check:
    meta, policy = report.metadata, report.policy
    messages, passing = report.messages, report.passing
    share = f"{passing / messages:.1%}" if messages else "n/a"
    sources = len({record.source_ip for record in report.records})
    return AGGREGATE.info(
        subject,
        f"{meta.org_name} on {policy.domain} (p={policy.p}), {meta.begin_date[:10]} to {meta.end_date[:10]}: "
        f"{counted(messages, 'message')} from {counted(sources, 'source')}, {share} pass DMARC",
        details=report.to_details(),
    )


def _failure_check(subject: str, report: FailureReport) -> Check:
    failed = ", ".join(report.auth_failure) or "unspecified"
    when = report.arrival_date_utc or "an unknown time"
    return FAILURE.warn(
        subject,
        f"{report.feedback_type} for {report.reported_domain or 'an unnamed domain'}: a message from "
        f"{report.source_ip or 'an unknown IP'} at {when} failed {failed}",
        details=report.to_details(),
        fix="If the source is yours, authenticate it (SPF, aligned DKIM); if not, it is spoofing your domain.",
    )


def _tls_check(subject: str, report: TlsReport) -> Check:
    ok, failed = report.successful, report.failed
    domains = ", ".join(dict.fromkeys(p.policy_domain for p in report.policies)) or "no policy"
    summary = f"{report.organization_name} on {domains}, {report.begin_date[:10]}: {counted(ok, 'session')} succeeded, {failed:,} failed"
    status = Status.PASS if failed == 0 else Status.FAIL if ok == 0 else Status.WARN
    fix = None if status is Status.PASS else "See the failure details below: each names the MX host and the failure type."
    return SMTP_TLS.result(status, subject, summary, details=report.to_details(), fix=fix)
