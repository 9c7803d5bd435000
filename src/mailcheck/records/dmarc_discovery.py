"""Where a receiver finds the DMARC record for a domain: RFC 9989's DNS tree walk and
RFC 7489's organizational domain from the Public Suffix List, side by side.

Both are pure functions over the TXT answers at _dmarc.NAME, so the check can ask every
name at once and each generation's receivers can be replayed on the same answers; the
domain report and the message's DMARC evaluation read the answers with the same
``name_records`` and ask ``name_exists`` whether np= applies.
checkdmarc implements the tree walk too, but one query at a time through its own
resolver calls, and it returns only the record, not the names asked and the
organizational domain; hence this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from mailcheck.dns.errors import DnsError, DnsUnavailable, NoSuchDomain
from mailcheck.dns.resolver import Answer, Resolver, settle
from mailcheck.records.dmarc import DMARC_START, psd_flag

# RFC 9989 §4.10: a walk asks at most this many names; longer names skip to the
# last (LIMIT - 1) labels after the first query.
WALK_LIMIT = 8

Spec = Literal["RFC 9989", "RFC 7489"]
# How the record that applies was reached: the domain's own, its organizational
# domain's, or (RFC 9989 only) a public suffix domain's.
Via = Literal["own", "organizational", "psd", "none"]


@dataclass(frozen=True)
class NameRecords:
    """What _dmarc.DOMAIN answered: the v=DMARC1 records, or why it could not tell."""

    domain: str
    records: tuple[str, ...] = ()
    unavailable: str | None = None  # the reason, when the lookup went unanswered

    @property
    def record(self) -> str | None:
        """The one record a receiver uses; several at one name are all discarded."""
        return self.records[0] if len(self.records) == 1 else None


@dataclass(frozen=True)
class Discovery:
    """One generation's answer: the record that applies and the organizational domain."""

    spec: Spec
    asked: tuple[str, ...]  # the domains whose _dmarc was asked, in the receiver's order
    via: Via
    policy_domain: str | None  # whose _dmarc holds the record that applies
    record: str | None
    org_domain: str  # the organizational domain, for relaxed alignment
    psd_domain: str | None = None  # RFC 9989: the psd=y domain the walk stopped at
    unavailable: tuple[str, ...] = ()  # asked names that went unanswered

    @property
    def inherited(self) -> bool:
        return self.via in ("organizational", "psd")


def name_records(name: str, outcome: Answer | DnsError) -> NameRecords:
    """What _dmarc.NAME answered, as the discovery functions read it."""
    if isinstance(outcome, DnsUnavailable):
        return NameRecords(name, unavailable=outcome.reason)
    if isinstance(outcome, DnsError):
        return NameRecords(name)
    return NameRecords(name, tuple(text for text in outcome.texts() if DMARC_START.match(text)))


async def name_exists(resolver: Resolver, domain: str) -> bool | None:
    """RFC 9989 takes a name as non-existent on NXDOMAIN (RFC 8020); None: could not tell."""
    outcome = await settle(resolver.query(domain, "A"))
    if isinstance(outcome, NoSuchDomain):
        return False
    return None if isinstance(outcome, DnsUnavailable) else True


def walk_names(domain: str) -> list[str]:
    """The names RFC 9989 §4.10 asks, longest first: the domain, then its parents one
    label at a time, skipping straight to the last seven labels for a long name."""
    labels = domain.split(".")
    count = len(labels)
    start = 1 if count <= WALK_LIMIT else count - (WALK_LIMIT - 1)
    return [domain, *(".".join(labels[i:]) for i in range(start, count))]


def tree_walk(domain: str, answers: Mapping[str, NameRecords]) -> Discovery:
    """RFC 9989 §4.10: policy discovery and organizational domain selection."""
    asked: list[str] = []
    unavailable: list[str] = []
    walked: list[tuple[str, str]] = []
    for index, name in enumerate(walk_names(domain)):
        asked.append(name)
        answer = answers[name]
        if answer.unavailable is not None:
            unavailable.append(name)
            continue
        if answer.record is None:
            continue
        walked.append((name, answer.record))
        flag = psd_flag(answer.record)
        # Step 2 stops at the start only on psd=n; step 7 stops on a parent's psd=n or psd=y.
        if flag == "n" or (flag == "y" and index > 0):
            break
    org_domain, psd_domain = _organizational_domain(domain, walked)

    def found(via: Via, policy_domain: str | None, record: str | None) -> Discovery:
        return Discovery("RFC 9989", tuple(asked), via, policy_domain, record, org_domain, psd_domain, tuple(unavailable))

    records = dict(walked)
    if (own := answers[domain].record) is not None:
        return found("own", domain, own)
    if (org_record := records.get(org_domain) or _answered(answers, org_domain)) is not None:
        return found("organizational", org_domain, org_record)
    if psd_domain is not None:
        # §4.10.1: with no record at the organizational domain, the PSD's applies.
        return found("psd", psd_domain, records[psd_domain])
    return found("none", None, None)


def _answered(answers: Mapping[str, NameRecords], domain: str) -> str | None:
    return answers[domain].record if domain in answers else None


def _organizational_domain(domain: str, walked: list[tuple[str, str]]) -> tuple[str, str | None]:
    """RFC 9989 §4.10.2, over the records walked (longest name first): a psd=n record's
    domain; one label below a parent's psd=y record; else the fewest labels. The walk
    stops at either flag, so only its last record can carry one."""
    if not walked:
        return domain, None
    name, record = walked[-1]
    if psd_flag(record) == "y" and name != domain:
        below = len(name.split(".")) + 1
        return ".".join(domain.split(".")[-below:]), name
    return name, None


def psl_discovery(domain: str, org_domain: str, answers: Mapping[str, NameRecords]) -> Discovery:
    """RFC 7489 §6.6.3: the domain's own record, else its PSL organizational domain's."""
    asked = (domain,) if org_domain == domain else (domain, org_domain)
    unavailable = tuple(name for name in asked if answers[name].unavailable is not None)

    def found(via: Via, policy_domain: str | None, record: str | None) -> Discovery:
        return Discovery("RFC 7489", asked, via, policy_domain, record, org_domain, None, unavailable)

    if (own := answers[domain].record) is not None:
        return found("own", domain, own)
    if org_domain != domain and (inherited := answers[org_domain].record) is not None:
        return found("organizational", org_domain, inherited)
    return found("none", None, None)
