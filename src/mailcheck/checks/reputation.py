"""blocklist.* and ip.*: the domain, its MX addresses and the sending IP on DNS blocklists.

The domain goes to the domain lists, every MX address and the --ip address to the IP
lists, all lookups at once; the sending IP also gets its forward-confirmed reverse DNS
checked, since receivers distrust an IP whose PTR does not resolve back to it.
"""

from __future__ import annotations

import asyncio

from mailcheck.blocklists.catalogue import select_lists
from mailcheck.blocklists.lookup import listing_checks, look_up_all, usable_lists
from mailcheck.blocklists.targets import Target
from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.checks.context import DomainContext
from mailcheck.checks.mx import check_fcrdns
from mailcheck.dns.errors import DnsError
from mailcheck.dns.resolver import Resolver, is_ip_address
from mailcheck.model import Check
from mailcheck.mxhosts import MxHosts, host_addresses, mx_route

FCRDNS = CheckSpec(
    id="ip.fcrdns",
    title="The sending IP has forward-confirmed reverse DNS",
    verifies=(
        "The same test as mx.ptr, applied to the sending IP given with --ip: its PTR record "
        "names a host whose A/AAAA records include the IP again (pass). Warns when there is no "
        "PTR or no PTR name resolves back to the IP; error when the PTR lookup, or the forward "
        "lookup of a PTR name when no other name confirms the IP, could not be answered "
        "(timeout, SERVFAIL). Only run when --ip (or sending_ips in mailcheck.toml) is given."
    ),
    why=(
        "Receivers check the reverse DNS of the IP that connects to them; Gmail and other "
        "large mailbox providers require the sending IP to have a PTR whose name resolves "
        "back to it, and defer or reject mail from IPs that do not."
    ),
    example=Example(
        bad="44.2.0.192.in-addr.arpa.   (no PTR record for the sending IP 192.0.2.44)",
        good="44.2.0.192.in-addr.arpa.  3600 IN PTR out1.example.com.\nout1.example.com.         3600 IN A 192.0.2.44",
        why=("The owner of 192.0.2.44 (usually the hosting provider) publishes a PTR naming a host whose A record is that IP."),
    ),
    refs=(
        "RFC 1912 §2.1",
        "RFC 8601 §2.7.3",
        "https://support.google.com/a/answer/81126",
    ),
)


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
        checks.append(FCRDNS.recast(fcrdns, subject=f"{sending_ip} (sending IP)"))
    return checks


async def _mx_addresses(resolver: Resolver, domain: str) -> list[Target]:
    """Every address of every MX host; the routing checks report hosts that do not resolve."""
    route = await mx_route(resolver, domain)
    if not isinstance(route, MxHosts):
        return []
    hosts = [host for host in route.hosts if not is_ip_address(host)]
    targets: dict[str, Target] = {}
    for host, addresses in await host_addresses(resolver, hosts):
        if isinstance(addresses, DnsError):
            continue
        for address in addresses:
            targets.setdefault(address, Target(host, "ip", address, role=f"MX {host}"))
    return list(targets.values())


async def _nothing() -> None:
    return None
