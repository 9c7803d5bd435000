"""The checks of ``mailcheck bounce``, declared beside the code that builds them."""

from __future__ import annotations

from typing import Any

from mailcheck.bounce.classify import Analysis, Recipient
from mailcheck.bounce.reasons import SENDER_MESSAGE, SENDER_SIDE
from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.model import Check, Obstacle, Report

RECIPIENT = CheckSpec(
    id="bounce.recipient",
    title="What happened to one recipient of a returned message",
    verifies=(
        "For a bounce, delay, success DSN, complaint or auto-reply, one result per recipient it names: "
        "the RFC 3463 status and SMTP reply the message carries (status is empty when it carries none; "
        "status_inferred then holds the code its reason implies), the reply text, the remote MTA and the "
        "SMTP command that failed, the reason in sisimai's vocabulary, hard or soft, and what to do "
        "(suppress, retry later, fix the sender side, none). Fail for a hard bounce (the address itself "
        "is bad: userunknown, hostunknown, hasmoved, a permanent notaccept) and for a complaint; warn for "
        "a soft bounce or a delay; info for a delivery report and an auto-reply."
    ),
    why=(
        "Sending again to addresses that hard-bounced or complained is what receivers count against a "
        "sender's reputation; suppressing addresses that only soft-bounced loses real recipients. "
        "Sender-side reasons (authentication, reverse DNS, blocklists) are fixed on the sender's side, "
        "not by removing the address."
    ),
    example=Example(
        bad="Final-Recipient: rfc822; gone@example.com\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <gone@example.com>: Recipient address rejected: User unknown",
        good="gone@example.com is on the suppress list (mailcheck bounce --suppress-list suppress.txt) and receives nothing more",
        why="A hard bounce is acted on once: the address leaves every list instead of bouncing again.",
    ),
    refs=("RFC 3464 §2.3", "RFC 3463 §3", "RFC 5965 §3.1", "RFC 3834 §5", "https://libsisimai.org/en/reason/"),
)

MESSAGE = CheckSpec(
    id="bounce.message",
    title="What a returned message is",
    verifies=(
        "Reads the message's MIME structure and says what it is: an RFC 3464 delivery status notification, "
        "an RFC 5965 feedback report, an RFC 3834 auto-reply, an MTA's or provider's own bounce prose, or "
        "none of these (a plain message, never taken for a bounce). Info for what was recognised; warn "
        "for a bounce in which no recipient could be found; error when the input could not be read as a "
        "message at all (empty, binary, unreadable) or was cut at --max-size."
    ),
    why="A notice whose recipients cannot be read cannot be acted on; it needs a person's look.",
    example=Example(
        bad="From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail Returned to Sender\n\n(no recipient, no status, no returned headers)",
        good="Content-Type: multipart/report; report-type=delivery-status (with a message/delivery-status part naming each recipient)",
        why="RFC 3464's machine-readable part names every recipient, its action and its status.",
    ),
    refs=("RFC 3464 §2", "RFC 6522 §3", "RFC 5965 §2"),
)

FEEDBACK = CheckSpec(
    id="bounce.feedback",
    title="A feedback-loop complaint's report",
    verifies=(
        "For an RFC 5965 (ARF) report: its Feedback-Type, User-Agent, Source-IP, Reported-Domain, "
        "Original-Mail-From, Original-Rcpt-To, Arrival-Date, Authentication-Results and Incidents, and "
        "the returned message's Message-ID, List-Id and Feedback-ID. Info: the complaint itself is the "
        "failing bounce.recipient result."
    ),
    why=(
        "Complaints are the strongest signal receivers use against a sender (Gmail and Yahoo ask a spam "
        "rate under 0.3 %); the report says which stream (List-Id, Feedback-ID) and which IP they hit."
    ),
    example=Example(
        bad="Feedback-Type: abuse\nOriginal-Rcpt-To: reader@example.org\n(the sender keeps mailing reader@example.org)",
        good="reader@example.org is suppressed from every list and the stream named by Feedback-ID is reviewed",
        why="A complaint is answered by stopping mail to that recipient and looking at what provoked it.",
    ),
    refs=("RFC 5965 §3.1", "RFC 6650 §3"),
)

_CUT = 160


def report_for(label: str, analysis: Analysis, *, size_note: str | None = None) -> Report:
    checks: list[Check] = [_message_check(label, analysis, size_note)]
    if analysis.kind == "complaint":
        checks.append(_feedback_check(label, analysis))
    checks.extend(_recipient_check(analysis, r) for r in analysis.recipients)
    extra: dict[str, Any] = {"kind": analysis.kind, "format": analysis.format}
    if analysis.mta:
        extra["mta"] = analysis.mta
    return Report("bounce", label, (Obstacle("feedback", "Feedback", tuple(checks)),), extra=extra)


def unreadable_report(label: str, reason: str) -> Report:
    """A document that is no message at all (inside an mbox, where the run goes on)."""
    check = MESSAGE.error(label, f"not read as a message: {reason}", details={"error": reason})
    return Report("bounce", label, (Obstacle("feedback", "Feedback", (check,)),), extra={"kind": "not-bounce", "format": ""})


def _message_check(label: str, analysis: Analysis, size_note: str | None) -> Check:
    details: dict[str, Any] = {"kind": analysis.kind, "format": analysis.format, "recipients": len(analysis.recipients)}
    if analysis.mta:
        details["mta"] = analysis.mta
    if analysis.subject:
        details["subject"] = analysis.subject[:300]
    if analysis.autoreply_sign:
        details["autoreply_sign"] = analysis.autoreply_sign
    if analysis.defects:
        details["mime_defects"] = analysis.defects
    if size_note is not None:
        return MESSAGE.error(label, f"{size_note}; what was read is judged", details=details)
    if analysis.kind == "not-bounce":
        return MESSAGE.info(label, "not a bounce, delay, delivery report, complaint or auto-reply", details=details)
    if not analysis.recipients:
        return MESSAGE.warn(
            label,
            f"a {analysis.kind} ({_format_name(analysis)}) that names no recipient",
            details=details,
            fix="Read it by hand: the notice gives no address to act on.",
        )
    count = len(analysis.recipients)
    what = f"{analysis.kind} ({_format_name(analysis)}), {count} recipient{'s' if count != 1 else ''}"
    if analysis.autoreply_sign:
        what += f"; said by {analysis.autoreply_sign[:80]}"
    return MESSAGE.info(label, what, details=details)


def _format_name(analysis: Analysis) -> str:
    if analysis.format and analysis.mta and analysis.mta != analysis.format:
        return f"{analysis.format}, from {analysis.mta}"
    return analysis.format or "unknown format"


def _feedback_check(label: str, analysis: Analysis) -> Check:
    fields = {name.replace("-", "_"): value for name, value in analysis.feedback.items()}
    original = analysis.original
    for key, value in (("message_id", original.message_id), ("list_id", original.list_id), ("feedback_id", original.feedback_id)):
        if value:
            fields[key] = value
    parts = [f"Feedback-Type {fields.get('feedback_type', '?')}"]
    for key, name in (("user_agent", "from"), ("source_ip", "about IP"), ("reported_domain", "domain")):
        found = fields.get(key)
        if found:
            parts.append(f"{name} {', '.join(found) if isinstance(found, list) else found}")
    return FEEDBACK.info(label, "; ".join(parts)[:300], details=fields)


def _recipient_check(analysis: Analysis, r: Recipient) -> Check:
    details: dict[str, Any] = {
        "recipient": r.recipient,
        "original_recipient": r.original_recipient,
        "action": r.action,
        "status": r.status,
        "status_inferred": r.status_inferred,
        "replycode": r.replycode,
        "diagnostic": r.diagnostic,
        "remote_mta": r.remote_mta,
        "command": r.command,
        "reason": r.reason,
        "hardbounce": r.hardbounce,
        "feedbacktype": r.feedbacktype,
        "action_to_take": r.action_to_take,
    }
    original = analysis.original
    for key, value in (
        ("message_id", original.message_id),
        ("from", original.from_),
        ("list_id", original.list_id),
        ("feedback_id", original.feedback_id),
    ):
        if value:
            details[key] = value
    subject = r.recipient or "(no address)"
    # A code the message does not carry is shown as what it is: mailcheck's inference.
    shown_status = r.status or (f"{r.status_inferred} inferred" if r.status_inferred else "")
    code = " ".join(c for c in (r.replycode, shown_status) if c)
    said = f': "{r.diagnostic[:_CUT]}{"…" if len(r.diagnostic) > _CUT else ""}"' if r.diagnostic else ""
    if analysis.kind == "complaint":
        summary = f"complaint ({r.feedbacktype or 'unspecified'}) — {r.action_to_take}"
        return RECIPIENT.fail(subject, summary, details=details, fix=_fix(r))
    if r.reason in ("delivered", "vacation"):
        what = "delivered" if r.reason == "delivered" else "auto-reply (vacation)"
        return RECIPIENT.info(subject, f"{what}{f' ({code})' if code else ''} — none", details=details)
    kind = "hard bounce" if r.hardbounce else ("delayed" if r.action == "delayed" else "soft bounce")
    summary = f"{kind}: {r.reason}{f' ({code})' if code else ''}{said} — {r.action_to_take}"
    if r.hardbounce:
        return RECIPIENT.fail(subject, summary, details=details, fix=_fix(r))
    return RECIPIENT.warn(subject, summary, details=details, fix=_fix(r))


_SOFT_FIX = {
    "mailboxfull": "The mailbox is full: retry later; suppress only if it stays full for days.",
    "expired": "The receiver could not be reached for the queue's lifetime: retry later, and check its MX if it keeps happening.",
    "networkerror": "A network or DNS failure on the way: retry later.",
    "suspend": "The mailbox is disabled or suspended: retry later; suppress if it stays so.",
    "toomanyconn": "Too many connections or recipients at once: send more slowly.",
    "exceedlimit": "A receiver limit was exceeded: send more slowly or split the message.",
    "filtered": "The receiver's filter refused it: check the content and retry later.",
    "norelaying": "The server refused to relay for that domain: check the recipient's domain and its MX (mailcheck domain RECIPIENT-DOMAIN).",
    "rejected": "The receiver refused it (often the envelope sender): check MAIL FROM and the sending domain.",
}


def _fix(r: Recipient) -> str | None:
    if r.reason == "feedback":
        return (
            f"Suppress {r.recipient}: they reported the message ({r.feedbacktype or 'a complaint'}); remove them from every list."
        )
    if r.hardbounce:
        return f"Suppress {r.recipient}: the address does not exist or cannot receive mail ({r.reason}); do not send to it again."
    if r.reason in SENDER_SIDE:
        return f"Fix the sender side ({r.reason}): {SENDER_SIDE[r.reason]}."
    if r.reason in SENDER_MESSAGE:
        return f"Fix the sender side ({r.reason}): {SENDER_MESSAGE[r.reason]}."
    return _SOFT_FIX.get(r.reason, "Retry later; suppress the address only if it keeps failing.")
