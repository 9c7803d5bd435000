"""Answers that the resolvers of one bulk run share.

A bulk run gives each domain its own resolver so that memory stays flat, yet domains
share many names: their provider's SPF includes (``_spf.google.com``), the
organizational domain's records, blocklist lookups of the same registered domain.
This keeps the most recent answers, a bounded number of them and each only for its
TTL (capped, as a run may last hours), so a shared name is asked once per TTL rather
than once per domain. "Could not tell" outcomes are never kept: a timeout for one
domain must not become every later domain's answer. The resolvers may also share one
cap on the queries they have in flight, so the domains in flight together never put
more than that on the nameservers at once, and their UDP sockets: a domain's resolver
would otherwise open a socket (and register it with the event loop) for each burst of
its queries, several a domain, where shared ones carry QUERIES_PER_SOCKET queries each
(see mailcheck.dns.transport).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from mailcheck.dns.errors import DnsError, DnsUnavailable
from mailcheck.dns.nameservers import Nameserver
from mailcheck.dns.slots import Slots
from mailcheck.dns.transport import UdpChannel

Key = tuple[str, str, bool]

DEFAULT_ENTRIES = 4096
# A run-long cache must not outlive what the zone's owner asked for, nor hold an
# answer long after a fix: at most five minutes, one minute for "does not exist".
MAX_TTL = 300.0
NEGATIVE_TTL = 60.0


class SharedAnswers:
    def __init__(
        self,
        max_entries: int = DEFAULT_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
        max_in_flight: int | None = None,
    ) -> None:
        self._entries: OrderedDict[Key, tuple[float, object]] = OrderedDict()
        self._max_entries = max_entries
        self._clock = clock
        self.hits = 0
        # The queries all these resolvers may have in flight at once (None: each
        # resolver keeps to its own cap only).
        self.in_flight = Slots(max_in_flight) if max_in_flight else None
        self.channels: dict[Nameserver, UdpChannel] = {}

    def get(self, key: Key) -> object | None:
        """The kept outcome (an Answer or a DnsError) for ``key``, or None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, outcome = entry
        if self._clock() >= expires:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return _fresh(outcome)

    def put(self, key: Key, outcome: object, ttl: float | None) -> None:
        """Keep an Answer (with its TTL) or a NoSuchDomain/NoRecords outcome."""
        if isinstance(outcome, DnsUnavailable):
            return
        lifetime = NEGATIVE_TTL if isinstance(outcome, DnsError) else min(float(ttl or 0), MAX_TTL)
        if lifetime <= 0:
            return
        self._entries[key] = (self._clock() + lifetime, _fresh(outcome))
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def _fresh(outcome: object) -> object:
    """A raised error carries its traceback, and with it the frames (and the whole
    resolver) of the domain that raised it; keep and hand out tracebackless copies."""
    if isinstance(outcome, DnsError):
        return type(outcome)(outcome.name, outcome.rdtype, outcome.reason)
    return outcome
