"""bimi.*: the BIMI record (draft-brand-indicators-for-message-identification), its
logo, its mark certificate, and the DMARC policy BIMI depends on.

checkdmarc's parse_bimi_record downloads the logo and the certificate itself, with
``requests`` through the operating system's resolver, while it parses; so the record is
parsed here (a few tags) and fetched through mailcheck.transport.https. checkdmarc's
pure SVG helpers (get_svg_metadata, check_svg_requirements) judge the logo.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from mailcheck.checks.context import DomainContext
from mailcheck.dns.errors import DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.model import Check, Status

REF = "draft-brand-indicators-for-message-identification §4.3"
REF_DMARC = "draft-brand-indicators-for-message-identification §7.1"
# BIMI's SVG Tiny PS profile caps the logo at 32 KB; read a little more to say by how much.
MAX_LOGO_BYTES = 64 * 1024
MAX_VMC_BYTES = 256 * 1024


@dataclass(frozen=True)
class BimiRecord:
    logo: str  # "" declines BIMI
    vmc: str
    tags: dict[str, str]


class BimiSyntaxError(ValueError):
    pass


def parse_bimi(text: str) -> BimiRecord:
    fields = [f.strip() for f in text.split(";")]
    if not fields or fields[0].replace(" ", "") != "v=BIMI1":
        raise BimiSyntaxError("the record must start with v=BIMI1")
    tags: dict[str, str] = {}
    for field in fields[1:]:
        if not field:
            continue
        name, sep, value = field.partition("=")
        name = name.strip().lower()
        if not sep or not name:
            raise BimiSyntaxError(f"{field!r} is not a tag=value pair")
        if name in tags:
            raise BimiSyntaxError(f"tag {name} appears twice")
        tags[name] = value.strip()
    if "l" not in tags:
        raise BimiSyntaxError("the l= tag is required (empty l= declines BIMI)")
    for name in ("l", "a"):
        value = tags.get(name, "")
        if value and not value.lower().startswith("https://"):
            raise BimiSyntaxError(f"{name}= must be empty or one https:// URL, not {value}")
        if "," in value:
            raise BimiSyntaxError(f"{name}= holds one URL; commas must be percent-encoded ({value})")
    return BimiRecord(logo=tags["l"], vmc=tags.get("a", ""), tags=tags)


async def check_bimi(context: DomainContext) -> list[Check]:
    domain = context.domain.ascii
    selector = context.options.bimi_selector
    name = f"{selector}._bimi.{domain}"
    texts, dmarc = await asyncio.gather(_txt(context, name), _txt(context, f"_dmarc.{domain}"))
    if isinstance(texts, DnsUnavailable):
        return [Check("bimi.record", Status.ERROR, domain, f"could not look up {name} TXT: {texts.reason}")]
    records = [t for t in texts if t.replace(" ", "").startswith("v=BIMI1")]
    if not records:
        return [
            Check(
                "bimi.record",
                Status.INFO,
                domain,
                f"no BIMI record at {name}: mailboxes show no brand logo (optional)",
                details={"name": name},
                refs=(REF,),
            )
        ]
    if len(records) > 1:
        return [Check("bimi.record", Status.FAIL, domain, f"{len(records)} BIMI records at {name}; receivers ignore them all", details={"records": records}, fix="Keep one v=BIMI1 record.", refs=(REF,))]
    try:
        record = parse_bimi(records[0])
    except BimiSyntaxError as exc:
        return [
            Check(
                "bimi.record",
                Status.FAIL,
                domain,
                f"BIMI record at {name} is invalid: {exc} (record: {records[0]})",
                details={"name": name, "record": records[0]},
                fix="Write it as \"v=BIMI1; l=https://HOST/logo.svg; a=https://HOST/vmc.pem\".",
                refs=(REF,),
            )
        ]
    if not record.logo:
        return [Check("bimi.record", Status.INFO, domain, f"BIMI record at {name} declines BIMI (empty l=): {records[0]}", details={"name": name, "record": records[0]}, refs=(REF,))]
    checks = [
        Check("bimi.record", Status.PASS, domain, f"{name}: {records[0]}", details={"name": name, "record": records[0], "logo": record.logo, "vmc": record.vmc}, refs=(REF,)),
        _dmarc_gate(domain, dmarc),
    ]
    checks.extend(await asyncio.gather(_logo(context, record.logo), _vmc(context, record.vmc)))
    return checks


async def _txt(context: DomainContext, name: str) -> list[str] | DnsUnavailable:
    try:
        return await context.resolver.txt(name)
    except (NoSuchDomain, NoRecords):
        return []
    except DnsUnavailable as exc:
        return exc


def _dmarc_gate(domain: str, dmarc: list[str] | DnsUnavailable) -> Check:
    """BIMI is shown only for mail under DMARC quarantine or reject (draft §7.1)."""
    if isinstance(dmarc, DnsUnavailable):
        return Check("bimi.dmarc", Status.ERROR, domain, f"could not read the DMARC record BIMI depends on: {dmarc.reason}")
    records = [t for t in dmarc if t.replace(" ", "").lower().startswith("v=dmarc1")]
    policy = None
    if len(records) == 1:
        for part in records[0].split(";"):
            tag, _, value = part.strip().partition("=")
            if tag.strip().lower() == "p":
                policy = value.strip().lower()
    if policy in ("quarantine", "reject"):
        return Check("bimi.dmarc", Status.PASS, domain, f"DMARC p={policy}: BIMI logos can be shown", details={"p": policy}, refs=(REF_DMARC,))
    shown = f"p={policy}" if policy else ("no DMARC record" if not records else "no valid DMARC record")
    return Check(
        "bimi.dmarc",
        Status.WARN,
        domain,
        f"BIMI does not count: DMARC is {shown}, and BIMI needs p=quarantine or p=reject",
        details={"p": policy},
        fix=f"Raise _dmarc.{domain} to p=quarantine or p=reject once reports show your mail aligns.",
        refs=(REF_DMARC,),
    )


async def _logo(context: DomainContext, url: str) -> Check:
    fetched = await _get(context, url, MAX_LOGO_BYTES)
    if fetched.error is not None or fetched.status != 200:
        reason = fetched.error or f"HTTP {fetched.status}" + (f" redirect to {fetched.location}" if fetched.location else "")
        return Check("bimi.logo", Status.FAIL, url, f"BIMI logo {url} cannot be fetched: {reason}", details={"url": url, "status": fetched.status}, fix="Serve the SVG logo over HTTPS with status 200.", refs=(REF,))
    from checkdmarc.bimi import check_svg_requirements, get_svg_metadata

    size = len(fetched.body)
    media_type = fetched.content_type.split(";", 1)[0].strip().lower()
    try:
        svg = get_svg_metadata(fetched.body)
    except ValueError as exc:
        return Check("bimi.logo", Status.FAIL, url, f"BIMI logo {url} is not an SVG image ({media_type or 'no Content-Type'}, {size} bytes): {exc}", details={"url": url, "content_type": fetched.content_type}, fix="Publish the logo as an SVG Tiny PS file.", refs=(REF,))
    problems = check_svg_requirements(svg)
    if fetched.oversize:
        problems.append(f"the SVG exceeds {MAX_LOGO_BYTES} bytes")
    if media_type != "image/svg+xml":
        problems.append(f"served as {media_type or 'no Content-Type'}, not image/svg+xml")
    details = {"url": url, "bytes": size, "content_type": fetched.content_type, "svg_version": svg.get("svg_version"), "base_profile": svg.get("base_profile"), "lines": problems}
    if problems:
        return Check("bimi.logo", Status.WARN, url, f"BIMI logo {url} is an SVG ({size} bytes) but not SVG Tiny PS as BIMI requires: {problems[0]}", details=details, fix="Convert the logo to SVG Tiny PS (version 1.2, baseProfile tiny-ps, a <title>, no x/y) under 32 KB.", refs=(REF,))
    return Check("bimi.logo", Status.PASS, url, f"BIMI logo {url} is an SVG Tiny PS image ({size} bytes)", details=details, refs=(REF,))


async def _vmc(context: DomainContext, url: str) -> Check:
    domain = context.domain.ascii
    if not url:
        return Check(
            "bimi.vmc",
            Status.INFO,
            domain,
            "no mark certificate (a= empty): Gmail and Apple Mail show BIMI logos only with a VMC or CMC",
            refs=(REF,),
        )
    fetched = await _get(context, url, MAX_VMC_BYTES)
    if fetched.error is not None or fetched.status != 200:
        reason = fetched.error or f"HTTP {fetched.status}"
        return Check("bimi.vmc", Status.FAIL, url, f"mark certificate {url} cannot be fetched: {reason}", fix="Serve the VMC PEM file over HTTPS with status 200.", refs=(REF,))
    count = fetched.body.count(b"-----BEGIN CERTIFICATE-----")
    if not count:
        return Check("bimi.vmc", Status.FAIL, url, f"mark certificate {url} holds no PEM certificate ({len(fetched.body)} bytes)", fix="Serve the VMC as a PEM chain.", refs=(REF,))
    # Validating a VMC (its issuer, logotype extension and logo hash) needs the VMC
    # root store; we report its presence only.
    return Check("bimi.vmc", Status.PASS, url, f"mark certificate present at {url} ({count} PEM certificate(s); not validated)", details={"url": url, "certificates": count}, refs=(REF,))


async def _get(context: DomainContext, url: str, limit: int):  # type: ignore[no-untyped-def]
    from mailcheck.transport.https import fetch
    from mailcheck.transport.trust import client_context

    port = context.options.https_port
    return await fetch(
        context.resolver,
        url,
        ssl_context=client_context(context.options.ca_file),
        timeout=context.timeout,
        limit=limit,
        port=None if port == 443 else port,
    )
