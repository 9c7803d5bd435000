"""dns.*: does the domain exist, and does it have its NS and SOA records?"""

from __future__ import annotations

import asyncio

from mailcheck.checks.context import DomainContext
from mailcheck.dns.errors import DnsError, DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.dns.resolver import Answer, settle
from mailcheck.model import Check, Status

REFS_DNS = ("RFC 1034 §4.3.2", "RFC 2308")


async def check_existence(context: DomainContext) -> list[Check]:
    name = context.domain.ascii
    soa, ns = await asyncio.gather(
        settle(context.resolver.query(name, "SOA")),
        settle(context.resolver.query(name, "NS")),
    )
    if isinstance(soa, NoSuchDomain) or isinstance(ns, NoSuchDomain):
        return [
            Check(
                id="dns.exists",
                status=Status.FAIL,
                subject=name,
                summary=f"{name} does not exist (NXDOMAIN): no mail can be sent from or to it",
                fix=f"Register {name} or create it in its parent zone, or check the spelling.",
                refs=REFS_DNS,
            )
        ]
    if isinstance(soa, DnsUnavailable) and isinstance(ns, DnsUnavailable):
        return [_unavailable("dns.exists", name, soa)]
    return [
        Check(
            id="dns.exists",
            status=Status.PASS,
            subject=name,
            summary=f"{name} exists",
        ),
        _soa_check(name, soa),
        _ns_check(name, ns, zone_apex=isinstance(soa, Answer)),
    ]


def _soa_check(name: str, soa: Answer | DnsError) -> Check:
    if isinstance(soa, DnsUnavailable):
        return _unavailable("dns.soa", name, soa)
    if isinstance(soa, NoRecords):
        return Check(
            id="dns.soa",
            status=Status.INFO,
            subject=name,
            summary=f"{name} has no SOA of its own: it is a name inside its parent's zone",
        )
    record = soa.rdata[0]
    mname = record.mname.to_text(omit_final_dot=True)
    rname = record.rname.to_text(omit_final_dot=True)
    return Check(
        id="dns.soa",
        status=Status.PASS,
        subject=name,
        summary=f"SOA: primary {mname}, contact {rname}, serial {record.serial}",
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
        return _unavailable("dns.ns", name, ns)
    if isinstance(ns, NoRecords):
        if not zone_apex:
            return Check(
                id="dns.ns",
                status=Status.INFO,
                subject=name,
                summary=f"{name} has no NS of its own: its parent zone's nameservers answer for it",
            )
        return Check(
            id="dns.ns",
            status=Status.FAIL,
            subject=name,
            summary=f"{name} has an SOA but no NS records",
            fix="Add NS records at the zone apex naming the zone's authoritative servers.",
            refs=("RFC 1034 §4.2.1",),
        )
    hosts = sorted(r.target.to_text(omit_final_dot=True) for r in ns.rdata)
    status = Status.PASS if len(hosts) >= 2 else Status.WARN
    summary = f"{len(hosts)} nameserver{'s' if len(hosts) != 1 else ''}: {', '.join(hosts)}"
    return Check(
        id="dns.ns",
        status=status,
        subject=name,
        summary=summary if status is Status.PASS else summary + " (one server is a single point of failure)",
        details={"nameservers": hosts},
        fix=None if status is Status.PASS else "Serve the zone from at least two nameservers on different networks.",
        refs=("RFC 1034 §4.1", "RFC 2182 §5"),
    )


def _unavailable(check_id: str, name: str, error: DnsError) -> Check:
    return Check(
        id=check_id,
        status=Status.ERROR,
        subject=name,
        summary=f"could not tell: {error.name} {error.rdtype}: {error.reason}",
        details={"name": error.name, "type": error.rdtype, "reason": error.reason},
    )

