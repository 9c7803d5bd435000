"""Run ``mailcheck check``: everything a config lists, held to its expectations.

For each domain: its domain report (once per sending IP, merged), the probes of its
addresses, then its expectations judged on all of that, then its accepted warnings
downgraded. Domains that share zones and nameservers share one run (one zone server,
one resolver and cache); domains with their own get their own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mailcheck.commands.domain import DomainRequest
from mailcheck.config import Config, DomainConfig
from mailcheck.dns.resolver import QueryRecord
from mailcheck.errors import BadInput
from mailcheck.model import Report, Status
from mailcheck.run import DEFAULT_CONCURRENCY, DnsScope, Env, RunOutcome, run_targets
from mailcheck.runtime import NetworkOptions


@dataclass(frozen=True)
class CliOverrides:
    """Global options given on the command line win over the config's."""

    nameservers: tuple = ()  # parsed Nameserver objects
    zones: tuple[str, ...] = ()
    offline: bool = False
    timeout: float | None = None


@dataclass(frozen=True)
class Planned:
    domain: DomainConfig
    requests: tuple[DomainRequest, ...]  # one per sending IP (or one without)


def select(config: Config, names: Sequence[str]) -> tuple[DomainConfig, ...]:
    """The config's domains, or those named on the command line (which must be in it)."""
    if not names:
        return config.domains
    known = {d.name.lower().rstrip("."): d for d in config.domains}
    chosen = []
    for name in names:
        domain = known.get(name.lower().rstrip("."))
        if domain is None:
            raise BadInput(f"{name} is not in {config.path} (it lists {', '.join(known)})")
        chosen.append(domain)
    return tuple(dict.fromkeys(chosen))


def run_check(
    config: Config,
    domains: Sequence[DomainConfig],
    cli: CliOverrides,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_report: Callable[[Report], None] | None = None,
) -> RunOutcome[Planned]:
    from mailcheck.dns.nameservers import parse_nameserver

    groups: dict[tuple, list[Planned]] = {}
    for domain in domains:
        servers = cli.nameservers or tuple(parse_nameserver(s) for s in config.nameservers_for(domain))
        zones = tuple(dict.fromkeys(config.zones_for(domain) + cli.zones))
        offline = config.offline or cli.offline
        if offline and not zones:
            raise BadInput(f"{config.path}:{domain.line}: {domain.name} is offline but has no zones to answer from")
        timeout = cli.timeout or config.timeout or 5.0
        network = NetworkOptions(nameservers=servers, zones=zones, offline=offline, timeout=timeout)
        groups.setdefault((network,), []).append(Planned(domain, _requests(config, domain)))

    reports: list[Report] = []
    log: list[QueryRecord] = []
    for (network,), planned in groups.items():
        outcome = run_targets(PlannedChecker(), planned, network, scope=DnsScope.RUN, concurrency=concurrency)
        log.extend(outcome.log)
        probe_reports = _probes(config, [p.domain for p in planned], network)
        for plan, report in zip(planned, outcome.reports, strict=True):
            probes = probe_reports.get(plan.domain.name, [])
            for final in _judged(config, plan.domain, report, probes):
                reports.append(final)
                if on_report is not None:
                    on_report(final)
    return RunOutcome(reports, Status.worst(r.status for r in reports), len(reports), None, log)


def _requests(config: Config, domain: DomainConfig) -> tuple[DomainRequest, ...]:
    from mailcheck.checks.context import DomainOptions
    from mailcheck.names import parse_domain

    smtp = config.smtp if domain.smtp is None else domain.smtp
    port = domain.smtp_port or config.smtp_port
    try:
        name = parse_domain(domain.name)
    except BadInput as exc:
        raise BadInput(f"{config.path}:{domain.line}: {exc}") from None
    return tuple(
        DomainRequest((name,), DomainOptions(domain.dkim_selectors, ip, smtp=smtp, smtp_port=port))
        for ip in (domain.sending_ips or (None,))
    )


@dataclass
class PlannedChecker:
    """Checks one domain of the config: a domain report per sending IP, merged."""

    command: str = "domain"

    def label(self, target: Planned) -> str:
        return target.domain.name

    async def check(self, target: Planned, env: Env) -> Report:
        from mailcheck.domain_report import domain_report

        assert env.resolver is not None and env.library is not None  # DnsScope.RUN
        variants = [await domain_report(r.domains[0], env.resolver, env.library, r.options) for r in target.requests]
        return _merge(variants)


def _merge(variants: Sequence[Report]) -> Report:
    """One report from the runs for each sending IP: the first run's checks, plus the
    checks of the others that differ (those that depend on the IP: SPF evaluation,
    the IP's blocklists and reverse DNS). The rest is the same DNS, from the cache."""
    from mailcheck.domain_report import group_into_obstacles

    first, *others = variants
    if not others:
        return first
    checks = list(first.checks)
    for report in others:
        checks.extend(c for c in report.checks if c not in checks)
    return Report(first.command, first.target, group_into_obstacles(checks), first.dns, first.display_target, first.extra)


def _probes(config: Config, domains: Sequence[DomainConfig], network: NetworkOptions) -> dict[str, list[Report]]:
    """Each domain's probe reports, from one probe run for the group."""
    wanted = [(d, address) for d in domains for address in d.probe]
    if not wanted:
        return {}
    from mailcheck.commands.probe import ProbeRequest, parse_address, run_probe
    from mailcheck.smtp.helo import default_helo
    from mailcheck.smtp.probe import ProbeOptions

    by_domain: dict[str, list[Report]] = {}
    # Probes of one port share a run; a domain may ask for another SMTP port.
    ports: dict[int, list[tuple[DomainConfig, str]]] = {}
    for domain, address in wanted:
        ports.setdefault(domain.smtp_port or config.smtp_port, []).append((domain, address))
    for port, items in ports.items():
        try:
            targets = tuple(dict.fromkeys(parse_address(address) for _, address in items))
        except BadInput as exc:
            raise BadInput(f"{config.path}: probe: {exc}") from None
        options = ProbeOptions(helo=default_helo(), port=port, catch_all=False, timeout=network.timeout)
        request = ProbeRequest(targets, options)
        # run_probe keeps the order of its (de-duplicated) addresses.
        owners = {address.lower(): domain.name for domain, address in items}
        for report in run_probe(request, network).reports:
            owner = owners.get(report.target.lower(), items[0][0].name)
            by_domain.setdefault(owner, []).append(report)
    return by_domain


def _judged(config: Config, domain: DomainConfig, report: Report, probes: Sequence[Report]) -> list[Report]:
    from mailcheck.expectations import (
        accept_warnings,
        expectation_checks,
        with_expectations,
    )

    everything = [c for r in (report, *probes) for c in r.checks]
    expect = expectation_checks(domain, everything, domain.name, _shown_path(config.path))
    report = with_expectations(accept_warnings(report, domain.accept_warnings), expect)
    return [report, *(accept_warnings(p, domain.accept_warnings) for p in probes)]


def _shown_path(path: Path) -> str:
    """The config path as a person in the repository would type it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
