"""spf.all: what a receiver gives mail from hosts the tree does not list — the ``all`` of
the record that decides (through redirect=), or an include that matches every host first."""

from __future__ import annotations

from typing import Any

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.checks.spf_tree import SpfNode
from mailcheck.model import Check
from mailcheck.records.spf import Qualifier

ALL = CheckSpec(
    id="spf.all",
    title="The record ends with -all or ~all",
    verifies=(
        "Looks at the all of the record that decides, following redirect= where it applies "
        "(info only when the record it leads to is unusable). "
        "Fails on +all (or a bare all) and on a pass include (include: or +include:) whose record "
        "passes every host: it ends with +all, directly or through redirect=, or has such an include "
        "itself. An include with -, ~ or ? that matches every host decides like -all, ~all or ?all. "
        "Warns on ?all, on no all and no redirect=, and on terms written after all; passes on -all or ~all."
    ),
    why=(
        "The all term decides what mail from unlisted hosts gets: -all or ~all marks it as "
        "unauthenticated, ?all or no all gives neutral, which receivers treat like no SPF, and "
        "+all lets every host on the internet pass SPF as the domain. Terms after all are never "
        "evaluated, so the hosts they list do not pass."
    ),
    example=Example(
        bad='example.com. TXT "v=spf1 ip4:192.0.2.0/24 +all"',
        good='example.com. TXT "v=spf1 ip4:192.0.2.0/24 -all"',
        why="With -all only the listed network passes; +all let any host pass.",
    ),
    refs=("RFC 7208 §5.1", "RFC 7208 §8"),
)


def all_check(domain: str, root: SpfNode) -> Check:
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
        return ALL.info(domain, f"no final all: {final.label} has no usable SPF record ({final.detail})", details=details)
    all_term = final.record.all
    if all_term is not None and all_term.qualifier is Qualifier.PASS:
        return ALL.fail(
            domain,
            f"the SPF record ends with {all_term.text}{via}: every host on the internet may send as {domain}",
            details=details,
            fix="Replace it with -all (or ~all while you make sure every sender is listed).",
            refs=refs,
        )
    if all_term is None:
        return ALL.warn(
            domain,
            f"the SPF record{via} has no all and no redirect=: mail from unlisted hosts gets neutral, as if there were no SPF",
            details=details,
            fix="End the record with -all (or ~all) so that unlisted hosts fail SPF.",
            refs=refs,
        )
    if all_term.qualifier is Qualifier.NEUTRAL:
        return ALL.warn(
            domain,
            f"the SPF record ends with {all_term.text}{via}: mail from unlisted hosts gets neutral, "
            "which receivers treat like no SPF",
            details=details,
            fix="End the record with -all (or ~all) so that unlisted hosts fail SPF.",
            refs=refs,
        )
    meaning = "fails SPF" if all_term.qualifier is Qualifier.FAIL else "soft-fails SPF"
    summary = f"the SPF record ends with {all_term.text}{via}: mail from unlisted hosts {meaning}"
    unreachable = [m.text for n in root.walk() if n.record for m in n.record.unreachable]
    if unreachable:
        return ALL.warn(
            domain,
            f"{summary}, but {len(unreachable)} term{'s' if len(unreachable) != 1 else ''} after all "
            f"{'are' if len(unreachable) != 1 else 'is'} never evaluated: {' '.join(unreachable)}",
            details={**details, "unreachable": unreachable},
            fix="Move all to the end of the record, or delete the terms after it.",
            refs=refs,
        )
    return ALL.ok(domain, summary, details=details, refs=refs)


def _catch_all_check(domain: str, catch_all: tuple[SpfNode, SpfNode], details: dict[str, Any], refs: tuple[str, ...]) -> Check:
    """spf.all when an include matches every host before any all is reached: only a pass
    include lets them all pass; -, ~ and ? make every unlisted host fail, soft-fail or get neutral."""
    include, opener = catch_all
    details = {**details, "catch_all_include": include.term, "open_record": _redirect_chain(opener)[-1].domain}
    qualifier = _qualifier(include)
    if qualifier is Qualifier.PASS:
        return ALL.fail(
            domain,
            f"{opener.label} ends with {_open_record(opener)}: every host on the internet "
            f"matches that include and passes SPF for {domain}",
            details={**details, "open_includes": [opener.domain]},
            fix=f"Remove {opener.label}, or have {_owner(opener)} end it with -all.",
            refs=refs,
        )
    where = include.domain if opener is include else f"{opener.label} under it"
    matches = f"{include.label} matches every host, as {where} ends with {_open_record(opener)}"
    if qualifier is Qualifier.NEUTRAL:
        return ALL.warn(
            domain,
            f"{matches}: mail from unlisted hosts gets neutral, which receivers treat like no SPF",
            details=details,
            fix=f"Remove {include.label}, or have the owner of {details['open_record']} end it with -all.",
            refs=refs,
        )
    meaning = "fails SPF" if qualifier is Qualifier.FAIL else "soft-fails SPF"
    return ALL.ok(domain, f"{matches}: mail from unlisted hosts {meaning}", details=details, refs=refs)


def _owner(node: SpfNode) -> str:
    """Who can change the +all that opens ``node``'s record: the owner of the include, or of
    the record its redirect= leads to."""
    final = _redirect_chain(node)[-1]
    return "its owner" if final is node else f"the owner of {final.domain}"


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
