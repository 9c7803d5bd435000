"""DMARC failure reports: ARF messages (RFC 6591, RFC 9991) and Exim's plain-text form.

An ARF report is a multipart/report whose message/feedback-report part holds header-like
fields (Feedback-Type, Source-IP, Auth-Failure, ...); the third part is the failed
message or its headers. Exim's DMARC forensic mail instead says the same in its body
("Sender Domain: ...", "Sender IP Address: ..."). Both read into one ``FailureReport``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeGuard

from mailcheck.reports.values import NotAReport, iso_from_email_date, safe

# The email package loads with the first failure report read (_parse_message): most
# runs read aggregate and TLS reports only, and it is a good part of their start-up.
if TYPE_CHECKING:
    from email.message import Message


@dataclass(frozen=True)
class FailureReport:
    """One DMARC failure report: one message that failed, as the receiver described it."""

    form: Literal["arf", "exim"]
    feedback_type: str
    user_agent: str | None
    version: str | None
    reported_domain: str | None
    source_ip: str | None
    arrival_date: str | None
    arrival_date_utc: str | None
    original_mail_from: str | None
    original_rcpt_to: str | None
    auth_failure: tuple[str, ...]
    authentication_results: str | None
    delivery_result: str | None
    dkim_domain: str | None
    dkim_selector: str | None
    subject: str | None
    message_id: str | None
    damage: tuple[str, ...]

    def to_details(self) -> dict[str, Any]:
        data = {key: value for key, value in vars(self).items() if key not in ("damage", "source_ip", "form")}
        data["auth_failure"] = list(self.auth_failure)
        data["source"] = {"ip_address": self.source_ip}
        data["report_form"] = self.form
        return data


def read_failure_report(data: bytes) -> FailureReport:
    message = _parse_message(data)
    feedback = next((part for part in message.walk() if part.get_content_type() == "message/feedback-report"), None)
    if feedback is None:
        raise NotAReport("a multipart/report with no message/feedback-report part (RFC 6591 §3)")
    fields = _feedback_fields(feedback)
    damage: list[str] = []
    feedback_type = (fields.get("feedback-type") or "").lower()
    if not feedback_type:
        raise NotAReport("the message/feedback-report part has no Feedback-Type field (RFC 5965 §3.1)")
    arrival = fields.get("arrival-date") or fields.get("received-date")
    sample = _sample_headers(message)
    reported = fields.get("reported-domain")
    return FailureReport(
        form="arf",
        feedback_type=feedback_type,
        user_agent=fields.get("user-agent"),
        version=fields.get("version"),
        reported_domain=reported.lower() if reported else None,
        source_ip=_ip(fields.get("source-ip"), damage),
        arrival_date=arrival,
        arrival_date_utc=iso_from_email_date(arrival) if arrival else None,
        original_mail_from=_address(fields.get("original-mail-from")),
        original_rcpt_to=_address(fields.get("original-rcpt-to")),
        auth_failure=tuple(v.strip().lower() for v in (fields.get("auth-failure") or "").split(",") if v.strip()),
        authentication_results=fields.get("authentication-results"),
        delivery_result=(fields.get("delivery-result") or "").lower() or None,
        dkim_domain=fields.get("dkim-domain"),
        dkim_selector=fields.get("dkim-selector"),
        subject=sample.get("subject"),
        message_id=sample.get("message-id"),
        damage=tuple(damage),
    )


def read_exim_report(data: bytes) -> FailureReport:
    message = _parse_message(data)
    body = b""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            body = payload if isinstance(payload, bytes) else b""
            break
    fields: dict[str, str] = {}
    for line in body.decode("utf-8", "replace").splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip() and value.strip():
            fields.setdefault(key.strip().lower(), safe(value))
    domain = fields.get("sender domain")
    if not domain:
        raise NotAReport("an Exim DMARC failure report without a 'Sender Domain:' line")
    damage: list[str] = []
    arrival = fields.get("received date")
    failed = [name for name, key in (("spf", "spf alignment"), ("dkim", "dkim alignment")) if fields.get(key, "").lower() == "no"]
    return FailureReport(
        form="exim",
        feedback_type="auth-failure",
        user_agent="Exim",
        version=None,
        reported_domain=domain.lower(),
        source_ip=_ip(fields.get("sender ip address"), damage),
        arrival_date=arrival,
        arrival_date_utc=iso_from_email_date(arrival) if arrival else None,
        original_mail_from=None,
        original_rcpt_to=None,
        auth_failure=("dmarc", *failed),
        authentication_results=None,
        delivery_result=(fields.get("dmarc results") or "").lower() or None,
        dkim_domain=None,
        dkim_selector=None,
        subject=_header(message, "Subject"),
        message_id=None,
        damage=tuple(damage),
    )


def _feedback_fields(part: Message) -> dict[str, str]:
    payload = part.get_payload()
    if isinstance(payload, list):
        # The email package parses message/* parts into sub-messages: their headers are the fields.
        fields: dict[str, str] = {}
        for sub in payload:
            for key, value in sub.items() if _is_message(sub) else ():
                fields.setdefault(key.lower(), safe(str(value)))
        return fields
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload)
    headers = _parse_headers(text)
    return {key.lower(): safe(str(value)) for key, value in headers.items()}


def _sample_headers(message: Message) -> dict[str, str]:
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type in ("message/rfc822", "text/rfc822-headers"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload and _is_message(payload[0]):
                sample = payload[0]
            else:
                sample = _parse_headers(str(payload))
            return {k.lower(): safe(str(v)) for k, v in sample.items() if k.lower() in ("subject", "message-id", "from")}
    return {}


def _parse_message(data: bytes) -> Message:
    import email.parser
    import email.policy

    return email.parser.BytesParser(policy=email.policy.compat32).parsebytes(data)


def _parse_headers(text: str) -> Message:
    import email.parser
    import email.policy

    return email.parser.HeaderParser(policy=email.policy.compat32).parsestr(text)


def _is_message(value: object) -> TypeGuard[Message]:
    from email.message import Message

    return isinstance(value, Message)


def _header(message: Message, name: str) -> str | None:
    value = message.get(name)
    return safe(str(value)) if value else None


def _ip(text: str | None, damage: list[str]) -> str | None:
    if not text:
        return None
    try:
        return str(ipaddress.ip_address(text.strip().strip("[]")))
    except ValueError:
        damage.append(f"Source-IP {text!r} is not an IP address; left out")
        return None


def _address(text: str | None) -> str | None:
    if not text:
        return None
    return text.strip().strip("<>") or None
