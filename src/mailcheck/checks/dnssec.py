"""dnssec.*: is the domain signed, is the chain from its parent intact, do the
signatures verify, and did the resolver validate them?

What is verified, and how:

- ``dnssec.ds``: the parent's DS records (asked of the run's resolver) are compared with
  the zone's DNSKEY set by recomputing each key's digest (dns.dnssec.make_ds); a DS that
  matches no key breaks the chain (validating resolvers answer SERVFAIL: a fail).
- ``dnssec.signatures``: the DNSKEY, SOA and MX RRsets are fetched again with the DO bit
  (so RRSIGs come along) and each RRSIG is checked with dns.dnssec.validate against the
  zone's own DNSKEY set, at the current time.
- ``dnssec.ad``: the AD bit of the run's resolver on the SOA answer. It means something
  only when that resolver validates; an authoritative server (``--zone``) never sets it,
  so without it the two checks above are the verification.

This checks one link (parent DS -> zone), not the whole chain up to the root; the AD bit
of a validating resolver covers the rest. Unsigned is info, never a failure.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.checks.context import DomainContext
from mailcheck.dns.errors import DnsError, DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.dns.resolver import Resolver, settle
from mailcheck.model import Check

SIGNED = CheckSpec(
    id="dnssec.signed",
    title="The domain is DNSSEC-signed",
    verifies=(
        "The domain publishes DNSKEY records; the keys are listed, KSKs first (pass). With no "
        "DNSKEY and no DS at the parent the domain is unsigned, reported as info and never as "
        "a failure; when the DS lookup cannot be answered (a --zone run without the parent's "
        "zone) it is still info, and says the parent's DS was not checked. Error when the "
        "DNSKEY lookup could not be answered."
    ),
    why=(
        "Without DNSSEC, forged answers for the domain's MX, SPF, DKIM and DMARC records "
        "cannot be detected, and DANE cannot protect the TLS connections to its MX hosts."
    ),
    example=Example(
        bad="example.com.   (no DNSKEY in the zone, no DS for it in com.)",
        good=(
            "example.com.  3600 IN DNSKEY 257 3 13 <base64 public key>\n"
            "example.com.  86400 IN DS 31589 13 2 <SHA-256 digest of that key>   (in com.)"
        ),
        why="Sign the zone at the DNS host and publish the DS of its key at the registrar.",
    ),
    refs=("RFC 4033",),
)

DNSSEC_DS = CheckSpec(
    id="dnssec.ds",
    title="The parent's DS matches a DNSKEY",
    verifies=(
        "A DS record at the parent matches one of the zone's DNSKEYs (key tag and recomputed "
        "digest): pass. Fails when no DS matches any key, or when the parent has a DS but the "
        "zone has no DNSKEY at all; warns when the zone is signed but the parent has no DS; "
        "error when the DS lookup could not be answered."
    ),
    why=(
        "A DS that matches no key breaks the chain of trust: validating resolvers answer "
        "SERVFAIL for every name in the domain, so senders cannot find its MX and receivers "
        "cannot check its SPF, DKIM or DMARC. Without any DS, nobody can validate the "
        "signatures."
    ),
    example=Example(
        bad=(
            "example.com.  86400 IN DS 4711 13 2 <digest>   (in com.: the key retired at the last rollover)\n"
            "example.com.  3600 IN DNSKEY 257 3 13 <current KSK, tag 31589>"
        ),
        good="example.com.  86400 IN DS 31589 13 2 <SHA-256 digest of the current KSK>   (in com.)",
        why="The DS at the registrar now names the KSK the zone is actually signed with.",
    ),
    refs=("RFC 4035 §5.2", "RFC 6781 §4.1.2"),
)

SIGNATURES = CheckSpec(
    id="dnssec.signatures",
    title="The zone's signatures verify",
    verifies=(
        "The DNSKEY, SOA and MX RRsets are fetched with their RRSIGs and each signature is "
        "verified against the zone's DNSKEYs at the current time: pass. Fails when an RRset has "
        "no RRSIG or a signature does not verify (including expired ones); warns when a "
        "signature expires within 7 days or no RRset could be checked; error when a lookup "
        "could not be answered."
    ),
    why=(
        "Validating resolvers discard answers with bad or expired signatures and return "
        "SERVFAIL, so the domain's mail records vanish for every receiver that validates. "
        "Signatures close to expiry usually mean the zone is no longer re-signed automatically."
    ),
    example=Example(
        bad=(
            "example.com.  3600 IN RRSIG SOA 13 2 3600 20250101000000 20241202000000 31589 example.com. <signature>   (expired)"
        ),
        good=(
            "example.com.  3600 IN RRSIG SOA 13 2 3600 20270101000000 20261202000000 31589 "
            "example.com. <signature>   (re-signed, weeks before expiry)"
        ),
        why="The zone is re-signed before its signatures expire.",
    ),
    refs=("RFC 4035 §5.3",),
)

DNSSEC_AD = CheckSpec(
    id="dnssec.ad",
    title="The resolver validated the domain (AD bit)",
    verifies=(
        "The resolver used for the run set the AD (authenticated data) bit on its answer for "
        "the domain's SOA: pass. Info when the bit is not set, because the resolver does not "
        "validate or the answer came from --zone, and when the SOA lookup failed; the "
        "dnssec.ds and dnssec.signatures checks are then the run's verification."
    ),
    why=(
        "The AD bit from a validating resolver covers the whole chain of trust up to the root, "
        "which dnssec.ds and dnssec.signatures, checking only the parent-to-zone link, do not."
    ),
    example=Example(
        bad=";; flags: qr rd ra; QUERY: 1, ANSWER: 2   (example.com. SOA, through a non-validating resolver)",
        good=";; flags: qr rd ra ad; QUERY: 1, ANSWER: 2   (the same query, through a validating resolver)",
        why="Run the check through a resolver that validates DNSSEC, so its answers carry the AD bit.",
    ),
    refs=("RFC 4035 §3.2.3",),
)

SIGNED_TYPES = ("DNSKEY", "SOA", "MX")
EXPIRY_WARNING_DAYS = 7
REF_DS = "RFC 4035 §5.2"
REF_SIG = "RFC 4035 §5.3"


async def check_dnssec(context: DomainContext) -> list[Check]:
    domain = context.domain.ascii
    resolver = context.resolver
    dnskey, ds, soa = await asyncio.gather(
        settle(resolver.query(domain, "DNSKEY")), settle(resolver.query(domain, "DS")), settle(resolver.query(domain, "SOA"))
    )
    if isinstance(dnskey, DnsUnavailable):
        return [SIGNED.error(domain, f"could not look up {domain} DNSKEY: {dnskey.reason}")]
    if isinstance(dnskey, DnsError):
        if not isinstance(ds, DnsError) and ds.rdata:
            return [
                DNSSEC_DS.fail(
                    domain,
                    f"the parent publishes {len(ds.rdata)} DS record(s) for {domain}, but the zone has no DNSKEY: validating resolvers reject every answer",
                    details={"ds": ds.to_text()},
                    fix=f"Sign {domain} again with the key the DS names, or remove the DS at the registrar.",
                    refs=(REF_DS,),
                )
            ]
        if isinstance(ds, DnsUnavailable):
            # Unsigned by its own zone, which is the fact that matters; only a DS left at
            # the parent would break it, and that is not knowable here. Not an error: a CI
            # run with --zone over the team's own zone (not its parent's) is always here.
            return [
                SIGNED.info(
                    domain,
                    f"{domain} is not DNSSEC-signed (no DNSKEY); whether its parent publishes a DS "
                    f"could not be checked: {ds.reason}",
                    details={"ds_lookup": ds.reason},
                )
            ]
        return [
            SIGNED.info(
                domain,
                f"{domain} is not DNSSEC-signed (no DNSKEY, no DS at the parent): answers can be forged, and DANE cannot be used",
                fix="Enable DNSSEC at your DNS host and publish the DS record at your registrar.",
                refs=("RFC 4033",),
            )
        ]
    keys = sorted(dnskey.rdata, key=lambda k: (-(k.flags & 1), k.flags, k.to_text()))  # KSKs first
    from dns.dnssec import key_id

    described = [
        f"{'KSK' if k.flags & 1 else 'ZSK'} {key_id(k)} alg {k.algorithm.name if hasattr(k.algorithm, 'name') else k.algorithm}"
        for k in keys
    ]
    checks = [
        SIGNED.ok(domain, f"{domain} publishes {len(keys)} DNSKEY(s): {', '.join(described)}", details={"dnskey": described}),
        _ds(domain, keys, ds),
        await _signatures(resolver, domain, dnskey),
        _ad(domain, soa),
    ]
    return checks


def _ds(domain: str, keys, ds) -> Check:  # type: ignore[no-untyped-def]
    import dns.dnssec

    if isinstance(ds, DnsUnavailable):
        return DNSSEC_DS.error(domain, f"could not look up the DS of {domain} at its parent: {ds.reason}")
    if isinstance(ds, DnsError) or not ds.rdata:
        return DNSSEC_DS.warn(
            domain,
            f"{domain} is signed but its parent has no DS record: no resolver can validate it (an island of security)",
            fix=f"Publish the DS record of {domain}'s KSK at your registrar.",
            refs=(REF_DS,),
        )
    import dns.name

    name = dns.name.from_text(domain)
    matched = []
    for record in ds.rdata:
        for key in keys:
            if dns.dnssec.key_id(key) != record.key_tag:
                continue
            try:
                if dns.dnssec.make_ds(name, key, record.digest_type) == record:
                    matched.append((record, key))
            except (dns.dnssec.UnsupportedAlgorithm, ValueError):
                continue
    shown = "; ".join(r.to_text() for r in ds.rdata)
    details = {"ds": [r.to_text() for r in ds.rdata], "matched": [r.to_text() for r, _ in matched]}
    if matched:
        record, _ = matched[0]
        return DNSSEC_DS.ok(
            domain,
            f"the parent's DS {record.key_tag} (digest type {record.digest_type}) matches a DNSKEY of {domain}: the chain of trust is intact",
            details=details,
            refs=(REF_DS,),
        )
    return DNSSEC_DS.fail(
        domain,
        f"no DS at the parent ({shown}) matches a DNSKEY of {domain}: validating resolvers answer SERVFAIL for the whole domain",
        details=details,
        fix="Publish the DS of the current KSK at the registrar (or restore the key the DS names).",
        refs=(REF_DS, "RFC 6781 §4.1.2"),
    )


async def _signatures(resolver: Resolver, domain: str, dnskey) -> Check:  # type: ignore[no-untyped-def]
    import dns.dnssec
    import dns.name
    import dns.rdataclass
    import dns.rdatatype

    name = dns.name.from_text(domain)
    responses = await asyncio.gather(*(_signed_response(resolver, domain, t) for t in SIGNED_TYPES), return_exceptions=True)
    keyring = {name: dnskey.raw.rrset}
    verified: list[str] = []
    problems: list[str] = []
    # Each signed set: its type, "valid", "invalid" or "unsigned", and what was learnt.
    sets: list[dict[str, object]] = []
    expiries = []
    now = dt.datetime.now(dt.UTC)
    for rdtype, response in zip(SIGNED_TYPES, responses, strict=False):
        if isinstance(response, DnsUnavailable):
            # The zone is known to be signed (its DNSKEY answered); one signed set that
            # did not come back is a side lookup, not the domain's DNSSEC verdict.
            return SIGNATURES.error(domain, f"could not fetch the signed {rdtype} of {domain}: {response.reason}", side_fact=True)
        if isinstance(response, (NoRecords, NoSuchDomain)):
            continue  # a domain without MX has nothing there to sign
        if isinstance(response, BaseException):
            raise response
        code = dns.rdatatype.from_text(rdtype)
        rrset = response.get_rrset(response.answer, name, dns.rdataclass.IN, code)
        sigs = response.get_rrset(response.answer, name, dns.rdataclass.IN, dns.rdatatype.RRSIG, code)
        if rrset is None:
            continue
        if sigs is None:
            problems.append(f"{rdtype} has no RRSIG")
            sets.append({"type": rdtype, "state": "unsigned"})
            continue
        try:
            dns.dnssec.validate(rrset, sigs, keyring)
        except dns.dnssec.ValidationFailure as exc:
            problems.append(f"{rdtype}: {exc}")
            sets.append({"type": rdtype, "state": "invalid", "error": str(exc)})
            continue
        until = min(dt.datetime.fromtimestamp(s.expiration, dt.UTC) for s in sigs)
        expiries.append(until)
        verified.append(rdtype)
        sets.append({"type": rdtype, "state": "valid", "key_tags": [s.key_tag for s in sigs], "until": until.isoformat()})
    details = {"verified": verified, "problems": problems, "sets": sets}
    if problems:
        return SIGNATURES.fail(
            domain,
            f"DNSSEC signatures of {domain} do not verify: {'; '.join(problems)}",
            details=details,
            fix="Re-sign the zone (check the signer's clock and key rollover); validating resolvers reject bogus answers.",
            refs=(REF_SIG,),
        )
    if not verified:
        return SIGNATURES.warn(domain, f"no signed RRset of {domain} could be checked", details=details, refs=(REF_SIG,))
    soonest = min(expiries)
    days = (soonest - now).total_seconds() / 86400
    if days < EXPIRY_WARNING_DAYS:
        return SIGNATURES.warn(
            domain,
            f"RRSIGs over {', '.join(verified)} verify but expire in {days:.1f} days ({soonest:%Y-%m-%d %H:%M} UTC)",
            details=details,
            fix="Check that the zone is re-signed automatically before signatures expire.",
            refs=(REF_SIG,),
        )
    return SIGNATURES.ok(
        domain,
        f"RRSIGs over {', '.join(verified)} verify against the zone's DNSKEYs (checked here with dns.dnssec.validate); first expiry {soonest:%Y-%m-%d}",
        details=details,
        refs=(REF_SIG,),
    )


def _ad(domain: str, soa) -> Check:  # type: ignore[no-untyped-def]
    if isinstance(soa, DnsError):
        return DNSSEC_AD.info(domain, f"the AD bit could not be read: {soa.reason}")
    if soa.authenticated:
        return DNSSEC_AD.ok(domain, f"the resolver validated {domain} (AD bit set on its answers)")
    return DNSSEC_AD.info(
        domain,
        f"the resolver did not set the AD bit for {domain}: it does not validate (or the answer came from --zone); "
        "the DS and signature checks above are this run's verification",
    )


async def _signed_response(resolver: Resolver, name: str, rdtype: str):  # type: ignore[no-untyped-def]
    """The full response to (name, rdtype) asked with the DO bit, RRSIGs included."""
    return (await resolver.query(name, rdtype, dnssec=True)).raw.response
