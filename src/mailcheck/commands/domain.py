"""Validate and run ``mailcheck domain``: several domains checked concurrently."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from mailcheck.checks.context import DomainOptions
from mailcheck.dns.resolver import QueryRecord
from mailcheck.errors import BadInput
from mailcheck.model import Report
from mailcheck.names import DomainName, parse_domain
from mailcheck.runtime import NetworkOptions, run_dns, serving_zones


@dataclass(frozen=True)
class DomainRequest:
    domains: tuple[DomainName, ...]
    options: DomainOptions

    @classmethod
    def from_cli(
        cls,
        domains: Sequence[str],
        selectors: Sequence[str],
        ip: str | None,
        helo: str | None,
        mail_from: str | None,
    ) -> DomainRequest:
        names = tuple(parse_domain(text) for text in domains)
        if ip is not None:
            try:
                ip = str(ipaddress.ip_address(ip.strip()))
            except ValueError:
                raise BadInput(f"--ip {ip!r} is not an IPv4 or IPv6 address") from None
        if (helo or mail_from) and ip is None:
            raise BadInput("--helo and --mail-from are used with --ip (SPF evaluation)")
        clean_selectors = tuple(dict.fromkeys(_selector(s) for s in selectors))
        return cls(names, DomainOptions(clean_selectors, ip, helo, mail_from))


def _selector(text: str) -> str:
    selector = text.strip().lower().rstrip(".")
    labels = selector.split(".")
    if not selector or any(not label or len(label) > 63 for label in labels) or not all(
        ch.isalnum() or ch in "-_." for ch in selector
    ):
        raise BadInput(f"--dkim-selector {text!r} is not a valid selector")
    return selector


def run_domain(request: DomainRequest, network: NetworkOptions) -> tuple[list[Report], list[QueryRecord]]:
    with serving_zones(network.zones) as zones:
        return asyncio.run(_run(request, network, zones))


async def _run(request, network, zones):  # type: ignore[no-untyped-def]
    from mailcheck.domain_report import domain_report

    async with run_dns(network, zones) as (resolver, library):
        reports = await asyncio.gather(
            *(domain_report(name, resolver, library, request.options) for name in request.domains)
        )
    stats = resolver.stats()
    # One resolver serves all domains of the run; each report carries the run's figures.
    reports = [Report(r.command, r.target, r.obstacles, stats, r.display_target, r.extra) for r in reports]
    return reports, list(resolver.log)
