"""auth-results.*: the receiver's Authentication-Results set beside our own verdicts.

Real headers break strict parsers (Microsoft's without an authserv-id, Yahoo's
``dkim=dkim_pass``, ``dmarc=success(p=REJECT)``, ``header.d=a.com;b.com``), so each
header is read twice: authres (the field's library) says whether it is well formed,
and a tolerant reader below takes what it can from any header, noting each quirk.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.model import Check

_METHOD = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=\s*([A-Za-z0-9_-]+)(\([^)]*\))?")
_PROPERTY = re.compile(r"\b([A-Za-z]+)\.([A-Za-z0-9_-]+)\s*=\s*(\"[^\"]*\"|[^\s;()]+)")
_COMMENT = re.compile(r"\(([^()]*)\)")
# Vendors' words for RFC 8601's.
_ALIASES = {
    "dkim_pass": "pass",
    "success": "pass",
    "dkim_fail": "fail",
    "softpass": "pass",
    "hardfail": "fail",
    "bestguesspass": "none",
}
METHODS = ("spf", "dkim", "dmarc", "arc")

HEADER = CheckSpec(
    id="auth-results.header",
    title="Authentication-Results read",
    verifies="Each Authentication-Results and ARC-Authentication-Results field: its authserv-id, its method results, and the quirks that break strict parsers.",
    why="The receiver's own verdicts are in these fields; a field a tool cannot read hides why the message went to spam.",
    example=Example(
        bad="Authentication-Results: spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.com; compauth=pass reason=100",
        good="Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=example.com",
        why="RFC 8601 puts the receiver's authserv-id first; the first form is Microsoft's, read tolerantly.",
    ),
    refs=("RFC 8601 §2.2", "RFC 8617 §4.1.1"),
)
COMPARE = CheckSpec(
    id="auth-results.compare",
    title="The receiver's verdict matches ours",
    verifies="For SPF, DKIM, DMARC and ARC, the result the receiving server wrote in its Authentication-Results beside the result mailcheck computes now, with the likely reason for each difference.",
    why="A difference tells where the message changed or what the receiver saw: a body rewritten after delivery, a key rotated since, a HELO result used instead of MAIL FROM.",
    example=Example(
        bad="receiver: dkim=pass; now: dkim=fail (body hash mismatch)",
        good="receiver: dkim=pass; now: dkim=pass",
        why="The first message was changed after it was delivered (e.g. by a mailbox rule or a forwarder).",
    ),
    refs=("RFC 8601 §2.7",),
)


@dataclass(frozen=True)
class MethodResult:
    method: str
    result: str  # normalized to RFC 8601's words where a vendor's word is known
    written: str  # as the header wrote it
    properties: dict[str, str] = field(default_factory=dict)
    comment: str = ""


@dataclass(frozen=True)
class AuthResults:
    field_name: str
    index: int
    authserv_id: str | None
    results: tuple[MethodResult, ...]
    strict: bool
    quirks: tuple[str, ...]
    instance: int | None = None  # the i= of an ARC-Authentication-Results

    def of(self, method: str) -> list[MethodResult]:
        return [r for r in self.results if r.method == method]


def read_all(fields: Sequence[tuple[str, str]]) -> list[AuthResults]:
    """Every (ARC-)Authentication-Results field, top first."""
    return [read_field(name, value, index) for index, (name, value) in enumerate(fields, start=1)]


def read_field(name: str, value: str, index: int) -> AuthResults:
    text = " ".join(value.split())
    instance = None
    quirks: list[str] = []
    if name.lower().startswith("arc-"):
        match = re.match(r"\s*i\s*=\s*(\d+)\s*;", text)
        if match:
            instance = int(match.group(1))
            text = text[match.end() :]
    strict = _strictly_readable(text)
    segments = _segments(text)
    authserv_id: str | None = None
    first = _COMMENT.sub("", segments[0]).strip() if segments else ""
    if first and not _METHOD.match(first):
        authserv_id = first.split()[0]
        segments = segments[1:]
    else:
        quirks.append("no authserv-id")
    results: list[MethodResult] = []
    for segment in segments:
        match = _METHOD.match(segment)
        if match is None:
            stray = segment.strip()
            if results and "header.d" in results[-1].properties and re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]+", stray):
                # Microsoft's header.d=a.com;b.com: a second signing domain, not a method.
                results[-1].properties["header.d"] += f",{stray}"
                quirks.append(f"header.d=...;{stray}")
            elif stray:
                quirks.append(f"stray {stray[:30]!r}")
            continue
        method, written, parenthesized = match.group(1).lower(), match.group(2), match.group(3)
        if parenthesized:
            quirks.append(f"{method}={written}{parenthesized}")
        word = _ALIASES.get(written.lower(), written.lower())
        if word != written.lower():
            quirks.append(f"{method}={written} (read as {word})")
        rest = segment[match.end() :]
        comments = " ".join(_COMMENT.findall(rest))
        properties = {f"{t.lower()}.{p.lower()}": v.strip('"') for t, p, v in _PROPERTY.findall(_COMMENT.sub("", rest))}
        results.append(MethodResult(method, word, written, properties, comments))
    return AuthResults(name, index, authserv_id, tuple(results), strict, tuple(dict.fromkeys(quirks)), instance)


def _strictly_readable(text: str) -> bool:
    import authres

    try:
        authres.AuthenticationResultsHeader.parse_value(text)
    except Exception:  # noqa: BLE001  (authres raises its own SyntaxError and others)
        return False
    return True


def _segments(text: str) -> list[str]:
    """Split at the ';' that are outside comments and quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")" and depth:
            depth -= 1
        if char == ";" and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def receiver_fields(all_fields: Sequence[AuthResults], authserv_id: str | None) -> list[AuthResults]:
    """The receiving server's own fields: those with its authserv-id, else the topmost
    (fields lower down may have been written by anyone, the sender included)."""
    plain = [f for f in all_fields if f.instance is None]
    if authserv_id:
        wanted = authserv_id.lower()
        return [f for f in plain if f.authserv_id and f.authserv_id.lower() == wanted]
    return plain[:1]


def header_checks(fields: Sequence[AuthResults], ours: str) -> list[Check]:
    if not fields:
        return [HEADER.info("(none)", "no Authentication-Results: a message as sent, not as received", details={"ours": ours})]
    checks = []
    for f in fields:
        name = f"{f.field_name} #{f.index}" + (f" i={f.instance}" if f.instance else "")
        subject = f"{name} {f.authserv_id or '(no authserv-id)'}"
        shown = "; ".join(f"{r.method}={r.result}" for r in f.results) or "no results"
        details = {
            "authserv_id": f.authserv_id,
            "strict": f.strict,
            "quirks": list(f.quirks),
            "results": [_result_dict(r) for r in f.results],
            "ours": ours,
        }
        if f.quirks or not f.strict:
            quirks = ", ".join(f.quirks) or "not RFC 8601 syntax"
            checks.append(HEADER.info(subject, f"{shown} (read tolerantly: {quirks})", details=details))
        else:
            checks.append(HEADER.ok(subject, shown, details=details))
    return checks


def _result_dict(result: MethodResult) -> dict[str, Any]:
    return {"method": result.method, "result": result.result, "written": result.written, "properties": result.properties}


@dataclass(frozen=True)
class Ours:
    """Our verdicts, as the comparison needs them."""

    spf: str | None
    spf_domain: str | None
    dkim: tuple[tuple[str, str, str | None, str], ...]  # (d=, result, b= prefix, reason)
    dmarc: str
    arc: str


def compare_checks(receiver: Sequence[AuthResults], ours: Ours, ours_header: str) -> list[Check]:
    if not receiver:
        return []
    their = [r for f in receiver for r in f.results]
    who = receiver[0].authserv_id or "the receiver"
    checks = []
    for method in METHODS:
        entries = [r for r in their if r.method == method]
        subject = method
        if not entries:
            continue
        check = _compare(method, entries, ours, who)
        details = {**check[2], "ours_header": ours_header}
        if check[0]:
            checks.append(COMPARE.ok(subject, check[1], details=details))
        else:
            checks.append(COMPARE.warn(subject, check[1], details=details, fix=check[3]))
    return checks


def _compare(method: str, entries: list[MethodResult], ours: Ours, who: str) -> tuple[bool, str, dict[str, Any], str | None]:
    theirs = entries[0]
    if method == "spf":
        mailfrom = [e for e in entries if "smtp.mailfrom" in e.properties]
        helo_only = not mailfrom and any("smtp.helo" in e.properties for e in entries)
        theirs = mailfrom[0] if mailfrom else entries[0]
        details: dict[str, Any] = {"receiver": theirs.result, "ours": ours.spf, "receiver_identity": theirs.properties}
        if ours.spf is None:
            return True, f"{who} saw spf={theirs.result}; not evaluated here (no sending IP)", details, None
        if theirs.result == ours.spf:
            return True, f"{who} saw spf={theirs.result}, as now", details, None
        if helo_only:
            why = "the receiver used the HELO SPF result, not the MAIL FROM one"
        elif ours.spf_domain and theirs.properties.get("smtp.mailfrom", "").rpartition("@")[2].lower() not in (
            "",
            ours.spf_domain,
        ):
            why = f"the receiver checked smtp.mailfrom={theirs.properties['smtp.mailfrom']}, we checked {ours.spf_domain}"
        else:
            why = "the SPF record changed since delivery, or the sending IP differs from the one the receiver saw"
        return (
            False,
            f"{who} saw spf={theirs.result}, now spf={ours.spf}: {why}",
            details,
            "Give --ip, --helo and --mail-from as the receiver saw them to compare like with like.",
        )
    if method == "dkim":
        details = {"receiver": [e.result for e in entries], "ours": [r for _, r, _, _ in ours.dkim]}
        differences = []
        for entry in entries:
            mine = _matching_signature(entry, ours)
            if mine is None:
                continue
            domain, result, _, reason = mine
            if result != entry.result:
                differences.append(_dkim_why(entry.result, result, reason, domain))
        if not differences:
            return True, f"{who} saw {', '.join('dkim=' + e.result for e in entries)}, as now", details, None
        return (
            False,
            f"{who} saw dkim={entries[0].result}, {differences[0]}",
            details,
            "Find what rewrote the message between the receiver and this copy, or since delivery (see dkim.signature).",
        )
    word = ours.dmarc if method == "dmarc" else ours.arc
    details = {"receiver": theirs.result, "ours": word}
    if theirs.result == word:
        return True, f"{who} saw {method}={theirs.result}, as now", details, None
    why = (
        "it follows the DKIM and SPF differences above"
        if method == "dmarc"
        else "a seal was added or changed after the receiver verified the chain"
    )
    return False, f"{who} saw {method}={theirs.result}, now {method}={word}: {why}", details, None


def _matching_signature(entry: MethodResult, ours: Ours) -> tuple[str, str, str | None, str] | None:
    b = entry.properties.get("header.b")
    d = entry.properties.get("header.d") or entry.properties.get("header.i", "").rpartition("@")[2]
    for signature in ours.dkim:
        if b and signature[2] and signature[2].startswith(b[:8]):
            return signature
    for signature in ours.dkim:
        if d and signature[0] == d.lower():
            return signature
    return None


def _dkim_why(theirs: str, ours: str, reason: str, domain: str) -> str:
    if theirs == "pass" and ours == "fail" and "body" in reason:
        return f"it fails now for d={domain}: the body was changed after delivery (a mailbox rule, a forwarder or a footer)"
    if theirs == "pass" and ours == "fail":
        return f"it fails now for d={domain}: a signed header field was changed after delivery"
    if theirs == "pass" and ours == "permerror":
        return f"now permerror for d={domain} ({reason}): the key was removed or rotated since delivery"
    if theirs == "pass" and ours == "temperror":
        return f"now temperror for d={domain}: DNS could not answer for the key"
    if theirs == "fail" and ours == "pass":
        return f"it verifies now for d={domain}: the copy the receiver saw was changed in transit (a gateway or list rewrote it), or the key was published after delivery"
    return f"now dkim={ours} for d={domain} ({reason})"


def our_header(ours: Ours, mail_from: str | None, from_domain: str | None) -> str:
    """The Authentication-Results field mailcheck would add, built with authres."""
    import authres
    import authres.arc
    import authres.dmarc

    results: list[Any] = []
    for domain, result, b, _ in ours.dkim:
        properties = [authres.AuthenticationResultProperty("header", "b", b[:8])] if b else []
        results.append(authres.DKIMAuthenticationResult(result=result, header_d=domain, properties=properties))
    if ours.spf is not None:
        results.append(authres.SPFAuthenticationResult(result=ours.spf, smtp_mailfrom=mail_from))
    results.append(authres.dmarc.DMARCAuthenticationResult(result=ours.dmarc, header_from=from_domain))
    results.append(authres.arc.ARCAuthenticationResult(result=ours.arc))
    return str(authres.AuthenticationResultsHeader(authserv_id="mailcheck", results=results))
