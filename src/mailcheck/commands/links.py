"""Run ``mailcheck links``: extract, follow (optionally), look up every host."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mailcheck.blocklists.catalogue import BlockList
from mailcheck.dns.resolver import Resolver
from mailcheck.model import Check, Report
from mailcheck.once import Once
from mailcheck.run import DnsScope, Env, RunOutcome, run_targets
from mailcheck.runtime import NetworkOptions

if TYPE_CHECKING:
    from mailcheck.links.extract import Extraction, Link
    from mailcheck.links.trail import Trail

# Links followed at once: a message may carry hundreds, and each holds a connection.
MAX_FOLLOWING = 8
OBSTACLES = (("links", "Links", ("links",)), ("reputation", "Reputation", ("blocklist",)))
STDIN = "-"


@dataclass(frozen=True)
class LinksRequest:
    sources: tuple[str, ...]  # files (.eml, .html) or http(s) URLs
    lists: tuple[BlockList, ...]
    follow: bool = False
    ca_file: str | None = None
    stdin: bytes | None = None  # what "-" stands for: a message or an HTML page


@dataclass(frozen=True)
class UsableLists:
    lists: tuple[BlockList, ...]
    skipped: tuple[Check, ...]  # a skip for each list --offline puts out of reach


@dataclass
class LinksChecker:
    """Checks one source: its links, where they redirect (--follow), every host met on
    the lists. Which lists this run can ask is decided once for all sources."""

    request: LinksRequest
    command: str = "links"
    usable: Once[UsableLists] = field(default_factory=Once)
    # Links followed at once over the whole run.
    following: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(MAX_FOLLOWING))

    def label(self, target: str) -> str:
        return target

    async def check(self, target: str, env: Env) -> Report:
        resolver = env.resolver
        assert resolver is not None  # DnsScope.RUN
        usable = await self.usable.get(lambda: _usable_lists(resolver, self.request.lists))
        extraction = await self._extract(target)
        links = list(extraction.links)
        trails: list[Trail | None] = [None] * len(links)
        if self.request.follow:
            trails = await self._follow(links, resolver)
        return await _report(target, extraction, links, trails, resolver, self.request, usable)

    async def _extract(self, source: str) -> Extraction:
        from mailcheck.links.extract import Extraction, Link, links_in_file

        if source == STDIN:
            return _links_in_stdin(self.request.stdin or b"")
        if is_file(source):
            return await asyncio.to_thread(links_in_file, source)
        return Extraction((Link(source, "command line"),))

    async def _follow(self, links: Sequence[Link], resolver: Resolver) -> list[Trail | None]:
        from mailcheck.links.follow import follow, make_client

        trails: list[Trail | None] = [None] * len(links)
        web = [i for i, link in enumerate(links) if not link.url.lower().startswith("mailto:")]
        async with make_client(resolver, resolver.timeout, self.request.ca_file) as client:

            async def follow_one(url: str) -> Trail:
                async with self.following:
                    return await follow(client, url, resolver.timeout)

            followed = await asyncio.gather(*(follow_one(links[i].url) for i in web))
        for i, trail in zip(web, followed, strict=True):
            trails[i] = trail
        return trails


def run_links(request: LinksRequest, network: NetworkOptions) -> RunOutcome[str]:
    return run_targets(LinksChecker(request), request.sources, network, scope=DnsScope.RUN)


async def _usable_lists(resolver: Resolver, lists: Sequence[BlockList]) -> UsableLists:
    from mailcheck.blocklists.lookup import usable_lists

    usable, skipped = await usable_lists(resolver, lists)
    return UsableLists(tuple(usable), tuple(skipped))


async def _report(
    source: str,
    extraction: Extraction,
    links: Sequence[Link],
    trails: Sequence[Trail | None],
    resolver: Resolver,
    request: LinksRequest,
    usable: UsableLists,
) -> Report:
    from mailcheck.blocklists.lookup import Lookup, look_up_all
    from mailcheck.links.report import (
        found_check,
        limits_check,
        link_check,
        link_hosts,
        listing_checks,
        targets_for,
    )
    from mailcheck.model import group

    hosts = list(dict.fromkeys(h for link, trail in zip(links, trails, strict=True) for h in link_hosts(link, trail)))
    targets = targets_for(hosts)
    unique_targets = list({t.value: t for t in targets.values()}.values())
    lookups = await look_up_all(resolver, unique_targets, usable.lists)
    by_value: dict[str, list[Lookup]] = {}
    for lookup in lookups:
        by_value.setdefault(lookup.target.value, []).append(lookup)
    checks = [found_check(source, links, hosts)]
    limits = limits_check(source, extraction)
    if limits is not None:
        checks.append(limits)
    checks += [link_check(link, trail, targets, by_value, request.lists) for link, trail in zip(links, trails, strict=True)]
    checks += listing_checks(lookups) + [c for c in usable.skipped if links]
    return Report(command="links", target=source, obstacles=group(checks, OBSTACLES))


def is_file(source: str) -> bool:
    # Path.is_file raises, rather than answers False, for a name too long for the system.
    try:
        return Path(source).is_file()
    except OSError:
        return False


def _links_in_stdin(data: bytes) -> Extraction:
    """A page when it opens like one (<!doctype, <html, any tag), else a message."""
    from mailcheck.links.extract import MAX_INPUT_BYTES, links_in_data

    return links_in_data(data[:MAX_INPUT_BYTES], len(data), "stdin", html=data.lstrip()[:1] == b"<")
