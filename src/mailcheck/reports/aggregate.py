"""DMARC aggregate reports (RFC 7489 appendix C, RFC 9990), read into typed values.

The fields and their defaults follow parsedmarc's reading, the field's de-facto schema
(sp defaults to p, pct to 100 in RFC 7489 reports, envelope_from to the last SPF
domain), so the JSON reads the same as the dashboards built on it. What the RFCs
require and is missing makes the document invalid, naming the element and its line;
what is merely odd (upper-case values, a record that cannot be read) is kept or left
out and listed as damage.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from mailcheck.reports.values import NotAReport, iso_from_unix, safe
from mailcheck.reports.xmltree import ParsedXml, parse_xml

RFC9990_NAMESPACE = "urn:ietf:params:xml:ns:dmarc-2.0"
# Per document: far above any real report (the largest senders' hold a few thousand).
MAX_RECORDS = 100_000
# A record's auth results: one per signature; real ones have a handful.
MAX_RESULTS = 50
_YEAR_10000 = 253_402_300_800
_HOSTNAME = re.compile(r"(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}")


@dataclass(frozen=True)
class Metadata:
    """Who reported (report_metadata), the report's id and the days it covers."""

    org_name: str
    org_email: str | None
    org_extra_contact_info: str | None
    report_id: str
    begin_date: str
    end_date: str
    errors: tuple[str, ...]


@dataclass(frozen=True)
class PolicyPublished:
    """The DMARC record the receiver found for the domain (policy_published)."""

    domain: str
    adkim: str
    aspf: str
    p: str
    sp: str
    pct: str | None
    fo: str | None
    np: str | None
    testing: str | None
    discovery_method: str | None


@dataclass(frozen=True)
class OverrideReason:
    """Why the receiver did not apply the published policy (forwarding, a mailing list...)."""

    type: str
    comment: str | None


@dataclass(frozen=True)
class DkimResult:
    """One DKIM signature the receiver checked: its domain, selector and result."""

    domain: str
    selector: str
    result: str
    human_result: str | None


@dataclass(frozen=True)
class SpfResult:
    """The SPF check the receiver made: the domain, its scope (mfrom or helo) and result."""

    domain: str
    scope: str
    result: str
    human_result: str | None


@dataclass(frozen=True)
class Record:
    """One row of an aggregate report: a source IP, its message count and how they fared."""

    source_ip: str
    count: int
    disposition: str
    dkim: str
    spf: str
    override_reasons: tuple[OverrideReason, ...]
    header_from: str
    envelope_from: str | None
    envelope_to: str | None
    dkim_results: tuple[DkimResult, ...]
    spf_results: tuple[SpfResult, ...]

    @property
    def passes(self) -> bool:
        """DMARC passes when either aligned identifier passed (policy_evaluated)."""
        return self.dkim == "pass" or self.spf == "pass"

    def to_details(self) -> dict[str, Any]:
        return {
            "source": {"ip_address": self.source_ip},
            "count": self.count,
            "alignment": {"spf": self.spf == "pass", "dkim": self.dkim == "pass", "dmarc": self.passes},
            "policy_evaluated": {
                "disposition": self.disposition,
                "dkim": self.dkim,
                "spf": self.spf,
                "policy_override_reasons": [{"type": r.type, "comment": r.comment} for r in self.override_reasons],
            },
            "identifiers": {
                "header_from": self.header_from,
                "envelope_from": self.envelope_from,
                "envelope_to": self.envelope_to,
            },
            "auth_results": {
                "dkim": [vars(r) for r in self.dkim_results],
                "spf": [vars(r) for r in self.spf_results],
            },
        }


@dataclass(frozen=True)
class AggregateReport:
    """One DMARC aggregate report, read: metadata, published policy, records."""

    version: str | None
    # "RFC 9990" when the document uses its namespace or its new elements.
    standard: str
    metadata: Metadata
    policy: PolicyPublished
    records: tuple[Record, ...]
    damage: tuple[str, ...]

    @property
    def messages(self) -> int:
        return sum(record.count for record in self.records)

    @property
    def passing(self) -> int:
        return sum(record.count for record in self.records if record.passes)

    def to_details(self) -> dict[str, Any]:
        return {
            "xml_schema": self.standard,
            "report_metadata": {
                "org_name": self.metadata.org_name,
                "org_email": self.metadata.org_email,
                "org_extra_contact_info": self.metadata.org_extra_contact_info,
                "report_id": self.metadata.report_id,
                "begin_date": self.metadata.begin_date,
                "end_date": self.metadata.end_date,
                "errors": list(self.metadata.errors),
            },
            "policy_published": vars(self.policy),
            "records": [record.to_details() for record in self.records],
        }


def read_aggregate(data: bytes) -> AggregateReport:
    parsed = parse_xml(data)
    try:
        return _Reader(parsed).report()
    except NotAReport as exc:
        failure = exc
    if not parsed.lines:
        # Read fast, found invalid: read again recording lines, so the reason names one.
        parsed = parse_xml(data, with_lines=True)
        try:
            return _Reader(parsed).report()
        except NotAReport as exc:
            failure = exc
    if parsed.broken is None:
        raise failure
    # The break is the cause; what is missing after it is its consequence.
    raise NotAReport(f"{parsed.broken}, and what comes before it is not a whole report: {failure.reason}")


class _Reader:
    """Walks one parsed document; collects damage as it goes."""

    def __init__(self, parsed: ParsedXml) -> None:
        self.parsed = parsed
        self.damage: list[str] = list(parsed.damage)
        self.lowered: set[str] = set()

    def report(self) -> AggregateReport:
        root = self.parsed.root
        if root.tag != "feedback":
            raise NotAReport(f"the root element is <{root.tag}>, not <feedback>: not a DMARC aggregate report", self.line(root))
        metadata = self.metadata(self.need(root, "report_metadata"))
        policy_element = self.need(root, "policy_published")
        rfc9990 = self.parsed.namespace == RFC9990_NAMESPACE or any(
            policy_element.find(tag) is not None for tag in ("testing", "discovery_method")
        )
        policy = self.policy(policy_element, rfc9990)
        records: list[Record] = []
        # findall, not iterfind: with a plain tag findall stays in C; iterfind runs
        # ElementPath's Python code each call.
        for number, element in enumerate(root.findall("record"), 1):
            if len(records) >= MAX_RECORDS:
                self.damage.append(f"more than {MAX_RECORDS:,} records; the rest were left out")
                break
            try:
                records.append(self.record(element))
            except NotAReport as exc:
                self.damage.append(f"record {number} left out: {exc}")
        if self.lowered:
            self.damage.append(f"upper-case values read as lower case: {', '.join(sorted(self.lowered))}")
        version = _child_text(root, "version")
        return AggregateReport(
            version, "RFC 9990" if rfc9990 else "RFC 7489", metadata, policy, tuple(records), tuple(self.damage)
        )

    # -- sections ----------------------------------------------------------------

    def metadata(self, element: ET.Element) -> Metadata:
        dates = self.need(element, "date_range")
        errors = tuple(safe(e.text or "") for e in element.findall("error") if (e.text or "").strip())
        org_name = self.need_text(element, "org_name")
        if _HOSTNAME.fullmatch(org_name):
            # An organization named by its domain (Mail.Ru, Outlook.com): domains are case-blind.
            org_name = org_name.lower()
        return Metadata(
            org_name=org_name,
            org_email=_child_text(element, "email"),
            org_extra_contact_info=_child_text(element, "extra_contact_info"),
            report_id=self.need_text(element, "report_id"),
            begin_date=iso_from_unix(self.unix_time(dates, "begin")),
            end_date=iso_from_unix(self.unix_time(dates, "end")),
            errors=errors,
        )

    def policy(self, element: ET.Element, rfc9990: bool) -> PolicyPublished:
        p = self.value(element, "p")
        if p is None:
            raise NotAReport("<policy_published> has no <p>", self.line(element))
        pct = _child_text(element, "pct")
        return PolicyPublished(
            domain=self.need_text(element, "domain").lower(),
            adkim=self.value(element, "adkim") or "r",
            aspf=self.value(element, "aspf") or "r",
            p=p,
            sp=self.value(element, "sp") or p,
            pct=pct if pct is not None else (None if rfc9990 else "100"),
            fo=_child_text(element, "fo"),
            np=self.value(element, "np"),
            testing=self.value(element, "testing"),
            discovery_method=self.value(element, "discovery_method"),
        )

    def record(self, element: ET.Element) -> Record:
        row = self.need(element, "row")
        ip_text = self.need_text(row, "source_ip")
        try:
            source_ip = _normal_ip(ip_text)
        except ValueError:
            raise NotAReport(f"<source_ip> {ip_text!r} is not an IP address", self.line(row.find("source_ip"))) from None
        count_text = self.need_text(row, "count")
        try:
            count = int(count_text)
        except ValueError:
            raise NotAReport(f"<count> {count_text!r} is not a number", self.line(row.find("count"))) from None
        evaluated = self.need(row, "policy_evaluated")
        reasons = tuple(
            OverrideReason(self.value(reason, "type") or "other", _child_text(reason, "comment"))
            for reason in evaluated.findall("reason")
        )
        identifiers = self.need(element, "identifiers")
        auth = element.find("auth_results")
        # A result without a domain names no identity (some reporters send an empty
        # <dkim> for "no signature"); parsedmarc leaves those out too.
        dkim_results: tuple[DkimResult, ...] = ()
        spf_results: tuple[SpfResult, ...] = ()
        if auth is not None:
            dkim_results = tuple([r for r in map(self.dkim_result, auth.findall("dkim")) if r.domain][:MAX_RESULTS])
            spf_results = tuple([r for r in map(self.spf_result, auth.findall("spf")) if r.domain][:MAX_RESULTS])
        envelope_from = _lower(_child_text(identifiers, "envelope_from"))
        if envelope_from is None and spf_results:
            envelope_from = spf_results[-1].domain or None
        return Record(
            source_ip=source_ip,
            count=count,
            disposition=self.value(evaluated, "disposition") or "none",
            dkim=self.value(evaluated, "dkim") or "fail",
            spf=self.value(evaluated, "spf") or "fail",
            override_reasons=reasons,
            header_from=(self.need_text(identifiers, "header_from")).lower(),
            envelope_from=envelope_from,
            envelope_to=_lower(_child_text(identifiers, "envelope_to")),
            dkim_results=dkim_results,
            spf_results=spf_results,
        )

    def dkim_result(self, element: ET.Element) -> DkimResult:
        return DkimResult(
            domain=(_lower(_child_text(element, "domain")) or ""),
            selector=_child_text(element, "selector") or "none",
            result=self.value(element, "result") or "none",
            human_result=_child_text(element, "human_result"),
        )

    def spf_result(self, element: ET.Element) -> SpfResult:
        return SpfResult(
            domain=(_lower(_child_text(element, "domain")) or ""),
            scope=self.value(element, "scope") or "mfrom",
            result=self.value(element, "result") or "none",
            human_result=_child_text(element, "human_result"),
        )

    # -- elements ----------------------------------------------------------------

    def line(self, element: ET.Element | None) -> int | None:
        return self.parsed.line(element)

    def need(self, parent: ET.Element, tag: str) -> ET.Element:
        found = parent.find(tag)
        if found is None:
            raise NotAReport(f"<{parent.tag}> has no <{tag}>", self.line(parent))
        return found

    def need_text(self, parent: ET.Element, tag: str) -> str:
        text = _child_text(parent, tag)
        if not text:
            found = self.need(parent, tag)
            raise NotAReport(f"<{tag}> in <{parent.tag}> is empty", self.line(found))
        return text

    def value(self, parent: ET.Element, tag: str) -> str | None:
        """An enumerated value (pass, reject, r): lower case, noting where it was not."""
        text = _child_text(parent, tag)
        if text is None:
            return None
        lowered = text.lower()
        if lowered != text:
            self.lowered.add(f"<{tag}>{text}")
        return lowered

    def unix_time(self, parent: ET.Element, tag: str) -> int:
        text = self.need_text(parent, tag)
        try:
            # Some reporters write 1709683200.0; the fraction carries nothing.
            seconds = int(float(text))
        except (ValueError, OverflowError):
            seconds = -1
        if not 0 <= seconds < _YEAR_10000:
            raise NotAReport(f"<{tag}> {text!r} is not a Unix time", self.line(parent.find(tag)))
        return seconds


def _normal_ip(text: str) -> str:
    """The address as ipaddress writes it; a dotted quad is checked by inet_pton, which
    is what ipaddress would say of it, at a fraction of the cost (reports hold many)."""
    if ":" not in text:
        try:
            socket.inet_pton(socket.AF_INET, text)
            return text
        except OSError:
            pass
    return str(ipaddress.ip_address(text))


def _text(element: ET.Element | None) -> str | None:
    # Called for every element of every record: the common case stays in C.
    if element is None or element.text is None:
        return None
    text = element.text.strip()
    if not text:
        return None
    return text if text.isprintable() else safe(text)


def _child_text(parent: ET.Element, tag: str) -> str | None:
    # _text inlined: this runs for most fields of every record, and a call costs
    # about as much as the rest of it.
    element = parent.find(tag)
    if element is None:
        return None
    text = element.text
    if text is None:
        return None
    text = text.strip()
    if not text:
        return None
    return text if text.isprintable() else safe(text)


def _lower(text: str | None) -> str | None:
    return text.lower() if text is not None else None
