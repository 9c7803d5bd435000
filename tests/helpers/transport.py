"""Shared by the transport tests: run only the transport areas of a domain report
against the fixture zones, and the MTA-STS policies the test HTTPS server serves."""

from __future__ import annotations

import asyncio
from typing import Any

from mailcheck.checks.context import DomainOptions
from mailcheck.dns.library import LibraryResolver
from mailcheck.names import parse_domain

# mta-sts.DOMAIN -> the mx line of its enforce policy.
POLICY_HOSTS = {
    f"mta-sts.transport-{kind}.example": f"mx.transport-{kind}.example"
    for kind in ("good", "expired", "wrongname", "plain", "dane")
}


def policy(mode: str, *mx: str, max_age: int = 604800) -> bytes:
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {m}" for m in mx), f"max_age: {max_age}"]
    return ("\r\n".join(lines) + "\r\n").encode()


def transport_areas():
    from mailcheck.checks import bimi, dnssec, starttls, tlsrpt

    return [
        ("smtp", starttls.check_transport),
        ("tlsrpt", tlsrpt.check_tlsrpt),
        ("bimi", bimi.check_bimi),
        ("dnssec", dnssec.check_dnssec),
    ]


def transport_report(resolver_factory, domain: str, *, resolver=None, timeout: float = 2.0, **options: Any) -> dict:
    """The transport (and dnssec) part of ``mailcheck domain DOMAIN`` as its JSON dict."""
    from mailcheck.domain_report import domain_report

    async def run() -> dict:
        run_resolver = resolver or resolver_factory(timeout=timeout)
        library = LibraryResolver(run_resolver, asyncio.get_running_loop())
        report = await domain_report(
            parse_domain(domain), run_resolver, library, DomainOptions(**options), checks=transport_areas()
        )
        return report.to_dict("test")

    return asyncio.run(run())


def checks_of(report: dict, check_id: str) -> list[dict]:
    return [c for o in report["obstacles"] for c in o["checks"] if c["id"] == check_id]
