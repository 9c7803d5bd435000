"""spf.record, spf.syntax, spf.length, spf.ptr: each record of the tree on its own —
published once, grammatical, small enough for DNS, free of ptr."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mailcheck.checks.spf_tree import MISSING, MULTIPLE, UNAVAILABLE, SpfNode, joined_txt
from mailcheck.model import Check, Status

MAX_TXT_STRING = 255  # RFC 1035 §3.3: one length octet per character-string
MAX_UDP_ANSWER = 512  # §3.4, RFC 1035 §4.2.1


def record_check(domain: str, root: SpfNode) -> Check:
    refs = ("RFC 7208 §4.5", "RFC 7208 §3")
    if root.problem == UNAVAILABLE:
        return Check("spf.record", Status.ERROR, domain, root.detail, {"reason": root.detail})
    if root.problem in MISSING:
        near_misses = [joined_txt(r) for r in root.txt if "spf" in joined_txt(r).lower()]
        summary = f"no SPF record: {root.detail}"
        if near_misses:
            summary += f'; this one looks meant as SPF but does not start with "v=spf1 ": {near_misses[0]!r}'
        return Check(
            "spf.record",
            Status.FAIL,
            domain,
            summary,
            {"txt": [joined_txt(r) for r in root.txt]},
            fix=f'Publish one TXT record at {domain} starting with "v=spf1", listing the hosts that send '
            'its mail and ending in -all (e.g. "v=spf1 mx -all").',
            refs=refs,
        )
    if root.problem == MULTIPLE:
        records = [joined_txt(r) for r in root.spf_txt]
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
    text = root.record.text if root.record else joined_txt(root.spf_txt[0])
    return Check("spf.record", Status.PASS, domain, f"SPF record: {text}", {"record": text}, refs=refs)


def syntax_check(domain: str, root: SpfNode) -> Check:
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
                     "reason": error.reason, "record": joined_txt(node.spf_txt[0])}
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


def ptr_check(domain: str, root: SpfNode) -> Check | None:
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


def length_check(domain: str, root: SpfNode) -> Check | None:
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
    record = joined_txt(root.spf_txt[0]) if root.spf_txt else ""
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
