"""The SPF tree of a domain: its record and every record include: and redirect= lead to,
fetched over DNS, with what each costs a receiver in lookups (RFC 7208 §4.6.4).

The tree is fetched level by level, every include of a level at once, so a deep tree
costs one round trip per level. Counting follows what a receiver does: each include
counts every time it is reached (duplicates too), redirect= counts unless an ``all``
makes it inert, exp= costs nothing, and terms after ``all`` are never reached.

This module only gathers; the spf_* check modules judge what it found.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from mailcheck.dns.errors import DnsError, DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.dns.resolver import Answer, Resolver, settle
from mailcheck.records.spf import (
    SpfRecord,
    SpfSyntaxError,
    expand_domain_macros,
    is_spf_record,
    parse_spf,
)
from mailcheck.words import counted

MAX_LOOKUPS = 10  # §4.6.4
MAX_VOID_LOOKUPS = 2  # §4.6.4
MAX_MX_HOSTS = 10  # §4.6.4
# Far beyond any tree a receiver would finish; stops a diamond-shaped tree of
# includes from growing exponentially while we walk it.
MAX_NODES = 200

# Why a node of the tree has no record to follow.
NXDOMAIN = "nxdomain"
NO_TXT = "no-txt"
NO_SPF = "no-spf"
MULTIPLE = "multiple"
SYNTAX = "syntax"
LOOP = "loop"
UNAVAILABLE = "unavailable"
SENDER_DEPENDENT = "sender-dependent"
NOT_FOLLOWED = "not-followed"
MISSING = (NXDOMAIN, NO_TXT, NO_SPF)


# The address families a receiver asks about: for an a term it asks only the family of
# the connection (§5.3), so whether the term is void depends on who sends.
Family = Literal["IPv4", "IPv6"]
IPV4: Family = "IPv4"
IPV6: Family = "IPv6"
# How a record sends a receiver on to another one.
Via = Literal["include", "redirect"]


@dataclass(frozen=True)
class VoidLookup:
    term: str
    domain: str  # the record the term is in
    target: str
    reason: str
    family: Family | None = None  # void only for a sender of this family; None: for every sender


@dataclass(frozen=True)
class UnansweredLookup:
    """An a or mx target whose lookup got no answer (timeout, SERVFAIL, refused)."""

    term: str
    kind: Literal["a", "mx"]
    domain: str  # the record the term is in
    target: str
    reason: str
    family: Family | None = None  # for an a term, the one family left unanswered; None: both

    def __str__(self) -> str:
        return f"{self.term} ({self.reason})"


@dataclass(frozen=True)
class SpfNode:
    """One record of the tree, or the reason a target has none."""

    domain: str
    via: Via | None  # None at the top
    term: str | None  # the parent's term that leads here
    record: SpfRecord | None = None
    problem: str | None = None
    detail: str = ""
    syntax_error: SpfSyntaxError | None = None
    txt: tuple[Any, ...] = ()  # every TXT rdata at the name (each has .strings)
    spf_txt: tuple[Any, ...] = ()  # those that start with v=spf1
    children: tuple[SpfNode, ...] = ()
    voids: tuple[VoidLookup, ...] = ()
    mx_overflows: tuple[tuple[str, int], ...] = ()  # (term, MX host count)
    unanswered: tuple[UnansweredLookup, ...] = ()
    # a and mx terms whose names need the sender's address or IP: not looked up here.
    sender_dependent: tuple[str, ...] = ()
    path: tuple[str, ...] = ()  # the domains from the top down to this one

    @property
    def own_lookups(self) -> int:
        return len(self.record.lookup_terms) if self.record else 0

    @property
    def total_lookups(self) -> int:
        return self.own_lookups + sum(child.total_lookups for child in self.children)

    @property
    def label(self) -> str:
        """How the tree shows this node: the term that leads here, and where a macro
        was expanded, the name it became."""
        if self.term is None:
            return self.domain
        if "%" in self.term and self.problem != SENDER_DEPENDENT:
            return f"{self.term} ({self.domain})"
        return self.term

    def walk(self) -> Iterator[SpfNode]:
        yield self
        for child in self.children:
            yield from child.walk()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "domain": self.domain,
            "via": self.via,
            "term": self.term,
            "label": self.label,
            "record": self.record.text if self.record else None,
            "lookups": self.own_lookups,
            "total_lookups": self.total_lookups,
        }
        if self.problem:
            data["problem"] = self.problem
            data["detail"] = self.detail
        data["children"] = [child.to_dict() for child in self.children]
        return data


def joined_txt(rdata: Any) -> str:
    """A TXT record's strings joined with nothing between them (§3.3)."""
    return b"".join(rdata.strings).decode("utf-8", "replace")


# -- the walk ----------------------------------------------------------------------


@dataclass
class _Growing:
    """A node while the walk is still filling it in; frozen into an SpfNode at the end."""

    domain: str
    via: Via | None
    term: str | None
    path: tuple[str, ...]
    record: SpfRecord | None = None
    problem: str | None = None
    detail: str = ""
    syntax_error: SpfSyntaxError | None = None
    txt: tuple[Any, ...] = ()
    spf_txt: tuple[Any, ...] = ()
    children: list[_Growing] = field(default_factory=list)
    voids: list[VoidLookup] = field(default_factory=list)
    mx_overflows: list[tuple[str, int]] = field(default_factory=list)
    unanswered: list[UnansweredLookup] = field(default_factory=list)
    sender_dependent: list[str] = field(default_factory=list)

    def freeze(self) -> SpfNode:
        return SpfNode(
            domain=self.domain,
            via=self.via,
            term=self.term,
            record=self.record,
            problem=self.problem,
            detail=self.detail,
            syntax_error=self.syntax_error,
            txt=self.txt,
            spf_txt=self.spf_txt,
            children=tuple(child.freeze() for child in self.children),
            voids=tuple(self.voids),
            mx_overflows=tuple(self.mx_overflows),
            unanswered=tuple(self.unanswered),
            sender_dependent=tuple(self.sender_dependent),
            path=self.path,
        )


async def walk_spf(resolver: Resolver, domain: str) -> SpfNode:
    """The SPF tree under ``domain``: one level of includes at a time, all at once.

    While a level's includes are fetched, the a/mx terms of the level above are looked
    up too (for void lookups and the MX host limit), so they add no round trip.
    """
    root = _Growing(domain, None, None, (domain,))
    await _load(resolver, root)
    level = [root] if root.record else []
    nodes = 1
    while level:
        children: list[_Growing] = []
        for node in level:
            for via, term, spec in _targets(node.record):  # type: ignore[arg-type]
                target = expand_domain_macros(spec, node.domain)
                child = _Growing(target or spec, via, term, (*node.path, target or spec))
                node.children.append(child)
                if target is None:
                    child.problem = SENDER_DEPENDENT
                    child.detail = "has macros that need the sender's address or IP, so it is not followed"
                elif target in node.path:
                    child.problem = LOOP
                    child.detail = "loop: " + " → ".join((*node.path, target))
                elif nodes >= MAX_NODES:
                    child.problem = NOT_FOLLOWED
                    child.detail = f"not followed: the tree has more than {MAX_NODES} records"
                else:
                    nodes += 1
                    children.append(child)
        await asyncio.gather(
            *(_load(resolver, child) for child in children),
            *(_probe(resolver, node) for node in level),
        )
        level = [child for child in children if child.record]
    return root.freeze()


def _targets(record: SpfRecord) -> list[tuple[Via, str, str]]:
    """(via, term, domain-spec) of the records this one sends a receiver on to."""
    targets: list[tuple[Via, str, str]] = [
        ("include", m.text, m.domain_spec or "") for m in record.evaluated if m.kind == "include"
    ]
    redirect = record.modifier("redirect")
    if redirect is not None and record.redirect_applies:
        targets.append(("redirect", redirect.text, redirect.value))
    return targets


async def _load(resolver: Resolver, node: _Growing) -> None:
    try:
        answer = await resolver.query(node.domain, "TXT")
    except NoSuchDomain:
        node.problem, node.detail = NXDOMAIN, f"{node.domain} does not exist (NXDOMAIN)"
        return
    except NoRecords:
        node.problem, node.detail = NO_TXT, f"{node.domain} has no TXT record"
        return
    except DnsUnavailable as exc:
        node.problem, node.detail = UNAVAILABLE, f"could not look up {node.domain} TXT: {exc.reason}"
        return
    node.txt = answer.rdata
    node.spf_txt = tuple(r for r in answer.rdata if is_spf_record(joined_txt(r)))
    if not node.spf_txt:
        count = len(answer.rdata)
        node.problem = NO_SPF
        node.detail = f"{node.domain} has {counted(count, 'TXT record')} but none starts with v=spf1"
        return
    if len(node.spf_txt) > 1:
        node.problem = MULTIPLE
        node.detail = f"{node.domain} has {len(node.spf_txt)} SPF records"
        return
    try:
        node.record = parse_spf(joined_txt(node.spf_txt[0]))
    except SpfSyntaxError as exc:
        node.problem, node.detail, node.syntax_error = SYNTAX, str(exc), exc


# What one a or mx probe found: a void lookup, an unanswered one, or (term, MX host count)
# over the limit.
_Finding = VoidLookup | UnansweredLookup | tuple[str, int]


async def _probe(resolver: Resolver, node: _Growing) -> None:
    """Look up the a and mx targets of a record: void lookups and the MX host limit."""
    assert node.record is not None
    jobs = []
    for mechanism in node.record.evaluated:
        if mechanism.kind not in ("a", "mx"):
            continue
        target = expand_domain_macros(mechanism.domain_spec or node.domain, node.domain)
        if target is None:
            node.sender_dependent.append(mechanism.text)
        elif mechanism.kind == "a":
            jobs.append(_probe_addresses(resolver, node.domain, mechanism.text, target))
        else:
            jobs.append(_probe_mx(resolver, node.domain, mechanism.text, target))
    # Findings are kept in the record's order, not the order the answers arrived in.
    for findings in await asyncio.gather(*jobs):
        for found in findings:
            if isinstance(found, VoidLookup):
                node.voids.append(found)
            elif isinstance(found, UnansweredLookup):
                node.unanswered.append(found)
            else:
                node.mx_overflows.append(found)


async def _probe_addresses(resolver: Resolver, domain: str, term: str, target: str) -> list[_Finding]:
    # A and AAAA apart, not Resolver.addresses(): a host with AAAA only is void for an
    # IPv4 sender's receiver, which never asks AAAA (§5.3).
    a, aaaa = await asyncio.gather(settle(resolver.query(target, "A")), settle(resolver.query(target, "AAAA")))
    answers: dict[Family, Answer | DnsError] = {IPV4: a, IPV6: aaaa}
    if any(isinstance(answer, NoSuchDomain) for answer in answers.values()):
        return [VoidLookup(term, domain, target, f"{target} does not exist (NXDOMAIN)")]
    empty = [family for family, answer in answers.items() if isinstance(answer, NoRecords)]
    unanswered = [(family, answer) for family, answer in answers.items() if isinstance(answer, DnsUnavailable)]
    found: list[_Finding] = []
    if len(empty) == 2:
        found.append(VoidLookup(term, domain, target, f"{target} has no A/AAAA record"))
    elif empty:
        rdtype, other = ("A", "AAAA") if empty[0] == IPV4 else ("AAAA", "A")
        having = "" if unanswered else f" (it has {other} only)"
        found.append(VoidLookup(term, domain, target, f"{target} has no {rdtype} record{having}", empty[0]))
    if unanswered:
        family, error = unanswered[0]
        found.append(UnansweredLookup(term, "a", domain, target, error.reason, family if len(unanswered) == 1 else None))
    return found


async def _probe_mx(resolver: Resolver, domain: str, term: str, target: str) -> list[_Finding]:
    try:
        answer = await resolver.query(target, "MX")
    except NoSuchDomain:
        return [VoidLookup(term, domain, target, f"{target} does not exist (NXDOMAIN)")]
    except NoRecords:
        return [VoidLookup(term, domain, target, f"{target} has no MX record")]
    except DnsUnavailable as exc:
        return [UnansweredLookup(term, "mx", domain, target, exc.reason)]
    return [(term, len(answer.rdata))] if len(answer.rdata) > MAX_MX_HOSTS else []
