"""Validate and run ``mailcheck domain``: several domains checked concurrently."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mailcheck.checks.context import DomainOptions
from mailcheck.errors import BadInput
from mailcheck.model import Report
from mailcheck.names import DomainName, parse_domain
from mailcheck.run import DEFAULT_CONCURRENCY, DnsScope, Env, RunOutcome, run_targets
from mailcheck.runtime import NetworkOptions


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
        return cls(names, DomainOptions(clean_selectors, ip, helo, mail_from, **transport))


def _selector(text: str) -> str:
    selector = text.strip().lower().rstrip(".")
    labels = selector.split(".")
    if not selector or any(not label or len(label) > 63 for label in labels) or not all(
        ch.isalnum() or ch in "-_." for ch in selector
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
    if not selector or any(not label or len(label) > 63 for label in selector.split(".")) or not all(
        ch.isalnum() or ch in "-_." for ch in selector
    ):
        raise BadInput(f"--bimi-selector {text!r} is not a valid selector")
    return selector


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
) -> RunOutcome[DomainName]:
    """Check every domain of the request, ``concurrency`` at a time.

    A few domains share one resolver: its cache serves every domain (shared includes,
    blocklist zones). A bulk run gives each domain its own, dropped with its report, so
    memory stays flat however long the list is; names many domains ask (their
    providers' SPF includes) come from a bounded shared cache.
    """
    scope = DnsScope.RUN if len(request.domains) <= concurrency else DnsScope.TARGET
    return run_targets(
        DomainChecker(request.options),
        request.domains,
        network,
        scope=scope,
        concurrency=concurrency,
        on_report=on_report,
    )


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
