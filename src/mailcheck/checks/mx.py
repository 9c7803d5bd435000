"""mx.*: where mail for the domain goes, and whether each host there can be reached.

The MX list, null MX (RFC 7505), the implicit A/AAAA fallback, each target's
addresses, and forward-confirmed reverse DNS of every address.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.checks.context import DomainContext
from mailcheck.dns.errors import DnsError, DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.dns.resolver import Answer, Resolver, is_ip_address, settle
from mailcheck.model import Check, Status
from mailcheck.mxhosts import MxHosts, MxLookupFailed, MxRecord, NoDomain, NoMx, NullMx, mx_route
from mailcheck.words import counted

RECORDS = CheckSpec(
    id="mx.records",
    title="The domain has MX records",
    verifies=(
        "The domain publishes MX records; they are listed in preference order (pass). With no "
        "MX it warns when the domain has A/AAAA records, which senders then use as an implicit "
        "MX, and fails when it has neither or when the domain does not exist (NXDOMAIN)."
    ),
    why=(
        "The MX records tell every sender, including those returning bounces and replies, "
        "where to deliver mail for the domain. The implicit-MX fallback sends that mail to "
        "whatever host serves the name, often a web server that does not accept SMTP."
    ),
    example=Example(
        bad="example.com.  3600 IN A 192.0.2.10   (no MX: senders fall back to this address)",
        good="example.com.  3600 IN MX 10 mx1.example.com.\nexample.com.  3600 IN MX 20 mx2.example.com.",
        why="Name the hosts that receive the domain's mail in MX records instead of relying on the A record.",
    ),
    refs=("RFC 5321 §5.1", "RFC 7505"),
)

NULL = CheckSpec(
    id="mx.null",
    title="Null MX (the domain accepts no mail)",
    verifies=(
        "Reported instead of the other mx checks when the domain publishes a null MX (an MX "
        'whose target is "."). A single "0 ." record is valid but warns, since it declares '
        "that the domain receives no mail. Fails when the null MX sits next to other MX "
        'records, has a preference other than 0 (such as "10 ."), or is not the only null MX: '
        'RFC 7505 allows exactly one MX record, "0 .".'
    ),
    why=(
        "Receivers may refuse mail whose sender domain publishes a null MX, because bounces "
        "and replies to it cannot be delivered. A null MX mixed with real MX records is "
        "invalid, and senders may treat the domain as one that accepts no mail."
    ),
    example=Example(
        bad="example.com.  3600 IN MX 0 .\nexample.com.  3600 IN MX 10 mx1.example.com.",
        good="example.com.  3600 IN MX 10 mx1.example.com.",
        why=(
            'A domain that receives mail drops the "0 ." record; one that never sends or receives mail keeps it as its only MX.'
        ),
    ),
    refs=("RFC 7505 §3", "RFC 7505 §4.2"),
)

MX_HOST = CheckSpec(
    id="mx.host",
    title="Each MX host resolves to an address",
    verifies=(
        "Each MX target is a host name with A or AAAA records (pass). Fails when the target is "
        "an IP address, does not exist, or has no address records; warns when the name is an "
        "alias (CNAME); error when its address lookups could not be answered."
    ),
    why=(
        "Senders cannot deliver to an MX target they cannot resolve: the mail queues at the "
        "sender and then bounces. IP addresses and aliases are not allowed as MX targets, and "
        "some senders refuse to follow them."
    ),
    example=Example(
        bad="example.com.       3600 IN MX 10 mail.example.com.\nmail.example.com.  3600 IN CNAME mx1.provider.example.",
        good="example.com.       3600 IN MX 10 mx1.provider.example.",
        why="The MX names the canonical host directly instead of an alias for it.",
    ),
    refs=("RFC 5321 §5.1", "RFC 1035 §3.3.9", "RFC 2181 §10.3"),
)

MX_PTR = CheckSpec(
    id="mx.ptr",
    title="MX addresses have forward-confirmed reverse DNS",
    verifies=(
        "For every address of every MX host, the PTR record names a host whose A/AAAA records "
        "include that address again (forward-confirmed reverse DNS, FCrDNS): pass. Warns when "
        "there is no PTR or no PTR name resolves back to the address (a name that does not "
        "exist or lacks the matching A or AAAA record does not); error when the PTR lookup, or "
        "the forward lookup of a PTR name when no other name confirms the address, could not "
        "be answered (timeout, SERVFAIL)."
    ),
    why=(
        "Receivers look up the reverse DNS of every host that connects to them and distrust "
        "or refuse addresses without a forward-confirmed name. MX hosts often send mail too, "
        "so a missing or mismatched PTR there tends to hurt outgoing mail as well."
    ),
    example=Example(
        bad="25.2.0.192.in-addr.arpa.  3600 IN PTR host-25.isp.example.   (that name has no A record)",
        good="25.2.0.192.in-addr.arpa.  3600 IN PTR mx1.example.com.\nmx1.example.com.          3600 IN A 192.0.2.25",
        why="The PTR names a host whose A record points back to the same address.",
    ),
    refs=("RFC 1912 §2.1", "RFC 8601 §2.7.3"),
)


async def check_mx(context: DomainContext) -> list[Check]:
    domain = context.domain.ascii
    match await mx_route(context.resolver, domain):
        case NoDomain():
            return [RECORDS.fail(domain, f"{domain} does not exist (NXDOMAIN)")]
        case MxLookupFailed(error):
            raise error  # the area's guard says the lookup failed
        case NoMx():
            return await _implicit_mx(context.resolver, domain)
        case NullMx(records):
            return [_null_mx(domain, list(records))]
        case MxHosts() as route:
            return await _mx_hosts(context.resolver, domain, route)


async def _mx_hosts(resolver: Resolver, domain: str, route: MxHosts) -> list[Check]:
    records = route.records
    summary_hosts = ", ".join(f"{r.preference} {r.host}" for r in records)
    checks = [
        RECORDS.ok(
            domain,
            f"{counted(len(records), 'MX host')} in preference order: {summary_hosts}",
            details={"mx": [{"preference": r.preference, "host": r.host} for r in records]},
            refs=("RFC 5321 §5.1",),
        )
    ]
    per_host = await asyncio.gather(*(_check_host(resolver, host) for host in route.hosts))
    for host_checks in per_host:
        checks.extend(host_checks)
    return checks


async def _implicit_mx(resolver: Resolver, domain: str) -> list[Check]:
    try:
        addresses = await resolver.addresses(domain)
    except NoRecords:
        return [
            RECORDS.fail(
                domain,
                f"{domain} has no MX and no A/AAAA records: no server receives its mail",
                fix=f"Publish MX records for {domain} (or a null MX '0 .' if it must never receive mail).",
                refs=("RFC 5321 §5.1", "RFC 7505"),
            )
        ]
    return [
        RECORDS.warn(
            domain,
            (f"no MX records; senders fall back to {domain}'s own address ({', '.join(addresses)}) as an implicit MX"),
            details={"implicit_mx": addresses},
            fix=f"Publish MX records naming the hosts that receive mail for {domain}.",
            refs=("RFC 5321 §5.1",),
        )
    ]


def _null_mx(domain: str, records: list[MxRecord]) -> Check:
    nulls = [r for r in records if r.host in ("", ".")]
    others = [r for r in records if r.host not in ("", ".")]
    details = {"mx": [{"preference": r.preference, "host": r.host or "."} for r in records]}
    if len(records) == 1 and records[0].preference == 0:
        return NULL.warn(
            domain,
            (
                f"{domain} publishes a null MX (0 .): it declares that it accepts no mail, "
                "so bounces and replies to it are lost and receivers may refuse its mail"
            ),
            details={"mx": [{"preference": 0, "host": "."}]},
            fix="Keep the null MX only for domains that never send mail; a sending domain needs real MX hosts.",
            refs=("RFC 7505 §3", "RFC 7505 §4.2"),
        )
    shown = ", ".join(f"'{r.preference} .'" for r in nulls)
    plural = "s" if len(nulls) != 1 else ""
    if others:
        fix = (
            "Remove the '0 .' record, or make it the only MX record."
            if shown == "'0 .'"
            else f"Remove the {shown} record{plural}, or make a single '0 .' the only MX record."
        )
        return NULL.fail(
            domain,
            f"a null MX (.) is mixed with {len(others)} other MX record(s); RFC 7505 allows it only alone",
            details=details,
            fix=fix,
            refs=("RFC 7505 §3",),
        )
    # Only null MX records, but not the single "0 ." RFC 7505 §3 defines.
    if len(nulls) == 1:
        summary = (
            f"{domain} publishes a null MX with preference {nulls[0].preference} ({shown}); "
            "RFC 7505 requires the null MX to have preference 0 ('0 .')"
        )
    else:
        summary = f"{domain} publishes {len(nulls)} null MX records ({shown}); RFC 7505 allows a single one, '0 .'"
    return NULL.fail(
        domain,
        summary,
        details=details,
        fix=(
            f"Replace the {shown} record{plural} with a single '0 .' if {domain} accepts no mail, "
            "or with MX records naming the hosts that receive its mail."
        ),
        refs=("RFC 7505 §3",),
    )


async def _check_host(resolver: Resolver, host: str) -> list[Check]:
    if is_ip_address(host) or _looks_like_ipv4(host):
        return [
            MX_HOST.fail(
                host,
                f"MX target {host} is an IP address; an MX must name a host",
                fix=f"Point the MX at a host name whose A record is {host}.",
                refs=("RFC 5321 §5.1", "RFC 1035 §3.3.9"),
            )
        ]
    answers = await asyncio.gather(settle(resolver.query(host, "A")), settle(resolver.query(host, "AAAA")))
    addresses = [r.address for a in answers if not isinstance(a, DnsError) for r in a.rdata]
    if not addresses:
        return [_unresolvable(host, answers)]
    cname = next((a.canonical_name for a in answers if not isinstance(a, DnsError) and a.via_cname), None)
    status = Status.WARN if cname else Status.PASS
    summary = f"{host} → {', '.join(addresses)}"
    if cname:
        summary += f" (through a CNAME to {cname}; MX targets must not be aliases)"
    checks = [
        MX_HOST.result(
            status,
            host,
            summary,
            details={"addresses": addresses, "cname": cname},
            fix=f"Point the MX directly at {cname}." if cname else None,
            refs=("RFC 2181 §10.3", "RFC 5321 §5.1") if cname else (),
        )
    ]
    checks.extend(await asyncio.gather(*(check_fcrdns(resolver, address, host) for address in addresses)))
    return checks


def _unresolvable(host: str, answers: Sequence[Answer | DnsError]) -> Check:
    unavailable = next((a for a in answers if isinstance(a, DnsUnavailable)), None)
    if unavailable is not None:
        return MX_HOST.error(host, f"could not resolve {host}: {unavailable.reason}")
    missing = any(isinstance(a, NoSuchDomain) for a in answers)
    reason = "does not exist (NXDOMAIN)" if missing else "has no A or AAAA record"
    return MX_HOST.fail(
        host,
        f"MX target {host} {reason}: mail to it cannot be delivered",
        fix=f"Add A/AAAA records for {host}, or point the MX at a host that has them.",
        refs=("RFC 5321 §5.1",),
    )


async def check_fcrdns(resolver: Resolver, address: str, expected_host: str | None = None) -> Check:
    """mx.ptr: the address's PTR names, and whether one resolves back to it (FCrDNS)."""
    address = _normal(address)  # "0:0::1" must match the forward answer "::1"
    try:
        names = await resolver.ptr(address)
    except (NoRecords, NoSuchDomain):
        return MX_PTR.warn(
            address,
            f"{address} has no reverse DNS (PTR); many receivers distrust such hosts",
            fix=f"Ask the owner of {address} (your provider) for a PTR naming {expected_host or 'the host'}.",
            refs=("RFC 1912 §2.1",),
        )
    except DnsUnavailable as exc:
        # Reverse DNS is a fact beside where mail goes: its lookup failing takes no verdict away.
        return MX_PTR.error(address, f"could not look up the PTR of {address}: {exc.reason}", side_fact=True)
    # Only the address's own family can confirm it: A for IPv4, AAAA for IPv6.
    rdtype = "A" if ipaddress.ip_address(address).version == 4 else "AAAA"
    confirmed = []
    unavailable: DnsUnavailable | None = None
    for name in names:
        try:
            forward = await resolver.query(name, rdtype)
        except DnsUnavailable as exc:
            unavailable = unavailable or exc
            continue
        except DnsError:  # NXDOMAIN or no record: the name does not resolve back
            continue
        if address in [_normal(r.address) for r in forward.rdata]:
            confirmed.append(name)
    shown = ", ".join(names)
    if not confirmed and unavailable is not None:
        # A name whose forward lookup went unanswered may well resolve back: could not tell.
        return MX_PTR.error(
            address,
            f"could not tell: {unavailable.name} {unavailable.rdtype}: {unavailable.reason}",
            details={"ptr": names, "confirmed": []},
            side_fact=True,
        )
    if confirmed:
        return MX_PTR.ok(
            address,
            f"{address} → {shown}, which resolves back to {address} (forward-confirmed)",
            details={"ptr": names, "confirmed": confirmed},
        )
    return MX_PTR.warn(
        address,
        f"{address} → {shown}, but {shown} does not resolve back to {address} (no FCrDNS)",
        details={"ptr": names, "confirmed": []},
        fix=f"Make the PTR of {address} name a host whose A/AAAA records include {address}.",
        refs=("RFC 8601 §2.7.3", "RFC 1912 §2.1"),
    )


def _normal(address: str) -> str:
    return str(ipaddress.ip_address(address))


def _looks_like_ipv4(host: str) -> bool:
    parts = host.split(".")
    return len(parts) == 4 and all(p.isdigit() for p in parts)
