"""Amazon SES notifications delivered by SNS to an email subscription: a JSON document
(``notificationType`` Bounce, Complaint or Delivery) instead of a DSN."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mailcheck.bounce.parse import address_in


@dataclass(frozen=True)
class SesRecipient:
    address: str
    action: str
    status: str
    diagnostic: str
    remote_mta: str
    feedbacktype: str = ""


@dataclass(frozen=True)
class SesNotice:
    type: str  # "bounce", "complaint", "delivery"
    recipients: tuple[SesRecipient, ...]
    # Permanent / Transient / Undetermined (Bounce notices only).
    bounce_type: str = ""
    message_id: str = ""
    source: str = ""


def read_notice(text: str) -> SesNotice | None:
    """The SES notification in a message body, None when there is none."""
    start = text.find("{")
    if start < 0 or "notificationType" not in text and "eventType" not in text:
        return None
    document = _decode(text[start:])
    if document is None:
        return None
    if isinstance(document, dict) and isinstance(document.get("Message"), str):
        try:
            document = json.loads(document["Message"])  # the SNS envelope around it
        except ValueError:
            return None
    if not isinstance(document, dict):
        return None
    kind = str(document.get("notificationType") or document.get("eventType") or "").lower()
    mail = _dict(document.get("mail"))
    common = {"message_id": str(mail.get("messageId", "")), "source": str(mail.get("source", ""))}
    if kind == "bounce":
        return _bounce(_dict(document.get("bounce")), common)
    if kind == "complaint":
        complaint = _dict(document.get("complaint"))
        feedback = str(complaint.get("complaintFeedbackType", "") or "abuse")
        found = tuple(
            SesRecipient(address_in(str(r.get("emailAddress", ""))), "", "", "", "", feedback)
            for r in _dicts(complaint.get("complainedRecipients"))
        )
        return SesNotice("complaint", found, **common)
    if kind == "delivery":
        delivery = _dict(document.get("delivery"))
        response = str(delivery.get("smtpResponse", ""))
        found = tuple(
            SesRecipient(address_in(str(r)), "delivered", "", response, str(delivery.get("reportingMTA", "")))
            for r in delivery.get("recipients") or []
        )
        return SesNotice("delivery", found, **common)
    return None


def _decode(text: str) -> Any:
    for candidate in (text, text.replace("\n", "")):  # mail gateways wrap long JSON lines
        try:
            return json.JSONDecoder().raw_decode(candidate)[0]
        except ValueError:
            continue
    return None


def _bounce(bounce: dict[str, Any], common: dict[str, str]) -> SesNotice:
    bounce_type = str(bounce.get("bounceType", ""))
    found = tuple(
        SesRecipient(
            address_in(str(r.get("emailAddress", ""))),
            str(r.get("action", "failed") or "failed").lower(),
            str(r.get("status", "")),
            str(r.get("diagnosticCode", "")),
            str(bounce.get("remoteMtaIp", "") or bounce.get("reportingMTA", "")),
        )
        for r in _dicts(bounce.get("bouncedRecipients"))
    )
    return SesNotice("bounce", found, bounce_type=bounce_type, **common)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
