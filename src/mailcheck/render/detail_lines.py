"""How the text report shows a check's details: lines under its summary.

A check's ``details`` hold values (records, replies, a lookup tree); which of them a
reader wants under the summary, and in what words, is the text report's choice, made
here per check id, with a few rules per shape of details for the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mailcheck.model import Check, Status
from mailcheck.words import counted

Details = Mapping[str, Any]
# A formatter sees the check (its subject, its status) and whether -v asked for more.
Formatter = Callable[[Check, bool], list[str]]

_ENFORCING = ("quarantine", "reject")


def detail_lines(check: Check, *, verbose: bool) -> list[str]:
    """The lines shown under a check's summary; none where the summary says it all."""
    formatter = _BY_ID.get(check.id)
    if formatter is None and check.id.startswith("expect."):
        formatter = _rest_of_problems
    if formatter is None:
        formatter = _by_shape
    return formatter(check, verbose)


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, (list, tuple)) else []


def _by_shape(check: Check, verbose: bool) -> list[str]:
    details = check.details
    records = details.get("records")
    if isinstance(records, (list, tuple)) and len(records) > 1 and all(isinstance(r, str) for r in records):
        return [str(r) for r in records]
    if check.status.severity > 0 and isinstance(details.get("record"), str) and "error" in details:
        return [details["record"]]
    return []


def _aggregate_rows(check: Check, verbose: bool) -> list[str]:
    """A DMARC aggregate report's rows, one line a source (with -v: the report's own
    fields are in the JSON)."""
    if not verbose:
        return []
    lines = []
    for row in check.details.get("records") or ():
        if not isinstance(row, Mapping):
            continue
        evaluated = row.get("policy_evaluated") or {}
        source = (row.get("source") or {}).get("ip_address")
        lines.append(
            f"{source}: {row.get('count')} messages, dkim {evaluated.get('dkim')}, spf {evaluated.get('spf')}, "
            f"disposition {evaluated.get('disposition')}"
        )
    return lines


def _rest_of_problems(check: Check, verbose: bool) -> list[str]:
    """The summary names the first problem; the others follow it."""
    return _strings(check.details.get("problems"))[1:]


def _records_or_ignored(check: Check, verbose: bool) -> list[str]:
    return _by_shape(check, verbose) or _strings(check.details.get("ignored"))


def _acceptance(check: Check, verbose: bool) -> list[str]:
    details = check.details
    lines = []
    reply = _strings(details.get("reply"))
    if reply:
        # The server's own words, whole: the useful part is often at the end.
        lines.append(f"reply: {details.get('code')} " + " / ".join(reply))
    if details.get("decoded"):
        lines.append(f"{details['decoded']}: {details.get('explanation', '')}".rstrip(": "))
    hint = details.get("hint")
    if isinstance(hint, Mapping):
        lines.append(f"{hint.get('text')} (source: {hint.get('source')})")
    if details.get("last_problem"):
        lines.append(f"last: {details['last_problem']}")
    if details.get("retry_hint"):
        lines.append(f"retry: {details['retry_hint']}")
    return lines


def _connection(check: Check, verbose: bool) -> list[str]:
    details = check.details
    lines = [f"banner: {details.get('banner_code')} {line}" for line in _strings(details.get("banner"))]
    if details.get("helo_ok"):
        if details.get("esmtp"):
            extensions = details.get("extensions") or {}
            shown = ", ".join(f"{k} {v}".strip() for k, v in extensions.items()) or "none"
            lines.append(f"ESMTP extensions: {shown}")
        else:
            lines.append("EHLO refused; HELO accepted (no ESMTP extensions)")
    if verbose:
        for step in details.get("transcript") or ():
            lines.append(f"{step['ms']:8.1f} ms {step['direction']}: {step['text']}")
    return lines


def _certificate(check: Check, verbose: bool) -> list[str]:
    details = check.details
    sans = _strings(details.get("sans"))
    valid_from, valid_to = str(details.get("not_before", ""))[:10], str(details.get("not_after", ""))[:10]
    chain = "validates to a trusted root" if details.get("trusted") else details.get("trust_error")
    return [
        f"subject: {details.get('subject')}",
        f"names:   {', '.join(sans) if sans else 'no subjectAltName; clients ignore the CN'}",
        f"issuer:  {details.get('issuer')}",
        f"valid:   {valid_from} to {valid_to}",
        f"chain:   {chain}",
    ]


def _connect_attempts(check: Check, verbose: bool) -> list[str]:
    return [f"{a['host']} [{a['address']}]: {a['error']}" for a in check.details.get("attempts") or ()]


def _spf_tree(check: Check, verbose: bool) -> list[str]:
    tree = check.details.get("tree")
    return _tree_lines(tree) if isinstance(tree, Mapping) else []


def _evaluation(check: Check, verbose: bool) -> list[str]:
    """mailcheck spf: the include tree walked, then the mechanism that matched."""
    mechanism = check.details.get("mechanism")
    return _spf_tree(check, verbose) + ([f"matched: {mechanism}"] if mechanism else [])


def _tree_lines(node: Details, depth: int = 0) -> list[str]:
    """The include tree indented, with each record's own and total lookups."""
    own = node["lookups"]
    line = f"{'  ' * depth}{node['label']}: {own} lookup{'s' if own != 1 else ''}"
    if node["children"]:
        line += f" ({node['total_lookups']} with what it includes)"
    if node.get("problem"):
        line += f" [{node['detail']}]"
    lines = [line]
    for child in node["children"]:
        lines.extend(_tree_lines(child, depth + 1))
    return lines


def _void_lookups(check: Check, verbose: bool) -> list[str]:
    return [f"{v['term']} in {v['domain']}: {v['reason']}" for v in check.details.get("voids") or ()]


def _spf_syntax(check: Check, verbose: bool) -> list[str]:
    details = check.details
    lines = []
    for error in details.get("errors") or ():
        lines.append(_where(error, check.subject) + error["text"])
    for modifier in details.get("misspelt") or ():
        lines.append(
            f"{_where(modifier, check.subject)}{modifier['text']} is a modifier, not the {modifier['name']} mechanism, "
            "so receivers ignore it"
        )
    return lines


def _where(found: Details, domain: str) -> str:
    """Where in the tree: nothing for the domain's own record."""
    if found.get("via") is None:
        return ""
    return f"in {found['domain']} ({found['via']}, reached from {domain}): "


def _spf_ptr(check: Check, verbose: bool) -> list[str]:
    return [f"{use['term']} in {use['domain']}" for use in check.details.get("uses") or ()]


def _spf_loop(check: Check, verbose: bool) -> list[str]:
    detail = check.details.get("detail")
    return [str(detail)] if detail else []


def _dmarc_policy(check: Check, verbose: bool) -> list[str]:
    details = check.details
    if (
        details.get("effective") in _ENFORCING
        and not details.get("inherited")
        and details.get("sp_explicit")
        and details.get("sp") not in _ENFORCING
    ):
        return [f"sp={details['sp']}: subdomains of {check.subject} are not protected"]
    return []


def _tlsa(check: Check, verbose: bool) -> list[str]:
    details = check.details
    records, meanings = _strings(details.get("records")), _strings(details.get("meanings"))
    matching = set(_strings(details.get("matching")))
    marked = "matching" in details
    lines = []
    for record, meaning in zip(records, meanings, strict=False):
        mark = ("match    " if record in matching else "no match ") if marked else ""
        lines.append(f"{mark}{record}  ({meaning})")
    return lines


def _dkim_selectors(check: Check, verbose: bool) -> list[str]:
    # The probed names are many (51 by default): a list for who asks for more.
    probed = _strings(check.details.get("probed"))
    lines = [f"probed: {', '.join(probed)}"] if verbose and probed else []
    if parent := check.details.get("absent_parent"):
        lines.append(f"{parent} does not exist (NXDOMAIN): no selector below it (RFC 8020)")
    return lines


def _dkim_key(check: Check, verbose: bool) -> list[str]:
    if check.details.get("key_type") == "ed25519" and check.status is Status.PASS:
        return ["many receivers verify only RSA: sign with an RSA key as well (RFC 8463 §1)"]
    return _by_shape(check, verbose)


def _mta_sts_policy(check: Check, verbose: bool) -> list[str]:
    text = check.details.get("text")
    if not isinstance(text, str) or not (verbose or check.status.severity > 0):
        return []
    return [line for line in text.splitlines() if line.strip()]


def _signatures(check: Check, verbose: bool) -> list[str]:
    lines = []
    for signed in check.details.get("sets") or ():
        rdtype = signed["type"]
        if signed["state"] == "unsigned":
            lines.append(f"{rdtype}: no RRSIG")
        elif signed["state"] == "invalid":
            lines.append(f"{rdtype}: does not validate ({signed['error']})")
        else:
            keys = ", ".join(str(tag) for tag in signed["key_tags"])
            lines.append(f"{rdtype}: RRSIG by key {keys} validates, until {signed['until'][:10]}")
    return lines


def _link_hops(check: Check, verbose: bool) -> list[str]:
    from mailcheck.links.extract import shown_url

    return [
        f"{h['method']} {shown_url(h['url'])} → {h['status']}" + (f" → {shown_url(h['location'])}" if h["location"] else "")
        for h in check.details.get("hops") or ()
    ]


def _listing(check: Check, verbose: bool) -> list[str]:
    if check.status is not Status.FAIL:
        return []
    reasons = _strings(check.details.get("reasons"))
    return [f"reason: {text}" for text in reasons] or ["reason: the list published no TXT record"]


def _pct(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.1%}"


def _by_org(check: Check, verbose: bool) -> list[str]:
    lines = []
    for row in check.details.get("organizations") or ():
        tls = row["report_type"] == "smtp_tls"
        unit, verb = ("session", "succeeded") if tls else ("message", "pass")
        lines.append(
            f"{row['org_name']}: {counted(row['reports'], 'report')}, {counted(row['messages'], unit)}, "
            f"{_pct(row['pass_share'])} {verb}"
        )
    return lines


# Sources beyond these are for --format json (or -v): a report can name thousands.
SHOWN_SOURCES = 25


def _by_source(check: Check, verbose: bool) -> list[str]:
    sources: Sequence[Details] = check.details.get("sources") or ()
    shown = sources if verbose else sources[:SHOWN_SOURCES]
    lines = [
        f"{row['ip_address']}: {counted(row['messages'], 'message')}, {_pct(row['pass_share'])} pass, "
        f"as {', '.join(row['header_from'][:3])}; seen by {', '.join(row['reporters'][:3])}"
        for row in shown
    ]
    if len(sources) > len(shown):
        lines.append(f"... and {len(sources) - len(shown)} more (-v or --format json lists all)")
    return lines


def _by_day(check: Check, verbose: bool) -> list[str]:
    return [
        f"{row['date']}: {counted(row['messages'], 'message')}, {_pct(row['pass_share'])} pass"
        for row in check.details.get("days") or ()
    ]


def _bimi_logo(check: Check, verbose: bool) -> list[str]:
    return _strings(check.details.get("problems"))


# -- mailcheck message ----------------------------------------------------------------

# Long-line numbers beyond these are for --format json.
SHOWN_LONG_LINES = 10


def _hops(check: Check, verbose: bool) -> list[str]:
    """The Received path, first hop first, the receiver's own hop marked."""
    trusted = check.details.get("trusted_hop")
    lines = []
    for hop in check.details.get("hops") or ():
        address = f" [{hop['ip']}]" if hop.get("ip") else ""
        tls = " TLS" if hop.get("tls") else ""
        mark = " <- the receiver's hop" if trusted is not None and hop.get("index") == trusted else ""
        lines.append(
            f"#{hop['index']} from {hop.get('from') or '?'}{address} by {hop.get('by') or '?'} "
            f"with {hop.get('protocol') or '?'}{tls}{mark}"
        )
    return lines


def _alignments(check: Check, verbose: bool) -> list[str]:
    """dmarc.evaluation: each identifier's authentication and alignment, then the tag
    whose policy decided the disposition."""
    details = check.details
    lines = [
        f"{a['method']} {a['domain']}: {'pass' if a['authenticated'] else 'not pass'}, "
        f"{'aligned' if a['aligned'] else 'not aligned'} ({a['mode']})"
        for a in details.get("alignment") or ()
    ]
    if details.get("policy_tag") and details.get("policy_domain"):
        lines.append(f"policy: {details['policy_tag']}={details.get('policy_value')} from _dmarc.{details['policy_domain']}")
    return lines


def _arc_instances(check: Check, verbose: bool) -> list[str]:
    """arc.chain: each instance, oldest first: what verified, when it was sealed, what
    its AAR recorded (cut short without -v)."""
    instances: Sequence[Details] = check.details.get("instances") or ()
    # dkimpy verifies from the newest instance down and stops at the first it cannot.
    stopped = max((i["instance"] for i in instances if not i.get("verified", True)), default=None)
    lines = []
    for i in instances:
        if not i.get("verified", True):
            state = f"not verified (the chain stopped at i={stopped})"
        else:
            seal = "valid" if i["seal_valid"] else "INVALID"
            signature = "valid" if i["signature_valid"] else "INVALID"
            state = f"seal {seal}, signature {signature}"
        sealed = f", sealed {_utc(i['sealed_at'])}" if isinstance(i.get("sealed_at"), int) else ""
        aar = i.get("aar") or ""
        shown = aar if verbose or len(aar) <= 120 else aar[:117] + "..."
        lines.append(f"i={i['instance']} {i.get('sealer') or '?'}: {state}, cv={i.get('cv')}{sealed}; AAR {shown}")
    return lines


def _utc(unix: int) -> str:
    import datetime

    try:
        return datetime.datetime.fromtimestamp(unix, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):  # t= is the sender's text: any number
        return f"t={unix}"


def _domain_brief(check: Check, verbose: bool) -> list[str]:
    """from-domain.records: the domain checks that ask for work (with -v: all)."""
    lines = []
    for found in check.details.get("checks") or ():
        if verbose or Status(found["status"]).severity > 0:
            lines.append(f"{found['status']:5} {found['id']}: {found['summary']}")
    return lines


def _long_lines(check: Check, verbose: bool) -> list[str]:
    numbers = [str(n) for n in check.details.get("long_lines") or ()]
    if not numbers:
        return []
    shown = numbers if verbose else numbers[:SHOWN_LONG_LINES]
    more = f" and {len(numbers) - len(shown)} more" if len(numbers) > len(shown) else ""
    return [f"over {check.details.get('limit')} characters: line{'s' if len(numbers) > 1 else ''} {', '.join(shown)}{more}"]


def _mime_tree(check: Check, verbose: bool) -> list[str]:
    """The MIME tree indented by depth; nothing for a single-part message."""
    parts = check.details.get("tree") or ()
    if len(parts) < 2:
        return []
    return [f"{'  ' * max(0, part['depth'])}{part['type']}" for part in parts]


def _signature_notes(check: Check, verbose: bool) -> list[str]:
    return _strings(check.details.get("notes"))


_BY_ID: dict[str, Formatter] = {
    "acceptance.verdict": _acceptance,
    "smtp.connection": _connection,
    "smtp.connect": _connect_attempts,
    "tls.certificate": _certificate,
    "spf.lookups": _spf_tree,
    "spf.evaluation": _evaluation,
    "spf.void-lookups": _void_lookups,
    "spf.syntax": _spf_syntax,
    "spf.ptr": _spf_ptr,
    "spf.loop": _spf_loop,
    "dmarc.record": _records_or_ignored,
    "dmarc.policy": _dmarc_policy,
    "dane.tlsa": _tlsa,
    "dane.match": _tlsa,
    "dkim.selectors": _dkim_selectors,
    "dkim.key": _dkim_key,
    "mta-sts.policy": _mta_sts_policy,
    "dnssec.signatures": _signatures,
    "links.url": _link_hops,
    "blocklist.listing": _listing,
    "report.damage": _rest_of_problems,
    "report.aggregate": _aggregate_rows,
    "report.by-org": _by_org,
    "report.by-source": _by_source,
    "report.by-day": _by_day,
    "bimi.logo": _bimi_logo,
    "received.path": _hops,
    "dmarc.evaluation": _alignments,
    "arc.chain": _arc_instances,
    "from-domain.records": _domain_brief,
    "message.line-length": _long_lines,
    "message.mime": _mime_tree,
    "dkim.signature": _signature_notes,
}
