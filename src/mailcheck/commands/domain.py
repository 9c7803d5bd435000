"""Validate and run ``mailcheck domain``: several domains checked concurrently."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

from mailcheck.checks.context import DomainOptions
from mailcheck.dns.resolver import QueryRecord
from mailcheck.dns.shared_answers import SharedAnswers
from mailcheck.errors import BadInput
from mailcheck.model import Check, DnsStats, Obstacle, Report, Status
from mailcheck.names import DomainName, parse_domain
from mailcheck.run import CRASH
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
        *,
        smtp: bool = True,
        port: int = 25,
        https_port: int = 443,
        ca_file: str | None = None,
        bimi_selector: str = "default",
        parked: bool = False,
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
        transport = dict(
            smtp=smtp,
            smtp_port=_port("--port", port),
            https_port=_port("--https-port", https_port),
            ca_file=_ca_file(ca_file),
            bimi_selector=_bimi_selector(bimi_selector),
        )
        return cls(names, DomainOptions(clean_selectors, ip, helo, mail_from, **transport, parked=parked))


def _selector(text: str) -> str:
    selector = text.strip().lower().rstrip(".")
    labels = selector.split(".")
    if (
        not selector
        or any(not label or len(label) > 63 for label in labels)
        or not all(ch.isalnum() or ch in "-_." for ch in selector)
    ):
        raise BadInput(f"--dkim-selector {text!r} is not a valid selector")
    return selector


def _port(option: str, value: int) -> int:
    if not 1 <= value <= 65535:
        raise BadInput(f"{option} must be a TCP port from 1 to 65535, not {value}")
    return value


def _ca_file(path: str | None) -> str | None:
    """The file must load as PEM trust anchors now, not fail inside a TLS handshake later."""
    if path is None:
        return None
    import ssl

    try:
        ssl.create_default_context().load_verify_locations(cafile=path)
    except FileNotFoundError:
        raise BadInput(f"--ca-file {path}: no such file") from None
    except (OSError, ssl.SSLError) as exc:
        raise BadInput(f"--ca-file {path}: not a PEM file of CA certificates ({exc.__class__.__name__})") from None
    return path


def _bimi_selector(text: str) -> str:
    selector = text.strip().lower().rstrip(".")
    if (
        not selector
        or any(not label or len(label) > 63 for label in selector.split("."))
        or not all(ch.isalnum() or ch in "-_." for ch in selector)
    ):
        raise BadInput(f"--bimi-selector {text!r} is not a valid selector")
    return selector


DEFAULT_CONCURRENCY = 20

ReportCallback = Callable[[Report], None]


def run_domain(
    request: DomainRequest,
    network: NetworkOptions,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_report: ReportCallback | None = None,
) -> tuple[list[Report], list[QueryRecord]]:
    """Check every domain of the request, ``concurrency`` at a time.

    ``on_report`` is called with each report as it completes (completion order), so a
    bulk run can stream; the returned list keeps the request's order.
    """
    with serving_zones(network.zones) as zones:
        return asyncio.run(_run(request, network, zones, concurrency, on_report))


async def _run(request, network, zones, concurrency, on_report):  # type: ignore[no-untyped-def]
    if len(request.domains) <= concurrency:
        # One resolver for the run: its cache serves every domain (shared includes,
        # blocklist zones), and its figures are the run's.
        async with run_dns(network, zones) as (resolver, library):

            @asynccontextmanager
            async def shared():  # type: ignore[no-untyped-def]
                yield resolver, library

            reports = await domain_reports(request, shared, concurrency=concurrency, on_report=on_report)
        stats, log = resolver.stats(), list(resolver.log)
    else:
        # A bulk run: each domain gets its own resolver, dropped with its report, so
        # memory stays flat however long the list is (a run-wide cache would hold
        # every answer of every domain until the end). Names many domains ask (their
        # providers' SPF includes) come from a bounded shared cache. The figures are summed.
        spent: list = []
        shared = SharedAnswers()

        @asynccontextmanager
        async def own():  # type: ignore[no-untyped-def]
            async with run_dns(network, zones, shared) as (resolver, library):
                try:
                    yield resolver, library
                finally:
                    spent.append((resolver.stats(), resolver.log))

        started = time.perf_counter()
        reports = await domain_reports(request, own, concurrency=concurrency, on_report=on_report)
        stats = DnsStats(
            queries=sum(s.queries for s, _ in spent),
            elapsed_ms=round((time.perf_counter() - started) * 1000),
            max_in_flight=max((s.max_in_flight for s, _ in spent), default=0),
        )
        log = [record for _, records in spent for record in records]
    # Each report carries the run's figures, as the text report prints them once.
    reports = [Report(r.command, r.target, r.obstacles, stats, r.display_target, r.extra) for r in reports]
    return reports, log


DnsFactory = Callable[[], AbstractAsyncContextManager]


async def domain_reports(
    request: DomainRequest,
    dns_for_domain: DnsFactory,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_report: ReportCallback | None = None,
) -> list[Report]:
    """The request's reports, at most ``concurrency`` domains in flight at once.

    ``dns_for_domain()`` gives the (resolver, library) a domain is checked with. The
    limit is on domains, not queries (resolvers cap those): it bounds memory and open
    sockets however long the list is.
    """
    limit = asyncio.Semaphore(max(1, concurrency))

    async def one(name: DomainName) -> Report:
        async with limit:
            try:
                async with dns_for_domain() as (resolver, library):
                    report = await _guarded_report(name, resolver, library, request.options)
            except Exception as exc:  # noqa: BLE001  (setting up the DNS failed: this domain's error)
                report = crash_report("domain", name.ascii, exc, display_target=name.unicode)
        if on_report is not None:
            on_report(report)
        return report

    return list(await asyncio.gather(*(one(name) for name in request.domains)))


async def _guarded_report(name: DomainName, resolver, library, options: DomainOptions) -> Report:  # type: ignore[no-untyped-def]
    """domain_report turns a crash inside an area into an error check; this catches a
    crash around the areas too, so one domain can never end a bulk run."""
    from mailcheck.domain_report import domain_report

    try:
        return await domain_report(name, resolver, library, options)
    except Exception as exc:  # noqa: BLE001  (reported as the domain's error check)
        return crash_report("domain", name.ascii, exc, display_target=name.unicode)


def crash_report(command: str, target: str, exc: BaseException, *, display_target: str | None = None) -> Report:
    check = CRASH.error(
        target,
        f"checking {target} crashed: {type(exc).__name__}: {exc}",
        details={"exception": type(exc).__name__, "message": str(exc)},
    )
    return Report(command, target, (Obstacle("run", "Run", (check,)),), display_target=display_target)


def read_domain_file(path: str) -> list[str]:
    """Domains from ``path`` (``-``: stdin), one a line; blank lines and ``#`` comments
    are skipped. A line that is not a domain is bad input naming its line number."""
    import sys
    from pathlib import Path

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"--from-file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    where = "stdin" if path == "-" else path
    domains = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        try:
            parse_domain(entry)
        except BadInput as exc:
            raise BadInput(f"--from-file {where} line {number}: {exc}") from None
        domains.append(entry)
    if not domains:
        raise BadInput(f"--from-file {where}: no domains (only blank lines and comments)")
    return domains
