"""mailcheck as a library: check a domain, probe an address, get the Report back.

The functions take the command line's options under the same names (``smtp=False``
is ``--no-smtp``, ``dkim_selectors`` is ``--dkim-selector``) and validate them the same
way: bad input raises ``mailcheck.errors.BadInput`` with the CLI's message. Each call
runs its own event loop, so call them from synchronous code (a script, a thread, a
Dask task); ``check_domains`` is the bulk run of ``mailcheck domain --from-file``,
worker processes included::

    from mailcheck.api import Network, check_domain, probe_address

    report = check_domain("example.com", smtp=False, dkim_selectors=("google",))
    print(report.status, [check.id for check in report.checks if check.status.severity])
    report = probe_address("postmaster@example.com", network=Network(timeout=10))

``Report`` (mailcheck.model) is a frozen dataclass; ``mailcheck.render.json`` turns
one into the JSON document the CLI prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailcheck.model import Report

if TYPE_CHECKING:
    from mailcheck.commands.domain import DomainRequest
    from mailcheck.runtime import NetworkOptions

__all__ = ["Network", "Report", "check_domain", "check_domains", "probe_address"]


@dataclass(frozen=True)
class Network:
    """The global options: ``nameservers`` as ``HOST[:PORT]`` (default: the system's
    resolv.conf), ``zones`` (zone files served on loopback, as ``--zone``), ``offline``,
    ``timeout`` (seconds a lookup may take)."""

    nameservers: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    offline: bool = False
    timeout: float = 5.0

    def options(self) -> NetworkOptions:
        from mailcheck.dns.nameservers import parse_nameservers
        from mailcheck.errors import BadInput
        from mailcheck.runtime import NetworkOptions

        if not self.timeout > 0:
            raise BadInput(f"timeout must be a positive number of seconds, not {self.timeout}")
        return NetworkOptions(
            nameservers=parse_nameservers(self.nameservers) if self.nameservers else (),
            zones=tuple(str(zone) for zone in self.zones),
            offline=self.offline,
            timeout=self.timeout,
        )


@dataclass(frozen=True)
class DomainSettings:
    """``mailcheck domain``'s options (see ``check_domain``)."""

    dkim_selectors: tuple[str, ...] = ()
    ip: str | None = None
    helo: str | None = None
    mail_from: str | None = None
    smtp: bool = True
    port: int = 25
    https_port: int = 443
    ca_file: str | None = None
    bimi_selector: str = "default"

    def request(self, domains: Sequence[str]) -> DomainRequest:
        # The CLI's own validation, so a bad value gets the same one-line message.
        from mailcheck.cli.domain import domain_options
        from mailcheck.commands.domain import DomainRequest
        from mailcheck.names import parse_domain

        options = domain_options(
            self.dkim_selectors,
            self.ip,
            self.helo,
            self.mail_from,
            smtp=self.smtp,
            port=self.port,
            https_port=self.https_port,
            ca_file=self.ca_file,
            bimi_selector=self.bimi_selector,
        )
        return DomainRequest(tuple(parse_domain(text) for text in domains), options)


def check_domain(domain: str, *, network: Network | None = None, **options: object) -> Report:
    """The report of ``mailcheck domain DOMAIN``; ``options`` are DomainSettings' fields."""
    from mailcheck.commands.domain import run_domain

    request = DomainSettings(**options).request([domain])  # type: ignore[arg-type]
    return run_domain(request, (network or Network()).options()).reports[0]


def check_domains(
    domains: Iterable[str],
    *,
    network: Network | None = None,
    concurrency: int = 100,  # --from-file's default, mailcheck.run.BULK_CONCURRENCY
    on_report: Callable[[Report], None] | None = None,
    keep: bool = True,
    workers: int | None = None,
    **options: object,
) -> list[Report]:
    """``mailcheck domain --from-file``: the reports in the input's order (none with
    ``keep=False``: then ``on_report`` sees each as it completes). ``workers``: how many
    processes (default: every core for a list longer than ``concurrency``)."""
    from mailcheck.commands.domain import run_domain
    from mailcheck.errors import BadInput

    if concurrency < 1:
        raise BadInput(f"concurrency must be at least 1, not {concurrency}")
    request = DomainSettings(**options).request(list(domains))  # type: ignore[arg-type]
    outcome = run_domain(
        request,
        (network or Network()).options(),
        concurrency=concurrency,
        on_report=on_report,
        keep=keep,
        keep_log=False,
        workers=workers,
    )
    return outcome.reports


def probe_address(
    address: str,
    *,
    network: Network | None = None,
    port: int = 25,
    helo: str | None = None,
    mail_from: str | None = None,
    tls: bool = True,
    ca_file: str | None = None,
    catch_all: bool = True,
    ipv4: bool = False,
    ipv6: bool = False,
    retry_greylist: float | None = None,
) -> Report:
    """The report of ``mailcheck probe ADDRESS``: would its server accept the mailbox?
    (No message is sent: the probe stops before DATA.)"""
    from mailcheck.cli.probe import probe_options
    from mailcheck.commands.probe import ProbeRequest, parse_address, run_probe

    settings = network or Network()
    options = probe_options(
        port=port,
        helo=helo,
        mail_from=mail_from,
        tls=tls,
        ca_file=ca_file,
        catch_all=catch_all,
        ipv4=ipv4,
        ipv6=ipv6,
        retry_greylist=retry_greylist,
        timeout=settings.timeout,
    )
    request = ProbeRequest((parse_address(address),), options, False)
    return run_probe(request, settings.options()).reports[0]
