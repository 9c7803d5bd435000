"""blocklist.* and ip.*: the domain, its MX addresses and the sending IP on DNS blocklists.

The domain goes to the domain lists, every MX address and the --ip address to the IP
lists, all lookups at once; the sending IP also gets its forward-confirmed reverse DNS
checked, since receivers distrust an IP whose PTR does not resolve back to it.
"""

from __future__ import annotations

import asyncio
import dataclasses

from mailcheck.blocklists.catalogue import select_lists
from mailcheck.blocklists.lookup import listing_checks, look_up_all, usable_lists
from mailcheck.blocklists.targets import Target
from mailcheck.checks.context import DomainContext
from mailcheck.checks.mx import check_fcrdns, is_null_mx, mx_records
from mailcheck.dns.errors import DnsError
from mailcheck.dns.resolver import Resolver, is_ip_address, settle
from mailcheck.model import Check


async def check_reputation(context: DomainContext) -> list[Check]:
    resolver = context.resolver
    domain = context.domain.ascii
    lists, skipped = await usable_lists(resolver, select_lists())
    sending_ip = context.options.sending_ip
    targets = [Target(domain, "domain", domain)]
    if sending_ip:
        targets.append(Target(sending_ip, "ip", sending_ip, role="sending IP"))
    mx_targets, fcrdns = await asyncio.gather(
        _mx_addresses(resolver, domain),
        check_fcrdns(resolver, sending_ip) if sending_ip else _nothing(),
    )
    targets.extend(t for t in mx_targets if t.value != sending_ip)
    lookups = await look_up_all(resolver, targets, lists)
    checks = listing_checks(lookups) + skipped
    if fcrdns is not None:
        # The same test as mx.ptr, filed under the sending IP's reputation.
        checks.append(dataclasses.replace(fcrdns, id="ip.fcrdns", subject=f"{sending_ip} (sending IP)"))
    return checks


async def _mx_addresses(resolver: Resolver, domain: str) -> list[Target]:
    """Every address of every MX host; the routing checks report hosts that do not resolve."""
    records = await settle(mx_records(resolver, domain))
    if isinstance(records, DnsError) or is_null_mx(records):
        return []
    hosts = list(dict.fromkeys(r.host for r in records if not is_ip_address(r.host)))
    answers = await asyncio.gather(*(settle(resolver.addresses(host)) for host in hosts))
    targets: dict[str, Target] = {}
    for host, addresses in zip(hosts, answers):
        if isinstance(addresses, DnsError):
            continue
        for address in addresses:
            targets.setdefault(address, Target(host, "ip", address, role=f"MX {host}"))
    return list(targets.values())


async def _nothing() -> None:
    return None
