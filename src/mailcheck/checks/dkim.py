"""dkim.*: the public keys at SELECTOR._domainkey.DOMAIN, and whether receivers can use them.

With --dkim-selector the named selectors must have a key. Without it, the common
providers' selectors are all asked at once, and only the keys found are reported.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from mailcheck.checks.context import DomainContext
from mailcheck.dkim_selectors import common_selector_names, provider_of
from mailcheck.dns.errors import DnsError, DnsUnavailable, NoSuchDomain
from mailcheck.dns.resolver import Answer, Resolver, settle
from mailcheck.model import Check, Status
from mailcheck.records.dkim import (
    DkimKey,
    DkimRecordError,
    looks_like_key_record,
    parse_key_record,
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
    return SelectorLookup(selector, name, await settle(resolver.query(name, "TXT")))


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
    lookups = await asyncio.gather(*(lookup_selector(context.resolver, domain, s) for s in common_selector_names()))
    return _probe_report(domain, lookups)


def _probe_report(domain: str, lookups: list[SelectorLookup], absent_parent: str | None = None) -> list[Check]:
    found = [lookup for lookup in lookups if lookup.key_records]
    unknown = [lookup for lookup in lookups if isinstance(lookup.outcome, DnsUnavailable)]
    reasons = [lookup.outcome.reason for lookup in unknown if isinstance(lookup.outcome, DnsUnavailable)]
    probed = [lookup.selector for lookup in lookups]
    details = {
        "probed": probed,
        "found": [lookup.selector for lookup in found],
        "unanswered": [lookup.selector for lookup in unknown],
        "lines": [f"probed: {', '.join(probed)}"],
    }
    if absent_parent is not None:
        details["lines"].append(f"{absent_parent} does not exist (NXDOMAIN): no selector below it (RFC 8020)")
    if found:
        names = ", ".join(f"{lookup.selector} ({provider_of(lookup.selector)})" for lookup in found)
        summary_check = Check(
            id="dkim.selectors",
            status=Status.INFO,
            subject=domain,
            summary=f"probed {len(probed)} common selectors; found {len(found)}: {names}"
            + (f"; {len(unknown)} lookups unanswered ({reasons[0]})" if unknown else ""),
            details=details,
        )
    elif unknown:
        summary_check = Check(
            id="dkim.selectors",
            status=Status.ERROR,
            subject=domain,
            summary=(
                f"could not tell whether a DKIM key exists: {len(unknown)} of {len(probed)} "
                f"selector lookups went unanswered ({reasons[0]})"
            ),
            details=details,
        )
    else:
        summary_check = Check(
            id="dkim.selectors",
            status=Status.WARN,
            subject=domain,
            summary=(
                f"no key found under common selectors ({len(probed)} probed); "
                "pass --dkim-selector"
            ),
            details=details,
            fix=(
                "Find the selector in the DKIM-Signature header (s=) of a message you sent, "
                "and run again with --dkim-selector S."
            ),
            refs=("RFC 6376 §3.1",),
        )
    return [summary_check] + [check for lookup in found for check in _selector_checks(lookup)]


def _selector_checks(lookup: SelectorLookup) -> list[Check]:
    """The checks of one selector: its key, and the key's flags and delegation."""
    selector, name, outcome = lookup.selector, lookup.name, lookup.outcome
    if isinstance(outcome, DnsUnavailable):
        return [
            Check(
                id="dkim.key",
                status=Status.ERROR,
                subject=selector,
                summary=f"{selector}: could not look up {name} TXT: {outcome.reason}",
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
            Check(
                id="dkim.cname",
                status=Status.INFO,
                subject=selector,
                summary=f"{selector}: key delegated by CNAME to {outcome.canonical_name}",
                details={"name": name, "target": outcome.canonical_name},
            )
        )
    if len(records) > 1:
        checks.append(
            Check(
                id="dkim.key",
                status=Status.FAIL,
                subject=selector,
                summary=f"{selector}: {len(records)} key records at {name}; verifiers cannot tell which applies",
                details={"name": name, "records": records, "lines": records},
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
            Check(
                id="dkim.key",
                status=Status.FAIL,
                subject=selector,
                summary=f"{selector}: unparsable key record at {name}: {exc}",
                details={"name": name, "record": record, "error": str(exc), "lines": [record]},
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
    return Check(
        id="dkim.key",
        status=Status.FAIL,
        subject=selector,
        summary=f"{selector}: no DKIM key at {name} ({why})",
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
        return Check(
            id="dkim.key",
            status=Status.WARN,
            subject=selector,
            summary=f"{selector}: key revoked (empty p=)",
            details=details,
            fix=f"If mail is still signed with selector {selector!r}, publish its key; otherwise sign with another selector.",
            refs=("RFC 6376 §3.6.1",),
        )
    tags = f"(k={key.key_type}, h={key.hash_text})"
    if key.key_type == "ed25519":
        return Check(
            id="dkim.key",
            status=Status.PASS,
            subject=selector,
            summary=f"{selector}: Ed25519 {key.bits}-bit key {tags}",
            details={**details, "lines": ["many receivers verify only RSA: sign with an RSA key as well (RFC 8463 §1)"]},
            refs=("RFC 8463",),
        )
    bits = key.bits or 0
    summary = f"{selector}: RSA {bits}-bit key {tags}"
    if bits < MIN_RSA_BITS:
        return Check(
            id="dkim.key",
            status=Status.FAIL,
            subject=selector,
            summary=f"{summary}; verifiers reject RSA keys under {MIN_RSA_BITS} bits",
            details=details,
            fix=f"Generate a {GOOD_RSA_BITS}-bit RSA key, publish it under a new selector, and sign with it.",
            refs=REFS_STRENGTH,
        )
    if bits < GOOD_RSA_BITS:
        return Check(
            id="dkim.key",
            status=Status.WARN,
            subject=selector,
            summary=f"{summary}; {GOOD_RSA_BITS} bits is the norm",
            details=details,
            fix=f"Rotate to a {GOOD_RSA_BITS}-bit RSA key under a new selector.",
            refs=REFS_STRENGTH,
        )
    if bits > MAX_RSA_BITS:
        return Check(
            id="dkim.key",
            status=Status.WARN,
            subject=selector,
            summary=(
                f"{summary}; verifiers need only handle RSA keys up to {MAX_RSA_BITS} bits, "
                "so some will fail the signature"
            ),
            details=details,
            fix=f"Rotate to a {GOOD_RSA_BITS}-bit RSA key under a new selector (or {MAX_RSA_BITS} at most).",
            refs=REFS_STRENGTH,
        )
    return Check(id="dkim.key", status=Status.PASS, subject=selector, summary=summary, details=details)


def _flag_checks(selector: str, name: str, key: DkimKey) -> list[Check]:
    checks = []
    if key.testing:
        checks.append(
            Check(
                id="dkim.testing",
                status=Status.WARN,
                subject=selector,
                summary=f"{selector}: key is in testing mode (t={':'.join(key.flags)}); receivers may ignore its signatures",
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
        return Check(
            id="dkim.hash",
            status=Status.WARN,
            subject=selector,
            summary=(
                f"{selector}: key allows only h={key.hash_text}{leaves}; RFC 8301 forbids sha1, "
                "so verifiers reject every signature made with this key"
            ),
            details=details,
            fix=fix,
            refs=("RFC 8301 §3.1",),
        )
    return Check(
        id="dkim.hash",
        status=Status.WARN,
        subject=selector,
        summary=(
            f"{selector}: key allows only h={key.hash_text}, "
            f"{'a hash' if len(unknown) == 1 else 'hashes'} DKIM does not define; "
            "verifiers cannot use the key at all"
        ),
        details=details,
        fix=fix,
        refs=("RFC 6376 §3.6.1", "RFC 8301 §3.1"),
    )
