"""Validate and run ``mailcheck links``: extract, follow (optionally), look up every host."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mailcheck.blocklists.catalogue import BlockList
from mailcheck.commands.blocklist import ListChoice
from mailcheck.dns.resolver import QueryRecord, Resolver
from mailcheck.errors import BadInput
from mailcheck.model import Report
from mailcheck.runtime import NetworkOptions, run_dns, serving_zones

if TYPE_CHECKING:
    from mailcheck.links.extract import Extraction, Link

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

    @classmethod
    def from_cli(
        cls, sources: Sequence[str], choice: ListChoice, follow: bool, ca_file: str | None, stdin: bytes | None = None
    ) -> LinksRequest:
        from mailcheck.links.extract import MAX_URL_CHARS, shown_url
        from mailcheck.links.report import is_web_url

        if not sources:
            raise BadInput("give at least one message file, HTML file or http(s) URL")
        if sources.count(STDIN) > 1:
            raise BadInput("'-' (stdin) can be given once")
        for source in sources:
            if source == STDIN or _is_file(source):
                continue
            if not is_web_url(source):
                raise BadInput(f"{shown_url(source)!r} is neither a file nor an http(s) URL")
            if len(source) > MAX_URL_CHARS:
                raise BadInput(f"{shown_url(source)}: a URL of over {MAX_URL_CHARS:,} characters is not one a reader can follow")
        if ca_file is not None and not Path(ca_file).is_file():
            raise BadInput(f"--ca-file {ca_file}: no such file")
        if ca_file is not None and not follow:
            raise BadInput("--ca-file is used with --follow (it trusts a CA for the HTTPS requests)")
        return cls(tuple(sources), choice.lists(), follow, ca_file, stdin)


def run_links(request: LinksRequest, network: NetworkOptions) -> tuple[list[Report], list[QueryRecord]]:
    with serving_zones(network.zones) as zones:
        return asyncio.run(_run(request, network, zones))


async def _run(request: LinksRequest, network: NetworkOptions, zones):  # type: ignore[no-untyped-def]
    async with run_dns(network, zones) as (resolver, _library):
        reports = await links_reports(resolver, request)
    stats = resolver.stats()
    reports = [Report(r.command, r.target, r.obstacles, stats, r.display_target, r.extra) for r in reports]
    return reports, list(resolver.log)


async def links_reports(resolver: Resolver, request: LinksRequest) -> list[Report]:
    from mailcheck.blocklists.lookup import usable_lists

    lists, skipped = await usable_lists(resolver, request.lists)
    if request.follow:
        from mailcheck.links.follow import make_client

        limit = asyncio.Semaphore(MAX_FOLLOWING)
        async with make_client(resolver, resolver.timeout, request.ca_file) as client:
            return list(
                await asyncio.gather(*(_report(s, resolver, request, lists, skipped, client, limit) for s in request.sources))
            )
    return list(await asyncio.gather(*(_report(s, resolver, request, lists, skipped) for s in request.sources)))


async def _report(source, resolver, request, lists, skipped, client=None, limit=None) -> Report:  # type: ignore[no-untyped-def]
    from mailcheck.blocklists.lookup import look_up_all
    from mailcheck.links.extract import Extraction, Link, links_in_file
    from mailcheck.links.follow import follow
    from mailcheck.links.report import (
        found_check,
        limits_check,
        link_check,
        link_hosts,
        listing_checks,
        targets_for,
    )
    from mailcheck.model import group

    if source == STDIN:
        extraction = _links_in_stdin(request.stdin or b"")
    elif _is_file(source):
        extraction = await asyncio.to_thread(links_in_file, source)
    else:
        extraction = Extraction((Link(source, "command line"),))
    links = list(extraction.links)
    trails: list = [None] * len(links)
    if client is not None:
        web = [i for i, link in enumerate(links) if not link.url.lower().startswith("mailto:")]
        async def follow_one(url: str):  # type: ignore[no-untyped-def]
            async with limit:
                return await follow(client, url, resolver.timeout)

        followed = await asyncio.gather(*(follow_one(links[i].url) for i in web))
        for i, trail in zip(web, followed):
            trails[i] = trail
    hosts = list(dict.fromkeys(h for link, trail in zip(links, trails) for h in link_hosts(link, trail)))
    targets = targets_for(hosts)
    unique_targets = list({t.value: t for t in targets.values()}.values())
    lookups = await look_up_all(resolver, unique_targets, lists)
    by_value: dict[str, list] = {}
    for lookup in lookups:
        by_value.setdefault(lookup.target.value, []).append(lookup)
    checks = [found_check(source, links, hosts)]
    limits = limits_check(source, extraction)
    if limits is not None:
        checks.append(limits)
    checks += [link_check(link, trail, targets, by_value, request.lists) for link, trail in zip(links, trails)]
    checks += listing_checks(lookups) + [c for c in skipped if links]
    return Report(command="links", target=source, obstacles=group(checks, OBSTACLES))


def _is_file(source: str) -> bool:
    # Path.is_file raises, rather than answers False, for a name too long for the system.
    try:
        return Path(source).is_file()
    except OSError:
        return False


def _links_in_stdin(data: bytes) -> Extraction:
    """A page when it opens like one (<!doctype, <html, any tag), else a message."""
    from mailcheck.links.extract import MAX_INPUT_BYTES, links_in_data

    return links_in_data(data[:MAX_INPUT_BYTES], len(data), "stdin", html=data.lstrip()[:1] == b"<")
