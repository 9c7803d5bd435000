"""spf.lookups, spf.void-lookups: the limits RFC 7208 §4.6.4 puts on the DNS a receiver
does for one evaluation — 10 lookups, 10 MX hosts per mx term, 2 names without records."""

from __future__ import annotations

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.checks.spf_tree import (
    IPV4,
    IPV6,
    LOOP,
    MAX_LOOKUPS,
    MAX_MX_HOSTS,
    MAX_VOID_LOOKUPS,
    NO_TXT,
    NOT_FOLLOWED,
    NXDOMAIN,
    SENDER_DEPENDENT,
    UNAVAILABLE,
    SpfNode,
    VoidLookup,
)
from mailcheck.model import Check
from mailcheck.words import counted

LOOKUPS = CheckSpec(
    id="spf.lookups",
    title="At most 10 DNS lookups",
    verifies=(
        "Counts the DNS lookups a receiver needs for the whole tree: every include, a, mx, ptr "
        "and exists up to the first all, and redirect= when no all overrides it, each time it is "
        "reached (ip4, ip6, all and exp= cost none). Fails above 10, when an mx term names more "
        "than 10 MX hosts, or when an include loop repeats lookups; warns when parts of the tree "
        "depend on the sender (macros) and cannot be counted. Error when an include or redirect= "
        "target's record could not be fetched (the count is then only a lower bound) or an mx "
        "term's MX hosts could not be counted; an a term costs one lookup whatever its answer, so "
        "an unanswered a lookup changes nothing here."
    ),
    why=(
        "A receiver that reaches the limit stops with permerror, and SPF then fails for every "
        "sender, legitimate or not. Each provider's include usually nests several lookups, so "
        "the limit is easy to pass without noticing."
    ),
    example=Example(
        bad=(
            'example.com. TXT "v=spf1 a mx include:_spf.example.net include:_spf.example.org -all"\n'
            "   (each include costs 1 lookup plus 4 in the record it names: 12 in all)"
        ),
        good=('example.com. TXT "v=spf1 ip4:192.0.2.0/28 ip4:192.0.2.128/25 include:_spf.example.net -all"'),
        why=(
            "The a and mx terms and one provider's include are replaced by the address ranges they stand for, leaving 5 lookups."
        ),
    ),
    refs=("RFC 7208 §4.6.4",),
)

VOID_LOOKUPS = CheckSpec(
    id="spf.void-lookups",
    title="At most 2 void lookups",
    verifies=(
        "Counts the names in the tree that answer with no records: a and mx targets that do not "
        "exist or have no address or MX records, and include targets that do not exist or have no "
        "TXT record. Fails above 2 and warns at 1 or 2. For an a term a receiver asks only the "
        "sending IP's family (A for IPv4, AAAA for IPv6), so a host with addresses of one family "
        "is void for the other: the count follows --ip, and without --ip it is made for an IPv4 "
        "sender, the family nearly all mail uses; where a host has one family only, the summary "
        "names the family counted and the other family's count. Below the limit, an error when a "
        "lookup that could hide a void one went unanswered (an a or mx target, or an include or "
        "redirect= target's record), and a warning instead of a pass when part of the tree was "
        "not followed (names built from the sender's macros, or a tree over 200 records). exists "
        "targets are not probed."
    ),
    why=(
        "Receivers that apply the RFC's limit give permerror after the second void lookup, so "
        "a few stale names left in a record can make SPF fail for every sender. Even one "
        "usually means a retired host or service is still listed."
    ),
    example=Example(
        bad=(
            'example.com. TXT "v=spf1 ip4:192.0.2.10 a:old-mail.example.com mx:shop.example.com '
            'include:_spf.gone.example -all"\n'
            "   (old-mail.example.com and _spf.gone.example no longer exist; shop.example.com has no MX)"
        ),
        good='example.com. TXT "v=spf1 ip4:192.0.2.10 -all"',
        why="The three terms that point at names without records are removed.",
    ),
    refs=("RFC 7208 §4.6.4", "RFC 7208 §11.1"),
)


def lookups_check(domain: str, root: SpfNode) -> Check:
    refs = ("RFC 7208 §4.6.4",)
    fix = "Flatten or remove includes until the tree needs at most 10 lookups (ip4:/ip6: terms cost none)."
    nodes = list(root.walk())
    total = root.total_lookups
    loops = [n for n in nodes if n.problem == LOOP]
    unknown = [n for n in nodes if n.problem in (UNAVAILABLE, SENDER_DEPENDENT, NOT_FOLLOWED)]
    # An unanswered a lookup costs its one lookup all the same; only an mx answer decides
    # something here, the limit on MX hosts.
    uncounted_mx = [u for n in nodes for u in n.unanswered if u.kind == "mx"]
    overflows = [(n, term, count) for n in nodes for term, count in n.mx_overflows]
    at_least = "at least " if loops or unknown else ""
    details = {
        "lookups": total,
        "limit": MAX_LOOKUPS,
        "complete": not (loops or unknown),
        "tree": root.to_dict(),
    }
    if uncounted_mx:
        details["mx_uncounted"] = [{"domain": u.domain, "term": u.term, "reason": u.reason} for u in uncounted_mx]
    if overflows:
        details["mx_overflows"] = [{"domain": n.domain, "term": t, "hosts": c} for n, t, c in overflows]
    if total > MAX_LOOKUPS:
        return LOOKUPS.fail(
            domain,
            f"SPF needs {at_least}{_lookups(total)}; receivers stop at {MAX_LOOKUPS} (permerror)",
            details=details,
            fix=fix,
            refs=refs,
        )
    if overflows:
        node, term, count = overflows[0]
        return LOOKUPS.fail(
            domain,
            f"{term} in {node.domain} has {count} MX hosts; receivers look up at most {MAX_MX_HOSTS} (permerror)",
            details=details,
            fix=f"Replace {term} with ip4:/ip6: ranges of the hosts that send, or with a: terms for a few of them.",
            refs=refs,
        )
    if loops:
        return LOOKUPS.fail(
            domain,
            f"SPF needs at least {_lookups(total)}, and its include loop repeats them until receivers "
            f"stop at {MAX_LOOKUPS} (permerror)",
            details=details,
            fix="Break the loop (see spf.loop).",
            refs=refs,
        )
    unreadable = [n for n in unknown if n.problem == UNAVAILABLE]
    if unreadable:
        return LOOKUPS.error(
            domain,
            f"could not tell: SPF needs at least {_lookups(total)} of {MAX_LOOKUPS}; {unreadable[0].detail}",
            details=details,
            refs=refs,
        )
    if uncounted_mx:
        mx = uncounted_mx[0]
        return LOOKUPS.error(
            domain,
            f"could not tell: SPF needs {at_least}{_lookups(total)} of {MAX_LOOKUPS}, but the MX hosts of "
            f"{mx.term} in {mx.domain} could not be counted ({mx.reason}); receivers look up at most {MAX_MX_HOSTS}",
            details=details,
            refs=refs,
        )
    if unknown:
        return LOOKUPS.warn(
            domain,
            f"SPF needs at least {_lookups(total)} of {MAX_LOOKUPS}; {unknown[0].label} {unknown[0].detail}",
            details=details,
            fix="Make sure the includes chosen per sender stay within 10 lookups in total.",
            refs=refs,
        )
    return LOOKUPS.ok(domain, f"SPF needs {_lookups(total)} of {MAX_LOOKUPS}", details=details, refs=refs)


def _lookups(count: int) -> str:
    return counted(count, "DNS lookup")


def _void_lookups(root: SpfNode) -> list[VoidLookup]:
    voids: list[VoidLookup] = []
    for node in root.walk():
        voids.extend(node.voids)
        for child in node.children:
            if child.via == "include" and child.problem in (NXDOMAIN, NO_TXT):
                voids.append(VoidLookup(child.term or "", node.domain, child.domain, child.detail))
    return voids


def _unfollowed(root: SpfNode) -> list[tuple[str, str]]:
    """(what, why) of the parts of the tree whose void lookups could not be counted:
    a receiver's lookups there depend on the sender, or the walk stopped."""
    found: list[tuple[str, str]] = []
    for node in root.walk():
        found.extend(
            (f"{term} in {node.domain}", "has macros that need the sender's address or IP, so it is not looked up")
            for term in node.sender_dependent
        )
        found.extend(
            (f"{child.label} in {node.domain}", child.detail)
            for child in node.children
            if child.problem in (SENDER_DEPENDENT, NOT_FOLLOWED)
        )
    return found


def _unfollowed_fix(root: SpfNode) -> str:
    if any(node.sender_dependent or node.problem == SENDER_DEPENDENT for node in root.walk()):
        return (
            "Make sure every name the macros build for your senders has records: receivers stop after "
            f"{MAX_VOID_LOOKUPS} names without any."
        )
    return "Flatten the tree: receivers stop at 10 lookups, long before the end of a tree this large."


def _counted(voids: list[VoidLookup], family: str) -> list[VoidLookup]:
    return [v for v in voids if v.family in (None, family)]


def _family_notes(every: list[VoidLookup], family: str, assumed: bool) -> tuple[str, str]:
    """What a summary says about the address family counted for, and the other one's count.
    Only where a term is void for one family alone: elsewhere the family changes nothing."""
    if not any(v.family is not None for v in every):
        return "", ""
    if not assumed:
        return f" for an {family} sender", ""
    other = IPV6 if family == IPV4 else IPV4
    others = len(_counted(every, other))
    differs = others != len(_counted(every, family))
    return f" for an {family} sender (assumed, as no --ip was given)", f"; {others} for an {other} sender" if differs else ""


def void_check(domain: str, root: SpfNode, family: str = IPV4, assumed: bool = True) -> Check:
    """Void lookups as a receiver counts them for a sender of ``family``: for an a term it
    asks that family's addresses only (§5.3). ``assumed``: no --ip said which family."""
    refs = ("RFC 7208 §4.6.4", "RFC 7208 §11.1")
    every = _void_lookups(root)
    voids = _counted(every, family)
    lines = [f"{v.term} in {v.domain}: {v.reason}" for v in voids]
    details = {
        "void_lookups": len(voids),
        "limit": MAX_VOID_LOOKUPS,
        "voids": [
            {"term": v.term, "domain": v.domain, "target": v.target, "reason": v.reason, "family": v.family} for v in voids
        ],
        "family": family,
        "family_assumed": assumed,
        "by_family": {IPV4: len(_counted(every, IPV4)), IPV6: len(_counted(every, IPV6))},
    }
    fix = "Remove the terms whose names no longer exist or have no records."
    count = counted(len(voids), "void lookup")
    family_note, other_note = _family_notes(every, family, assumed)
    if len(voids) > MAX_VOID_LOOKUPS:
        return VOID_LOOKUPS.fail(
            domain,
            f"SPF makes {count} (names with no records){family_note}; receivers stop at {MAX_VOID_LOOKUPS} "
            "(permerror): " + "; ".join(lines) + other_note,
            details=details,
            fix=fix,
            refs=refs,
        )
    # Below the limit, whatever could not be looked up may hide the void that crosses it.
    unreadable = [(node, child) for node in root.walk() for child in node.children if child.problem == UNAVAILABLE]
    if unreadable:
        parent, child = unreadable[0]
        return VOID_LOOKUPS.error(
            domain,
            f"could not tell: {count} so far{family_note}, and {child.label} in {parent.domain} was not followed: {child.detail}",
            details=details,
            refs=refs,
        )
    unanswered = [u for node in root.walk() for u in node.unanswered if u.family in (None, family)]
    if unanswered:
        return VOID_LOOKUPS.error(
            domain,
            f"could not tell: {count} so far{family_note}, and {unanswered[0]} could not be looked up",
            details=details,
            refs=refs,
        )
    # A record reached on many paths stops the walk on each of them: say it once.
    unfollowed = list(dict.fromkeys(f"{what} {why}" for what, why in _unfollowed(root)))
    not_counted = ""
    if unfollowed:
        details["not_counted"] = unfollowed
        more = len(unfollowed) - 1
        not_counted = unfollowed[0] + (f" (and {counted(more, 'more part')} not followed)" if more else "")
    if voids:
        return VOID_LOOKUPS.warn(
            domain,
            f"{count} of {MAX_VOID_LOOKUPS} allowed{family_note}: "
            + "; ".join(lines)
            + other_note
            + (f"; not counted: {not_counted}" if unfollowed else ""),
            details=details,
            fix=fix,
            refs=refs,
        )
    if unfollowed:
        return VOID_LOOKUPS.warn(
            domain,
            f"no void lookups{family_note} in the parts of the tree that could be followed, but " + not_counted + other_note,
            details=details,
            fix=_unfollowed_fix(root),
            refs=refs,
        )
    return VOID_LOOKUPS.ok(
        domain,
        f"no void lookups{family_note}: every a, mx and include target has records"
        + (" for it" if family_note else "")
        + other_note,
        details=details,
        refs=refs,
    )
