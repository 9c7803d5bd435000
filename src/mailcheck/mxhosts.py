"""Where mail for a domain goes: its MX records read once into one of five routes.

Every area that needs the MX hosts (mx, smtp/tls, mta-sts, dane, reputation, the DMARC
and TLS-RPT report destinations) and the recipient probe start here, so "which hosts
receive this domain's mail" is derived in one place. It sits below both ``checks/``
and ``smtp/`` and knows only the resolver.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from mailcheck.dns.errors import DnsError, DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.dns.resolver import Resolver, settle


@dataclass(frozen=True)
class MxRecord:
    preference: int
    host: str  # no trailing dot; "" for the null MX's "."


@dataclass(frozen=True)
class MxHosts:
    """The domain publishes MX records that name hosts."""

    records: tuple[MxRecord, ...]

    @property
    def hosts(self) -> tuple[str, ...]:
        """Each host once, in preference order (ties by name)."""
        return tuple(dict.fromkeys(r.host for r in self.records))


@dataclass(frozen=True)
class NoMx:
    """No MX records: senders fall back to the domain's own address (RFC 5321 §5.1)."""


@dataclass(frozen=True)
class NullMx:
    """A null MX ("0 ."): the domain declares it accepts no mail (RFC 7505).
    ``records`` keeps every record, since a null MX beside others is itself a finding."""

    records: tuple[MxRecord, ...]


@dataclass(frozen=True)
class NoDomain:
    """NXDOMAIN: the domain does not exist."""

    error: NoSuchDomain


@dataclass(frozen=True)
class MxLookupFailed:
    """The MX lookup could not be answered: could not tell where mail goes."""

    error: DnsUnavailable


MxRoute = MxHosts | NoMx | NullMx | NoDomain | MxLookupFailed


async def mx_records(resolver: Resolver, domain: str) -> list[MxRecord]:
    """The domain's MX records in preference order (ties by name); [] when it has none."""
    try:
        answer = await resolver.query(domain, "MX")
    except NoRecords:
        return []
    records = [MxRecord(r.preference, r.exchange.to_text(omit_final_dot=True).lower()) for r in answer.rdata]
    return sorted(records, key=lambda r: (r.preference, r.host))


def is_null_mx(records: list[MxRecord] | tuple[MxRecord, ...]) -> bool:
    return any(r.host in ("", ".") for r in records)


async def mx_route(resolver: Resolver, domain: str) -> MxRoute:
    """The domain's route; the run's cache answers the second area that asks."""
    try:
        records = await mx_records(resolver, domain)
    except NoSuchDomain as exc:
        return NoDomain(exc)
    except DnsUnavailable as exc:
        return MxLookupFailed(exc)
    if not records:
        return NoMx()
    if is_null_mx(records):
        return NullMx(tuple(records))
    return MxHosts(tuple(records))


async def host_addresses(resolver: Resolver, hosts: tuple[str, ...] | list[str]) -> list[tuple[str, list[str] | DnsError]]:
    """Each host with its A and AAAA addresses, or the lookup error, asked together."""
    answers = await asyncio.gather(*(settle(resolver.addresses(host)) for host in hosts))
    return list(zip(hosts, answers, strict=True))
