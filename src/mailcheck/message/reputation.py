"""The sending IP and the body's links on DNS blocklists, by the blocklist code the
``blocklist`` and ``links`` commands use; and the sending IP's reverse DNS."""

from __future__ import annotations

from collections.abc import Sequence

from mailcheck.blocklists.catalogue import BlockList
from mailcheck.dns.resolver import Resolver
from mailcheck.model import Check

MAX_LINK_HOSTS = 20  # a newsletter may carry hundreds of links; their hosts are few


async def reputation_checks(
    resolver: Resolver, lists: Sequence[BlockList], ip: str | None, link_hosts: Sequence[str]
) -> list[Check]:
    from mailcheck.blocklists.lookup import listing_check, look_up_all
    from mailcheck.blocklists.targets import Target
    from mailcheck.links.report import targets_for

    targets = [Target(ip, "ip", ip, role="sending IP")] if ip else []
    targets.extend(targets_for(list(link_hosts)[:MAX_LINK_HOSTS]).values())
    if not targets or not lists:
        return []
    lookups = await look_up_all(resolver, targets, list(lists))
    return [listing_check(lookup) for lookup in lookups]


async def fcrdns_check(resolver: Resolver, ip: str) -> Check:
    from mailcheck.checks.mx import check_fcrdns
    from mailcheck.checks.reputation import FCRDNS

    check = await check_fcrdns(resolver, ip)
    # The same test as mx.ptr, filed under the sending IP as the domain report does.
    return FCRDNS.recast(check, subject=f"{ip} (sending IP)")
