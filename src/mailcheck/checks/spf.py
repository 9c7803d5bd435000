"""spf.*: the domain's SPF record, its include/redirect tree and what that costs a
receiver in DNS lookups (RFC 7208 §4.6.4), and, with ``--ip``, the verdict for an IP.

The work is split by job: spf_tree walks the tree over DNS; spf_records, spf_all,
spf_includes and spf_limits judge it; spf_evaluation asks pyspf about one IP. This
module runs them and decides which findings a broken tree still allows.
"""

from __future__ import annotations

import asyncio
import ipaddress

from mailcheck.checks.context import DomainContext
from mailcheck.checks.spf_all import all_check
from mailcheck.checks.spf_evaluation import evaluate_ip
from mailcheck.checks.spf_includes import include_checks, loop_checks, redirect_checks
from mailcheck.checks.spf_limits import lookups_check, void_check
from mailcheck.checks.spf_records import length_check, ptr_check, record_check, syntax_check
from mailcheck.checks.spf_tree import IPV4, IPV6, MISSING, MULTIPLE, UNAVAILABLE, SpfNode, walk_spf
from mailcheck.model import Check


async def check_spf(context: DomainContext) -> list[Check]:
    domain = context.domain.ascii
    ip = context.options.sending_ip
    if ip is None:
        return tree_checks(domain, await walk_spf(context.resolver, domain))
    # The walk and pyspf's evaluation share the run's cache, so they overlap cheaply.
    root, evaluation = await asyncio.gather(walk_spf(context.resolver, domain), evaluate_ip(context, ip))
    return [*tree_checks(domain, root, ip), evaluation]


def tree_checks(domain: str, root: SpfNode, ip: str | None = None) -> list[Check]:
    """Every spf.* finding about the domain's record and the tree under it; ``ip``, the
    sending address, decides which address family void lookups are counted for."""
    checks = [record_check(domain, root)]
    if root.problem in (*MISSING, MULTIPLE, UNAVAILABLE):
        return checks
    checks.append(syntax_check(domain, root))
    length = length_check(domain, root)
    if root.record is None:  # a syntax error: nothing else can be judged
        return checks + ([length] if length else [])
    checks.append(all_check(domain, root))
    checks.append(lookups_check(domain, root))
    checks.append(void_check(domain, root, _family(ip), assumed=ip is None))
    checks.extend(loop_checks(domain, root))
    checks.extend(include_checks(root))
    checks.extend(redirect_checks(domain, root))
    ptr = ptr_check(domain, root)
    checks.extend(c for c in (ptr, length) if c is not None)
    return checks


def _family(ip: str | None) -> str:
    """The address family a receiver asks about for ``ip``: IPv4 when none is given, as
    nearly all mail is sent over IPv4."""
    try:
        address = ipaddress.ip_address(ip) if ip else None
    except ValueError:
        return IPV4
    # Like pyspf, an IPv4-mapped IPv6 address is evaluated as the IPv4 address it carries.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return IPV6
    return IPV4
