"""What a returned message is (kind, format) and what it says per recipient.

Formats are recognised by their structure, most explicit first: an RFC 5965 feedback
report, an RFC 3464 delivery-status part, MTA prose from a mailer daemon, an RFC 3834
auto-reply. Anything else is ``not-bounce``: a plain message is never taken for a
bounce because a word in it looks like one.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from email.message import Message
from typing import Literal

from mailcheck.bounce import amazonses, fml, prose
from mailcheck.bounce.parse import (
    address_in,
    addresses_in,
    body_text,
    content_type,
    field_blocks,
    header,
    part_text,
    parts,
    read_message,
    typed_value,
)
from mailcheck.bounce.reasons import (
    BARE_REFUSAL,
    SENDER_MESSAGE,
    SENDER_SIDE,
    classify_reason,
    find_replycode,
    find_status,
    find_statuses,
    is_hard,
    text_reason,
)

Kind = Literal["bounce", "delay", "delivered", "complaint", "autoreply", "not-bounce"]
ToDo = Literal["suppress", "retry later", "fix the sender side", "none"]

_SENDER_SIDE_REASONS = frozenset(SENDER_SIDE) | frozenset(SENDER_MESSAGE)


@dataclass(frozen=True)
class Recipient:
    """What happened to one recipient (the details of a ``bounce.recipient`` check)."""

    recipient: str
    reason: str
    hardbounce: bool
    action: str = ""
    original_recipient: str = ""
    status: str = ""
    status_inferred: str = ""
    replycode: str = ""
    diagnostic: str = ""
    remote_mta: str = ""
    command: str = ""
    feedbacktype: str = ""

    @property
    def action_to_take(self) -> ToDo:
        if self.reason in ("delivered", "vacation"):
            return "none"
        if self.reason == "feedback":
            return "suppress"
        if self.hardbounce:
            return "suppress"
        if self.reason in _SENDER_SIDE_REASONS:
            return "fix the sender side"
        return "retry later"


@dataclass(frozen=True)
class Original:
    """The original message's identity, when the bounce returns it."""

    message_id: str = ""
    from_: str = ""
    to: str = ""
    list_id: str = ""
    feedback_id: str = ""
    subject: str = ""


@dataclass(frozen=True)
class Analysis:
    kind: Kind
    format: str
    recipients: tuple[Recipient, ...] = ()
    # The MTA family the notice's text belongs to, when known (a Postfix DSN: postfix).
    mta: str = ""
    original: Original = Original()
    # ARF's report fields (Feedback-Type, User-Agent, Source-IP, ...), by their names.
    feedback: dict[str, object] = field(default_factory=dict)
    # RFC 3834: what said this is an auto-reply.
    autoreply_sign: str = ""
    subject: str = ""
    defects: int = 0


def analyze(data: bytes) -> Analysis:
    message = read_message(data)
    subject = header(message, "Subject")
    all_parts = list(parts(message))
    defects = sum(len(getattr(p, "defects", ())) for p in all_parts)
    original = _original(all_parts)

    types = [content_type(p) for p in all_parts]
    report = next((p for p, t in zip(all_parts, types, strict=False) if t == "message/feedback-report"), None)
    if report is None and _report_type(message) == "feedback-report":
        report = next((p for p in all_parts if "feedback-type:" in _leaf_text(p).lower()), None)
    if report is not None:
        return _complaint(report, original, subject, defects)

    status_part = next(
        (p for p, t in zip(all_parts, types, strict=False) if t in ("message/delivery-status", "message/global-delivery-status")),
        None,
    )
    whole_text = body_text(message)
    notice = whole_text
    signature = " ".join((header(message, "From"), subject, notice[:4000], _headers_text(message)))
    family = prose.family_of(signature)
    notice = prose.notice_part(notice, family)
    if not original.to and not original.message_id:
        original = _original_in_text(prose.copy_part(whole_text, family)) or original
    if status_part is None and _report_type(message) == "delivery-status":
        status_part = next((p for p in all_parts if "final-recipient:" in _leaf_text(p).lower()), None)
    if status_part is not None:
        dsn = _dsn(status_part, notice)
        if dsn:
            return _verdict(dsn, "rfc3464", family or "", original, subject, defects)

    ses = amazonses.read_notice(notice) if "amazon" in signature.lower() or "notificationType" in notice[:2000] else None
    if ses is not None and ses.recipients:
        return _ses(ses, original, subject, defects)

    if fml.is_notice(header(message, "X-MLServer"), subject):
        refused = fml.refusals(subject, whole_text)
        if refused:
            return _fml(refused, original, subject, defects)

    if _from_mailer(message, subject) or _FAILURE_WORDS.search(notice[:3000]):
        recipients = _prose(message, notice, family, original)
        if recipients and header(message, "X-SPASIGN").upper() == "NG":
            # au (KDDI EZweb) marks the notice of a message its recipient's spam
            # filter refused with this header: the filter, whatever the prose says.
            recipients = [dataclasses.replace(r, reason="filtered", hardbounce=False) for r in recipients]
        if recipients:
            return _verdict(recipients, family or "unknown", family or "", original, subject, defects)

    if header(message, "X-Apple-Unsubscribe").lower() == "true":
        # Apple Mail's "unsubscribe" button mails the List-Unsubscribe address: the
        # recipient asked to stop (RFC 5965's opt-out, sent as a plain message).
        who = address_in(header(message, "From"))
        recipient = Recipient(recipient=who, reason="feedback", hardbounce=False, feedbacktype="opt-out")
        feedback: dict[str, object] = {"feedback-type": "opt-out", "user-agent": "Apple Mail"}
        return Analysis(
            "complaint", "apple-unsubscribe", (recipient,), original=original, feedback=feedback, subject=subject, defects=defects
        )

    sign = _autoreply_sign(message, subject)
    if sign:
        replier = address_in(header(message, "From")) or address_in(header(message, "Reply-To"))
        recipient = Recipient(recipient=replier, reason="vacation", hardbounce=False)
        return Analysis(
            "autoreply", "rfc3834", (recipient,), original=original, autoreply_sign=sign, subject=subject, defects=defects
        )
    return Analysis("not-bounce", "", original=original, subject=subject, defects=defects)


# -- RFC 3464 -------------------------------------------------------------------------


def _dsn(part: Message, notice: str) -> list[Recipient]:
    blocks = field_blocks(_leaf_text(part))
    recipient_blocks = [b for b in blocks if b.get("final-recipient") or b.get("original-recipient")]
    reporting = next((typed_value(b.get("reporting-mta")) for b in blocks if b.get("reporting-mta")), "")
    prose_by_address = {r.address: r.text for r in prose.prose_recipients(notice, frozenset())}
    out: list[Recipient] = []
    for block in recipient_blocks:
        address = address_in(typed_value(block.get("final-recipient"))) or address_in(
            typed_value(block.get("original-recipient"))
        )
        if not address:
            continue
        original_rcpt = address_in(typed_value(block.get("original-recipient")))
        diagnostic = _clean(typed_value(block.get("diagnostic-code")))
        # RFC 3464's diagnostic type "X-Unix" (or Postfix's "X-Postfix") is a local
        # program's exit code, not an SMTP reply: the local mailer failed.
        local_program = block.get("diagnostic-code").split(";", 1)[0].strip().lower() in ("x-unix", "x-postfix")
        told = prose_by_address.get(address, "")
        if not diagnostic and told:
            diagnostic = _clean(told)
        action = block.get("action").lower().split()[0] if block.get("action").strip() else ""
        status = _status_field(block.get("status"), diagnostic)
        remote = typed_value(block.get("remote-mta")) or prose.remote_host(told)
        out.append(
            _recipient(
                address,
                action=action,
                status=status,
                diagnostic=diagnostic,
                original_recipient=original_rcpt,
                remote_mta=remote,
                command=prose.smtp_command(diagnostic)
                or prose.smtp_command(told)
                or (prose.smtp_command(notice) if len(recipient_blocks) == 1 else ""),
                context=told or notice,
                local_program=local_program,
                reporting_mta=reporting,
            )
        )
    return out


def _status_field(value: str, diagnostic: str) -> str:
    status = find_status(value)
    if status and not status.endswith(".0"):
        return status
    # A generic code (detail 0: 5.0.0, 5.1.0) beside a more specific one of the same
    # class in the reply: the reply says more (Status: 5.0.0 with "550 5.1.1 user
    # unknown"; SES's "5.1.0 - Unknown address error 550-'5.2.2 ... Mailbox Full'").
    in_text = [code for code in find_statuses(diagnostic) if not status or code[0] == status[0]]
    specific = next((code for code in in_text if not code.endswith(".0")), "")
    broader = next((code for code in in_text if not code.endswith(".0.0")), "")
    return specific or broader or status or find_status(diagnostic)


# -- MTA prose ------------------------------------------------------------------------


def _prose(message: Message, notice: str, family: str | None, original: Original) -> list[Recipient]:
    # The notice's own sender is never a recipient (its To may be: a bounce of a message
    # to oneself).
    own = frozenset(addresses_in(header(message, "From")))
    found = prose.prose_recipients(notice, own)
    # Exim and Google name the failed addresses in a header: those are the recipients,
    # whatever else the prose mentions (a greeting, a forwarding address).
    failed = list(dict.fromkeys(addresses_in(header(message, "X-Failed-Recipients"))))
    if failed:
        whole = " ".join(r.text for r in found)
        # The notice's own addressee named in the prose (a greeting) is no recipient
        # unless the header says so; prose that names others (a rewritten address) wins.
        addressee = set(addresses_in(header(message, "To")))
        found = [r for r in found if r.address in failed or r.address not in addressee]
        if not found:
            found = [prose.ProseRecipient(a, whole if len(failed) == 1 else "") for a in failed]
    if not found:
        found = [prose.ProseRecipient(a, "") for a in dict.fromkeys(addresses_in(original.to)) if a not in own]
    delayed = prose.looks_delayed(notice)
    out: list[Recipient] = []
    quoted = prose.quoted_reply(notice) if len(found) == 1 else ""
    for item in found:
        text = _clean(item.text)
        if quoted and _clean(quoted) not in text:
            # The only recipient's lines do not carry the reply the notice quotes under
            # a label of its own ("Error message below:"): that reply is its reply.
            text = _clean(quoted)
        # A recipient listed without words of its own: the notice's code is its code.
        status = find_status(text) if text else find_status(notice)
        # The only recipient of a notice whose line carries no reply: the notice's
        # words say why ("reject reason: Mailbox full" above "target address: a@b").
        context = text if (status or find_replycode(text) or len(found) > 1) else _clean(notice)
        action = "delayed" if delayed and not status.startswith("5") else "failed"
        out.append(
            _recipient(
                item.address,
                action=action,
                status=status,
                diagnostic=text or _clean(notice)[:500],
                remote_mta=prose.remote_host(text),
                command=prose.smtp_command(text) or (prose.smtp_command(notice) if len(found) == 1 else ""),
                context=context,
                fallback_reason=prose.default_reason(family),
                address_refused=len(found) == 1 and prose.says_address_refused(notice),
            )
        )
    return out


# -- building recipients and verdicts -------------------------------------------------


def _recipient(
    address: str,
    *,
    action: str,
    status: str,
    diagnostic: str,
    context: str,
    original_recipient: str = "",
    remote_mta: str = "",
    command: str = "",
    inferred: str = "",
    fallback_reason: str | None = None,
    local_program: bool = False,
    reporting_mta: str = "",
    address_refused: bool = False,
) -> Recipient:
    replycode = find_replycode(diagnostic)
    judged_status = status or inferred
    if not action:
        action = {"2": "delivered", "4": "delayed"}.get(judged_status[:1], "failed")
    judge = functools.partial(
        classify_reason,
        action=action,
        command=command,
        remote_mta=remote_mta,
        reporting_mta=reporting_mta,
        recipient=address,
        address_refused=address_refused or prose.says_address_refused(context),
    )
    reason = judge(judged_status, diagnostic or context)
    if local_program and text_reason(diagnostic) is None:
        # The exit code of a local program says nothing a status class could refine.
        reason = "mailererror"
    if reason == "undefined" and context and context != diagnostic:
        reason = judge(judged_status, context)
    if reason == "undefined" and fallback_reason is not None:
        reason = fallback_reason
    if reason == "undefined" and diagnostic:
        # A reply was given but names no cause (sisimai's onhold: too little to judge).
        reason = "onhold"
    if not status and not inferred:
        inferred = _inferred_status(reason, replycode, action)
    return Recipient(
        recipient=address,
        reason=reason,
        hardbounce=is_hard(reason, judged_status, replycode),
        action=action,
        original_recipient=original_recipient,
        status=status,
        status_inferred="" if status else inferred,
        replycode=replycode,
        diagnostic=diagnostic,
        remote_mta=remote_mta,
        command=command,
    )


# The RFC 3463 code a reason implies, for a notice that carries none.
_INFERRED = {
    "userunknown": "1.1", "hostunknown": "1.2", "hasmoved": "1.6", "mailboxfull": "2.2", "suspend": "2.1",
    "mesgtoobig": "3.4", "expired": "4.7", "networkerror": "4.0", "norelaying": "7.1", "blocked": "7.1",
    "spamdetected": "7.1", "virusdetected": "7.1", "policyviolation": "7.1", "authfailure": "7.1",
    "securityerror": "7.0", "filtered": "2.0", "rejected": "7.1", "systemerror": "3.0", "mailererror": "3.0",
    "notaccept": "1.10", "requireptr": "7.25", "toomanyconn": "4.5", "systemfull": "3.1", "syntaxerror": "5.2",
    "contenterror": "6.0", "exceedlimit": "2.3", "notcompliantrfc": "6.0", "failedstarttls": "7.11",
}  # fmt: skip


def _inferred_status(reason: str, replycode: str, action: str) -> str:
    tail = _INFERRED.get(reason)
    if tail is None:
        return ""
    klass = replycode[:1] if replycode[:1] in ("4", "5") else ("4" if action == "delayed" else "5")
    return f"{klass}.{tail}"


def _ses(notice: amazonses.SesNotice, original: Original, subject: str, defects: int) -> Analysis:
    if original.message_id == "" and notice.message_id:
        original = Original(message_id=notice.message_id, from_=notice.source)
    if notice.type == "complaint":
        recipients = tuple(
            Recipient(recipient=r.address, reason="feedback", hardbounce=False, feedbacktype=r.feedbacktype)
            for r in notice.recipients
        )
        feedback: dict[str, object] = {"feedback-type": notice.recipients[0].feedbacktype}
        return Analysis(
            "complaint", "amazonses", recipients, original=original, feedback=feedback, subject=subject, defects=defects
        )
    found = []
    for r in notice.recipients:
        diagnostic = _clean(r.diagnostic)
        action = r.action or ("delayed" if notice.bounce_type == "Transient" else "failed")
        found.append(
            _recipient(
                r.address,
                action=action,
                status=_status_field(r.status, diagnostic),
                diagnostic=diagnostic,
                remote_mta=r.remote_mta,
                command=prose.smtp_command(diagnostic),
                context=diagnostic,
            )
        )
    return _verdict(found, "amazonses", "amazonses", original, subject, defects)


def _fml(refused: list[fml.FmlRefusal], original: Original, subject: str, defects: int) -> Analysis:
    found = [
        Recipient(
            recipient=r.address,
            reason=r.reason,
            hardbounce=False,
            action="failed",
            status_inferred=_inferred_status(r.reason, "", "failed"),
            diagnostic=_clean(r.text),
        )
        for r in refused
    ]
    return _verdict(found, "fml", "fml", original, subject, defects)


def _verdict(recipients: list[Recipient], fmt: str, mta: str, original: Original, subject: str, defects: int) -> Analysis:
    actions = {r.action for r in recipients}
    if "failed" in actions:
        kind: Kind = "bounce"
    elif "delayed" in actions:
        kind = "delay"
    elif actions & {"delivered", "relayed", "expanded"}:
        kind = "delivered"
    else:
        kind = "bounce"
    return Analysis(kind, fmt, tuple(recipients), mta=mta, original=original, subject=subject, defects=defects)


# -- RFC 5965 -------------------------------------------------------------------------

_ARF_FIELDS = (
    "feedback-type", "user-agent", "version", "source-ip", "reported-domain", "reported-uri", "original-mail-from",
    "original-rcpt-to", "arrival-date", "received-date", "authentication-results", "incidents", "original-envelope-id",
    "source-port", "delivery-result", "identity-alignment", "auth-failure",
)  # fmt: skip


def _complaint(report: Message, original: Original, subject: str, defects: int) -> Analysis:
    blocks = field_blocks(_leaf_text(report))
    merged: dict[str, list[str]] = {}
    for block in blocks:
        for name, values in block.all.items():
            merged.setdefault(name, []).extend(values)
    feedback: dict[str, object] = {}
    for name in _ARF_FIELDS:
        values = merged.get(name, [])
        if not values:
            continue
        feedback[name] = (
            values if name in ("original-rcpt-to", "reported-domain", "authentication-results", "reported-uri") else values[0]
        )
    feedback_type = str(feedback.get("feedback-type", "")).strip().lower()
    complained = [address_in(v) for v in merged.get("original-rcpt-to", [])]
    complained = [a for a in dict.fromkeys(complained) if a]
    if not complained:
        complained = [a for a in dict.fromkeys(addresses_in(original.to))]
    recipients = tuple(
        Recipient(recipient=a, reason="feedback", hardbounce=False, action="", feedbacktype=feedback_type) for a in complained
    )
    return Analysis("complaint", "rfc5965", recipients, original=original, feedback=feedback, subject=subject, defects=defects)


# -- RFC 3834 -------------------------------------------------------------------------

_VACATION_SUBJECT = re.compile(
    r"^(?:auto(?:matic)?[ -]?(?:reply|response|antwort)|out of (?:the )?office|vacation|abwesenheit|"
    r"absence|away from|réponse automatique|respuesta automática|autoreply|auto:|on leave|i am away)",
    re.I,
)


def _autoreply_sign(message: Message, subject: str) -> str:
    submitted = header(message, "Auto-Submitted").lower()
    if submitted.startswith("auto-replied"):
        return f"Auto-Submitted: {submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Vacation"):
        if header(message, name):
            return f"{name}: {header(message, name)}"
    precedence = header(message, "Precedence").lower()
    if precedence == "auto_reply":
        return "Precedence: auto_reply"
    if _VACATION_SUBJECT.match(subject):
        return f"Subject: {subject}"
    return ""


# -- shared helpers -------------------------------------------------------------------

# Words a delivery failure notice uses, where its sender and subject do not say so.
_FAILURE_WORDS = re.compile(
    r"could not be delivered|couldn't be delivered|undeliverable|delivery (?:has )?failed|permanent (?:fatal )?error|"
    r"was not delivered|unable to deliver|wasn't able to deliver|delivery to the following recipients? failed|"
    r"the following addresses had|returned mail|error delivering your mail|"
    # Verizon's carrier notices: a headline, then the receiver's reply under its label.
    r"(?m:^error: [^\n]+\n\s*\nerror message below:\s*\n\s*[245]\d\d\b)",
    re.I,
)
_MAILER_FROM = re.compile(r"mailer-daemon|postmaster|mail delivery (?:subsystem|system)|mdaemon|mailer daemon|^<>$", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|returned mail|delivery (?:status )?(?:notification|failure|failed|report|problem)|failure notice|"
    r"mail delivery failed|could not be delivered|non[- ]?delivery|not delivered|delivery has failed|mail system error|"
    r"warning: (?:could not send|message)|delayed mail|rejected|nondeliverable|bounce|returned to sender|"
    r"mail could not|error sending|unable to deliver|message you sent",
    re.I,
)


def _from_mailer(message: Message, subject: str) -> bool:
    sender = header(message, "From")
    return bool(_MAILER_FROM.search(sender) or _BOUNCE_SUBJECT.search(subject) or header(message, "X-Failed-Recipients"))


def _report_type(message: Message) -> str:
    try:
        value = message.get_param("report-type")
    except Exception:  # noqa: BLE001
        return ""
    return str(value).lower() if isinstance(value, str) else ""


def _leaf_text(part: Message) -> str:
    if part.is_multipart():
        payload = part.get_payload()
        if isinstance(payload, list):
            # message/delivery-status parses as a list of header blocks.
            return "\n\n".join(_block_text(p) for p in payload if isinstance(p, Message))
    return part_text(part)


def _block_text(block: Message) -> str:
    lines = [f"{name}: {value}" for name, value in block.items()]
    tail = block.get_payload()
    if isinstance(tail, str) and tail.strip():
        lines.append("")
        lines.append(tail)
    return "\n".join(lines)


def _headers_text(message: Message) -> str:
    return " ".join(
        f"{k}: {v}"
        for k, v in list(message.items())[:40]
        if k.lower() in ("received", "x-mailer", "x-ses-outgoing", "message-id")
    )


def _original(all_parts: list[Message]) -> Original:
    for part in all_parts:
        kind = content_type(part)
        if kind in ("message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers", "text/rfc822"):
            inner = _inner_message(part)
            if inner is not None:
                return _original_of(inner)
    return Original()


def _original_in_text(text: str) -> Original | None:
    """The original's headers when the notice pastes them into its text."""
    if not text.strip():
        return None
    inner = read_message(text[:65536].lstrip(" \t\n").encode("utf-8", errors="replace"))
    if not (inner.get("To") or inner.get("Message-ID")):
        return None
    return _original_of(inner)


def _original_of(inner: Message) -> Original:
    """The original message's identifying fields, as the bounce carries them."""
    return Original(
        message_id=header(inner, "Message-ID"),
        from_=header(inner, "From"),
        to=header(inner, "To"),
        list_id=header(inner, "List-Id"),
        feedback_id=header(inner, "Feedback-ID"),
        subject=header(inner, "Subject"),
    )


def _inner_message(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    text = part_text(part)
    if not text.strip():
        return None
    return read_message(text.encode("utf-8", errors="replace"))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# The continuation prefixes of a multi-line reply ("550-5.7.1 ") after its first line.
_CONTINUATION = re.compile(r"(?<=\S)\s+[245]\d\d[- ](?:[245]\.\d{1,3}\.\d{1,3}\s+)?(?=\S)")


def _clean(text: str) -> str:
    """One line of reply text: no control characters, continuation prefixes joined."""
    flat = " ".join(_CONTROL.sub(" ", text).split())
    first = re.match(r"\s*[245]\d\d[- ](?:[245]\.\d{1,3}\.\d{1,3}\s+)?", flat)
    if first is not None:
        head, tail = flat[: first.end()], flat[first.end() :]
        prefix = first.group(0).strip()[:3]
        tail = re.sub(rf"\s+{prefix}[- ](?:[245]\.\d{{1,3}}\.\d{{1,3}}\s+)?(?=\S)", " ", tail)
        flat = head + tail
    return flat[:1000]


# -- one log line ---------------------------------------------------------------------


def analyze_line(line: str) -> Analysis:
    """One reply from an MTA log or an API's bounce notice, e.g.
    ``550 5.1.1 <a@b>: Recipient address rejected: User unknown``."""
    text = _clean(line)
    status = find_status(text)
    replycode = find_replycode(text)
    if not (status or replycode) and text_reason(text) is None and not BARE_REFUSAL.search(text.lower()):
        return Analysis("not-bounce", "line", subject=text[:300])
    klass = (status or replycode)[:1]
    action = {"2": "delivered", "4": "delayed"}.get(klass, "failed")
    recipient = _recipient(
        address_in(text),
        action=action,
        status=status,
        diagnostic=text,
        context=text,
        command=prose.smtp_command(text),
        remote_mta=prose.remote_host(text),
    )
    return _verdict([recipient], "line", "", Original(), "", 0)
