"""tlsrpt.*: the SMTP TLS Reporting record (RFC 8460) and where its reports go.

checkdmarc parses the record and validates its URIs; we look it up ourselves (through
the run's resolver) and add what checkdmarc does not: whether each rua destination can
receive a report at all (a mailto: domain that takes mail, not one with a null MX;
an https: host that resolves).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.checks.context import DomainContext
from mailcheck.dns.errors import DnsError, DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.dns.resolver import Resolver
from mailcheck.model import Check, Status
from mailcheck.mxhosts import NullMx, mx_route

TLSRPT_RECORD = CheckSpec(
    id="tlsrpt.record",
    title="The _smtp._tls TXT record",
    verifies=(
        "Looks up TXT at _smtp._tls.DOMAIN and keeps the records that start with "
        "v=TLSRPTv1. Exactly one that parses passes, or warns when the parser notes a "
        "problem; two or more, or an invalid one, fail. None is info, or a warning when "
        "the domain publishes an MTA-STS record; a lookup that fails is an error."
    ),
    why=(
        "Sending MTAs use it to report the TLS failures they meet on the way to the "
        "domain's MX hosts. Without it, mail that MTA-STS or DANE senders refuse to deliver "
        "is lost without anyone hearing of it."
    ),
    example=Example(
        bad='_smtp._tls.example.com. TXT "v=TLSRPTv1; rua=tlsrpt@example.com"',
        good='_smtp._tls.example.com. TXT "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"',
        why="Each rua destination must be a mailto: or https: URI.",
    ),
    refs=("RFC 8460 §3", "RFC 8461 §6"),
)

TLSRPT_RUA = CheckSpec(
    id="tlsrpt.rua",
    title="TLS reports can reach their destination",
    verifies=(
        "For each rua destination of a valid record: a mailto: address's domain must have "
        "MX or address records and no null MX, an https: URL's host must resolve. Pass when "
        "one of those lookups answers, fail when none does or when the mail domain publishes "
        "a null MX (RFC 7505: it accepts no mail, whatever its addresses), error when DNS "
        "did not answer; whether the mailbox or the web endpoint accepts reports is not "
        "tested."
    ),
    why=(
        "Reports sent to a domain or host that does not exist, or to a domain that declares "
        "it accepts no mail, are lost, and the record only looks like monitoring."
    ),
    example=Example(
        bad=('_smtp._tls.example.com. TXT "v=TLSRPTv1; rua=mailto:tls@reports.example.com"\nreports.example.com   (NXDOMAIN)'),
        good='_smtp._tls.example.com. TXT "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"',
        why="The reports go to an address at a domain that exists and receives mail.",
    ),
    refs=("RFC 8460 §3", "RFC 7505 §3"),
)

RFC_RECORD = "RFC 8460 §3"


async def check_tlsrpt(context: DomainContext) -> list[Check]:
    domain = context.domain.ascii
    name = f"_smtp._tls.{domain}"
    texts, sts = await asyncio.gather(_txt(context.resolver, name), _txt(context.resolver, f"_mta-sts.{domain}"))
    if isinstance(texts, DnsUnavailable):
        return [TLSRPT_RECORD.error(domain, f"could not look up {name} TXT: {texts.reason}")]
    # RFC 8460 §3: records that do not start with the version are ignored.
    records = [t for t in texts if t.startswith("v=TLSRPTv1")]
    if not records:
        uses_sts = not isinstance(sts, DnsError) and any(t.startswith("v=STSv1") for t in sts)
        return [
            TLSRPT_RECORD.result(
                Status.WARN if uses_sts else Status.INFO,
                domain,
                f"no TLS-RPT record at {name}: senders cannot tell you when TLS to your MX fails"
                + ("; with MTA-STS published, those failures are mail you lose unseen" if uses_sts else ""),
                details={"name": name, "txt": list(texts)},
                fix=f'Publish {name} TXT "v=TLSRPTv1; rua=mailto:tlsrpt@{domain}".',
                refs=(RFC_RECORD, "RFC 8461 §6") if uses_sts else (RFC_RECORD,),
            )
        ]
    if len(records) > 1:
        return [
            TLSRPT_RECORD.fail(
                domain,
                f"{len(records)} TLS-RPT records at {name}; senders ignore them all: " + " | ".join(records),
                details={"name": name, "records": records},
                fix="Keep exactly one v=TLSRPTv1 record; list several destinations in its rua, separated by commas.",
                refs=("RFC 8460 §3",),
            )
        ]
    from mailcheck import checkdmarc_import

    checkdmarc_import.prepare()
    from checkdmarc.smtp_tls_reporting import (
        SMTPTLSReportingError,
        parse_smtp_tls_reporting_record,
    )

    record = records[0]
    try:
        parsed = parse_smtp_tls_reporting_record(record)
    except SMTPTLSReportingError as exc:
        return [
            TLSRPT_RECORD.fail(
                domain,
                f"TLS-RPT record at {name} is invalid: {exc} (record: {record})",
                details={"name": name, "record": record},
                fix='Write the record as "v=TLSRPTv1; rua=mailto:ADDRESS" (or rua=https://URL).',
                refs=(RFC_RECORD,),
            )
        ]
    uris = list(parsed["tags"]["rua"]["value"])
    warnings = list(parsed["warnings"])
    checks = [
        TLSRPT_RECORD.result(
            Status.WARN if warnings else Status.PASS,
            domain,
            f"{name}: {record}" + (f"; {warnings[0]}" if warnings else ""),
            details={"name": name, "record": record, "rua": uris, "warnings": warnings},
            refs=(RFC_RECORD,),
        )
    ]
    checks.extend(await asyncio.gather(*(_destination(context.resolver, uri) for uri in uris)))
    return checks


async def _txt(resolver: Resolver, name: str) -> list[str] | DnsUnavailable:
    try:
        return await resolver.txt(name)
    except (NoSuchDomain, NoRecords):
        return []
    except DnsUnavailable as exc:
        return exc


async def _destination(resolver: Resolver, uri: str) -> Check:
    """tlsrpt.rua: can this destination receive a report?"""
    from urllib.parse import urlsplit

    lookups: tuple[Awaitable[object], ...]
    if uri.lower().startswith("mailto:"):
        address = uri[len("mailto:") :].split("!", 1)[0]
        host = address.rpartition("@")[2].lower().rstrip(".")
        kind = "mail domain"
        lookups = (resolver.query(host, "MX"), resolver.addresses(host))
    else:
        host = (urlsplit(uri).hostname or "").lower()
        kind = "host"
        lookups = (resolver.addresses(host),)
    outcomes = await asyncio.gather(*lookups, return_exceptions=True)
    if kind == "mail domain" and not isinstance(outcomes[0], BaseException):
        null = await _null_mx(resolver, uri, host)
        if null is not None:
            return null
    if any(not isinstance(o, BaseException) for o in outcomes):
        return TLSRPT_RUA.ok(uri, f"TLS reports go to {uri}; {kind} {host} resolves", details={"uri": uri, "host": host})
    if any(isinstance(o, DnsUnavailable) for o in outcomes):
        return TLSRPT_RUA.error(
            uri, f"could not tell whether {host} ({uri}) can receive TLS reports: DNS did not answer", side_fact=True
        )
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, DnsError):
            raise outcome
    return TLSRPT_RUA.fail(
        uri,
        f"TLS reports cannot be delivered to {uri}: {kind} {host} has no MX or address records",
        details={"uri": uri, "host": host},
        fix=f"Point rua at an address or URL whose {kind} exists.",
        refs=("RFC 8460 §3",),
    )


async def _null_mx(resolver: Resolver, uri: str, host: str) -> Check | None:
    """RFC 7505: a null MX declares the domain takes no mail, so senders bounce the
    report at once and never fall back to its A/AAAA records."""
    route = await mx_route(resolver, host)  # answered above: from the run's cache
    if not isinstance(route, NullMx):
        return None
    return TLSRPT_RUA.fail(
        uri,
        f"TLS reports cannot be delivered to {uri}: mail domain {host} publishes a null MX (RFC 7505), "
        "declaring that it accepts no mail",
        details={"uri": uri, "host": host, "mx": [{"preference": r.preference, "host": r.host or "."} for r in route.records]},
        fix="Point rua at an address whose domain receives mail.",
        refs=("RFC 8460 §3", "RFC 7505 §3"),
    )
