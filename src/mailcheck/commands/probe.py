"""Run ``mailcheck probe``: would the recipient's server accept the mailbox?

Addresses at the same domain share one walk over its MX hosts (and one SMTP session
where the server allows it); different domains run concurrently, with at most one
connection at a time to any MX host.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailcheck.area_errors import crashed, lookup_failed
from mailcheck.errors import BadInput
from mailcheck.model import Check, Report, Status, group
from mailcheck.names import DomainName
from mailcheck.once import Once, OncePerKey
from mailcheck.run import DnsScope, Env, RunOutcome, run_targets
from mailcheck.runtime import NetworkOptions
from mailcheck.smtp.probe import ProbeOptions, Target

if TYPE_CHECKING:
    from mailcheck.checks.context import DomainContext
    from mailcheck.dns.library import LibraryResolver
    from mailcheck.dns.resolver import Resolver
    from mailcheck.smtp.probe import DomainProbe

# The probe's report: routing (mx.*), the SMTP sessions, then the verdict.
PROBE_OBSTACLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("routing", "Routing", ("mx",)),
    ("transport", "Transport", ("smtp", "tls")),
    ("acceptance", "Acceptance", ("acceptance",)),
)
# The check that answers "would this address be accepted?": the exit code follows it.
VERDICT_CHECK = "acceptance.verdict"


@dataclass(frozen=True)
class ProbeRequest:
    targets: tuple[Target, ...]
    options: ProbeOptions
    verbose: bool = False


def parse_address(text: str) -> Target:
    """An address as email-validator sees it (no DNS: deliverability is the probe's job).

    Internal and test domains (corp.local, mail.test, ….arpa) are probed like any other
    the run can resolve: email-validator refuses special-use names outright, even with
    ``globally_deliverable=False``, and offers only its module-wide list to change that,
    which would change it for the whole process. So for such a domain it checks the
    local part (at the reserved name ``test``, which ``test_environment`` allows) and
    ``parse_domain`` the domain, as ``mailcheck domain`` does.
    """
    from email_validator import EmailNotValidError, validate_email

    address = text.strip()
    try:
        valid = validate_email(
            address, check_deliverability=False, allow_smtputf8=True, globally_deliverable=False, test_environment=True
        )
    except EmailNotValidError as exc:
        special = _special_use_domain(address)
        if special is None:
            raise BadInput(f"{text!r} is not a valid email address: {exc}") from None
        return _special_use_target(text, address, special)
    return Target(
        display=valid.normalized,
        smtp=f"{valid.local_part}@{valid.ascii_domain}",
        domain=valid.ascii_domain,
        domain_unicode=valid.domain,
        needs_smtputf8=not valid.local_part.isascii(),
    )


# RFC 5321 §4.5.3.1.3: a path holds at most 256 octets, its angle brackets included.
MAX_ADDRESS_LENGTH = 254


def _special_use_domain(address: str) -> DomainName | None:
    """The address's domain when it lies under a special-use name email-validator refuses."""
    from email_validator import SPECIAL_USE_DOMAIN_NAMES

    from mailcheck.names import parse_domain

    if "@" not in address:
        return None
    try:
        domain = parse_domain(address.rpartition("@")[2])
    except BadInput:
        return None
    special = any(domain.ascii == name or domain.ascii.endswith("." + name) for name in SPECIAL_USE_DOMAIN_NAMES)
    return domain if special else None


def _special_use_target(text: str, address: str, domain: DomainName) -> Target:
    from email_validator import EmailNotValidError, validate_email

    local = address.rpartition("@")[0]
    try:
        valid = validate_email(
            f"{local}@test", check_deliverability=False, allow_smtputf8=True, globally_deliverable=False, test_environment=True
        )
    except EmailNotValidError as exc:
        raise BadInput(f"{text!r} is not a valid email address: {exc}") from None
    smtp = f"{valid.local_part}@{domain.ascii}"
    if len(smtp) > MAX_ADDRESS_LENGTH:
        raise BadInput(f"{text!r} is not a valid email address: {len(smtp)} characters long (at most {MAX_ADDRESS_LENGTH})")
    return Target(
        display=f"{valid.local_part}@{domain.unicode}",
        smtp=smtp,
        domain=domain.ascii,
        domain_unicode=domain.unicode,
        needs_smtputf8=not valid.local_part.isascii(),
    )


def parse_sender(text: str | None) -> str:
    # The null reverse-path is what callout verification uses (Exim, Postfix
    # reject_unverified_recipient): it names nobody, so no bounce can ever go anywhere.
    if text is None or text.strip() in ("", "<>"):
        return ""
    return parse_address(text).smtp


@dataclass
class ProbeChecker:
    """Probes one address. Addresses at one domain share its MX walk (one SMTP session
    where the server allows it), and the whole run shares one check of the HELO name."""

    request: ProbeRequest
    command: str = "probe"
    # At most one connection at a time to any MX host, over every domain of the run.
    host_locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)
    helo: Once[Check] = field(default_factory=Once)
    domains: OncePerKey[str, dict[Target, Report]] = field(default_factory=OncePerKey)

    def label(self, target: Target) -> str:
        return target.display

    async def check(self, target: Target, env: Env) -> Report:
        from mailcheck.smtp.helo import check_helo

        resolver, library = env.resolver, env.library
        assert resolver is not None and library is not None  # DnsScope.RUN
        at_domain = [t for t in self.request.targets if t.domain == target.domain]
        helo_check, by_address = await asyncio.gather(
            self.helo.get(lambda: check_helo(self.request.options.helo, resolver)),
            self.domains.get(
                target.domain,
                lambda: _probe(target.domain, at_domain, resolver, library, self.request, self.host_locks, self.rng),
            ),
        )
        report = by_address[target]
        checks = list(report.checks)
        if any(c.id == "smtp.connection" for c in checks):
            checks.insert(_after_routing(checks), helo_check)
        checks = [_beside_the_verdict(c) for c in checks]
        obstacles = group(checks, PROBE_OBSTACLES)
        return Report("probe", target.display, obstacles, None, None, report.extra, verdict_check=VERDICT_CHECK)


def run_probe(request: ProbeRequest, network: NetworkOptions) -> RunOutcome[Target]:
    # Every address at once, as before the run loop: addresses wait on their domain's
    # one walk, and the host locks bound the connections.
    concurrency = max(1, len(request.targets))
    return run_targets(ProbeChecker(request), request.targets, network, scope=DnsScope.RUN, concurrency=concurrency)


def _beside_the_verdict(check: Check) -> Check:
    """The probe answers one question, acceptance.verdict; what it could not learn on
    the way (a PTR, the HELO name's DNS, one MX of several) is a side fact."""
    if check.id == VERDICT_CHECK or check.status is not Status.ERROR:
        return check
    return dataclasses.replace(check, side_fact=True)


def _after_routing(checks: list[Check]) -> int:
    return next((i for i, c in enumerate(checks) if not c.id.startswith("mx.")), len(checks))


async def _probe(
    domain: str,
    targets: list[Target],
    resolver: Resolver,
    library: LibraryResolver,
    request: ProbeRequest,
    host_locks: dict[str, asyncio.Lock],
    rng: random.Random,
) -> dict[Target, Report]:
    from mailcheck.checks.context import DomainContext, DomainOptions
    from mailcheck.checks.mx import check_mx
    from mailcheck.names import DomainName
    from mailcheck.smtp import findings
    from mailcheck.smtp.probe import probe_domain

    context = DomainContext(
        DomainName(domain, targets[0].domain_unicode), resolver, library, DomainOptions(), request.options.timeout
    )
    routing, probe = await asyncio.gather(
        _routing_checks(check_mx, context),
        _guarded(probe_domain(domain, targets, resolver, request.options, host_locks, rng), domain),
    )
    results: dict[Target, Report] = {}
    for target in targets:
        verdict = findings.verdict(target, probe, request.options)
        checks = list(routing)
        checks.extend(_attempt_checks(probe, target, request.verbose))
        checks.append(verdict.check)
        if probe.routing == "ok":
            checks.append(findings.catch_all_check(target, probe))
        provider = findings.provider_check(target, probe, verdict.name)
        if provider is not None:
            checks.append(provider)
        report = Report("probe", target.display, (), None, None, {"verdict": verdict.name})
        results[target] = _with_checks(report, checks)
    return results


def _attempt_checks(probe: DomainProbe, target: Target, verbose: bool) -> list[Check]:
    """Each session's connection check, but a TLS finding said once per endpoint:
    --retry-greylist connects twice to the same host and meets the same certificate (a
    handshake that failed and then a plain retry are two findings, and both stay)."""
    from mailcheck.smtp import findings

    checks = [check for attempt in probe.attempts for check in findings.attempt_checks(attempt, probe, target, verbose)]
    seen: set[tuple[str, str, Status, str]] = set()
    told = []
    for check in checks:
        key = (check.id, check.subject, check.status, check.summary)
        if check.id.startswith("tls.") and key in seen:
            continue
        seen.add(key)
        told.append(check)
    return told


async def _guarded(probing: Awaitable[DomainProbe], domain: str) -> DomainProbe:
    """A bug in one domain's probe must not cost the user the other addresses."""
    from mailcheck.smtp.probe import DomainProbe

    try:
        return await probing
    except Exception as exc:
        return DomainProbe(domain, routing="crash", routing_detail=f"the probe crashed: {type(exc).__name__}: {exc}")


async def _routing_checks(check_mx: Callable[[DomainContext], Awaitable[list[Check]]], context: DomainContext) -> list[Check]:
    from mailcheck.dns.errors import DnsUnavailable

    try:
        return await check_mx(context)
    except DnsUnavailable as exc:  # the verdict says "unknown"; routing says why
        return [lookup_failed("mx", context.domain.ascii, exc)]
    except Exception as exc:  # a bug in the mx checks must not cost the user the probe
        return [crashed("mx", context.domain.ascii, exc)]


def _with_checks(report: Report, checks: list[Check]) -> Report:
    return Report(report.command, report.target, group(checks, PROBE_OBSTACLES), None, None, report.extra)
