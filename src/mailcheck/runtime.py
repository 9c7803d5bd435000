"""What every command does around its checks: serve --zone files, build the run's
resolver, hand libraries the same DNS, and run the async work to completion."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailcheck.dns.nameservers import DEFAULT_TIMEOUT, Nameserver, system_nameservers

# The resolver, dnspython and asyncio load only when a run builds its DNS: a command
# without any (``mailcheck report --no-dns``) is spared a good part of its start-up.
if TYPE_CHECKING:
    from mailcheck.dns.library import LibraryResolver
    from mailcheck.dns.resolver import Resolver
    from mailcheck.dns.shared_answers import SharedAnswers


@dataclass(frozen=True)
class NetworkOptions:
    """The global options that decide where a run's DNS and connections go."""

    nameservers: tuple[Nameserver, ...] = ()
    zones: tuple[str, ...] = ()
    offline: bool = False
    timeout: float = DEFAULT_TIMEOUT
    # The resolv.conf whose nameservers stand in when none are given; None: the
    # MAILCHECK_RESOLV_CONF environment variable at run time, else /etc/resolv.conf.
    resolv_conf: str | None = None


RESOLV_CONF_ENV = "MAILCHECK_RESOLV_CONF"


def upstream_nameservers(options: NetworkOptions) -> tuple[Nameserver, ...]:
    """Where names outside the zones go: the given nameservers, else the system's.

    The system's are read when the run starts, not at import, so one process can run
    with different files (the tests point MAILCHECK_RESOLV_CONF at a loopback server).
    """
    if options.nameservers or options.offline:
        return options.nameservers
    path = options.resolv_conf or os.environ.get(RESOLV_CONF_ENV) or None
    return system_nameservers(path)


@dataclass(frozen=True)
class ZoneEndpoint:
    """A running zone server, as the resolver needs to know it."""

    nameserver: Nameserver
    origins: tuple[str, ...]


@contextmanager
def serving_zones(paths: Sequence[str]) -> Iterator[ZoneEndpoint | None]:
    """Load and serve ``paths`` on loopback for the run; BadInput for a broken file."""
    if not paths:
        yield None
        return
    from mailcheck.dns.zones import load_zones
    from mailcheck.dns.zoneserver import ZoneServer

    zones = load_zones(paths)
    with ZoneServer(zones) as server:
        yield ZoneEndpoint(Nameserver(server.host, server.port), tuple(server.origins))


def build_resolver(options: NetworkOptions, zones: ZoneEndpoint | None, shared: SharedAnswers | None = None) -> Resolver:
    from mailcheck.dns.resolver import Resolver

    return Resolver(
        upstream=upstream_nameservers(options),
        zone_server=zones.nameserver if zones else None,
        zone_origins=zones.origins if zones else (),
        offline=options.offline,
        timeout=options.timeout,
        shared=shared,
    )


@asynccontextmanager
async def run_dns(
    options: NetworkOptions, zones: ZoneEndpoint | None, shared: SharedAnswers | None = None
) -> AsyncIterator[tuple[Resolver, LibraryResolver]]:
    """The run's resolver, and the same DNS as a blocking resolver for libraries.

    Inside the block pyspf resolves through it too (see mailcheck.dns.library).
    """
    import asyncio

    from mailcheck.dns.library import LibraryResolver, library_dns

    resolver = build_resolver(options, zones, shared)
    library = LibraryResolver(resolver, asyncio.get_running_loop())
    with library_dns(library):
        yield resolver, library
