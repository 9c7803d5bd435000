"""The fixtures and hooks every test shares: the loopback-only network guard and the
fixture zone server. The helpers tests import live in tests/helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mailcheck.dns.nameservers import Nameserver
from mailcheck.dns.resolver import Resolver
from mailcheck.dns.zones import load_zones
from mailcheck.dns.zoneserver import ZoneServer
from tests.helpers import netguard
from tests.helpers.paths import ZONES

netguard.install_loopback_guard()


@pytest.fixture(autouse=True)
def loopback_only() -> Iterator[None]:
    """Fail the test if it, or a guarded child process, tried to reach outside loopback."""
    before = netguard.take_unwatched()  # made by a session fixture set up for this test
    with netguard.watch() as attempts:
        yield
    if blocked := before + attempts:
        pytest.fail(netguard.report(blocked), pytrace=False)


@pytest.fixture(scope="session")
def zone_server() -> Iterator[ZoneServer]:
    """The project's zone server over fixtures/zones, for the whole session."""
    with ZoneServer(load_zones([ZONES])) as server:
        yield server


@pytest.fixture
def resolver_factory(zone_server: ZoneServer) -> Callable[..., Resolver]:
    """Build a Resolver that answers from the fixture zones and refuses everything else."""

    def make(timeout: float = 2.0, **kwargs: Any) -> Resolver:
        return Resolver(
            zone_server=Nameserver(zone_server.host, zone_server.port),
            zone_origins=zone_server.origins,
            offline=True,
            timeout=timeout,
            **kwargs,
        )

    return make
