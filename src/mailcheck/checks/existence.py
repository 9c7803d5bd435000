"""dns.*: does the domain exist, and does it have its NS and SOA records?"""

from __future__ import annotations

import asyncio

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.checks.context import DomainContext
from mailcheck.dns.errors import DnsError, DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.dns.resolver import Answer, settle
from mailcheck.model import Check, Status
from mailcheck.words import counted

EXISTS = CheckSpec(
    id="dns.exists",
    title="The domain exists",
    verifies="The domain resolves: its name server answers with anything other than NXDOMAIN.",
    why=(
        "Receivers reject mail whose envelope sender or From domain does not exist, and nobody "
        "can reply to it. Every other check is skipped for a domain that does not exist."
    ),
    example=Example(
        bad="shop.example.com   (NXDOMAIN: the zone was never delegated)",
        good="shop.example.com.  3600 IN A 192.0.2.10",
        why="Publish at least one record at the name, or send from a domain that exists.",
    ),
    refs=("RFC 5321 §2.3.5", "RFC 8020"),
)

DNS_SOA = CheckSpec(
    id="dns.soa",
    title="The zone has an SOA record",
    verifies="The zone that holds the domain answers for its SOA record.",
    why=(
        "A zone without a reachable SOA is usually a broken or lame delegation: some resolvers "
        "will fail to look up the domain's MX, SPF and DMARC records at all."
    ),
    example=Example(
        bad="example.com. NS ns1.old-host.example.   (the old host no longer serves the zone)",
        good="example.com. SOA ns1.example.com. hostmaster.example.com. 2026112401 7200 3600 1209600 3600",
        why="Point the delegation at servers that serve the zone and answer for its SOA.",
    ),
    refs=("RFC 1035 §3.3.13",),
)

DNS_NS = CheckSpec(
    id="dns.ns",
    title="At least two name servers",
    verifies="The domain is served by two or more name servers.",
    why=(
        "With one name server, one outage makes the domain vanish: receivers cannot check SPF "
        "or DMARC and defer or reject the mail, and bounces to the domain cannot be delivered."
    ),
    example=Example(
        bad="example.com. NS ns1.example.com.",
        good="example.com. NS ns1.example.com.\nexample.com. NS ns2.other-network.example.",
        why="Add a second name server, ideally on a different network.",
    ),
    refs=("RFC 1034 §4.1", "RFC 2182 §5"),
)

REFS_DNS = ("RFC 1034 §4.3.2", "RFC 2308")


async def check_existence(context: DomainContext) -> list[Check]:
    name = context.domain.ascii
    soa, ns = await asyncio.gather(
        settle(context.resolver.query(name, "SOA")),
        settle(context.resolver.query(name, "NS")),
    )
    if isinstance(soa, NoSuchDomain) or isinstance(ns, NoSuchDomain):
        return [
            EXISTS.fail(
                name,
                f"{name} does not exist (NXDOMAIN): no mail can be sent from or to it",
                fix=f"Register {name} or create it in its parent zone, or check the spelling.",
                refs=REFS_DNS,
            )
        ]
    if isinstance(soa, DnsUnavailable) and isinstance(ns, DnsUnavailable):
        return [_unavailable(EXISTS, name, soa)]
    return [
        EXISTS.ok(name, f"{name} exists"),
        _soa_check(name, soa),
        _ns_check(name, ns, zone_apex=isinstance(soa, Answer)),
    ]


def _soa_check(name: str, soa: Answer | DnsError) -> Check:
    if isinstance(soa, DnsUnavailable):
        return _unavailable(DNS_SOA, name, soa)
    if isinstance(soa, NoRecords):
        return DNS_SOA.info(name, f"{name} has no SOA of its own: it is a name inside its parent's zone")
    if not isinstance(soa, Answer):
        return _unavailable(DNS_SOA, name, soa)
    record = soa.rdata[0]
    mname = record.mname.to_text(omit_final_dot=True)
    rname = record.rname.to_text(omit_final_dot=True)
    return DNS_SOA.ok(
        name,
        f"SOA: primary {mname}, contact {rname}, serial {record.serial}",
        details={
            "mname": mname,
            "rname": rname,
            "serial": record.serial,
            "refresh": record.refresh,
            "retry": record.retry,
            "expire": record.expire,
            "minimum": record.minimum,
        },
        refs=("RFC 1035 §3.3.13",),
    )


def _ns_check(name: str, ns: Answer | DnsError, *, zone_apex: bool) -> Check:
    if isinstance(ns, DnsUnavailable):
        return _unavailable(DNS_NS, name, ns)
    if isinstance(ns, NoRecords):
        if not zone_apex:
            return DNS_NS.info(name, f"{name} has no NS of its own: its parent zone's nameservers answer for it")
        return DNS_NS.fail(
            name,
            f"{name} has an SOA but no NS records",
            fix="Add NS records at the zone apex naming the zone's authoritative servers.",
            refs=("RFC 1034 §4.2.1",),
        )
    if not isinstance(ns, Answer):
        return _unavailable(DNS_NS, name, ns)
    hosts = sorted(r.target.to_text(omit_final_dot=True) for r in ns.rdata)
    status = Status.PASS if len(hosts) >= 2 else Status.WARN
    summary = f"{counted(len(hosts), 'nameserver')}: {', '.join(hosts)}"
    return DNS_NS.result(
        status,
        name,
        summary if status is Status.PASS else summary + " (one server is a single point of failure)",
        details={"nameservers": hosts},
        fix=None if status is Status.PASS else "Serve the zone from at least two nameservers on different networks.",
        refs=("RFC 1034 §4.1", "RFC 2182 §5"),
    )


def _unavailable(spec: CheckSpec, name: str, error: DnsError) -> Check:
    # No refs: the lookup failed, no rule was broken.
    return spec.error(
        name,
        f"could not tell: {error.name} {error.rdtype}: {error.reason}",
        details={"name": error.name, "type": error.rdtype, "reason": error.reason},
        refs=(),
    )
