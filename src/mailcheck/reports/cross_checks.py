"""The report's checks against today's DNS (declared in mailcheck.reports.judge): the
reverse names of failing sources, their SPF, the DKIM selectors reports name, and the
_mta-sts record behind a TLS failure.

Its own module, imported by a run that has DNS: reading and judging reports without
it needs neither asyncio nor the run loop.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mailcheck.dns.errors import DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.model import Check
from mailcheck.reports.aggregate import AggregateReport, Record
from mailcheck.reports.failure import FailureReport
from mailcheck.reports.judge import (
    DKIM_SELECTOR,
    MAX_SELECTORS,
    MAX_SOURCES,
    SPF_SOURCE,
    TLS_FAILURE,
    TLS_FAILURE_CHECKS,
    Source,
    is_forwarded,
)
from mailcheck.reports.tlsrpt import TlsReport
from mailcheck.words import counted

if TYPE_CHECKING:
    from mailcheck.run import Env


async def reverse_names(sources: Sequence[Source], env: Env) -> dict[str, str]:
    """The reverse names of the failing sources the judgements name."""
    ips = [s.ip for s in sources[:MAX_SOURCES]]
    if env.resolver is None or not ips:
        return {}
    resolver = env.resolver

    async def one(ip: str) -> tuple[str, str | None]:
        try:
            names = await resolver.ptr(ip)
        except (NoSuchDomain, NoRecords, DnsUnavailable, ValueError):
            return ip, None
        return ip, names[0] if names else None

    found = await asyncio.gather(*(one(ip) for ip in ips))
    return {ip: name for ip, name in found if name}


async def cross_check_aggregate(report: AggregateReport, env: Env) -> list[Check]:
    if env.resolver is None:
        return []
    spf_checks = _spf_sources(report, env)
    dkim_checks = _dkim_selectors(report, env)
    results = await asyncio.gather(spf_checks, dkim_checks)
    return [check for group in results for check in group]


async def _spf_sources(report: AggregateReport, env: Env) -> list[Check]:
    # One evaluation per (ip, envelope domain): a source that did not pass SPF in the report.
    wanted: dict[tuple[str, str], list[Record]] = {}
    for record in report.records:
        if record.spf == "pass" or is_forwarded(record):
            continue
        domain = record.envelope_from or record.header_from
        if not _within(domain, report.policy.domain):
            continue  # SPF of someone else's envelope domain cannot align with this one
        wanted.setdefault((record.source_ip, domain), []).append(record)
    pairs = sorted(wanted, key=lambda key: -sum(r.count for r in wanted[key]))[:MAX_SOURCES]
    return list(
        await asyncio.gather(
            *(
                _spf_source(
                    ip,
                    domain,
                    sum(r.count for r in wanted[(ip, domain)]),
                    any(r.dkim == "pass" for r in wanted[(ip, domain)]),
                    env.resolver.offline if env.resolver else False,
                )
                for ip, domain in pairs
            )
        )
    )


async def cross_check_failure(report: FailureReport, env: Env) -> list[Check]:
    """The failed message's source against today's SPF of its envelope (or reported) domain."""
    if env.resolver is None or report.source_ip is None:
        return []
    sender = report.original_mail_from or ""
    domain = sender.rpartition("@")[2].lower() if "@" in sender else report.reported_domain
    if not domain:
        return []
    return [await _spf_source(report.source_ip, domain, 1, False, env.resolver.offline)]


async def _spf_source(ip: str, domain: str, messages: int, dkim_aligned: bool, offline: bool) -> Check:
    # The project's SPF evaluation (pyspf's check_host(), routed to the run's resolver
    # by runtime.run_dns); its private helper is the one entry that takes bare identities.
    from mailcheck.checks.spf_evaluation import _check_host

    details = {"ip_address": ip, "domain": domain, "messages": messages, "dkim_aligned": dkim_aligned}
    try:
        evaluation = await asyncio.to_thread(_check_host, ip, f"postmaster@{domain}", domain)
    except Exception as exc:  # pyspf raises on identities it cannot take
        return SPF_SOURCE.error(ip, f"could not evaluate SPF of {domain} for {ip}: {type(exc).__name__}: {exc}", details=details)
    details["result"] = evaluation.result
    if evaluation.result == "pass":
        return SPF_SOURCE.ok(ip, f"SPF of {domain} now authorizes {ip} (the report saw it fail)", details=details)
    if evaluation.result == "temperror" and offline:
        return SPF_SOURCE.skip(ip, f"SPF of {domain} for {ip}: not in the --zone files (offline)", details=details)
    if evaluation.result == "temperror":
        return SPF_SOURCE.error(ip, f"SPF of {domain} for {ip}: temperror, could not tell", details=details)
    if dkim_aligned:
        return SPF_SOURCE.warn(
            ip,
            f"{ip} sends as {domain} with aligned DKIM ({counted(messages, 'message')}) but SPF of {domain} gives {evaluation.result}",
            details=details,
            fix=f"Add {ip} (or its provider's include:) to the SPF record of {domain}.",
        )
    return SPF_SOURCE.info(
        ip,
        f"{ip} is not in SPF of {domain} ({evaluation.result}) and did not pass DKIM either: likely not yours",
        details=details,
    )


async def _dkim_selectors(report: AggregateReport, env: Env) -> list[Check]:
    domain = report.policy.domain
    seen: Counter[tuple[str, str]] = Counter()
    for record in report.records:
        for result in record.dkim_results:
            if result.selector and result.selector not in ("none", "*") and _within(result.domain, domain):
                seen[(result.domain, result.selector.lower())] += record.count
    pairs = [pair for pair, _ in seen.most_common(MAX_SELECTORS)]
    return list(await asyncio.gather(*(_dkim_selector(d, s, seen[(d, s)], env) for d, s in pairs)))


async def _dkim_selector(domain: str, selector: str, messages: int, env: Env) -> Check:
    assert env.resolver is not None
    name = f"{selector}._domainkey.{domain}"
    subject = f"{selector}:{domain}"
    details = {"domain": domain, "selector": selector, "name": name, "messages": messages}
    try:
        texts = await env.resolver.txt(name)
    except (NoSuchDomain, NoRecords):
        return DKIM_SELECTOR.fail(
            subject,
            f"selector {selector} of {domain} signed {counted(messages, 'message')} but {name} has no key",
            details=details,
            fix=f"If {selector} is yours, publish its public key at {name}; if not, the signatures are forged.",
        )
    except DnsUnavailable as exc:
        if env.resolver.offline:
            return DKIM_SELECTOR.skip(subject, f"{name} is not in the --zone files (offline)", details=details)
        return DKIM_SELECTOR.error(subject, f"could not look up {name}: {exc}", details=details)
    keys = [t for t in texts if "p=" in t]
    if keys and all(_revoked(t) for t in keys):
        return DKIM_SELECTOR.fail(
            subject,
            f"selector {selector} of {domain}: the key at {name} is revoked (empty p=)",
            details=details,
            fix=f"Sign with a selector whose key is published, or publish the key again at {name}.",
        )
    if not keys:
        return DKIM_SELECTOR.fail(
            subject,
            f"selector {selector} of {domain}: {name} holds no DKIM key",
            details={**details, "records": texts},
            fix=f"Publish the selector's key (v=DKIM1; k=rsa; p=...) at {name}.",
        )
    return DKIM_SELECTOR.ok(subject, f"selector {selector} of {domain} has a key at {name}", details=details)


def _revoked(text: str) -> bool:
    tags = dict(part.strip().partition("=")[::2] for part in text.split(";") if "=" in part)
    return not tags.get("p", "").strip()


def _within(name: str, domain: str) -> bool:
    return name == domain or name.endswith("." + domain)


async def cross_check_tls(report: TlsReport, env: Env) -> list[Check]:
    """For MTA-STS failures, whether the domain publishes its _mta-sts record today."""
    if env.resolver is None:
        return []
    checks = []
    domains = {
        p.policy_domain
        for p in report.policies
        for d in p.failure_details
        if TLS_FAILURE_CHECKS.get(d.result_type, "").startswith("mta-sts.")
    }
    for domain in sorted(domains):
        name = f"_mta-sts.{domain}"
        details: dict[str, object] = {"policy_domain": domain, "name": name, "check_id": "mta-sts.policy"}
        try:
            texts = [t for t in await env.resolver.txt(name) if t.lower().startswith("v=stsv1")]
        except (NoSuchDomain, NoRecords):
            texts = []
        except DnsUnavailable as exc:
            checks.append(TLS_FAILURE.error(domain, f"could not look up {name}: {exc}", details=details))
            continue
        details["records"] = texts
        if texts:
            summary = f"{name} is published ({texts[0]}): senders fetch the policy, so see why the fetch fails (mta-sts.policy)"
        else:
            summary = f"{name} is not published any more: senders holding the old policy still try to fetch it"
        checks.append(
            TLS_FAILURE.warn(
                domain,
                summary,
                details=details,
                fix=f"Run `mailcheck domain {domain}`: mta-sts.policy fetches https://mta-sts.{domain}/.well-known/mta-sts.txt as senders do.",
            )
        )
    return checks
