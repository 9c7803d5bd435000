"""Receivers whose answers need a caveat, recognised by their MX host names.

Each hint names its source so a user can check it. Sources:
- Microsoft: "Email non-delivery reports and SMTP errors in Exchange Online"
  (learn.microsoft.com/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online)
  and "Use Directory Based Edge Blocking to reject messages sent to invalid recipients"
  (learn.microsoft.com/exchange/mail-flow-best-practices/use-directory-based-edge-blocking).
- Google: "SMTP errors and codes" (support.google.com/a/answer/3726730) and the
  sender guidelines (support.google.com/a/answer/81126).
- Yahoo: Sender Hub "SMTP error codes" (senders.yahooinc.com/smtp-error-codes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mailcheck.smtp.codes import Reply

MICROSOFT = "Microsoft 365"
GOOGLE = "Google (Gmail / Workspace)"
YAHOO = "Yahoo"

_SOURCES = {
    MICROSOFT: "Microsoft Learn: Email non-delivery reports and SMTP errors in Exchange Online",
    GOOGLE: "Google Workspace Admin Help: SMTP errors and codes (support.google.com/a/answer/3726730)",
    YAHOO: "Yahoo Sender Hub: SMTP error codes (senders.yahooinc.com/smtp-error-codes)",
}


@dataclass(frozen=True)
class ProviderHint:
    provider: str
    text: str
    source: str
    # True when an acceptance by this provider does not prove the mailbox exists.
    accepts_unverified: bool = False


def recognise(mx_hosts: Iterable[str]) -> str | None:
    for host in mx_hosts:
        host = host.lower().rstrip(".")
        if host.endswith(".mail.protection.outlook.com") or host.endswith(".olc.protection.outlook.com"):
            return MICROSOFT
        if host.endswith(".google.com") or host.endswith(".googlemail.com"):
            return GOOGLE
        if host.endswith(".yahoodns.net"):
            return YAHOO
    return None


def acceptance_caveat(provider: str | None) -> ProviderHint | None:
    """What a 250 at RCPT is worth at this provider."""
    if provider == YAHOO:
        return ProviderHint(
            YAHOO,
            "Yahoo accepts every recipient at RCPT and bounces unknown ones after DATA, "
            "so an acceptance here does not prove that the mailbox exists",
            _SOURCES[YAHOO],
            accepts_unverified=True,
        )
    if provider == MICROSOFT:
        return ProviderHint(
            MICROSOFT,
            "Microsoft 365 accepts any recipient at RCPT unless the tenant turned on "
            "Directory-Based Edge Blocking, so an acceptance may not prove that the mailbox exists",
            "Microsoft Learn: Use Directory Based Edge Blocking to reject messages sent to invalid recipients",
            accepts_unverified=True,
        )
    return None


def reply_hint(provider: str | None, reply: Reply) -> ProviderHint | None:
    """A provider-specific reading of a refusal, when its meaning is documented."""
    enhanced = reply.enhanced
    if enhanced is None:
        return None
    if enhanced.subject == 7 and 606 <= enhanced.detail <= 649:
        return ProviderHint(
            MICROSOFT,
            f"{enhanced} is Microsoft 365's 'banned sending IP': the prober's IP is on Microsoft's "
            "block list; ask for delisting at https://sender.office.com",
            _SOURCES[MICROSOFT],
        )
    if (
        provider == GOOGLE
        and enhanced.subject == 7
        and ((enhanced.klass == 4 and enhanced.detail >= 20) or (enhanced.klass == 5 and 20 <= enhanced.detail <= 32))
    ):
        return ProviderHint(
            GOOGLE,
            f"Gmail's {enhanced} points at the sender's authentication (PTR, SPF, DKIM, DMARC or TLS), "
            "not at the recipient: check the sending domain with 'mailcheck domain'",
            _SOURCES[GOOGLE],
        )
    return None
