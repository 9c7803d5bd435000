"""dkim.*: the public keys at SELECTOR._domainkey.DOMAIN, and whether receivers can use them.

With --dkim-selector the named selectors must have a key. Without it, the common
providers' selectors are all asked at once, and only the keys found are reported.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.checks.context import DomainContext
from mailcheck.dkim_selectors import common_selector_names, provider_of
from mailcheck.dns.errors import DnsError, DnsUnavailable, NoSuchDomain
from mailcheck.dns.resolver import Answer, Resolver, settle
from mailcheck.model import Check
from mailcheck.records.dkim import (
    DkimKey,
    DkimRecordError,
    looks_like_key_record,
    parse_key_record,
)

DKIM_SELECTORS = CheckSpec(
    id="dkim.selectors",
    title="DKIM keys found under common selectors",
    verifies=(
        "Without --dkim-selector, mailcheck asks for a key at each selector that common "
        "providers use (google, selector1, s1, k1, ...) and lists the ones that hold a key "
        "(info). It warns when none does, and gives an error when none does and some of the "
        "lookups went unanswered; each key found is then checked as dkim.key."
    ),
    why=(
        "DNS cannot list a domain's selectors, so a key under a selector the probe does not "
        "guess stays invisible to it: the warning means no key was found, not that none "
        "exists. Without a key receivers can verify, DMARC has only SPF to align on."
    ),
    example=Example(
        bad=(
            "google._domainkey.example.com, selector1._domainkey.example.com, ...   "
            "(no key at any of them: the signer uses s=mail2024)"
        ),
        good=(
            'mail2024._domainkey.example.com. TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqh..."   (checked with --dkim-selector mail2024)'
        ),
        why=("Read s= from the DKIM-Signature header of a message you sent and name that selector with --dkim-selector."),
    ),
    refs=("RFC 6376 §3.1",),
)

DKIM_CNAME = CheckSpec(
    id="dkim.cname",
    title="DKIM key delegated by CNAME",
    verifies=(
        "Reports (info) that the selector's key name is an alias and names the CNAME target "
        "the key was read from. It never warns or fails: the key at the target is judged by "
        "dkim.key, which fails when the target has none."
    ),
    why=(
        "Providers such as Microsoft 365, SendGrid and Mailchimp host the key in their own "
        "zone and have customers publish a CNAME to it, so they can rotate the key without "
        "the customer editing DNS."
    ),
    example=Example(
        bad=('selector1._domainkey.example.com. TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqh..."   (a copy of the provider\'s key)'),
        good="selector1._domainkey.example.com. CNAME selector1-example-com._domainkey.esp.example.net.",
        why=(
            "The CNAME follows the provider's key rotation; a copied TXT record keeps the old "
            "key, and signatures made with the new one stop verifying."
        ),
    ),
    refs=("RFC 6376 §3.6.2.1", "RFC 1034 §3.6.2"),
)

DKIM_KEY = CheckSpec(
    id="dkim.key",
    title="DKIM public key is published and strong enough",
    verifies=(
        "Reads the key record at SELECTOR._domainkey.DOMAIN. Fails when a selector named with "
        "--dkim-selector has none, when there is more than one, when it cannot be read (wrong "
        "v=, no p=, unknown k=, s= not for email, an unreadable key) or when an RSA key is "
        "under 1024 bits; warns for an RSA key of 1024 to 2047 bits, for one over 4096 bits "
        "(verifiers need only handle 1024 to 4096, RFC 8301 §3.2) and for a revoked key "
        "(empty p=); passes for RSA of 2048 to 4096 bits and for Ed25519 (noting that many "
        "receivers verify only RSA); error when the lookup went unanswered."
    ),
    why=(
        "Receivers verify each DKIM signature against this key: with no usable key, or an RSA "
        "key under 1024 bits, the signature fails and DMARC rests on SPF alone, which breaks "
        "when mail is forwarded. 1024-bit keys still verify but are weak; 2048 is the norm."
    ),
    example=Example(
        bad='mail._domainkey.example.com. TXT "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC..."   (1024-bit RSA)',
        good='mail2._domainkey.example.com. TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA..."   (2048-bit RSA)',
        why=(
            "A 2048-bit key was published under a new selector and the signer switched to it, "
            "so the old key can be retired without breaking mail still in transit."
        ),
    ),
    refs=(
        "RFC 6376 §3.6.1",
        "RFC 6376 §3.6.2.2",
        "RFC 8301 §3.2",
        "RFC 6376 §3.3.3",
        "RFC 8463",
    ),
)

DKIM_TESTING = CheckSpec(
    id="dkim.testing",
    title="DKIM key not in testing mode",
    verifies=(
        "Warns when the key record's t= flags include y (testing mode). Keys without the flag "
        "give no result, and revoked keys are not checked."
    ),
    why=(
        "Verifiers must treat mail from a signer in testing mode like unsigned mail, so its "
        "signatures earn the domain nothing. The flag is often left in place after setup."
    ),
    example=Example(
        bad='mail._domainkey.example.com. TXT "v=DKIM1; t=y; k=rsa; p=MIIBIjANBgkqh..."',
        good='mail._domainkey.example.com. TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqh..."',
        why="Removing t=y tells receivers that signatures made with the key are meant to count.",
    ),
    refs=("RFC 6376 §3.6.1",),
)

HASH = CheckSpec(
    id="dkim.hash",
    title="DKIM key allows SHA-256 signatures",
    verifies=(
        "Warns when the key record's h= tag lists hash algorithms and sha256 is not among "
        "them, and says what that leaves: sha1 (h=sha1, alone or beside hashes DKIM does not "
        "define), which RFC 8301 forbids, or only unknown hashes (such as h=sha512), which "
        "verifiers ignore, so they cannot use the key at all. A record without h= (any hash) "
        "or with sha256 in it gives no result; revoked keys are not checked."
    ),
    why=(
        "RFC 8301 forbids rsa-sha1 for signing and verifying, so a key limited to SHA-1 can "
        "back no signature a current receiver accepts, and DKIM fails for all mail signed "
        "with it. DKIM defines only sha1 and sha256, and verifiers ignore any other name in "
        "h=, so a key listing only such names verifies nothing."
    ),
    example=Example(
        bad='mail._domainkey.example.com. TXT "v=DKIM1; h=sha1; k=rsa; p=MIIBIjANBgkqh..."',
        good='mail._domainkey.example.com. TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqh..."',
        why="Dropping h=sha1 lets the key verify rsa-sha256 signatures, which the signer must then use.",
    ),
    refs=("RFC 8301 §3.1", "RFC 6376 §3.6.1"),
)

REFS_KEY = ("RFC 6376 §3.6.1",)
REFS_STRENGTH = ("RFC 8301 §3.2", "RFC 6376 §3.3.3")
# RFC 6376 §3.3 defines these two; RFC 8301 §3.1 forbids sha1 for signing and verifying.
DKIM_HASHES = ("sha1", "sha256")
MIN_RSA_BITS = 1024
GOOD_RSA_BITS = 2048
# RFC 8301 §3.2: verifiers MUST handle 1024 to 4096 bits; past that, support is optional.
MAX_RSA_BITS = 4096


@dataclass(frozen=True)
class SelectorLookup:
    """The TXT answer (or the DNS error) at one selector's key name."""

    selector: str
    name: str
    outcome: Answer | DnsError

    @property
    def key_records(self) -> list[str]:
        if isinstance(self.outcome, DnsError):
            return []
        return [text for text in self.outcome.texts() if looks_like_key_record(text)]


async def lookup_selector(resolver: Resolver, domain: str, selector: str) -> SelectorLookup:
    name = f"{selector}._domainkey.{domain}"
    # settle()'s work, inline: a probe makes 51 of these a domain, one coroutine less each.
    try:
        outcome: Answer | DnsError = await resolver.query(name, "TXT")
    except DnsError as exc:
        outcome = exc
    return SelectorLookup(selector, name, outcome)


async def check_dkim(context: DomainContext) -> list[Check]:
    domain = context.domain.ascii
    explicit = context.options.dkim_selectors
    if explicit:
        lookups = await asyncio.gather(*(lookup_selector(context.resolver, domain, s) for s in explicit))
        return [check for lookup in lookups for check in _selector_checks(lookup)]
    # RFC 8020: NXDOMAIN for _domainkey.DOMAIN means nothing exists below it, so one
    # query answers for all the common selectors of a domain without DKIM. (A named
    # selector is always asked: a server that wrongly denies empty non-terminals must
    # not turn a key the user knows about into a failure.)
    parent = f"_domainkey.{domain}"
    above = await settle(context.resolver.query(parent, "TXT"))
    if isinstance(above, NoSuchDomain):
        lookups = [
            SelectorLookup(s, f"{s}._domainkey.{domain}", NoSuchDomain(f"{s}._domainkey.{domain}", "TXT", above.reason))
            for s in common_selector_names()
        ]
        return _probe_report(domain, lookups, absent_parent=parent)
    # Asked together: 51 names, most of them NXDOMAIN, cost one wait instead of 51.
    selectors = common_selector_names()
    names = [f"{s}._domainkey.{domain}" for s in selectors]
    outcomes = await context.resolver.query_all(names, "TXT")
    return _probe_report(domain, [SelectorLookup(*lookup) for lookup in zip(selectors, names, outcomes, strict=True)])


def _probe_report(domain: str, lookups: list[SelectorLookup], absent_parent: str | None = None) -> list[Check]:
    found = [lookup for lookup in lookups if lookup.key_records]
    unknown = [lookup for lookup in lookups if isinstance(lookup.outcome, DnsUnavailable)]
    reasons = [lookup.outcome.reason for lookup in unknown if isinstance(lookup.outcome, DnsUnavailable)]
    probed = [lookup.selector for lookup in lookups]
    details: dict[str, object] = {
        "probed": probed,
        "found": [lookup.selector for lookup in found],
        "unanswered": [lookup.selector for lookup in unknown],
    }
    if absent_parent is not None:
        # RFC 8020: an NXDOMAIN for the parent means none of the names below it exists.
        details["absent_parent"] = absent_parent
    if found:
        names = ", ".join(f"{lookup.selector} ({provider_of(lookup.selector)})" for lookup in found)
        summary_check = DKIM_SELECTORS.info(
            domain,
            f"probed {len(probed)} common selectors; found {len(found)}: {names}"
            + (f"; {len(unknown)} lookups unanswered ({reasons[0]})" if unknown else ""),
            details=details,
        )
    elif unknown:
        summary_check = DKIM_SELECTORS.error(
            domain,
            (
                f"could not tell whether a DKIM key exists: {len(unknown)} of {len(probed)} "
                f"selector lookups went unanswered ({reasons[0]})"
            ),
            details=details,
        )
    else:
        summary_check = DKIM_SELECTORS.warn(
            domain,
            (f"no key found under common selectors ({len(probed)} probed); pass --dkim-selector"),
            details=details,
            fix=(
                "Find the selector in the DKIM-Signature header (s=) of a message you sent, and run again with --dkim-selector S."
            ),
            refs=("RFC 6376 §3.1",),
        )
    return [summary_check] + [check for lookup in found for check in _selector_checks(lookup)]


def _selector_checks(lookup: SelectorLookup) -> list[Check]:
    """The checks of one selector: its key, and the key's flags and delegation."""
    selector, name, outcome = lookup.selector, lookup.name, lookup.outcome
    if isinstance(outcome, DnsUnavailable):
        return [
            DKIM_KEY.error(
                selector,
                f"{selector}: could not look up {name} TXT: {outcome.reason}",
                details={"name": name, "reason": outcome.reason},
            )
        ]
    if isinstance(outcome, DnsError):
        why = "the name does not exist" if isinstance(outcome, NoSuchDomain) else "no TXT record"
        return [_missing(selector, name, why)]
    records = lookup.key_records or outcome.texts()
    checks: list[Check] = []
    if outcome.via_cname:
        checks.append(
            DKIM_CNAME.info(
                selector,
                f"{selector}: key delegated by CNAME to {outcome.canonical_name}",
                details={"name": name, "target": outcome.canonical_name},
            )
        )
    if len(records) > 1:
        checks.append(
            DKIM_KEY.fail(
                selector,
                f"{selector}: {len(records)} key records at {name}; verifiers cannot tell which applies",
                details={"name": name, "records": records},
                fix=f"Keep exactly one v=DKIM1 TXT record at {name}.",
                refs=("RFC 6376 §3.6.2.2",),
            )
        )
        return checks
    record = records[0]
    try:
        key = parse_key_record(record, outcome.canonical_name)
    except DkimRecordError as exc:
        checks.append(
            DKIM_KEY.fail(
                selector,
                f"{selector}: unparsable key record at {name}: {exc}",
                details={"name": name, "record": record, "error": str(exc)},
                fix=f"Publish the key record your signer generated at {name}, as one TXT record (v=DKIM1; k=rsa; p=...).",
                refs=REFS_KEY,
            )
        )
        return checks
    checks.append(_key_check(selector, name, record, key))
    if not key.revoked:
        checks.extend(_flag_checks(selector, name, key))
    return checks


def _missing(selector: str, name: str, why: str) -> Check:
    return DKIM_KEY.fail(
        selector,
        f"{selector}: no DKIM key at {name} ({why})",
        details={"name": name},
        fix=f"Publish the public key for selector {selector!r} as a TXT record at {name}, or check the selector.",
        refs=REFS_KEY,
    )


def _key_check(selector: str, name: str, record: str, key: DkimKey) -> Check:
    details = {
        "name": name,
        "record": record,
        "key_type": key.key_type,
        "bits": key.bits,
        "hashes": list(key.hashes),
        "flags": list(key.flags),
        "revoked": key.revoked,
    }
    if key.revoked:
        return DKIM_KEY.warn(
            selector,
            f"{selector}: key revoked (empty p=)",
            details=details,
            fix=f"If mail is still signed with selector {selector!r}, publish its key; otherwise sign with another selector.",
            refs=("RFC 6376 §3.6.1",),
        )
    tags = f"(k={key.key_type}, h={key.hash_text})"
    if key.key_type == "ed25519":
        return DKIM_KEY.ok(
            selector,
            f"{selector}: Ed25519 {key.bits}-bit key {tags}",
            details=details,
            refs=("RFC 8463",),
        )
    bits = key.bits or 0
    summary = f"{selector}: RSA {bits}-bit key {tags}"
    if bits < MIN_RSA_BITS:
        return DKIM_KEY.fail(
            selector,
            f"{summary}; verifiers reject RSA keys under {MIN_RSA_BITS} bits",
            details=details,
            fix=f"Generate a {GOOD_RSA_BITS}-bit RSA key, publish it under a new selector, and sign with it.",
            refs=REFS_STRENGTH,
        )
    if bits < GOOD_RSA_BITS:
        return DKIM_KEY.warn(
            selector,
            f"{summary}; {GOOD_RSA_BITS} bits is the norm",
            details=details,
            fix=f"Rotate to a {GOOD_RSA_BITS}-bit RSA key under a new selector.",
            refs=REFS_STRENGTH,
        )
    if bits > MAX_RSA_BITS:
        return DKIM_KEY.warn(
            selector,
            (f"{summary}; verifiers need only handle RSA keys up to {MAX_RSA_BITS} bits, so some will fail the signature"),
            details=details,
            fix=f"Rotate to a {GOOD_RSA_BITS}-bit RSA key under a new selector (or {MAX_RSA_BITS} at most).",
            refs=REFS_STRENGTH,
        )
    return DKIM_KEY.ok(selector, summary, details=details)


def _flag_checks(selector: str, name: str, key: DkimKey) -> list[Check]:
    checks = []
    if key.testing:
        checks.append(
            DKIM_TESTING.warn(
                selector,
                f"{selector}: key is in testing mode (t={':'.join(key.flags)}); receivers may ignore its signatures",
                details={"name": name, "flags": list(key.flags)},
                fix=f"Remove t=y from the record at {name} once signing works.",
                refs=("RFC 6376 §3.6.1",),
            )
        )
    if key.hashes and "sha256" not in key.hashes:
        checks.append(_hash_check(selector, name, key))
    return checks


def _hash_check(selector: str, name: str, key: DkimKey) -> Check:
    """dkim.hash for a key whose h= rules out sha256: say what that leaves verifiers."""
    unknown = [h for h in key.hashes if h not in DKIM_HASHES]
    details = {"name": name, "hashes": list(key.hashes), "unknown": unknown}
    fix = f"Drop h= from the record at {name} (or set h=sha256) and sign with {key.key_type}-sha256."
    if "sha1" in key.hashes:
        # Verifiers ignore the algorithms they do not know (RFC 6376 §3.6.1): sha1 is left.
        leaves = ", of which DKIM defines only sha1" if unknown else ""
        return HASH.warn(
            selector,
            (
                f"{selector}: key allows only h={key.hash_text}{leaves}; RFC 8301 forbids sha1, "
                "so verifiers reject every signature made with this key"
            ),
            details=details,
            fix=fix,
            refs=("RFC 8301 §3.1",),
        )
    return HASH.warn(
        selector,
        (
            f"{selector}: key allows only h={key.hash_text}, "
            f"{'a hash' if len(unknown) == 1 else 'hashes'} DKIM does not define; "
            "verifiers cannot use the key at all"
        ),
        details=details,
        fix=fix,
        refs=("RFC 6376 §3.6.1", "RFC 8301 §3.1"),
    )
