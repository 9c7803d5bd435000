"""from-domain.records: the From domain's own report in brief (its SPF record and tree,
its DMARC record and report addresses), by the domain report's checks, once per
domain per run."""

from __future__ import annotations

from collections.abc import Sequence

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.dns.library import LibraryResolver
from mailcheck.dns.resolver import Resolver
from mailcheck.model import Check, Status

RECORDS = CheckSpec(
    id="from-domain.records",
    title="The From domain's records in brief",
    verifies="The From domain's SPF and DMARC records as the domain report judges them (mailcheck domain), summed up in one line: the worst finding and how many pass.",
    why="A message inherits its domain's problems: a broken SPF tree or a DMARC record with unauthorized report addresses hurts every message, not just this one.",
    example=Example(
        bad="sender.example: spf.lookups fail (SPF needs 12 DNS lookups)",
        good="sender.example: 9 checks pass (spf.record, dmarc.policy p=reject, ...)",
        why="Fix the domain once (mailcheck domain sender.example) and every message benefits.",
    ),
    refs=("docs/checks.md",),
)


async def domain_checks(resolver: Resolver, library: LibraryResolver | None, timeout: float, domain: str) -> list[Check]:
    import asyncio

    from mailcheck.checks.context import DomainContext, DomainOptions
    from mailcheck.checks.dmarc import check_dmarc
    from mailcheck.checks.spf import check_spf
    from mailcheck.names import parse_domain

    if library is None:
        return []
    context = DomainContext(parse_domain(domain), resolver, library, DomainOptions(smtp=False), timeout)
    spf, dmarc = await asyncio.gather(check_spf(context), check_dmarc(context))
    return [*spf, *dmarc]


def brief_check(domain: str, checks: Sequence[Check]) -> Check:
    details = {
        "domain": domain,
        "checks": [{"id": c.id, "status": c.status.value, "summary": c.summary} for c in checks],
    }
    asking = [c for c in checks if c.status.severity > 0]
    passing = len(checks) - len(asking)
    fix = f"Run mailcheck domain {domain} for the whole report and fix what it names first."
    if not asking:
        return RECORDS.ok(domain, f"{domain}: {passing} domain checks pass (SPF, DMARC)", details=details)
    worst = max(asking, key=lambda c: c.status.severity)
    summary = (
        f"{domain}: {worst.id} {worst.status.value} ({worst.summary}); {len(asking)} of {len(checks)} domain checks ask for work"
    )
    if worst.status is Status.ERROR:
        return RECORDS.error(domain, summary, details=details, fix=fix)
    # The domain's findings are the domain report's to fail; here they warn.
    return RECORDS.warn(domain, summary, details=details, fix=fix)
