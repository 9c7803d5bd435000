"""Where a link led: the hops of its redirects and the hosts met on the way.

Kept apart from the code that follows links (mailcheck.links.follow, which needs
httpx, about 150 ms to import) so that the reports of links, which every message
report has, are made without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Hop:
    url: str
    method: str
    status: int
    location: str | None = None


@dataclass(frozen=True)
class Trail:
    """Where a link leads: the requests made, the last URL reached, and what stopped it."""

    start: str
    hops: tuple[Hop, ...]
    final_url: str
    error: str | None = None

    @property
    def redirects(self) -> int:
        return sum(1 for hop in self.hops if hop.location)

    @property
    def urls(self) -> list[str]:
        urls = [hop.url for hop in self.hops] + [self.final_url]
        return list(dict.fromkeys(urls))


def hosts_of(urls: Sequence[str]) -> list[str]:
    hosts = []
    for url in urls:
        try:
            host = urlsplit(url).hostname
        except ValueError:
            continue
        if host and host not in hosts:
            hosts.append(host)
    return hosts
