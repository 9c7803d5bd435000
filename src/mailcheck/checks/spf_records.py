"""spf.record, spf.syntax, spf.length, spf.ptr: each record of the tree on its own —
published once, grammatical, small enough for DNS, free of ptr."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.checks.spf_tree import MISSING, MULTIPLE, UNAVAILABLE, SpfNode, joined_txt
from mailcheck.model import Check

SPF_RECORD = CheckSpec(
    id="spf.record",
    title="One SPF record is published",
    verifies=(
        'The domain has exactly one TXT record starting with "v=spf1". Fails when it has none '
        "(the name does not exist, has no TXT record, or none of its TXT records starts with "
        "v=spf1, with a TXT that mentions spf pointed out) or more than one; error when its TXT "
        "records could not be looked up."
    ),
    why=(
        "Without SPF, receivers cannot tell which hosts may send as the domain, and DMARC has "
        "only DKIM to rely on. Two SPF records at one name are a permerror, so SPF passes for "
        "no host at all."
    ),
    example=Example(
        bad=('example.com. TXT "v=spf1 include:_spf.example.net -all"\nexample.com. TXT "v=spf1 ip4:192.0.2.10 -all"'),
        good='example.com. TXT "v=spf1 ip4:192.0.2.10 include:_spf.example.net -all"',
        why="The two records are merged into one, with the terms of both and a single -all at the end.",
    ),
    refs=("RFC 7208 §4.5", "RFC 7208 §3"),
)

SPF_SYNTAX = CheckSpec(
    id="spf.syntax",
    title="Every SPF record in the tree parses",
    verifies=(
        "The domain's SPF record and every record reached from it through include: or "
        "redirect= follow the RFC 7208 grammar, macros included. A syntax error fails, naming "
        "the term and its position; a modifier named like a mechanism (include=, ip4=) only "
        "warns, since it is valid but ignored."
    ),
    why=(
        "Receivers give permerror for a record with a syntax error, and an error in an included "
        "record breaks evaluation for every domain that includes it. A misspelt include= is "
        "silently skipped, so the senders it was meant to list do not pass."
    ),
    example=Example(
        bad='example.com. TXT "v=spf1 ip4:192.0.2.10" "include:_spf.example.net -all"',
        good='example.com. TXT "v=spf1 ip4:192.0.2.10 " "include:_spf.example.net -all"',
        why=(
            "The strings of one TXT record are joined with nothing between them, so the first "
            'needs a trailing space; without it the receiver reads "ip4:192.0.2.10include:...".'
        ),
    ),
    refs=("RFC 7208 §12", "RFC 7208 §4.6"),
)

SPF_PTR = CheckSpec(
    id="spf.ptr",
    title="No ptr mechanism",
    verifies=(
        "Warns when any record in the tree uses the ptr mechanism before its first all, naming "
        "each use; nothing is reported when none does."
    ),
    why=(
        "ptr makes the receiver look up the sending IP's reverse DNS and then the addresses of "
        "the names it finds: slow, dependent on DNS the domain may not control, and RFC 7208 "
        "says it should not be used. Some receivers skip it, so hosts listed only through ptr "
        "may fail."
    ),
    example=Example(
        bad='example.com. TXT "v=spf1 ptr -all"',
        good='example.com. TXT "v=spf1 ip4:192.0.2.0/28 -all"',
        why="The sending hosts are listed by address instead of being found through reverse DNS.",
    ),
    refs=("RFC 7208 §5.5",),
)

LENGTH = CheckSpec(
    id="spf.length",
    title="The SPF record fits in DNS",
    verifies=(
        "Warns when a string of the domain's SPF record is longer than 255 bytes, or when the "
        "TXT answer at the domain (the SPF record with every other TXT record at that name) is "
        "over the 512 bytes of a plain UDP DNS response. Records reached through include: are "
        "not measured."
    ),
    why=(
        "One TXT string holds at most 255 bytes, so a longer one cannot be published as written. "
        "An answer over 512 bytes makes receivers retry over TCP or with EDNS; some fail to, "
        "and for them the domain has no SPF result."
    ),
    example=Example(
        bad=('example.com. TXT "v=spf1 ip4:192.0.2.1 ip4:192.0.2.2 ... ip4:192.0.2.62 -all"\n   (one string of about 900 bytes)'),
        good='example.com. TXT "v=spf1 ip4:192.0.2.0/26 -all"',
        why="The single addresses are merged into one prefix that covers them, well under both limits.",
    ),
    refs=("RFC 7208 §3.3", "RFC 7208 §3.4"),
)

MAX_TXT_STRING = 255  # RFC 1035 §3.3: one length octet per character-string
MAX_UDP_ANSWER = 512  # §3.4, RFC 1035 §4.2.1


def record_check(domain: str, root: SpfNode) -> Check:
    refs = ("RFC 7208 §4.5", "RFC 7208 §3")
    if root.problem == UNAVAILABLE:
        return SPF_RECORD.error(domain, root.detail, details={"reason": root.detail})
    if root.problem in MISSING:
        near_misses = [joined_txt(r) for r in root.txt if "spf" in joined_txt(r).lower()]
        summary = f"no SPF record: {root.detail}"
        if near_misses:
            summary += f'; this one looks meant as SPF but does not start with "v=spf1 ": {near_misses[0]!r}'
        return SPF_RECORD.fail(
            domain,
            summary,
            details={"txt": [joined_txt(r) for r in root.txt]},
            fix=f'Publish one TXT record at {domain} starting with "v=spf1", listing the hosts that send '
            'its mail and ending in -all (e.g. "v=spf1 mx -all").',
            refs=refs,
        )
    if root.problem == MULTIPLE:
        records = [joined_txt(r) for r in root.spf_txt]
        return SPF_RECORD.fail(
            domain,
            f"{domain} has {len(records)} SPF records; receivers treat that as permerror: " + " | ".join(records),
            details={"records": records},
            fix="Merge them into one TXT record: one v=spf1, the union of the mechanisms, one all at the end.",
            refs=refs,
        )
    text = root.record.text if root.record else joined_txt(root.spf_txt[0])
    return SPF_RECORD.ok(domain, f"SPF record: {text}", details={"record": text}, refs=refs)


def syntax_check(domain: str, root: SpfNode) -> Check:
    refs = ("RFC 7208 §12", "RFC 7208 §4.6")
    broken = [(node, node.syntax_error) for node in root.walk() if node.syntax_error is not None]
    if broken:
        lines = [_where(node, domain) + str(error) for node, error in broken]
        first_node, first = broken[0]
        summary = lines[0] + (_join_hint(root) if first_node is root else "")
        owner = " in your record" if first_node is root else f" (ask the owner of {first_node.domain})"
        return SPF_SYNTAX.fail(
            domain,
            summary + " (permerror)",
            details={
                "errors": [
                    {
                        "domain": node.domain,
                        "term": error.term,
                        "position": error.position,
                        "reason": error.reason,
                        "record": joined_txt(node.spf_txt[0]),
                        "via": node.label if node.via is not None else None,
                        "text": str(error),
                    }
                    for node, error in broken
                ],
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
        return SPF_SYNTAX.warn(
            domain,
            lines[0],
            details={
                "misspelt": [
                    {"domain": node.domain, "via": node.label if node.via is not None else None, "text": m.text, "name": m.name}
                    for node, m in misspelt
                ]
            },
            fix=f"Write {modifier.name}:{modifier.value}, with a colon.",
            refs=refs,
        )
    scope = "the SPF record parses" if len(records) == 1 else f"all {len(records)} SPF records of the tree parse"
    return SPF_SYNTAX.ok(domain, f"{scope} (RFC 7208 grammar, macros included)", refs=refs)


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


def ptr_check(domain: str, root: SpfNode) -> Check | None:
    uses = [(n, m.text) for n in root.walk() if n.record for m in n.record.evaluated if m.kind == "ptr"]
    if not uses:
        return None
    lines = [f"{term} in {node.domain}" for node, term in uses]
    return SPF_PTR.warn(
        domain,
        f"the SPF tree uses ptr ({', '.join(lines)}): slow, unreliable, and RFC 7208 says not to use it; some receivers skip it",
        details={"uses": [{"term": term, "domain": node.domain} for node, term in uses]},
        fix="Replace ptr with ip4:/ip6: ranges or a: terms for the hosts that send.",
        refs=("RFC 7208 §5.5",),
    )


def length_check(domain: str, root: SpfNode) -> Check | None:
    """Warn about a TXT string over 255 bytes or an answer that does not fit in UDP."""
    refs = ("RFC 7208 §3.3", "RFC 7208 §3.4")
    long_strings = long_txt_strings(root.spf_txt)
    if long_strings:
        return LENGTH.warn(
            domain,
            f"the SPF record has a TXT string of {long_strings[0]} bytes; one string holds at most {MAX_TXT_STRING}",
            details={"string_lengths": long_strings},
            fix="Split the record into several quoted strings of at most 255 bytes; they are joined without spaces.",
            refs=refs,
        )
    if not root.txt:
        return None
    size = udp_answer_size(domain, root.txt)
    if size <= MAX_UDP_ANSWER:
        return None
    record = joined_txt(root.spf_txt[0]) if root.spf_txt else ""
    return LENGTH.warn(
        domain,
        f"the TXT answer for {domain} is {size} bytes (SPF record {len(record.encode())} bytes), over the "
        f"{MAX_UDP_ANSWER} bytes of a plain UDP answer; receivers must retry over TCP or EDNS, and some fail",
        details={"answer_bytes": size, "record_bytes": len(record.encode()), "limit": MAX_UDP_ANSWER},
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
    """Bytes of the smallest DNS response carrying these TXT records, without EDNS.

    Counted rather than rendered (building the response took a millisecond a domain of
    a bulk run): the header, the question, and each distinct record (an RRset holds a
    record once) as its owner compressed to a pointer to the question's name (2 bytes),
    type, class, TTL and length (10 bytes) and its rdata (RFC 1035 §4.1).
    """
    import dns.name

    question = dns.name.from_text(name).to_wire()
    assert question is not None  # to_wire() without a file returns the bytes
    return 12 + len(question) + 4 + sum(2 + 10 + len(record.to_wire()) for record in dict.fromkeys(rdata))
