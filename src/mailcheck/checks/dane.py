"""dane.*: TLSA records at _25._tcp.MXHOST (RFC 7672) and whether each MX's
certificate matches one of them.

TLSA records mean something only when DNSSEC authenticates them: a sender that does
DANE ignores unauthenticated TLSA records (RFC 7672 §2.2), so DANE without DNSSEC is a
warning. Authentication is read from the AD bit of the run's resolver; the loopback
zone server, being authoritative and not validating, never sets it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.checks.context import DomainContext
from mailcheck.checks.mx_sessions import MxUnknown, NotProbed, Probed, StartTlsResults
from mailcheck.dns.errors import DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.model import Check, Status
from mailcheck.mxhosts import MxHosts, mx_route
from mailcheck.transport.dane import Tlsa, matches

if TYPE_CHECKING:  # the SMTP session code loads when a run talks SMTP (not with --no-smtp)
    from mailcheck.smtp.starttls_probe import MxProbe

DANE_TLSA = CheckSpec(
    id="dane.tlsa",
    title="TLSA records for each MX host",
    verifies=(
        "Looks up TLSA at _25._tcp.MXHOST for every MX host. Records authenticated by "
        "DNSSEC (the resolver's AD bit) that include a DANE-TA (2) or DANE-EE (3) usage "
        "pass; unauthenticated records warn, and so do records with only the PKIX usages "
        "0 and 1. No records is info (the host does not use DANE); a failed lookup is an "
        "error."
    ),
    why=(
        "DANE lets senders authenticate the MX without public CAs or a policy fetch, but "
        "only from DNSSEC-signed records: unsigned ones are ignored. In a signed zone, a "
        "TLSA lookup that fails makes DANE senders defer the mail."
    ),
    example=Example(
        bad=(
            "_25._tcp.mx.example.com. 3600 IN TLSA 3 1 1 (SHA-256 of the key)\n(example.com is not signed: no DS at the parent)"
        ),
        good=(
            "example.com. DS 2371 13 2 (digest of the zone's KSK)\n"
            "_25._tcp.mx.example.com. 3600 IN TLSA 3 1 1 (SHA-256 of the key)"
        ),
        why="The zone is signed and its DS published, so resolvers authenticate the TLSA record.",
    ),
    refs=("RFC 7672 §3.1", "RFC 7672 §2.2", "RFC 7672 §3.1.3", "RFC 6698 §4"),
)

DANE_MATCH = CheckSpec(
    id="dane.match",
    title="The MX certificate matches its TLSA records",
    verifies=(
        "For each address of an MX host that has TLSA records, compares the leaf "
        "certificate presented after STARTTLS with the DANE-EE (3) records, by selector and "
        "matching type: a match passes; no match, STARTTLS not offered by a server that "
        "greets with 220 and answers EHLO, or a TLS handshake that fails, fails when the "
        "records are DNSSEC-authenticated and warns when not. With DANE-TA (2) records and "
        "no DANE-EE match it is info, since only the leaf is available to compare. A server "
        "that greets with anything but 220 or fails EHLO is an error (TLS could not be "
        "checked), and so is a host when no session could start because the MX hosts' "
        "address lookups went unanswered; an unreachable address or --no-smtp is a skip."
    ),
    why=(
        "A DANE sender that finds no matching record refuses to deliver, so a key rolled "
        "over before its TLSA record was updated stops the domain's mail."
    ),
    example=Example(
        bad=("_25._tcp.mx.example.com. TLSA 3 1 1 (SHA-256 of last year's key)\n(mx.example.com now presents a new key)"),
        good=(
            "_25._tcp.mx.example.com. TLSA 3 1 1 (SHA-256 of the current key)\n"
            "_25._tcp.mx.example.com. TLSA 3 1 1 (SHA-256 of the next key)"
        ),
        why=("The record for the key in use is published, and the next key's record goes in before the key changes."),
    ),
    refs=("RFC 7672 §3.1", "RFC 7672 §2.2", "RFC 7671 §8"),
)

RFC = "RFC 7672 §3.1"


async def check_dane(context: DomainContext, sessions: Awaitable[StartTlsResults]) -> list[Check]:
    # TLSA records hang off the MX host names, so a host whose address lookup fails
    # still has its TLSA looked at.
    route = await mx_route(context.resolver, context.domain.ascii)
    if not isinstance(route, MxHosts):
        return []  # the mx and smtp checks say why there is no MX host
    hosts = route.hosts
    found = await asyncio.gather(*(_tlsa(context, host) for host in hosts))
    checks = [check for check, _ in found]
    with_records = {host: (tlsa, authenticated) for host, (_, (tlsa, authenticated)) in zip(hosts, found, strict=True) if tlsa}
    if not with_records:
        return checks
    match await sessions:
        case NotProbed():
            checks.extend(
                DANE_MATCH.skip(host, f"certificate of {host} not matched against its TLSA records: --no-smtp")
                for host in with_records
            )
        case MxUnknown(error):
            # No session could start, so no certificate was seen: could not tell, per host,
            # and the TLSA findings above still stand.
            checks.extend(
                DANE_MATCH.error(
                    host,
                    f"certificate of {host} not matched against its TLSA records: "
                    f"could not look up {error.name} {error.rdtype}: {error.reason}",
                )
                for host in with_records
            )
        case Probed() as probed:
            for host, (tlsa, authenticated) in with_records.items():
                checks.extend(_match(probe, tlsa, authenticated) for probe in probed.of_host(host))
    return checks


async def _tlsa(context: DomainContext, host: str) -> tuple[Check, tuple[list[Tlsa], bool]]:
    name = f"_25._tcp.{host}"
    try:
        answer = await context.resolver.query(name, "TLSA")
    except (NoSuchDomain, NoRecords):
        return DANE_TLSA.info(host, f"no TLSA records at {name}: {host} does not use DANE", details={"name": name}), ([], False)
    except DnsUnavailable as exc:
        # A DNSSEC-signed zone whose TLSA lookup fails makes DANE senders defer mail.
        return DANE_TLSA.error(host, f"could not look up {name} TLSA: {exc.reason}"), ([], False)
    # DNS returns a set in any order; show DANE-EE SPKI records first, as they are the norm.
    records = sorted(
        (Tlsa(r.usage, r.selector, r.mtype, bytes(r.cert)) for r in answer.rdata),
        key=lambda t: (-t.usage, -t.selector, t.mtype, t.data),
    )
    details = {
        "name": name,
        "records": [r.to_text() for r in records],
        "meanings": [r.describe() for r in records],
        "authenticated": answer.authenticated,
    }
    unusable = [r for r in records if r.usage not in (2, 3)]
    shown = "; ".join(r.to_text()[:40] + ("…" if len(r.to_text()) > 40 else "") for r in records)
    if not answer.authenticated:
        return (
            DANE_TLSA.warn(
                host,
                f"{len(records)} TLSA record(s) at {name} ({shown}), but the answer is not DNSSEC-authenticated "
                "(no AD bit): DANE without DNSSEC is ignored by senders",
                details=details,
                fix=f"Sign the zone of {host} with DNSSEC (and publish its DS at the parent), or remove the TLSA records.",
                refs=("RFC 7672 §2.2", "RFC 6698 §4"),
            ),
            (records, False),
        )
    if len(unusable) == len(records):
        return (
            DANE_TLSA.warn(
                host,
                f"TLSA records at {name} use only PKIX usages (0/1), which SMTP senders treat as unusable ({shown})",
                details=details,
                fix="Publish DANE-EE (3 1 1) or DANE-TA (2 1 1) records.",
                refs=("RFC 7672 §3.1.3",),
            ),
            (records, True),
        )
    return (
        DANE_TLSA.ok(
            host, f"{len(records)} DNSSEC-authenticated TLSA record(s) at {name}: {shown}", details=details, refs=(RFC,)
        ),
        (records, True),
    )


def _match(probe: MxProbe, records: list[Tlsa], authenticated: bool) -> Check:
    if not probe.reachable:
        return DANE_MATCH.skip(probe.subject, f"certificate of {probe.label} not matched against TLSA: {probe.error}")
    if probe.tls is None and probe.error is not None and not probe.starttls_offered:
        # The server refused the session before STARTTLS could be asked for: that says
        # nothing about its TLS, so no verdict (mta-sts.certificate does the same).
        if probe.banner_code != 220:
            greeting = f"{probe.banner_code} {probe.banner}".rstrip()
            why = f"it greets with {greeting} instead of 220"
        else:
            why = f"its EHLO failed ({probe.error})"
        return DANE_MATCH.error(
            probe.subject,
            f"certificate of {probe.label} not matched against TLSA: {why}, so TLS could not be checked",
            details={"banner": probe.banner, "code": probe.banner_code, "error": probe.error},
        )
    if probe.tls is None:
        return DANE_MATCH.result(
            Status.FAIL if authenticated else Status.WARN,
            probe.subject,
            f"{probe.label} publishes TLSA records but TLS does not start ({probe.tls_error or 'STARTTLS not offered'}); DANE senders will not deliver",
            fix=f"Enable STARTTLS on {probe.host}.",
            refs=("RFC 7672 §2.2",),
        )
    # Python 3.11 hands over the leaf only, so DANE-TA (2) records cannot be matched here.
    chain = [probe.tls.leaf_der]
    matching = [r for r in records if matches(r, chain)]
    details = {
        "records": [r.to_text() for r in records],
        "matching": [r.to_text() for r in matching],
        "authenticated": authenticated,
        "meanings": [r.describe() for r in records],
    }
    if matching:
        record = matching[0]
        return DANE_MATCH.ok(
            probe.subject,
            f"certificate of {probe.label} matches TLSA {record.usage} {record.selector} {record.mtype} ({record.describe()})",
            details=details,
            refs=(RFC,),
        )
    if any(r.usage == 2 for r in records):
        return DANE_MATCH.info(
            probe.subject,
            f"certificate of {probe.label} matches no DANE-EE record; its DANE-TA (2) records name an issuer, "
            "which this check cannot see (only the server's own certificate is available)",
            details=details,
            refs=(RFC,),
        )
    return DANE_MATCH.result(
        Status.FAIL if authenticated else Status.WARN,
        probe.subject,
        f"certificate of {probe.label} matches none of its {len(records)} TLSA record(s)"
        + ("; DANE senders will not deliver" if authenticated else " (ignored without DNSSEC, but wrong)"),
        details=details,
        fix=f"Update _25._tcp.{probe.host} TLSA to the current certificate (publish the next key's record before rolling it).",
        refs=(RFC, "RFC 7671 §8"),
    )
