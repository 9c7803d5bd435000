"""spf.*: the domain's SPF record, its include/redirect tree and what that costs a
receiver in DNS lookups (RFC 7208 §4.6.4), and, with ``--ip``, the verdict for an IP.

The tree is fetched level by level, every include of a level at once, so a deep tree
costs one round trip per level. Counting follows what a receiver does: each include
counts every time it is reached (duplicates too), redirect= counts unless an ``all``
makes it inert, exp= costs nothing, and terms after ``all`` are never reached.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from mailcheck.checks.context import DomainContext
from mailcheck.dns.errors import DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.dns.resolver import Resolver
from mailcheck.model import Check, Status
from mailcheck.records.spf import (
    Qualifier,
    SpfRecord,
    SpfSyntaxError,
    expand_domain_macros,
    is_spf_record,
    parse_spf,
)

MAX_LOOKUPS = 10  # §4.6.4
MAX_VOID_LOOKUPS = 2  # §4.6.4
MAX_MX_HOSTS = 10  # §4.6.4
MAX_TXT_STRING = 255  # RFC 1035 §3.3: one length octet per character-string
MAX_UDP_ANSWER = 512  # §3.4, RFC 1035 §4.2.1
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
_MISSING = (NXDOMAIN, NO_TXT, NO_SPF)


# -- the tree ----------------------------------------------------------------------


@dataclass(frozen=True)
class VoidLookup:
    term: str
    domain: str  # the record the term is in
    target: str
    reason: str


@dataclass(frozen=True)
class SpfNode:
    """One record of the tree, or the reason a target has none."""

    domain: str
    via: str | None  # "include" or "redirect"; None at the top
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
    unanswered: tuple[str, ...] = ()  # terms whose targets could not be looked up
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
            "record": self.record.text if self.record else None,
            "lookups": self.own_lookups,
            "total_lookups": self.total_lookups,
        }
        if self.problem:
            data["problem"] = self.problem
            data["detail"] = self.detail
        data["children"] = [child.to_dict() for child in self.children]
        return data


@dataclass
class _Growing:
    """A node while the walk is still filling it in; frozen into an SpfNode at the end."""

    domain: str
    via: str | None
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
    unanswered: list[str] = field(default_factory=list)

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


def _targets(record: SpfRecord) -> list[tuple[str, str, str]]:
    """(via, term, domain-spec) of the records this one sends a receiver on to."""
    targets = [("include", m.text, m.domain_spec or "") for m in record.evaluated if m.kind == "include"]
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
    node.spf_txt = tuple(r for r in answer.rdata if is_spf_record(_joined(r)))
    if not node.spf_txt:
        count = len(answer.rdata)
        node.problem = NO_SPF
        node.detail = f"{node.domain} has {count} TXT record{'s' if count != 1 else ''} but none starts with v=spf1"
        return
    if len(node.spf_txt) > 1:
        node.problem = MULTIPLE
        node.detail = f"{node.domain} has {len(node.spf_txt)} SPF records"
        return
    try:
        node.record = parse_spf(_joined(node.spf_txt[0]))
    except SpfSyntaxError as exc:
        node.problem, node.detail, node.syntax_error = SYNTAX, str(exc), exc


async def _probe(resolver: Resolver, node: _Growing) -> None:
    """Look up the a and mx targets of a record: void lookups and the MX host limit."""
    assert node.record is not None
    jobs = []
    for mechanism in node.record.evaluated:
        if mechanism.kind not in ("a", "mx"):
            continue
        target = expand_domain_macros(mechanism.domain_spec or node.domain, node.domain)
        if target is not None:
            jobs.append(_probe_one(resolver, node, mechanism.kind, mechanism.text, target))
    await asyncio.gather(*jobs)


async def _probe_one(resolver: Resolver, node: _Growing, kind: str, term: str, target: str) -> None:
    try:
        if kind == "a":
            await resolver.addresses(target)
        else:
            answer = await resolver.query(target, "MX")
            if len(answer.rdata) > MAX_MX_HOSTS:
                node.mx_overflows.append((term, len(answer.rdata)))
    except NoSuchDomain:
        node.voids.append(VoidLookup(term, node.domain, target, f"{target} does not exist (NXDOMAIN)"))
    except NoRecords:
        wanted = "A/AAAA" if kind == "a" else "MX"
        node.voids.append(VoidLookup(term, node.domain, target, f"{target} has no {wanted} record"))
    except DnsUnavailable as exc:
        node.unanswered.append(f"{term} ({exc.reason})")


def _joined(rdata: Any) -> str:
    """A TXT record's strings joined with nothing between them (§3.3)."""
    return b"".join(rdata.strings).decode("utf-8", "replace")


# -- the checks ------------------------------------------------------------------


async def check_spf(context: DomainContext) -> list[Check]:
    domain = context.domain.ascii
    ip = context.options.sending_ip
    if ip is None:
        return tree_checks(domain, await walk_spf(context.resolver, domain))
    # The walk and pyspf's evaluation share the run's cache, so they overlap cheaply.
    root, evaluation = await asyncio.gather(walk_spf(context.resolver, domain), evaluate_ip(context, ip))
    return [*tree_checks(domain, root), evaluation]


def tree_checks(domain: str, root: SpfNode) -> list[Check]:
    """Every spf.* finding about the domain's record and the tree under it."""
    checks = [_record_check(domain, root)]
    if root.problem in (*_MISSING, MULTIPLE, UNAVAILABLE):
        return checks
    checks.append(_syntax_check(domain, root))
    length = _length_check(domain, root)
    if root.record is None:  # a syntax error: nothing else can be judged
        return checks + ([length] if length else [])
    checks.append(_all_check(domain, root))
    checks.append(_lookups_check(domain, root))
    checks.append(_void_check(domain, root))
    checks.extend(_loop_checks(domain, root))
    checks.extend(_include_checks(root))
    checks.extend(_redirect_checks(domain, root))
    ptr = _ptr_check(domain, root)
    checks.extend(c for c in (ptr, length) if c is not None)
    return checks


def _record_check(domain: str, root: SpfNode) -> Check:
    refs = ("RFC 7208 §4.5", "RFC 7208 §3")
    if root.problem == UNAVAILABLE:
        return Check("spf.record", Status.ERROR, domain, root.detail, {"reason": root.detail})
    if root.problem in _MISSING:
        near_misses = [_joined(r) for r in root.txt if "spf" in _joined(r).lower()]
        summary = f"no SPF record: {root.detail}"
        if near_misses:
            summary += f'; this one looks meant as SPF but does not start with "v=spf1 ": {near_misses[0]!r}'
        return Check(
            "spf.record",
            Status.FAIL,
            domain,
            summary,
            {"txt": [_joined(r) for r in root.txt]},
            fix=f'Publish one TXT record at {domain} starting with "v=spf1", listing the hosts that send '
            'its mail and ending in -all (e.g. "v=spf1 mx -all").',
            refs=refs,
        )
    if root.problem == MULTIPLE:
        records = [_joined(r) for r in root.spf_txt]
        return Check(
            "spf.record",
            Status.FAIL,
            domain,
            f"{domain} has {len(records)} SPF records; receivers treat that as permerror: "
            + " | ".join(records),
            {"records": records, "lines": records},
            fix="Merge them into one TXT record: one v=spf1, the union of the mechanisms, one all at the end.",
            refs=refs,
        )
    text = root.record.text if root.record else _joined(root.spf_txt[0])
    return Check("spf.record", Status.PASS, domain, f"SPF record: {text}", {"record": text}, refs=refs)


def _syntax_check(domain: str, root: SpfNode) -> Check:
    refs = ("RFC 7208 §12", "RFC 7208 §4.6")
    broken = [(node, node.syntax_error) for node in root.walk() if node.syntax_error is not None]
    if broken:
        lines = [_where(node, domain) + str(error) for node, error in broken]
        first_node, first = broken[0]
        summary = lines[0] + (_join_hint(root) if first_node is root else "")
        owner = " in your record" if first_node is root else f" (ask the owner of {first_node.domain})"
        return Check(
            "spf.syntax",
            Status.FAIL,
            domain,
            summary + " (permerror)",
            {
                "errors": [
                    {"domain": node.domain, "term": error.term, "position": error.position,
                     "reason": error.reason, "record": _joined(node.spf_txt[0])}
                    for node, error in broken
                ],
                "lines": lines,
            },
            fix=f'Correct "{first.term}"{owner}; receivers treat a record with a syntax error as permerror.',
            refs=refs,
        )
    records = [(node, node.record) for node in root.walk() if node.record is not None]
    misspelt = [(node, m) for node, record in records for m in record.misspelt_modifiers]
    if misspelt:
        lines = [
            f"{_where(node, domain)}{m.text} is a modifier, not the {m.name} mechanism, so receivers ignore it"
            for node, m in misspelt
        ]
        modifier = misspelt[0][1]
        return Check(
            "spf.syntax",
            Status.WARN,
            domain,
            lines[0],
            {"lines": lines},
            fix=f"Write {modifier.name}:{modifier.value}, with a colon.",
            refs=refs,
        )
    scope = "the SPF record parses" if len(records) == 1 else f"all {len(records)} SPF records of the tree parse"
    return Check("spf.syntax", Status.PASS, domain, f"{scope} (RFC 7208 grammar, macros included)", refs=refs)


def _where(node: SpfNode, domain: str) -> str:
    return "" if node.via is None else f"in {node.domain} ({node.label}, reached from {domain}): "


def _join_hint(root: SpfNode) -> str:
    """Point at a missing space where the record's strings meet: they join with none (§3.3)."""
    error, strings = root.syntax_error, root.spf_txt[0].strings if root.spf_txt else ()
    if error is None or len(strings) < 2:
        return ""
    end = error.position + len(error.term)
    offset = 0
    for string in strings[:-1]:
        offset += len(string.decode("utf-8", "replace"))
        if error.position < offset < end:
            return f"; the TXT strings join at position {offset} with no space between them (RFC 7208 §3.3)"
    return ""


def _redirect_chain(node: SpfNode) -> list[SpfNode]:
    """The node and the records its redirect= leads to, in the order a receiver evaluates them (§6.1)."""
    chain = [node]
    while chain[-1].record is not None and chain[-1].record.redirect_applies:
        redirect = next((c for c in chain[-1].children if c.via == "redirect"), None)
        if redirect is None:
            break
        chain.append(redirect)
    return chain


def _final_record(root: SpfNode) -> tuple[SpfNode, list[str]]:
    """The record whose ``all`` decides, following redirect= (§6.1), and the redirects taken."""
    chain = _redirect_chain(root)
    return chain[-1], [node.term or "" for node in chain[1:]]


def _qualifier(node: SpfNode) -> Qualifier:
    """The qualifier of the term that leads to ``node`` (+ when none is written)."""
    term = node.term or ""
    return Qualifier(term[0]) if term[:1] in ("+", "-", "~", "?") else Qualifier.PASS


def _opener(node: SpfNode) -> SpfNode | None:
    """What makes the record at ``node`` pass every host, or None: ``node`` itself when its
    record (through redirect=) ends with +all, or what opens one of its pass includes.

    An include matches only when its record gives pass (§5.2), so an include that opens is
    reached through pass includes alone; its own qualifier then says what every host gets.
    """
    chain = _redirect_chain(node)
    for record in chain:
        for child in record.children:
            if child.via == "include" and _qualifier(child) is Qualifier.PASS:
                opener = _opener(child)
                if opener is not None:
                    return opener
    final = chain[-1].record
    return node if final and final.all and final.all.qualifier is Qualifier.PASS else None


def _catch_all_include(root: SpfNode) -> tuple[SpfNode, SpfNode] | None:
    """The first include a receiver reaches from the top whose record passes every host:
    it matches every host, so it decides like an all with the include's qualifier. Returned
    with what opens its record."""
    for record in _redirect_chain(root):
        for child in record.children:
            if child.via == "include" and (opener := _opener(child)) is not None:
                return child, opener
    return None


def _open_record(node: SpfNode) -> str:
    """How a summary names the +all that opens ``node``'s record, with the redirects taken."""
    chain = _redirect_chain(node)
    via = f" (through {' → '.join(n.term or '' for n in chain[1:])})" if len(chain) > 1 else ""
    return f"{chain[-1].record.all.text}{via}"  # type: ignore[union-attr]


def _all_check(domain: str, root: SpfNode) -> Check:
    refs = ("RFC 7208 §5.1", "RFC 7208 §8")
    final, hops = _final_record(root)
    via = f" (through {' → '.join(hops)})" if hops else ""
    details: dict[str, Any] = {"redirects": hops}
    if final.record is not None:
        details["all"] = final.record.all.text if final.record.all else None
    catch_all = _catch_all_include(root)
    if catch_all is not None:
        return _catch_all_check(domain, catch_all, details, refs)
    if final.record is None:
        return Check(
            "spf.all",
            Status.INFO,
            domain,
            f"no final all: {final.label} has no usable SPF record ({final.detail})",
            details,
        )
    all_term = final.record.all
    if all_term is not None and all_term.qualifier is Qualifier.PASS:
        return Check(
            "spf.all",
            Status.FAIL,
            domain,
            f"the SPF record ends with {all_term.text}{via}: every host on the internet may send as {domain}",
            details,
            fix="Replace it with -all (or ~all while you make sure every sender is listed).",
            refs=refs,
        )
    if all_term is None:
        return Check(
            "spf.all",
            Status.WARN,
            domain,
            f"the SPF record{via} has no all and no redirect=: mail from unlisted hosts gets neutral, as if there were no SPF",
            details,
            fix="End the record with -all (or ~all) so that unlisted hosts fail SPF.",
            refs=refs,
        )
    if all_term.qualifier is Qualifier.NEUTRAL:
        return Check(
            "spf.all",
            Status.WARN,
            domain,
            f"the SPF record ends with {all_term.text}{via}: mail from unlisted hosts gets neutral, "
            "which receivers treat like no SPF",
            details,
            fix="End the record with -all (or ~all) so that unlisted hosts fail SPF.",
            refs=refs,
        )
    meaning = "fails SPF" if all_term.qualifier is Qualifier.FAIL else "soft-fails SPF"
    summary = f"the SPF record ends with {all_term.text}{via}: mail from unlisted hosts {meaning}"
    unreachable = [m.text for n in root.walk() if n.record for m in n.record.unreachable]
    if unreachable:
        return Check(
            "spf.all",
            Status.WARN,
            domain,
            f"{summary}, but {len(unreachable)} term{'s' if len(unreachable) != 1 else ''} after all "
            f"{'are' if len(unreachable) != 1 else 'is'} never evaluated: {' '.join(unreachable)}",
            {**details, "unreachable": unreachable},
            fix="Move all to the end of the record, or delete the terms after it.",
            refs=refs,
        )
    return Check("spf.all", Status.PASS, domain, summary, details, refs=refs)


def _catch_all_check(
    domain: str, catch_all: tuple[SpfNode, SpfNode], details: dict[str, Any], refs: tuple[str, ...]
) -> Check:
    """spf.all when an include matches every host before any all is reached: only a pass
    include lets them all pass; -, ~ and ? make every unlisted host fail, soft-fail or get neutral."""
    include, opener = catch_all
    details = {**details, "catch_all_include": include.term, "open_record": _redirect_chain(opener)[-1].domain}
    qualifier = _qualifier(include)
    if qualifier is Qualifier.PASS:
        return Check(
            "spf.all",
            Status.FAIL,
            domain,
            f"{opener.label} ends with {_open_record(opener)}: every host on the internet "
            f"matches that include and passes SPF for {domain}",
            {**details, "open_includes": [opener.domain]},
            fix=f"Remove {opener.label}, or have {_owner(opener)} end it with -all.",
            refs=refs,
        )
    where = include.domain if opener is include else f"{opener.label} under it"
    matches = f"{include.label} matches every host, as {where} ends with {_open_record(opener)}"
    if qualifier is Qualifier.NEUTRAL:
        return Check(
            "spf.all",
            Status.WARN,
            domain,
            f"{matches}: mail from unlisted hosts gets neutral, which receivers treat like no SPF",
            details,
            fix=f"Remove {include.label}, or have the owner of {details['open_record']} end it with -all.",
            refs=refs,
        )
    meaning = "fails SPF" if qualifier is Qualifier.FAIL else "soft-fails SPF"
    return Check("spf.all", Status.PASS, domain, f"{matches}: mail from unlisted hosts {meaning}", details, refs=refs)


def _owner(node: SpfNode) -> str:
    """Who can change the +all that opens ``node``'s record: the owner of the include, or of
    the record its redirect= leads to."""
    final = _redirect_chain(node)[-1]
    return "its owner" if final is node else f"the owner of {final.domain}"


def tree_lines(node: SpfNode, depth: int = 0) -> list[str]:
    """The tree as indented lines, with each record's own and total lookups."""
    own = node.own_lookups
    line = f"{'  ' * depth}{node.label}: {own} lookup{'s' if own != 1 else ''}"
    if node.children:
        line += f" ({node.total_lookups} with what it includes)"
    if node.problem:
        line += f" [{node.detail}]"
    lines = [line]
    for child in node.children:
        lines.extend(tree_lines(child, depth + 1))
    return lines


def _lookups_check(domain: str, root: SpfNode) -> Check:
    refs = ("RFC 7208 §4.6.4",)
    fix = "Flatten or remove includes until the tree needs at most 10 lookups (ip4:/ip6: terms cost none)."
    nodes = list(root.walk())
    total = root.total_lookups
    loops = [n for n in nodes if n.problem == LOOP]
    unknown = [n for n in nodes if n.problem in (UNAVAILABLE, SENDER_DEPENDENT, NOT_FOLLOWED)]
    unanswered = [term for n in nodes for term in n.unanswered]
    overflows = [(n, term, count) for n in nodes for term, count in n.mx_overflows]
    at_least = "at least " if loops or unknown else ""
    details = {
        "lookups": total,
        "limit": MAX_LOOKUPS,
        "complete": not (loops or unknown),
        "tree": root.to_dict(),
        "lines": tree_lines(root),
    }
    if overflows:
        details["mx_overflows"] = [{"domain": n.domain, "term": t, "hosts": c} for n, t, c in overflows]
    if total > MAX_LOOKUPS:
        return Check(
            "spf.lookups",
            Status.FAIL,
            domain,
            f"SPF needs {at_least}{_lookups(total)}; receivers stop at {MAX_LOOKUPS} (permerror)",
            details,
            fix=fix,
            refs=refs,
        )
    if overflows:
        node, term, count = overflows[0]
        return Check(
            "spf.lookups",
            Status.FAIL,
            domain,
            f"{term} in {node.domain} has {count} MX hosts; receivers look up at most {MAX_MX_HOSTS} (permerror)",
            details,
            fix=f"Replace {term} with ip4:/ip6: ranges of the hosts that send, or with a: terms for a few of them.",
            refs=refs,
        )
    if loops:
        return Check(
            "spf.lookups",
            Status.FAIL,
            domain,
            f"SPF needs at least {_lookups(total)}, and its include loop repeats them until receivers "
            f"stop at {MAX_LOOKUPS} (permerror)",
            details,
            fix="Break the loop (see spf.loop).",
            refs=refs,
        )
    if any(n.problem == UNAVAILABLE for n in unknown) or unanswered:
        what = next((n.detail for n in unknown if n.problem == UNAVAILABLE), None) or unanswered[0]
        return Check(
            "spf.lookups",
            Status.ERROR,
            domain,
            f"could not tell: SPF needs at least {_lookups(total)} of {MAX_LOOKUPS}; {what}",
            details,
            refs=refs,
        )
    if unknown:
        return Check(
            "spf.lookups",
            Status.WARN,
            domain,
            f"SPF needs at least {_lookups(total)} of {MAX_LOOKUPS}; {unknown[0].label} {unknown[0].detail}",
            details,
            fix="Make sure the includes chosen per sender stay within 10 lookups in total.",
            refs=refs,
        )
    return Check("spf.lookups", Status.PASS, domain, f"SPF needs {_lookups(total)} of {MAX_LOOKUPS}", details, refs=refs)


def _lookups(count: int) -> str:
    return f"{count} DNS lookup{'s' if count != 1 else ''}"


def _void_lookups(root: SpfNode) -> list[VoidLookup]:
    voids: list[VoidLookup] = []
    for node in root.walk():
        voids.extend(node.voids)
        for child in node.children:
            if child.via == "include" and child.problem in (NXDOMAIN, NO_TXT):
                voids.append(VoidLookup(child.term or "", node.domain, child.domain, child.detail))
    return voids


def _void_check(domain: str, root: SpfNode) -> Check:
    refs = ("RFC 7208 §4.6.4", "RFC 7208 §11.1")
    voids = _void_lookups(root)
    lines = [f"{v.term} in {v.domain}: {v.reason}" for v in voids]
    details = {"void_lookups": len(voids), "limit": MAX_VOID_LOOKUPS, "lines": lines,
               "voids": [{"term": v.term, "domain": v.domain, "target": v.target, "reason": v.reason} for v in voids]}
    fix = "Remove the terms whose names no longer exist or have no records."
    count = f"{len(voids)} void lookup{'s' if len(voids) != 1 else ''}"
    if len(voids) > MAX_VOID_LOOKUPS:
        return Check(
            "spf.void-lookups",
            Status.FAIL,
            domain,
            f"SPF makes {count} (names with no records); receivers stop at {MAX_VOID_LOOKUPS} (permerror): " + "; ".join(lines),
            details,
            fix=fix,
            refs=refs,
        )
    unanswered = [term for node in root.walk() for term in node.unanswered]
    if unanswered:
        return Check(
            "spf.void-lookups",
            Status.ERROR,
            domain,
            f"could not tell: {count} so far, and {unanswered[0]} could not be looked up",
            details,
            refs=refs,
        )
    if voids:
        return Check(
            "spf.void-lookups",
            Status.WARN,
            domain,
            f"{count} of {MAX_VOID_LOOKUPS} allowed: " + "; ".join(lines),
            details,
            fix=fix,
            refs=refs,
        )
    return Check(
        "spf.void-lookups",
        Status.PASS,
        domain,
        "no void lookups: every a, mx and include target has records",
        details,
        refs=refs,
    )


def _loop_checks(domain: str, root: SpfNode) -> list[Check]:
    # A record included twice on the way meets the same loop on identical paths: report it once.
    loops = {node.detail: node for node in root.walk() if node.problem == LOOP}
    return [
        Check(
            "spf.loop",
            Status.FAIL,
            domain,
            f"{node.label} in {node.path[-2]} leads back to a record already being evaluated "
            f"({node.detail}); receivers give permerror",
            {"path": list(node.path), "lines": [node.detail]},
            fix=f"Remove {node.label} from {node.path[-2]}, or point it at a record that does not lead back.",
            refs=("RFC 7208 §4.6.4", "RFC 7208 §5.2"),
        )
        for node in loops.values()
    ]


def _include_checks(root: SpfNode) -> list[Check]:
    checks = []
    seen: set[str] = set()  # a target reached on several paths is reported once
    for parent in root.walk():
        for node in parent.children:
            if node.problem not in (*_MISSING, MULTIPLE, UNAVAILABLE) or node.domain in seen:
                continue
            seen.add(node.domain)
            ref = "RFC 7208 §5.2" if node.via == "include" else "RFC 7208 §6.1"
            if node.problem == UNAVAILABLE:
                checks.append(Check("spf.include", Status.ERROR, node.domain,
                                    f"could not tell whether {node.label} in {parent.domain} has an SPF record: {node.detail}",
                                    {"parent": parent.domain, "term": node.term}, refs=(ref,)))
                continue
            checks.append(
                Check(
                    "spf.include",
                    Status.FAIL,
                    node.domain,
                    f"{node.label} in {parent.domain} leads to no single SPF record: {node.detail}; receivers give permerror",
                    {"parent": parent.domain, "term": node.term, "problem": node.problem},
                    fix=f"Remove {node.label} from {parent.domain}, or publish one SPF record at {node.domain}.",
                    refs=(ref,),
                )
            )
    return checks


def _redirect_checks(domain: str, root: SpfNode) -> list[Check]:
    return [
        Check(
            "spf.redirect",
            Status.WARN,
            domain,
            f"{node.record.modifier('redirect').text} in {node.domain} "  # type: ignore[union-attr]
            f"is ignored because the record has {node.record.all.text}",  # type: ignore[union-attr]
            fix="Remove either the redirect= or the all: a record with all never follows redirect=.",
            refs=("RFC 7208 §6.1",),
        )
        for node in root.walk()
        if node.record and node.record.redirect is not None and node.record.all is not None
    ]


def _ptr_check(domain: str, root: SpfNode) -> Check | None:
    uses = [(n, m.text) for n in root.walk() if n.record for m in n.record.evaluated if m.kind == "ptr"]
    if not uses:
        return None
    lines = [f"{term} in {node.domain}" for node, term in uses]
    return Check(
        "spf.ptr",
        Status.WARN,
        domain,
        f"the SPF tree uses ptr ({', '.join(lines)}): slow, unreliable, and RFC 7208 says not to use it; some receivers skip it",
        {"lines": lines},
        fix="Replace ptr with ip4:/ip6: ranges or a: terms for the hosts that send.",
        refs=("RFC 7208 §5.5",),
    )


def _length_check(domain: str, root: SpfNode) -> Check | None:
    """Warn about a TXT string over 255 bytes or an answer that does not fit in UDP."""
    refs = ("RFC 7208 §3.3", "RFC 7208 §3.4")
    long_strings = long_txt_strings(root.spf_txt)
    if long_strings:
        return Check(
            "spf.length",
            Status.WARN,
            domain,
            f"the SPF record has a TXT string of {long_strings[0]} bytes; one string holds at most {MAX_TXT_STRING}",
            {"string_lengths": long_strings},
            fix="Split the record into several quoted strings of at most 255 bytes; they are joined without spaces.",
            refs=refs,
        )
    if not root.txt:
        return None
    size = udp_answer_size(domain, root.txt)
    if size <= MAX_UDP_ANSWER:
        return None
    record = _joined(root.spf_txt[0]) if root.spf_txt else ""
    return Check(
        "spf.length",
        Status.WARN,
        domain,
        f"the TXT answer for {domain} is {size} bytes (SPF record {len(record.encode())} bytes), over the "
        f"{MAX_UDP_ANSWER} bytes of a plain UDP answer; receivers must retry over TCP or EDNS, and some fail",
        {"answer_bytes": size, "record_bytes": len(record.encode()), "limit": MAX_UDP_ANSWER},
        fix="Shorten the record: merge ip4: ranges into wider prefixes, move senders into an include, "
        "drop unused TXT records at the name.",
        refs=refs,
    )


def long_txt_strings(rdata: Sequence[Any]) -> list[int]:
    """Lengths of the character-strings over 255 bytes in these TXT rdata.

    Nothing that crossed the wire can hold one (a string's length is one octet), but a
    record built from a zone file or an API before it is published can."""
    return [len(s) for r in rdata for s in r.strings if len(s) > MAX_TXT_STRING]


def udp_answer_size(name: str, rdata: Sequence[Any]) -> int:
    """Bytes of the smallest DNS response carrying these TXT records, without EDNS."""
    import dns.message
    import dns.name
    import dns.rrset

    qname = dns.name.from_text(name)
    response = dns.message.make_response(dns.message.make_query(qname, "TXT"))
    response.answer.append(dns.rrset.from_rdata_list(qname, 300, list(rdata)))
    return len(response.to_wire())


# -- --ip: what a receiver decides for this IP -----------------------------------

_EVALUATION_STATUS = {
    "pass": Status.PASS,
    "fail": Status.FAIL,
    "softfail": Status.WARN,
    "neutral": Status.WARN,
    "none": Status.WARN,
    "permerror": Status.FAIL,
    "temperror": Status.ERROR,
}


@dataclass(frozen=True)
class Evaluation:
    ip: str
    mail_from: str
    helo: str
    result: str
    explanation: str
    mechanism: str | None


async def evaluate_ip(context: DomainContext, ip: str) -> Check:
    """spf.evaluation: pyspf's check_host() for ``ip``, its DNS through the run's resolver
    (runtime.run_dns routes pyspf there; to_thread carries that routing into the thread)."""
    domain = context.domain.ascii
    mail_from = context.options.mail_from or f"postmaster@{domain}"
    helo = context.options.helo or domain
    try:
        evaluation = await asyncio.to_thread(_check_host, ip, mail_from, helo)
    except Exception as exc:  # pyspf raises on inputs it cannot take (e.g. a malformed sender)
        return Check(
            "spf.evaluation",
            Status.ERROR,
            ip,
            f"could not evaluate SPF for {ip} sending as {mail_from}: {type(exc).__name__}: {exc}",
            {"ip": ip, "mail_from": mail_from, "helo": helo},
        )
    status = _EVALUATION_STATUS.get(evaluation.result, Status.ERROR)
    matched = f", matched {evaluation.mechanism}" if evaluation.mechanism else ""
    explanation = f": {evaluation.explanation}" if evaluation.explanation else ""
    sender_domain = mail_from.rpartition("@")[2] if "@" in mail_from else helo
    return Check(
        "spf.evaluation",
        status,
        ip,
        f"SPF {evaluation.result} for {ip} sending as {mail_from} (HELO {helo}){matched}{explanation}",
        {
            "ip": ip,
            "mail_from": mail_from,
            "helo": helo,
            "result": evaluation.result,
            "explanation": evaluation.explanation,
            "mechanism": evaluation.mechanism,
        },
        fix=_evaluation_fix(evaluation, sender_domain, status),
        refs=("RFC 7208 §2.6", "RFC 7208 §4"),
    )


def _check_host(ip: str, mail_from: str, helo: str) -> Evaluation:
    import spf

    query = spf.query(i=ip, s=mail_from, h=helo)
    result, _code, explanation = query.check()
    return Evaluation(ip, mail_from, helo, result, explanation, query.mechanism)


def _evaluation_fix(evaluation: Evaluation, sender_domain: str, status: Status) -> str | None:
    if status is Status.PASS:
        return None
    term = f"ip6:{evaluation.ip}" if ":" in evaluation.ip else f"ip4:{evaluation.ip}"
    if evaluation.result in ("fail", "softfail", "neutral"):
        return (
            f"If {evaluation.ip} sends mail for {sender_domain}, "
            f"add {term} (or the include of its provider) to its SPF record."
        )
    if evaluation.result == "none":
        return f"Publish an SPF record at {sender_domain} that lists {evaluation.ip}."
    if evaluation.result == "permerror":
        return "Fix the SPF errors reported above; receivers treat permerror as a failure and DMARC fails."
    return None
