"""SMTP TLS reports (RFC 8460 §4), read into typed values in parsedmarc's field names.

Providers bend the format in known ways, read here rather than refused: counts sent as
strings, ``mx-host`` as a string or a list, ``policy-string`` as one string instead of
a list, dates without a zone, a missing ``contact-info`` or ``failure-details``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mailcheck.reports.values import NotAReport, iso_from_text, safe

MAX_POLICIES = 10_000
MAX_FAILURE_DETAILS = 10_000


@dataclass(frozen=True)
class FailureDetail:
    """One kind of TLS failure a sender met at one MX host, and how many sessions it ended."""

    result_type: str
    failed_session_count: int
    sending_mta_ip: str | None = None
    receiving_ip: str | None = None
    receiving_mx_hostname: str | None = None
    receiving_mx_helo: str | None = None
    additional_info_uri: str | None = None
    failure_reason_code: str | None = None

    def to_details(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if value is not None}


@dataclass(frozen=True)
class TlsPolicy:
    """One policy (sts, tlsa, no-policy-found) the sender applied, with its session counts."""

    policy_domain: str
    policy_type: str
    policy_strings: tuple[str, ...]
    mx_host: tuple[str, ...]
    successful_session_count: int
    failed_session_count: int
    failure_details: tuple[FailureDetail, ...] = field(default=())

    def to_details(self) -> dict[str, Any]:
        return {
            "policy_domain": self.policy_domain,
            "policy_type": self.policy_type,
            "policy_strings": list(self.policy_strings),
            "mx_host": list(self.mx_host),
            "successful_session_count": self.successful_session_count,
            "failed_session_count": self.failed_session_count,
            "failure_details": [detail.to_details() for detail in self.failure_details],
        }


@dataclass(frozen=True)
class TlsReport:
    """One SMTP TLS report (RFC 8460), read: who reported, when, and each policy's sessions."""

    organization_name: str
    begin_date: str
    end_date: str
    contact_info: str | None
    report_id: str
    policies: tuple[TlsPolicy, ...]
    damage: tuple[str, ...]

    @property
    def successful(self) -> int:
        return sum(policy.successful_session_count for policy in self.policies)

    @property
    def failed(self) -> int:
        return sum(policy.failed_session_count for policy in self.policies)

    def to_details(self) -> dict[str, Any]:
        return {
            "organization_name": self.organization_name,
            "begin_date": self.begin_date,
            "end_date": self.end_date,
            "contact_info": self.contact_info,
            "report_id": self.report_id,
            "policies": [policy.to_details() for policy in self.policies],
        }


def read_tls_report(data: bytes) -> TlsReport:
    damage: list[str] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        damage.append(f"bytes that are not UTF-8 (first at byte {exc.start}); read as U+FFFD")
        text = data.decode("utf-8", "replace")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotAReport(f"not valid JSON ({exc.msg}, column {exc.colno})", exc.lineno) from None
    except RecursionError:
        raise NotAReport("JSON nested too deep") from None
    return _Reader(damage).report(document)


class _Reader:
    def __init__(self, damage: list[str]) -> None:
        self.damage = damage

    def report(self, document: Any) -> TlsReport:
        if not isinstance(document, dict):
            raise NotAReport(f"the JSON document is {_kind(document)}, not an object: not an SMTP TLS report")
        if "policies" not in document and "organization-name" not in document:
            raise NotAReport("no organization-name and no policies: not an SMTP TLS report (RFC 8460 §4.4)")
        dates = self.need(document, "date-range", dict)
        policies_json = self.need(document, "policies", list)
        if len(policies_json) > MAX_POLICIES:
            self.damage.append(f"more than {MAX_POLICIES:,} policies; the rest were left out")
        policies = tuple(self.policy(number, item) for number, item in enumerate(policies_json[:MAX_POLICIES], 1))
        contact = document.get("contact-info")
        return TlsReport(
            organization_name=safe(self.need(document, "organization-name", str)),
            begin_date=self.date(dates, "start-datetime"),
            end_date=self.date(dates, "end-datetime"),
            contact_info=safe(contact) if isinstance(contact, str) and contact.strip() else None,
            report_id=safe(self.need(document, "report-id", str)),
            policies=policies,
            damage=tuple(self.damage),
        )

    def policy(self, number: int, item: Any) -> TlsPolicy:
        where = f"policies[{number - 1}]"
        if not isinstance(item, dict):
            raise NotAReport(f"{where} is {_kind(item)}, not an object")
        policy = self.need(item, "policy", dict, where)
        summary = self.need(item, "summary", dict, where)
        strings = policy.get("policy-string", [])
        if isinstance(strings, str):
            self.damage.append(f"{where}.policy.policy-string is one string, not a list; read as a list of one")
            strings = [strings]
        mx_hosts = policy.get("mx-host", [])
        if isinstance(mx_hosts, str):
            mx_hosts = [mx_hosts]
        details_json = item.get("failure-details", [])
        if not isinstance(details_json, list):
            raise NotAReport(f"{where}.failure-details is {_kind(details_json)}, not a list")
        details = tuple(
            self.failure_detail(f"{where}.failure-details[{index}]", detail)
            for index, detail in enumerate(details_json[:MAX_FAILURE_DETAILS])
        )
        return TlsPolicy(
            policy_domain=safe(self.need(policy, "policy-domain", str, f"{where}.policy")).lower(),
            policy_type=self.enum(policy, "policy-type", f"{where}.policy"),
            policy_strings=tuple(safe(s) for s in strings if isinstance(s, str)),
            mx_host=tuple(safe(h) for h in mx_hosts if isinstance(h, str)),
            successful_session_count=self.count(summary, "total-successful-session-count", f"{where}.summary"),
            failed_session_count=self.count(summary, "total-failure-session-count", f"{where}.summary"),
            failure_details=details,
        )

    def failure_detail(self, where: str, item: Any) -> FailureDetail:
        if not isinstance(item, dict):
            raise NotAReport(f"{where} is {_kind(item)}, not an object")

        def optional(key: str) -> str | None:
            value = item.get(key)
            return safe(str(value)) if isinstance(value, (str, int)) and str(value).strip() else None

        return FailureDetail(
            result_type=self.enum(item, "result-type", where),
            failed_session_count=self.count(item, "failed-session-count", where),
            sending_mta_ip=optional("sending-mta-ip"),
            receiving_ip=optional("receiving-ip"),
            receiving_mx_hostname=_lower(optional("receiving-mx-hostname")),
            receiving_mx_helo=optional("receiving-mx-helo"),
            additional_info_uri=optional("additional-information"),
            failure_reason_code=optional("failure-reason-code"),
        )

    # -- values ------------------------------------------------------------------

    def need(self, parent: dict[str, Any], key: str, kind: type, where: str = "") -> Any:
        # The field's name is spelled only for a complaint: most reports have none.
        if key not in parent:
            raise NotAReport(f"no {_name(where, key)} (RFC 8460 §4.4)")
        value = parent[key]
        if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
            raise NotAReport(f"{_name(where, key)} is {_kind(value)}, not {_KIND_NAMES[kind]}")
        return value

    def enum(self, parent: dict[str, Any], key: str, where: str) -> str:
        value = safe(self.need(parent, key, str, where))
        if value != value.lower():
            self.damage.append(f"{where}.{key} {value!r} is upper case; read as lower case")
        return value.lower()

    def count(self, parent: dict[str, Any], key: str, where: str) -> int:
        value = parent.get(key, 0)
        if isinstance(value, bool):
            raise NotAReport(f"{where}.{key} is a boolean, not a count")
        if isinstance(value, str) and value.strip().isdigit():
            self.damage.append(f"{where}.{key} is the string {value!r}, not a number; read as {int(value)}")
            return int(value)
        if not isinstance(value, int) or value < 0:
            raise NotAReport(f"{where}.{key} is {_kind(value)}, not a count")
        return value

    def date(self, parent: dict[str, Any], key: str) -> str:
        text = self.need(parent, key, str, "date-range")
        iso = iso_from_text(text)
        if iso is None:
            raise NotAReport(f"date-range.{key} {safe(text)!r} is not an RFC 3339 date-time")
        if not text.strip().upper().endswith("Z") and "+" not in text[10:] and "-" not in text[10:]:
            self.damage.append(f"date-range.{key} {safe(text)!r} has no time zone; read as UTC")
        return iso


_KIND_NAMES: dict[type, str] = {str: "a string", dict: "an object", list: "a list", int: "a number"}


def _name(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "an empty string" if not value.strip() else "a string"
    if isinstance(value, (int, float)):
        return "a number"
    return "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else type(value).__name__


def _lower(text: str | None) -> str | None:
    return text.lower() if text is not None else None
