"""Run ``mailcheck domain``: several domains checked concurrently."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mailcheck.checks.context import DomainOptions
from mailcheck.model import Report
from mailcheck.names import DomainName
from mailcheck.run import DEFAULT_CONCURRENCY, DnsScope, Env, RunOutcome, run_targets
from mailcheck.runtime import NetworkOptions


@dataclass(frozen=True)
class DomainRequest:
    """Validated domains and options (cli/domain.py and config files validate them)."""

    domains: tuple[DomainName, ...]
    options: DomainOptions


@dataclass
class DomainChecker:
    """Checks one domain: its report over every area (each area guards its own crash)."""

    options: DomainOptions
    command: str = "domain"

    def label(self, target: DomainName) -> str:
        return target.ascii

    async def check(self, target: DomainName, env: Env) -> Report:
        from mailcheck.domain_report import domain_report

        assert env.resolver is not None and env.library is not None  # DnsScope.RUN or TARGET
        return await domain_report(target, env.resolver, env.library, self.options)


def run_domain(
    request: DomainRequest,
    network: NetworkOptions,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_report: Callable[[Report], None] | None = None,
    keep: bool = True,
    keep_log: bool = True,
    workers: int | None = None,
) -> RunOutcome[DomainName]:
    """Check every domain of the request, ``concurrency`` at a time.

    A few domains share one resolver: its cache serves every domain (shared includes,
    blocklist zones). A bulk run gives each domain its own, dropped with its report, so
    memory stays flat however long the list is; names many domains ask (their
    providers' SPF includes) come from a bounded shared cache; and it uses every core
    (``workers``, default: see mailcheck.workers). ``keep=False`` keeps no reports (they
    were streamed), ``keep_log=False`` no query log (only --verbose shows it).
    """
    if len(request.domains) <= concurrency:
        return run_targets(
            DomainChecker(request.options),
            request.domains,
            network,
            scope=DnsScope.RUN,
            concurrency=concurrency,
            on_report=on_report,
            keep=keep,
        )
    from mailcheck.workers import default_workers

    if workers is None:
        workers = default_workers(len(request.domains), concurrency)
    if workers > 1:
        from mailcheck.domain_report import load_checks

        load_checks()
    return run_targets(
        DomainChecker(request.options),
        request.domains,
        network,
        scope=DnsScope.TARGET,
        concurrency=concurrency,
        on_report=on_report,
        keep=keep,
        workers=workers,
        keep_log=keep_log,
    )
