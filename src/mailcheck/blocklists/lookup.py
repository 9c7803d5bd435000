"""Ask blocklists about targets, all at once through the run's resolver, and judge the answers.

The resolver caps the queries in flight, so gathering every target × list pair at once
is safe: the cap, not this module, decides how many go out together.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from mailcheck import suffixes
from mailcheck.blocklists.catalogue import LOOPBACK_V4, BlockList
from mailcheck.blocklists.targets import Target, query_name
from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.dns.errors import DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.dns.resolver import Resolver, settle
from mailcheck.model import Check, Status

LISTING = CheckSpec(
    id="blocklist.listing",
    title="Not listed on a DNS blocklist",
    verifies=(
        "Asks one list about one target, an IP address by its reversed octets (IPv6: nibbles) "
        "under the list's zone or a domain by its name (its registered domain on URIBL and "
        "SURBL): the targets of `mailcheck blocklist`, the domain, MX addresses and --ip of "
        "`mailcheck domain`, the link hosts of `mailcheck links`. NXDOMAIN or no record is "
        "pass; an A answer in 127.0.0.0/8 is fail, with the list's meaning for the code and its "
        "TXT reason; a list's error code (such as Spamhaus 127.255.255.254, or 127.0.0.1 from "
        "URIBL and SURBL), an answer outside 127.0.0.0/8 or no answer is error, never a "
        "listing. Skip when no chosen list takes that kind of target (an IPv6 address and only "
        "IPv4 lists, a domain and only IP lists). Error (no verdict) when every chosen list "
        "that takes the target failed its --self-test and was left out; the summary names "
        "those lists."
    ),
    why=(
        "Receivers query these lists during the SMTP session and reject or junk mail from a "
        "listed IP or carrying a listed domain. A refused query says nothing about the target, "
        "which is why it is an error and not a pass."
    ),
    example=Example(
        bad=(
            "10.2.0.192.zen.example. A 127.0.0.2\n"
            '10.2.0.192.zen.example. TXT "192.0.2.10 sent spam; see https://lists.example/lookup"'
        ),
        good="10.2.0.192.zen.example.   (NXDOMAIN: 192.0.2.10 is not listed)",
        why="The cause of the listing was removed and delisting requested, so the list no longer answers for the address.",
    ),
    refs=("RFC 5782 §2.1", "RFC 5782 §2.2"),
)

LIST = CheckSpec(
    id="blocklist.list",
    title="A chosen blocklist cannot be asked offline",
    verifies=(
        "With --offline, mailcheck asks for the SOA of each chosen list's zone and skips (skip) "
        "every list whose zone no --zone file serves, instead of reporting an error for each "
        "lookup. Without --offline every list is asked and this check does not appear."
    ),
    why=("A listing on a list that was not asked goes unnoticed: the report says which lists its pass verdicts do not cover."),
    example=Example(
        bad="zen.spamhaus.org. SOA ?   (--offline, and no --zone file serves the zone)",
        good="zen.spamhaus.org. SOA ns.zen.example. hostmaster.zen.example. 1 3600 600 86400 60   (from --zone)",
        why="Give a --zone file for the list's zone, or leave the list out with --skip or --only.",
    ),
    refs=("RFC 5782 §2", "docs/reputation.md"),
)

# refused: the list's own error code; bad-answer: an answer outside 127.0.0.0/8.
Outcome = Literal["listed", "clean", "refused", "bad-answer", "unavailable"]

CHECK_ID = "blocklist.listing"
NXDOMAIN_HIJACK_FIX = (
    "Query from a resolver that returns NXDOMAIN as it is (not one that rewrites missing "
    "names), and check that the zone name is a blocklist's."
)


@dataclass(frozen=True)
class Lookup:
    """One target asked of one list, and what the answer means."""

    target: Target
    blocklist: BlockList
    query: str
    outcome: Outcome
    codes: tuple[str, ...] = ()
    meanings: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()  # TXT records at the listed name: why, and how to get off
    error: str | None = None
    fix: str | None = None

    @property
    def subject(self) -> str:
        return f"{self.target.value} @ {self.blocklist.label}"


async def look_up(resolver: Resolver, target: Target, blocklist: BlockList) -> Lookup | None:
    """What ``blocklist`` says about ``target``; None when the list cannot answer for it."""
    name = query_name(target, blocklist)
    if name is None:
        return None
    try:
        answer = await resolver.query(name, "A")
    except (NoSuchDomain, NoRecords):
        return Lookup(target, blocklist, name, "clean")
    except DnsUnavailable as exc:
        return Lookup(target, blocklist, name, "unavailable", error=exc.reason)
    codes = tuple(sorted({r.address for r in answer.rdata}, key=_address_key))
    for code in codes:
        reason = blocklist.error_reason(code)
        if reason is not None:
            if _in_loopback(code):
                return Lookup(target, blocklist, name, "refused", codes, error=reason, fix=blocklist.error_fix)
            return Lookup(target, blocklist, name, "bad-answer", codes, error=reason, fix=NXDOMAIN_HIJACK_FIX)
    txt = await settle(resolver.txt(name))
    reasons = tuple(txt) if isinstance(txt, list) else ()
    meanings = tuple(dict.fromkeys(blocklist.meaning(code) for code in codes))
    return Lookup(target, blocklist, name, "listed", codes, meanings, reasons)


async def look_up_all(resolver: Resolver, targets: Sequence[Target], lists: Sequence[BlockList]) -> list[Lookup]:
    """Every target × list lookup that applies, started together, in (target, list) order."""
    if any(blocklist.registered_domain for blocklist in lists):
        await suffixes.loaded()
    results = await asyncio.gather(*(look_up(resolver, t, b) for t in targets for b in lists))
    return [r for r in results if r is not None]


# A list's lookup that tells nothing about the target.
UNANSWERED = ("unavailable", "refused", "bad-answer")


def listing_checks(lookups: Sequence[Lookup]) -> list[Check]:
    """blocklist.listing for each lookup; a list that could not be asked about a target
    that other lists answered for is a side fact: the target's standing is known."""
    answered = {id(lookup.target) for lookup in lookups if lookup.outcome not in UNANSWERED}
    return [
        replace(check, side_fact=True) if check.status is Status.ERROR and id(lookup.target) in answered else check
        for lookup, check in ((lookup, listing_check(lookup)) for lookup in lookups)
    ]


def listing_check(lookup: Lookup) -> Check:
    """blocklist.listing: one target on one list."""
    target, blocklist = lookup.target, lookup.blocklist
    who = target.shown
    where = f"{blocklist.name} ({blocklist.label})"
    details: dict[str, object] = {
        "target": target.value,
        "kind": target.kind,
        "list": blocklist.label,
        "list_name": blocklist.name,
        "query": blocklist.shown_query(lookup.query),
        "outcome": lookup.outcome,
    }
    if lookup.outcome == "clean":
        return LISTING.ok(lookup.subject, f"{who} is not listed on {where}", details=details)
    if lookup.outcome in UNANSWERED:
        details.update(codes=list(lookup.codes), reason=lookup.error)
        verb = {
            "refused": "refused the query",
            "bad-answer": "gave an answer that is not a listing",
            "unavailable": "gave no answer",
        }[lookup.outcome]
        return LISTING.error(
            lookup.subject,
            f"{where} {verb} for {who}: {lookup.error}; this is not a listing",
            details=details,
            fix=lookup.fix,
            refs=("RFC 5782 §2.1",) if lookup.outcome != "unavailable" else (),
        )
    shown_codes = ", ".join(lookup.codes)
    details.update(
        codes=list(lookup.codes),
        meanings=list(lookup.meanings),
        reasons=list(lookup.reasons),
        terms=blocklist.terms,
    )
    delisting = (
        f", then ask for delisting at {blocklist.delisting}" if blocklist.delisting else ", then ask its operator for delisting"
    )
    return LISTING.fail(
        lookup.subject,
        f"{who} is listed on {where}: {'; '.join(lookup.meanings)} ({shown_codes})",
        details=details,
        fix=f"Read the list's reason above and remove the cause{delisting}.",
        refs=("RFC 5782 §2.1", "RFC 5782 §2.2"),
    )


async def usable_lists(resolver: Resolver, lists: Sequence[BlockList]) -> tuple[list[BlockList], list[Check]]:
    """The lists this run can ask, and a skip for each that --offline puts out of reach.

    Offline, a list is reachable only when --zone serves its zone: asking the others
    would only turn every lookup into "could not tell".
    """
    if not resolver.offline:
        return list(lists), []
    answers = await asyncio.gather(*(settle(resolver.query(b.zone, "SOA")) for b in lists))
    usable, skipped = [], []
    for blocklist, answer in zip(lists, answers, strict=False):
        if isinstance(answer, DnsUnavailable):
            skipped.append(
                LIST.skip(
                    blocklist.label,
                    f"{blocklist.name} was not asked: --offline is set and --zone does not serve {blocklist.label}",
                )
            )
        else:
            usable.append(blocklist)
    return usable, skipped


def _address_key(address: str) -> tuple[int, ...]:
    return tuple(int(part) for part in address.split("."))


def _in_loopback(address: str) -> bool:
    return ipaddress.ip_address(address) in LOOPBACK_V4
