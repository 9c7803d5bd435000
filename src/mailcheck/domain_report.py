"""``mailcheck domain``: run every area's checks on a domain at once, build its report.

Each area starts at the same moment, so the cost of a report is its longest chain of
dependent queries, not their sum. When the domain turns out not to exist, the other
areas' findings are replaced by skips: they would only repeat the NXDOMAIN.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
from collections.abc import Awaitable, Callable, Sequence

from mailcheck.area_errors import crashed, lookup_failed
from mailcheck.checks.context import DomainContext, DomainOptions
from mailcheck.checks.parked import judge_parked
from mailcheck.dns.errors import DnsUnavailable
from mailcheck.dns.library import LibraryResolver
from mailcheck.dns.resolver import Resolver
from mailcheck.model import Check, Obstacle, Report, Status
from mailcheck.names import DomainName
from mailcheck.records.dmarc import checkdmarc_dmarc
from mailcheck.suffixes import public_suffixes
from mailcheck.warm import Step, load_now, start_warm_up

CheckFunction = Callable[[DomainContext], Awaitable[list[Check]]]

# (obstacle id, title, the check id areas it gathers), in report order.
OBSTACLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("dns", "DNS", ("dns", "dnssec")),
    ("routing", "Routing", ("mx",)),
    ("authentication", "Authentication", ("spf", "dkim", "dmarc")),
    ("transport", "Transport security", ("smtp", "tls", "mta-sts", "tlsrpt", "dane", "bimi")),
    ("reputation", "Reputation", ("blocklist", "ip")),
    ("feedback", "Feedback", ("feedback",)),
)


# Each area with the module and function that check it, in report order. An area
# imports its module when its task starts, so the questions of the areas before it are
# already on the wire while it loads (mailcheck.warm).
AREAS: tuple[tuple[str, str, str], ...] = (
    ("dns", "mailcheck.checks.existence", "check_existence"),
    ("mx", "mailcheck.checks.mx", "check_mx"),
    ("spf", "mailcheck.checks.spf", "check_spf"),
    ("dkim", "mailcheck.checks.dkim", "check_dkim"),
    ("dmarc", "mailcheck.checks.dmarc", "check_dmarc"),
    ("blocklist", "mailcheck.checks.reputation", "check_reputation"),
    # Transport: smtp/tls, mta-sts and dane share the STARTTLS sessions, so they run
    # as one area (checks/starttls.py guards each part on its own).
    ("smtp", "mailcheck.checks.starttls", "check_transport"),
    ("tlsrpt", "mailcheck.checks.tlsrpt", "check_tlsrpt"),
    ("bimi", "mailcheck.checks.bimi", "check_bimi"),
    ("dnssec", "mailcheck.checks.dnssec", "check_dnssec"),
)

# What a report of a domain with MX, SPF, DKIM and DMARC loads only once an answer
# needs it: dnspython's readers of those record types, checkdmarc's DMARC parser, dkimpy
# (the key reader) and the Public Suffix List. Loaded while the first answers travel.
WARM_UP: tuple[Step, ...] = (
    "dns.rdtypes.ANY.MX",
    "dns.rdtypes.ANY.TXT",
    "dns.rdtypes.IN.A",
    checkdmarc_dmarc,
    "dkim",
    public_suffixes,
)


def load_checks() -> None:
    """Import every area's module and what WARM_UP names, now: a bulk run does it before
    it forks its workers, which then share one copy (frozen for the fork, see
    mailcheck.workers.start_forked) instead of each loading its own."""
    # The STARTTLS probe's module is the transport area's, loaded at its first MX.
    load_now([*(module for _area, module, _function in AREAS), *WARM_UP, "mailcheck.smtp.starttls_probe"])


def domain_checks() -> list[tuple[str, CheckFunction]]:
    """Every area's check function, with the area its ids start with."""
    return [(area, _imported_when_run(module, function)) for area, module, function in AREAS]


def _imported_when_run(module: str, function: str) -> CheckFunction:
    async def check(context: DomainContext) -> list[Check]:
        checker: CheckFunction = getattr(importlib.import_module(module), function)
        return await checker(context)

    return check


async def domain_report(
    domain: DomainName,
    resolver: Resolver,
    library: LibraryResolver,
    options: DomainOptions,
    *,
    checks: Sequence[tuple[str, CheckFunction]] | None = None,
) -> Report:
    context = DomainContext(domain, resolver, library, options, resolver.timeout)
    areas = list(checks) if checks is not None else domain_checks()
    running = asyncio.gather(*(_run_area(area, fn, context) for area, fn in areas))
    warming = start_warm_up(WARM_UP)
    results = await running
    if warming is not None:
        warming.cancel()
    findings = [check for result in results for check in result]
    if _domain_missing(findings):
        findings = [c if c.id.startswith("dns.") else _skipped(c, domain) for c in findings]
    else:
        findings = judge_parked(domain.ascii, findings, forced=options.parked)
    return Report(
        command="domain",
        target=domain.ascii,
        display_target=domain.unicode,
        obstacles=group_into_obstacles(findings),
    )


def group_into_obstacles(checks: Sequence[Check]) -> tuple[Obstacle, ...]:
    obstacles = []
    for obstacle_id, title, areas in OBSTACLES:
        mine = tuple(c for c in checks if c.id.split(".", 1)[0] in areas)
        if mine:
            obstacles.append(Obstacle(obstacle_id, title, mine))
    return tuple(obstacles)


async def _run_area(area: str, check: CheckFunction, context: DomainContext) -> list[Check]:
    """One area's checks; a lookup that could not be answered or a crash becomes an error."""
    try:
        return await check(context)
    except DnsUnavailable as exc:
        return [lookup_failed(area, context.domain.ascii, exc)]
    except Exception as exc:  # a bug in one area must not cost the user the others
        return [crashed(area, context.domain.ascii, exc)]


def _domain_missing(checks: Sequence[Check]) -> bool:
    return any(c.id == "dns.exists" and c.status is Status.FAIL for c in checks)


def _skipped(check: Check, domain: DomainName) -> Check:
    # The same check, told as skipped: nothing of what it found is left.
    return dataclasses.replace(
        check,
        status=Status.SKIP,
        summary=f"skipped: {domain.ascii} does not exist",
        details={},
        fix=None,
        refs=(),
        side_fact=False,
    )
