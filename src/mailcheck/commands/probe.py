"""Validate and run ``mailcheck probe``: would the recipient's server accept the mailbox?

Addresses at the same domain share one walk over its MX hosts (and one SMTP session
where the server allows it); different domains run concurrently, with at most one
connection at a time to any MX host.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailcheck.area_errors import crashed, lookup_failed
from mailcheck.dns.resolver import QueryRecord
from mailcheck.errors import BadInput
from mailcheck.model import Check, Report, Status, group
from mailcheck.names import DomainName
from mailcheck.runtime import NetworkOptions, run_dns, serving_zones
from mailcheck.smtp.probe import ProbeOptions, Target

if TYPE_CHECKING:
    from mailcheck.checks.context import DomainContext
    from mailcheck.dns.library import LibraryResolver
    from mailcheck.dns.resolver import Resolver
    from mailcheck.runtime import ZoneEndpoint
    from mailcheck.smtp.probe import DomainProbe

# The probe's report: routing (mx.*), the SMTP sessions, then the verdict.
PROBE_OBSTACLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("routing", "Routing", ("mx",)),
    ("transport", "Transport", ("smtp", "tls")),
    ("acceptance", "Acceptance", ("acceptance",)),
)
MAX_RETRY_GREYLIST = 3600.0
# The check that answers "would this address be accepted?": the exit code follows it.
VERDICT_CHECK = "acceptance.verdict"


@dataclass(frozen=True)
class ProbeRequest:
    targets: tuple[Target, ...]
    options: ProbeOptions
    verbose: bool = False

    @classmethod
    def from_cli(
        cls,
        addresses: Sequence[str],
        *,
        port: int,
        helo: str | None,
        mail_from: str | None,
        tls: bool,
        ca_file: str | None,
        catch_all: bool,
        ipv4: bool,
        ipv6: bool,
        retry_greylist: float | None,
        timeout: float,
        verbose: bool = False,
    ) -> ProbeRequest:
        targets = tuple(dict.fromkeys(parse_address(a) for a in addresses))
        if not 1 <= port <= 65535:
            raise BadInput(f"--port must be between 1 and 65535, not {port}")
        if retry_greylist is not None and not (0 <= retry_greylist <= MAX_RETRY_GREYLIST and math.isfinite(retry_greylist)):
            raise BadInput(f"--retry-greylist must be between 0 and {MAX_RETRY_GREYLIST:g} seconds, not {retry_greylist:g}")
        if ca_file is not None:
            _check_ca_file(ca_file)
        families = frozenset({4, 6})
        if ipv4 != ipv6:
            families = frozenset({4} if ipv4 else {6})
        options = ProbeOptions(
            helo=_helo(helo),
            mail_from=_sender(mail_from),
            port=port,
            tls=tls,
            ca_file=ca_file,
            catch_all=catch_all,
            families=families,
            timeout=timeout,
            retry_greylist=retry_greylist,
        )
        return cls(targets, options, verbose)


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


def _sender(text: str | None) -> str:
    # The null reverse-path is what callout verification uses (Exim, Postfix
    # reject_unverified_recipient): it names nobody, so no bounce can ever go anywhere.
    if text is None or text.strip() in ("", "<>"):
        return ""
    return parse_address(text).smtp


def _helo(text: str | None) -> str:
    from mailcheck.smtp.helo import default_helo

    if text is None:
        return default_helo()
    name = text.strip()
    if name.startswith("[") and name.endswith("]"):
        import ipaddress

        literal = name[1:-1]
        literal = literal[5:] if literal.lower().startswith("ipv6:") else literal
        try:
            ipaddress.ip_address(literal)
        except ValueError:
            raise BadInput(f"--helo {text!r} is not an address literal such as [192.0.2.1]") from None
        return name
    from mailcheck.names import parse_domain

    try:
        return parse_domain(name).ascii
    except BadInput as exc:
        raise BadInput(f"--helo: {exc}") from None


def _check_ca_file(path: str) -> None:
    import ssl

    try:
        ssl.create_default_context(cafile=path)
    except FileNotFoundError:
        raise BadInput(f"--ca-file {path}: no such file") from None
    except (OSError, ssl.SSLError) as exc:
        raise BadInput(f"--ca-file {path}: not a PEM file of CA certificates ({exc})") from None


def run_probe(request: ProbeRequest, network: NetworkOptions) -> tuple[list[Report], list[QueryRecord]]:
    with serving_zones(network.zones) as zones:
        return asyncio.run(_run(request, network, zones))


async def _run(
    request: ProbeRequest, network: NetworkOptions, zones: ZoneEndpoint | None
) -> tuple[list[Report], list[QueryRecord]]:
    async with run_dns(network, zones) as (resolver, library):
        by_domain: dict[str, list[Target]] = {}
        for target in request.targets:
            by_domain.setdefault(target.domain, []).append(target)
        host_locks: dict[str, asyncio.Lock] = {}
        rng = random.Random()
        from mailcheck.smtp.helo import check_helo

        helo_check, per_domain = await asyncio.gather(
            check_helo(request.options.helo, resolver),
            asyncio.gather(
                *(_probe(domain, targets, resolver, library, request, host_locks, rng) for domain, targets in by_domain.items())
            ),
        )
    stats = resolver.stats()
    by_address: dict[Target, Report] = {}
    for reports in per_domain:
        for target, report in reports:
            by_address[target] = report
    out = []
    for target in request.targets:
        report = by_address[target]
        checks = list(report.checks)
        if any(c.id == "smtp.connection" for c in checks):
            checks.insert(_after_routing(checks), helo_check)
        checks = [_beside_the_verdict(c) for c in checks]
        obstacles = group(checks, PROBE_OBSTACLES)
        out.append(Report("probe", target.display, obstacles, stats, None, report.extra, verdict_check=VERDICT_CHECK))
    return out, list(resolver.log)


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
) -> list[tuple[Target, Report]]:
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
    results = []
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
        results.append((target, _with_checks(report, checks)))
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
