"""The STARTTLS sessions with every MX address, run once per domain and handed to the
smtp/tls, mta-sts and dane checks as one value.

The value says which of three things happened: the sessions ran (``Probed``), they were
turned off with --no-smtp (``NotProbed``), or the MX lookup could not be answered, so
there was nothing to connect to (``MxUnknown``). An MX that names no host with an
address is ``Probed`` with no sessions.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailcheck.checks.context import DomainContext
from mailcheck.dns.errors import DnsError, DnsUnavailable
from mailcheck.mxhosts import MxHosts, MxLookupFailed, host_addresses, mx_route

if TYPE_CHECKING:  # the SMTP session code loads when a run talks SMTP (not with --no-smtp)
    from mailcheck.smtp.starttls_probe import MxProbe


@dataclass(frozen=True)
class Probed:
    probes: tuple[MxProbe, ...]

    def of_host(self, host: str) -> tuple[MxProbe, ...]:
        return tuple(probe for probe in self.probes if probe.host == host)


@dataclass(frozen=True)
class NotProbed:
    """--no-smtp: no session was attempted."""


@dataclass(frozen=True)
class MxUnknown:
    """The MX lookup, or every MX host's address lookup, could not be answered."""

    error: DnsUnavailable


StartTlsResults = Probed | NotProbed | MxUnknown


def start_sessions(context: DomainContext) -> asyncio.Future[StartTlsResults]:
    """The sessions start at once and run while the areas that read them fetch their
    own records; each awaits the shared future only where it needs a certificate."""
    return asyncio.ensure_future(_sessions(context))


async def _sessions(context: DomainContext) -> StartTlsResults:
    if not context.options.smtp:
        return NotProbed()
    from mailcheck.smtp.starttls_probe import probe_starttls

    targets = await mx_addresses(context)
    if isinstance(targets, DnsUnavailable):
        return MxUnknown(targets)
    options = context.options
    probes = await asyncio.gather(
        *(
            probe_starttls(host, address, options.smtp_port, timeout=context.timeout, ca_file=options.ca_file)
            for host, addresses in targets
            for address in addresses
        )
    )
    return Probed(tuple(probes))


async def mx_addresses(context: DomainContext) -> list[tuple[str, list[str]]] | DnsUnavailable:
    """(host, addresses) for every MX host ([] when the domain has no usable MX), or
    the error when the MX lookup, or every MX host's address lookup, went unanswered."""
    route = await mx_route(context.resolver, context.domain.ascii)
    if isinstance(route, MxLookupFailed):
        return route.error
    if not isinstance(route, MxHosts):
        return []
    resolved = await host_addresses(context.resolver, route.hosts)
    found = [
        (host, [] if isinstance(answer, DnsError) else answer)
        for host, answer in resolved
        if not isinstance(answer, DnsUnavailable)
    ]
    unanswered = [answer for _, answer in resolved if isinstance(answer, DnsUnavailable)]
    if unanswered and not any(addresses for _, addresses in found):
        # Nothing to connect to because the lookups failed, not because there is no
        # address: that is "could not tell", which mx.host reports per host as well.
        return unanswered[0]
    return found
