"""Judgements on what reports say: who fails alignment, what was forwarded, whether
the domain is ready for p=reject. The checks against today's DNS (an IP missing from
SPF, a DKIM selector without a key, a TLS failure mailcheck's own checks can find) are
declared here too and made in mailcheck.reports.cross_checks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.model import Check, Status
from mailcheck.reports.aggregate import AggregateReport, DkimResult, Record, SpfResult
from mailcheck.reports.tlsrpt import TlsReport
from mailcheck.words import counted

# Per document: the failing sources named, and the lookups a cross-check may make.
MAX_SOURCES = 20
MAX_SELECTORS = 20
# Aligned-pass shares for "ready for p=reject?" (of the mail not forwarded).
READY_SHARE = 0.98
ALMOST_SHARE = 0.90
FORWARDED_TYPES = frozenset({"forwarded", "mailing_list", "trusted_forwarder", "local_policy"})

ALIGNMENT = CheckSpec(
    id="report.alignment",
    title="Every source passes DMARC",
    verifies=(
        "Groups a report's records by source IP and warns for each source whose messages "
        "passed neither aligned SPF nor aligned DKIM, with its message count, the header "
        "From domain, the SPF and DKIM results and, with DNS, its reverse name."
    ),
    why=(
        "A source that fails alignment is either a service of yours that is not set up yet "
        "(it will lose its mail under p=reject) or someone spoofing the domain (p=reject stops it)."
    ),
    example=Example(
        bad='example.com. TXT "v=spf1 include:_spf.google.com -all"   (mail also sent by 192.0.2.7)',
        good='example.com. TXT "v=spf1 include:_spf.google.com ip4:192.0.2.7 -all"',
        why="The sending IP is now authorized for the envelope domain, so SPF passes aligned.",
    ),
    refs=("RFC 7489 §3.1", "RFC 7489 §4.2"),
)

FORWARDING = CheckSpec(
    id="report.forwarding",
    title="Forwarded mail the receiver let through",
    verifies=(
        "Counts the records whose policy_evaluated carries a policy_override_reasons entry "
        "(forwarded, mailing_list, trusted_forwarder, local_policy, sampled_out, other): "
        "mail that failed DMARC but whose disposition the receiver changed."
    ),
    why=(
        "Forwarding breaks SPF, and mailing lists often break DKIM: such mail fails DMARC "
        "without being spoofed. Under p=reject only aligned DKIM that survives (or ARC) saves it."
    ),
    example=Example(
        bad="<reason><type>forwarded</type></reason>   (SPF fail, DKIM fail)",
        good="<reason><type>forwarded</type></reason>   (SPF fail, DKIM pass aligned)",
        why="An aligned DKIM signature survives forwarding, so the message passes DMARC anyway.",
    ),
    refs=("RFC 7489 §6.7", "RFC 7489 §7.2"),
)

READINESS = CheckSpec(
    id="report.readiness",
    title="Ready for p=reject",
    verifies=(
        "Over the mail the reports saw for a domain (forwarded mail set apart), the share that "
        "passed DMARC aligned, and the sources that failed. Passes at 98% or more, warns from "
        "90%, fails below; the summary names the policy published and the largest failing senders."
    ),
    why=(
        "p=reject makes receivers refuse mail that fails DMARC. Moving there while a real "
        "sender still fails loses that sender's mail; staying at p=none leaves the domain open to spoofing."
    ),
    example=Example(
        bad='_dmarc.example.com. TXT "v=DMARC1; p=none"   (82% of mail aligned)',
        good='_dmarc.example.com. TXT "v=DMARC1; p=reject"   (99.6% of mail aligned, the rest spoofed)',
        why="Once every legitimate source passes aligned, only spoofed mail is left to reject.",
    ),
    refs=("RFC 7489 §6.3", "RFC 7489 §10.5"),
)

SPF_SOURCE = CheckSpec(
    id="report.spf-source",
    title="Sending sources are in today's SPF",
    verifies=(
        "For each source whose SPF did not pass in the report, evaluates SPF for it now "
        "(pyspf's check_host() through the run's resolver) for the envelope domain. A source "
        "that passed DKIM aligned but is not in SPF warns; one SPF now authorizes passes."
    ),
    why=(
        "A sender that is yours but missing from SPF depends on DKIM alone: a forwarder or a "
        "broken signature and its mail fails DMARC."
    ),
    example=Example(
        bad='example.com. TXT "v=spf1 mx -all"   (192.0.2.7 sends with DKIM d=example.com)',
        good='example.com. TXT "v=spf1 mx ip4:192.0.2.7 -all"',
        why="The source that signs as the domain is now also authorized by SPF.",
    ),
    refs=("RFC 7208 §4", "RFC 7489 §3.1.2"),
)

DKIM_SELECTOR = CheckSpec(
    id="report.dkim-selector",
    title="DKIM selectors in reports have keys",
    verifies=(
        "For each DKIM selector of the domain that the reports name, looks up "
        "SELECTOR._domainkey.DOMAIN now. A key passes; no record, or an empty p= (revoked), fails."
    ),
    why=(
        "Receivers that saw a selector without a key failed those signatures. If the selector "
        "is yours, publishing its key makes the sender pass; if not, it is spoofing."
    ),
    example=Example(
        bad="s2024._domainkey.example.com.   (NXDOMAIN)",
        good='s2024._domainkey.example.com. TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkq..."',
        why="A signature can only verify against a published public key.",
    ),
    refs=("RFC 6376 §3.6.2",),
)

TLS_FAILURE = CheckSpec(
    id="report.tls-failure",
    title="TLS failures in SMTP TLS reports",
    verifies=(
        "For each failure type of a TLS report's policy (sts-policy-fetch-error, "
        "starttls-not-supported, certificate-expired, tlsa-invalid, ...), the sessions that "
        "failed and the mailcheck check that finds its cause (mta-sts.policy, smtp.starttls, "
        "tls.certificate, dane.tlsa). With DNS, looks up the record the failure depends on."
    ),
    why=(
        "Each failure type points at one thing to repair. Senders that enforce MTA-STS or "
        "DANE hold the mail until it is repaired, then give up."
    ),
    example=Example(
        bad='{"result-type": "sts-policy-fetch-error", "failed-session-count": 3}',
        good="https://mta-sts.example.com/.well-known/mta-sts.txt   (served over valid HTTPS)",
        why="Senders fetch the MTA-STS policy over HTTPS; once it is served, the fetch error goes away.",
    ),
    refs=("RFC 8460 §4.3", "RFC 8461 §3.3"),
)

# RFC 8460 §4.3 result types, and the mailcheck check that diagnoses each.
TLS_FAILURE_CHECKS = {
    "starttls-not-supported": "smtp.starttls",
    "certificate-host-mismatch": "tls.certificate",
    "certificate-expired": "tls.certificate",
    "certificate-not-trusted": "tls.certificate",
    "validation-failure": "tls.certificate",
    "tlsa-invalid": "dane.tlsa",
    "dnssec-invalid": "dnssec.signatures",
    "dane-required": "dane.tlsa",
    "sts-policy-fetch-error": "mta-sts.policy",
    "sts-policy-invalid": "mta-sts.policy",
    "sts-webpki-invalid": "mta-sts.certificate",
}


@dataclass(frozen=True)
class Source:
    """One sending IP of one report, its records folded together."""

    ip: str
    messages: int
    header_from: tuple[str, ...]
    dkim: str
    spf: str
    disposition: str
    dkim_aligned: bool


def failing_sources(records: Iterable[Record]) -> list[Source]:
    """Sources whose mail failed DMARC and was not forwarded, most messages first."""
    by_ip: dict[str, list[Record]] = {}
    for record in records:
        if not record.passes and not is_forwarded(record):
            by_ip.setdefault(record.source_ip, []).append(record)
    sources = [
        Source(
            ip,
            sum(r.count for r in group),
            tuple(dict.fromkeys(r.header_from for r in group)),
            "/".join(dict.fromkeys(_auth(r.dkim_results) for r in group)),
            "/".join(dict.fromkeys(_auth(r.spf_results) for r in group)),
            "/".join(dict.fromkeys(r.disposition for r in group)),
            False,
        )
        for ip, group in by_ip.items()
    ]
    return sorted(sources, key=lambda s: (-s.messages, s.ip))


def is_forwarded(record: Record) -> bool:
    return any(reason.type in FORWARDED_TYPES for reason in record.override_reasons)


def _auth(results: Sequence[DkimResult] | Sequence[SpfResult]) -> str:
    return ",".join(r.result for r in results) or "none"


# -- what one document says --------------------------------------------------------


def aggregate_judgements(
    subject: str, report: AggregateReport, sources: Sequence[Source], reverse_names: Mapping[str, str]
) -> list[Check]:
    """``sources``: ``failing_sources(report.records)``, folded once for the judge and the
    tally; ``reverse_names``: ``await reverse_names(sources, env)``, or none without DNS."""
    checks: list[Check] = []
    names = reverse_names
    for source in sources[:MAX_SOURCES]:
        checks.append(alignment_check(source, names.get(source.ip), report.policy.domain))
    if len(sources) > MAX_SOURCES:
        rest = sum(s.messages for s in sources[MAX_SOURCES:])
        checks.append(
            ALIGNMENT.warn(
                subject,
                f"{counted(len(sources) - MAX_SOURCES, 'more failing source', 'more failing sources')} sent {counted(rest, 'message')}",
                details={},
            )
        )
    forwarded = forwarding_check(subject, report.records)
    if forwarded is not None:
        checks.append(forwarded)
    checks.append(
        readiness_check(
            report.policy.domain,
            report.policy.p,
            report.messages,
            report.passing,
            sum(r.count for r in report.records if not r.passes and is_forwarded(r)),
            sources,
        )
    )
    return checks


def alignment_check(source: Source, reverse_name: str | None, domain: str) -> Check:
    name = f" ({reverse_name})" if reverse_name else ""
    return ALIGNMENT.warn(
        source.ip,
        f"{source.ip}{name} sent {counted(source.messages, 'message')} as {', '.join(source.header_from)} that failed DMARC "
        f"(SPF {source.spf}, DKIM {source.dkim}; disposition {source.disposition})",
        details={
            "ip_address": source.ip,
            "reverse_dns": reverse_name,
            "messages": source.messages,
            "header_from": list(source.header_from),
            "spf": source.spf,
            "dkim": source.dkim,
            "disposition": source.disposition,
        },
        fix=(
            f"If {source.ip} sends for you, add it to the SPF record of the envelope domain or have it sign "
            f"with DKIM d={domain}; if it does not, it is spoofing and p=reject will stop it."
        ),
    )


def forwarding_check(subject: str, records: Sequence[Record]) -> Check | None:
    reasons: Counter[str] = Counter()
    messages = 0
    for record in records:
        if record.override_reasons:
            messages += record.count
            for reason in record.override_reasons:
                reasons[reason.type] += record.count
    if not reasons:
        return None
    listed = ", ".join(f"{kind} {count:,}" for kind, count in reasons.most_common())
    return FORWARDING.info(
        subject,
        f"{counted(messages, 'message')} had their policy overridden by the receiver ({listed})",
        details={"messages": messages, "policy_override_reasons": dict(reasons)},
    )


def readiness_check(domain: str, policy: str, messages: int, passing: int, forwarded: int, sources: Sequence[Source]) -> Check:
    judged = messages - forwarded
    share = passing / judged if judged > 0 else 1.0
    failing = sum(s.messages for s in sources)
    top = ", ".join(f"{s.ip} ({s.messages:,})" for s in sources[:5])
    details = {
        "domain": domain,
        "policy": policy,
        "messages": messages,
        "dmarc_pass": passing,
        "forwarded_failing": forwarded,
        "aligned_share": round(share, 4),
        "failing_sources": [{"ip_address": s.ip, "messages": s.messages} for s in sources[:MAX_SOURCES]],
    }
    forwarded_note = f"; {forwarded:,} forwarded set apart" if forwarded else ""
    head = f"{domain} (p={policy}): {share:.1%} of {counted(judged, 'message')} pass DMARC aligned{forwarded_note}"
    if share >= READY_SHARE:
        tail = f"; what fails ({failing:,}) comes from {top}" if failing else ""
        verdict = "already at p=reject" if policy == "reject" else "ready for p=reject"
        return READINESS.ok(domain, f"{head}: {verdict}{tail}", details=details)
    if policy == "reject":
        return READINESS.warn(
            domain,
            f"{head}: p=reject already rejects what fails; make sure none of these is yours: {top}",
            details=details,
            fix=f"For each failing sender that is yours, authenticate it (SPF, DKIM aligned with {domain}); the rest is spoofing, rejected as it should be.",
        )
    status = Status.WARN if share >= ALMOST_SHARE else Status.FAIL
    return READINESS.result(
        status,
        domain,
        f"{head}: not ready for p=reject; failing senders: {top}",
        details=details,
        fix=(
            "Authenticate each failing sender that is yours (SPF for its envelope domain, DKIM aligned with "
            f"{domain}); move to p=quarantine with pct= first, then p=reject once the share stays above {READY_SHARE:.0%}."
        ),
    )


def tls_judgements(subject: str, report: TlsReport) -> list[Check]:
    checks = []
    for policy in report.policies:
        for detail in policy.failure_details:
            check_id = TLS_FAILURE_CHECKS.get(detail.result_type)
            target = detail.receiving_mx_hostname or policy.policy_domain
            via = f" from {detail.sending_mta_ip}" if detail.sending_mta_ip else ""
            see = f"; mailcheck checks this as {check_id}" if check_id else ""
            checks.append(
                TLS_FAILURE.warn(
                    target,
                    f"{detail.result_type}: {counted(detail.failed_session_count, 'session')} to {target}{via} failed "
                    f"({policy.policy_type} policy of {policy.policy_domain}){see}",
                    details={
                        "policy_domain": policy.policy_domain,
                        "policy_type": policy.policy_type,
                        "result_type": detail.result_type,
                        "failed_session_count": detail.failed_session_count,
                        "receiving_mx_hostname": detail.receiving_mx_hostname,
                        "sending_mta_ip": detail.sending_mta_ip,
                        "check_id": check_id,
                    },
                    fix=f"Run `mailcheck domain {policy.policy_domain}` and look at {check_id or 'the transport checks'}.",
                )
            )
    return checks
