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

from mailcheck import suffixes
from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.checks.context import DomainContext
from mailcheck.dns.errors import DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.model import Check
from mailcheck.records.dmarc import DMARC_START, POLICIES, record_tags

_DRAFT_URL = "https://datatracker.ietf.org/doc/html/draft-brand-indicators-for-message-identification"
_RECORD_URL = f"{_DRAFT_URL}#section-4.3"
_DMARC_URL = f"{_DRAFT_URL}#section-7.1"

BIMI_RECORD = CheckSpec(
    id="bimi.record",
    title="The BIMI assertion record",
    verifies=(
        "Reads the TXT record starting with v=BIMI1 at SELECTOR._bimi.DOMAIN (selector "
        "default unless --bimi-selector is given) and, as receivers do, at "
        "SELECTOR._bimi.ORGDOMAIN (the organizational domain, from the Public Suffix List) "
        "when DOMAIN has none; the summary says when the organizational domain's record "
        "applies. Passes for one valid record with a logo URL or a mark certificate URL "
        "(an empty l= next to an a= URL is not a declination); info when there is none "
        "(BIMI is optional) or when empty l= and a= decline BIMI; fails for several records "
        "or an invalid one (no l=, a tag twice, l= or a= not one https:// URL; tag names "
        "are case-sensitive, so L= is not l=); error when a lookup went unanswered."
    ),
    why=(
        "Mailboxes that support BIMI show the brand's logo next to authenticated mail only "
        "when they find exactly one valid record; an invalid or duplicated record shows "
        "no logo."
    ),
    example=Example(
        bad='default._bimi.example.com. TXT "v=BIMI1; l=http://example.com/logo.svg"',
        good=(
            'default._bimi.example.com. TXT "v=BIMI1; l=https://example.com/bimi/logo.svg; a=https://example.com/bimi/vmc.pem"'
        ),
        why="BIMI fetches the logo and the certificate only over HTTPS, so l= and a= must be https:// URLs.",
    ),
    refs=(_RECORD_URL,),
)

BIMI_DMARC = CheckSpec(
    id="bimi.dmarc",
    title="DMARC policy strong enough for BIMI",
    verifies=(
        "When a BIMI record that does not decline is published, finds the DMARC policy that "
        "applies to the domain: p= of the single v=DMARC1 record at _dmarc.DOMAIN, else the "
        "organizational domain's record at _dmarc.ORGDOMAIN, where sp= applies (p= when it "
        "has no sp=). Passes for reject, or quarantine with pct=100 (pct= absent counts as "
        "100); warns for none, quarantine with pct under 100, no valid p=, no record at "
        "either name, or several records; error when a lookup went unanswered. The summary "
        "names the record the policy came from and the tag that decided."
    ),
    why=(
        "Receivers show BIMI logos only for domains whose DMARC policy enforces (reject, or "
        "quarantine at pct=100), so under p=none, or sp=none for a subdomain that relies on "
        "its organizational domain's record, the BIMI record has no effect."
    ),
    example=Example(
        bad='_dmarc.example.com. TXT "v=DMARC1; p=reject; sp=none; rua=mailto:dmarc-reports@example.com"',
        good='_dmarc.example.com. TXT "v=DMARC1; p=reject; sp=reject; rua=mailto:dmarc-reports@example.com"',
        why=(
            "Subdomains without a _dmarc record of their own take sp= from the organizational "
            "domain's record; sp=none left their mail, and their BIMI logo, unenforced."
        ),
    ),
    refs=(_DMARC_URL,),
)

LOGO = CheckSpec(
    id="bimi.logo",
    title="The BIMI logo is an SVG Tiny PS image",
    verifies=(
        "Info when l= is empty and a= names a mark certificate (receivers then show the logo "
        "the certificate embeds, which is not checked). Otherwise fetches the l= URL over "
        "HTTPS without following redirects. Fails when it does not "
        "answer 200 or the body is not SVG; warns when the SVG breaks the Tiny PS profile "
        "(version 1.2, baseProfile tiny-ps, a <title>, no x or y on the root), is over 32 KB "
        "or is not served as image/svg+xml; passes otherwise."
    ),
    why=(
        "Mailboxes display only logos they can fetch and that follow the SVG Tiny PS profile; "
        "any other image is not shown, even when the record is valid."
    ),
    example=Example(
        bad='default._bimi.example.com. TXT "v=BIMI1; l=https://example.com/logo.png"',
        good=(
            'default._bimi.example.com. TXT "v=BIMI1; l=https://example.com/bimi/logo.svg"   '
            "(SVG Tiny PS, served as image/svg+xml)"
        ),
        why="The PNG was converted to an SVG Tiny PS file, the only logo format BIMI accepts.",
    ),
    refs=(_RECORD_URL,),
)

BIMI_VMC = CheckSpec(
    id="bimi.vmc",
    title="A BIMI mark certificate is published",
    verifies=(
        "Info when a= is empty or absent. Otherwise fetches the a= URL over HTTPS: fails when "
        "it does not answer 200 or holds no PEM certificate, passes when it holds at least "
        "one. The certificate itself (issuer, embedded logo, validity) is not validated."
    ),
    why=(
        "Gmail and Apple Mail show a BIMI logo only when a Verified Mark Certificate or Common "
        "Mark Certificate vouches for it; without one the logo appears in few mailboxes."
    ),
    example=Example(
        bad='default._bimi.example.com. TXT "v=BIMI1; l=https://example.com/bimi/logo.svg; a="',
        good=(
            'default._bimi.example.com. TXT "v=BIMI1; l=https://example.com/bimi/logo.svg; a=https://example.com/bimi/vmc.pem"'
        ),
        why="a= now points to the PEM chain of a mark certificate issued for the logo.",
    ),
    refs=(_RECORD_URL,),
)

REF = "draft-brand-indicators-for-message-identification §4.3"
REF_DMARC = "draft-brand-indicators-for-message-identification §7.1"
# BIMI's SVG Tiny PS profile caps the logo at 32 KB; read a little more to say by how much.
MAX_LOGO_BYTES = 64 * 1024
MAX_VMC_BYTES = 256 * 1024


@dataclass(frozen=True)
class BimiRecord:
    logo: str  # "" with vmc "" declines BIMI
    vmc: str
    tags: dict[str, str]

    @property
    def declines(self) -> bool:
        """Both l= and a= empty: the domain declines BIMI. An empty l= next to an a=
        URL is not a declination: the logo is the one the mark certificate carries."""
        return not self.logo and not self.vmc


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
        # Tag names are case-sensitive: L= is an unknown tag, not l=.
        name = name.strip()
        if not sep or not name:
            raise BimiSyntaxError(f"{field!r} is not a tag=value pair")
        if name in tags:
            raise BimiSyntaxError(f"tag {name} appears twice")
        tags[name] = value.strip()
    if "l" not in tags:
        if "L" in tags:
            raise BimiSyntaxError("the l= tag is required; tag names are case-sensitive, and L= is not l=")
        raise BimiSyntaxError("the l= tag is required (empty l= and a= decline BIMI)")
    for name in ("l", "a"):
        value = tags.get(name, "")
        if value and not value.lower().startswith("https://"):
            raise BimiSyntaxError(f"{name}= must be empty or one https:// URL, not {value}")
        if "," in value:
            raise BimiSyntaxError(f"{name}= holds one URL; commas must be percent-encoded ({value})")
    return BimiRecord(logo=tags["l"], vmc=tags.get("a", ""), tags=tags)


@dataclass(frozen=True)
class Found:
    """The BIMI records that apply, and where a receiver found them."""

    name: str  # SELECTOR._bimi.DOMAIN, or SELECTOR._bimi.ORGDOMAIN
    records: list[str]
    own_name: str  # SELECTOR._bimi.DOMAIN, looked up first

    @property
    def inherited(self) -> bool:
        return self.name != self.own_name

    def at(self, what: str = "BIMI record") -> str:
        """ "BIMI record at NAME", saying so when NAME is the organizational domain's."""
        if not self.inherited:
            return f"{what} at {self.name}"
        return f"no BIMI record at {self.own_name}; the organizational domain's {what.removeprefix('BIMI ')} at {self.name}"


async def check_bimi(context: DomainContext) -> list[Check]:
    domain = context.domain.ascii
    selector = context.options.bimi_selector
    name = f"{selector}._bimi.{domain}"
    texts, dmarc, _ = await asyncio.gather(_txt(context, name), _txt(context, f"_dmarc.{domain}"), suffixes.loaded())
    org = suffixes.registered_domain(domain)
    found, gate = await asyncio.gather(_find(context, domain, selector, org, texts), _dmarc_gate(context, domain, org, dmarc))
    if isinstance(found, Check):
        return [found]
    details = {"name": found.name, "inherited": found.inherited}
    if not found.records:
        searched = f"{name} nor at {found.name}" if found.inherited else name
        return [
            BIMI_RECORD.info(
                domain,
                f"no BIMI record at {searched}: mailboxes show no brand logo (optional)",
                details={"name": name, "searched": [name, found.name] if found.inherited else [name]},
                refs=(REF,),
            )
        ]
    if len(found.records) > 1:
        many = f"{len(found.records)} BIMI records"
        return [
            BIMI_RECORD.fail(
                domain,
                f"{found.at(many)}; receivers ignore them all",
                details={**details, "records": found.records},
                fix=f"Keep one v=BIMI1 record at {found.name}.",
                refs=(REF,),
            )
        ]
    text = found.records[0]
    details["record"] = text
    try:
        record = parse_bimi(text)
    except BimiSyntaxError as exc:
        return [
            BIMI_RECORD.fail(
                domain,
                f"{found.at()} is invalid: {exc} (record: {text})",
                details=details,
                fix='Write it as "v=BIMI1; l=https://HOST/logo.svg; a=https://HOST/vmc.pem".',
                refs=(REF,),
            )
        ]
    if record.declines:
        return [BIMI_RECORD.info(domain, f"{found.at()} declines BIMI (empty l= and a=): {text}", details=details, refs=(REF,))]
    shown = f"{found.at()} applies: {text}" if found.inherited else f"{found.name}: {text}"
    checks = [
        BIMI_RECORD.ok(domain, shown, details={**details, "logo": record.logo, "vmc": record.vmc}, refs=(REF,)),
        gate,
    ]
    checks.extend(await asyncio.gather(_logo(context, record), _vmc(context, record.vmc)))
    return checks


async def _txt(context: DomainContext, name: str) -> list[str] | DnsUnavailable:
    try:
        return await context.resolver.txt(name)
    except (NoSuchDomain, NoRecords):
        return []
    except DnsUnavailable as exc:
        return exc


async def _find(context: DomainContext, domain: str, selector: str, org: str, texts: list[str] | DnsUnavailable) -> Found | Check:
    """Where a receiver finds the BIMI record: SELECTOR._bimi.DOMAIN, and when that
    holds no v=BIMI1 record, SELECTOR._bimi.ORGDOMAIN (the draft's record discovery)."""
    name = f"{selector}._bimi.{domain}"
    if isinstance(texts, DnsUnavailable):
        return BIMI_RECORD.error(domain, f"could not look up {name} TXT: {texts.reason}")
    records = [t for t in texts if t.replace(" ", "").startswith("v=BIMI1")]
    if records or org == domain:
        return Found(name, records, name)
    org_name = f"{selector}._bimi.{org}"
    org_texts = await _txt(context, org_name)
    if isinstance(org_texts, DnsUnavailable):
        return BIMI_RECORD.error(
            domain, f"no BIMI record at {name}; could not look up the organizational domain's {org_name} TXT: {org_texts.reason}"
        )
    return Found(org_name, [t for t in org_texts if t.replace(" ", "").startswith("v=BIMI1")], name)


# -- the DMARC policy BIMI depends on ----------------------------------------------


async def _dmarc_gate(context: DomainContext, domain: str, org: str, own: list[str] | DnsUnavailable) -> Check:
    """BIMI is shown only for mail under an enforcing DMARC policy (draft §7.1): the
    policy that applies to the domain is its own record's p=, else the organizational
    domain's sp= (p= when it has no sp=); quarantine counts only at pct=100."""
    if isinstance(own, DnsUnavailable):
        return BIMI_DMARC.error(domain, f"could not read the DMARC record BIMI depends on: {own.reason}")
    records = [t for t in own if DMARC_START.match(t)]
    policy_domain = domain
    if not records and org != domain:
        inherited = await _txt(context, f"_dmarc.{org}")
        if isinstance(inherited, DnsUnavailable):
            return BIMI_DMARC.error(
                domain, f"could not read the organizational domain's DMARC record BIMI depends on: {inherited.reason}"
            )
        records = [t for t in inherited if DMARC_START.match(t)]
        policy_domain = org
    name = f"_dmarc.{policy_domain}"
    details: dict[str, object] = {"name": name, "inherited": policy_domain != domain}
    # The tag that decides: p= at the domain's own record; sp= (else p=) at the
    # organizational domain's, which covers the domain as one of its subdomains.
    tag = "p"
    if not records:
        searched = f"_dmarc.{domain} nor at {name}" if policy_domain != domain else name
        shown = f"there is no DMARC record at {searched}"
    elif len(records) > 1:
        shown = f"there are {len(records)} DMARC records at {name}, which receivers ignore"
        details["records"] = records
    else:
        tags = record_tags(records[0])
        details.update(record=records[0], p=tags.get("p"), sp=tags.get("sp"), pct=tags.get("pct"))
        source = f"at {name}"
        if policy_domain != domain:
            tag = "sp" if "sp" in tags else "p"
            source = f"from the organizational domain's record at {name} (none at _dmarc.{domain}{'' if tag == 'sp' else '; it has no sp='})"
        value = tags.get(tag, "").lower()
        pct = tags.get("pct", "100")
        details.update(tag=tag, policy=value)
        setting = f"{tag}={value}" + (f" with pct={pct}" if value == "quarantine" else "")
        if tags.get("p", "").lower() not in POLICIES:
            owner = "the organizational domain's DMARC record" if policy_domain != domain else "the DMARC record"
            shown = f"{owner} at {name} has no valid p= ({'p=' + tags['p'] if 'p' in tags else 'no p= tag'})"
            tag = "p"
        elif value == "reject" or (value == "quarantine" and pct == "100"):
            return BIMI_DMARC.ok(domain, f"DMARC {setting} {source}: BIMI logos can be shown", details=details, refs=(REF_DMARC,))
        else:
            shown = f"DMARC is {setting} {source}"
    fix = (
        f"Set sp=quarantine (pct=100) or sp=reject at _dmarc.{org}, or publish an enforcing record at _dmarc.{domain}."
        if tag == "sp"
        else f"Raise {name} to p=quarantine with pct=100, or p=reject, once reports show your mail aligns."
    )
    return BIMI_DMARC.warn(
        domain,
        f"BIMI does not count: {shown}, and BIMI needs {tag}=quarantine with pct=100 or {tag}=reject",
        details=details,
        fix=fix,
        refs=(REF_DMARC,),
    )


async def _logo(context: DomainContext, record: BimiRecord) -> Check:
    url = record.logo
    if not url:
        return LOGO.info(
            context.domain.ascii,
            f"no logo URL (empty l=): receivers show the logo embedded in the mark certificate at {record.vmc} (not checked)",
            details={"vmc": record.vmc},
            refs=(REF,),
        )
    fetched = await _get(context, url, MAX_LOGO_BYTES)
    if fetched.error is not None or fetched.status != 200:
        reason = fetched.error or f"HTTP {fetched.status}" + (f" redirect to {fetched.location}" if fetched.location else "")
        return LOGO.fail(
            url,
            f"BIMI logo {url} cannot be fetched: {reason}",
            details={"url": url, "status": fetched.status},
            fix="Serve the SVG logo over HTTPS with status 200.",
            refs=(REF,),
        )
    from mailcheck import checkdmarc_import

    checkdmarc_import.prepare()
    from checkdmarc.bimi import check_svg_requirements, get_svg_metadata

    size = len(fetched.body)
    media_type = fetched.content_type.split(";", 1)[0].strip().lower()
    try:
        svg = get_svg_metadata(fetched.body)
    except ValueError as exc:
        return LOGO.fail(
            url,
            f"BIMI logo {url} is not an SVG image ({media_type or 'no Content-Type'}, {size} bytes): {exc}",
            details={"url": url, "content_type": fetched.content_type},
            fix="Publish the logo as an SVG Tiny PS file.",
            refs=(REF,),
        )
    problems = check_svg_requirements(svg)
    if fetched.oversize:
        problems.append(f"the SVG exceeds {MAX_LOGO_BYTES} bytes")
    if media_type != "image/svg+xml":
        problems.append(f"served as {media_type or 'no Content-Type'}, not image/svg+xml")
    details = {
        "url": url,
        "bytes": size,
        "content_type": fetched.content_type,
        "svg_version": svg.get("svg_version"),
        "base_profile": svg.get("base_profile"),
        "problems": problems,
    }
    if problems:
        return LOGO.warn(
            url,
            f"BIMI logo {url} is an SVG ({size} bytes) but not SVG Tiny PS as BIMI requires: {problems[0]}",
            details=details,
            fix="Convert the logo to SVG Tiny PS (version 1.2, baseProfile tiny-ps, a <title>, no x/y) under 32 KB.",
            refs=(REF,),
        )
    return LOGO.ok(url, f"BIMI logo {url} is an SVG Tiny PS image ({size} bytes)", details=details, refs=(REF,))


async def _vmc(context: DomainContext, url: str) -> Check:
    domain = context.domain.ascii
    if not url:
        return BIMI_VMC.info(
            domain, "no mark certificate (a= empty): Gmail and Apple Mail show BIMI logos only with a VMC or CMC", refs=(REF,)
        )
    fetched = await _get(context, url, MAX_VMC_BYTES)
    if fetched.error is not None or fetched.status != 200:
        reason = fetched.error or f"HTTP {fetched.status}"
        return BIMI_VMC.fail(
            url,
            f"mark certificate {url} cannot be fetched: {reason}",
            fix="Serve the VMC PEM file over HTTPS with status 200.",
            refs=(REF,),
        )
    count = fetched.body.count(b"-----BEGIN CERTIFICATE-----")
    if not count:
        return BIMI_VMC.fail(
            url,
            f"mark certificate {url} holds no PEM certificate ({len(fetched.body)} bytes)",
            fix="Serve the VMC as a PEM chain.",
            refs=(REF,),
        )
    # Validating a VMC (its issuer, logotype extension and logo hash) needs the VMC
    # root store; we report its presence only.
    return BIMI_VMC.ok(
        url,
        f"mark certificate present at {url} ({count} PEM certificate(s); not validated)",
        details={"url": url, "certificates": count},
        refs=(REF,),
    )


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
