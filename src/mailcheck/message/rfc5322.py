"""message.*: whether the message is one receivers can read (RFC 5322, MIME)."""

from __future__ import annotations

import email.utils
import re
from email.message import Message

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.message.parse import MAX_LINE, ParsedMessage, addresses
from mailcheck.model import Check

# RFC 5322 §3.6: the fields a message carries at most once.
SINGLE_INSTANCE = ("date", "from", "sender", "reply-to", "to", "cc", "bcc", "message-id", "in-reply-to", "references", "subject")
# Gmail clips a message's body in the web view past this size.
GMAIL_CLIP = 102 * 1024
_EIGHT_BIT = re.compile(rb"[\x80-\xff]")
_MSG_ID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")
_BOUNDARY_DEFECTS = (
    "StartBoundaryNotFoundDefect",
    "CloseBoundaryNotFoundDefect",
    "MultipartInvariantViolationDefect",
    "NoBoundaryInMultipartDefect",
)

INPUT = CheckSpec(
    id="message.input",
    title="The input is an email message",
    verifies="That the input is an RFC 5322 message: header fields, an empty line, a body; not binary data, not empty, not a body alone.",
    why="Nothing else can be judged about input that is not a message; a saved web page or an attachment is a common mistake.",
    example=Example(
        bad="Hello,\nthis is only the text of the mail.",
        good="From: a@example.com\nSubject: Hello\n\nHello,\nthis is the text of the mail.",
        why="A message starts with its header fields; the body follows the first empty line.",
    ),
    refs=("RFC 5322 §2.1",),
)
FROM = CheckSpec(
    id="message.from",
    title="One From field with one address",
    verifies="That the message has exactly one From field and that it names exactly one mailbox with a domain.",
    why="DMARC and the providers' rules judge the From domain; Gmail rejects messages with no From or several addresses in it.",
    example=Example(
        bad="From: a@example.com, b@example.com",
        good="From: Example News <news@example.com>",
        why="One author address gives DMARC one domain to evaluate.",
    ),
    refs=("RFC 5322 §3.6.2", "RFC 7489 §6.6.1", "https://support.google.com/a/answer/81126"),
)
MESSAGE_ID = CheckSpec(
    id="message.message-id",
    title="A valid Message-ID",
    verifies="That the message carries one Message-ID field of the form <left@right>.",
    why="Gmail rejects messages without a valid Message-ID (550 5.7.1), and threading and deduplication depend on it.",
    example=Example(
        bad="(no Message-ID field)",
        good="Message-ID: <20260301120000.4f2a@mail.example.com>",
        why="A unique id with the sending host on the right of the @.",
    ),
    refs=("RFC 5322 §3.6.4", "https://support.google.com/a/answer/81126"),
)
DATE = CheckSpec(
    id="message.date",
    title="A valid Date",
    verifies="That the message has one Date field in the RFC 5322 date-time format.",
    why="Date is a required field; a missing or unreadable one is a classic spam signal and breaks sorting in the mailbox.",
    example=Example(
        bad="Date: 2026-03-01 12:00",
        good="Date: Sun, 01 Mar 2026 12:00:00 +0000",
        why="RFC 5322 dates name the weekday, day, month, year, time and zone.",
    ),
    refs=("RFC 5322 §3.6.1",),
)
HEADERS = CheckSpec(
    id="message.headers",
    title="Single-instance header fields appear once",
    verifies="That Date, From, Sender, Reply-To, To, Cc, Bcc, Message-ID, In-Reply-To, References and Subject appear at most once, and every header line is a field.",
    why="Receivers disagree on which copy of a doubled field counts, which is how spoofing slips past DMARC; Gmail rejects such messages.",
    example=Example(
        bad="Subject: Invoice\nSubject: Your account is locked",
        good="Subject: Invoice",
        why="One Subject leaves no doubt which one the reader sees.",
    ),
    refs=("RFC 5322 §3.6", "https://support.google.com/a/answer/81126"),
)
LINE_LENGTH = CheckSpec(
    id="message.line-length",
    title="No line over 998 characters",
    verifies="That no line of the message, header or body, is longer than 998 characters before its CRLF.",
    why="Longer lines break the protocol limit: servers cut or reject them, and a cut line breaks the DKIM signature.",
    example=Example(
        bad="<html>... 5,000 characters of HTML on one line ...",
        good="Content-Transfer-Encoding: quoted-printable (lines folded at 76 characters)",
        why="Quoted-printable or base64 keeps every line short however long the HTML is.",
    ),
    refs=("RFC 5322 §2.1.1",),
)
ENCODING = CheckSpec(
    id="message.encoding",
    title="8-bit text only where declared",
    verifies="That header fields are ASCII (or encoded words) and that 8-bit body bytes come with MIME and a Content-Transfer-Encoding that allows them.",
    why="Raw 8-bit bytes in headers or in an undeclared body are read differently by each receiver, or rejected without SMTPUTF8.",
    example=Example(
        bad="Subject: Réunion",
        good="Subject: =?UTF-8?Q?R=C3=A9union?=",
        why="An RFC 2047 encoded word carries the accent in ASCII.",
    ),
    refs=("RFC 2047 §2", "RFC 6532 §3", "RFC 2045 §6"),
)
SIZE = CheckSpec(
    id="message.size",
    title="Message size",
    verifies="The message's size, whether it was cut at --max-size, and whether its HTML exceeds the 102 KB after which Gmail clips it.",
    why="Gmail hides everything after 102 KB behind a link, often including the unsubscribe link; a cut input cannot be fully verified.",
    example=Example(
        bad="text/html part of 180 KB (inline CSS, base64 images)",
        good="text/html part of 60 KB, images linked",
        why="Below Gmail's clipping point the whole message, footer included, is shown.",
    ),
    refs=("https://support.google.com/mail/answer/7588",),
)
MIME = CheckSpec(
    id="message.mime",
    title="The MIME tree is readable",
    verifies="That multipart boundaries open and close, and each part has a readable type, so the parts a reader sees are the ones sent.",
    why="A broken boundary makes receivers show raw MIME or drop parts, and content filters treat it as an evasion attempt.",
    example=Example(
        bad='Content-Type: multipart/alternative; boundary="b1"  (body never has --b1--)',
        good='Content-Type: multipart/alternative; boundary="b1"  ... --b1 ... --b1--',
        why="Every part opens with --b1 and the last closes with --b1--.",
    ),
    refs=("RFC 2046 §5.1.1",),
)


def format_checks(message: ParsedMessage, subject: str) -> list[Check]:
    return [
        _from_check(message, subject),
        _message_id_check(message, subject),
        _date_check(message, subject),
        _headers_check(message, subject),
        _line_check(message, subject),
        _encoding_check(message, subject),
        _size_check(message, subject),
        _mime_check(message, subject),
    ]


def not_a_message(subject: str, reason: str) -> Check:
    return INPUT.fail(
        subject,
        f"not an email message: {reason}",
        details={"reason": reason},
        fix="Give the message as saved from the mailbox (.eml, 'Show original' / 'View source'), headers included.",
    )


def _from_check(message: ParsedMessage, subject: str) -> Check:
    values = message.all("from")
    if not values:
        return FROM.fail(subject, "no From field", details={"count": 0}, fix="Add a From field with the sending address.")
    if len(values) > 1:
        return FROM.fail(
            subject,
            f"{len(values)} From fields: {'; '.join(values)}",
            details={"count": len(values), "values": values},
            fix="Keep exactly one From field.",
        )
    found = [addr for _, addr in addresses(values[0]) if addr]
    details = {"count": 1, "value": values[0], "addresses": found}
    if len(found) != 1:
        return FROM.fail(
            subject,
            f"From names {len(found)} addresses ({values[0]}); DMARC needs exactly one",
            details=details,
            fix="Name one author address in From (use Reply-To for others).",
        )
    if "@" not in found[0]:
        return FROM.fail(
            subject, f"From address {found[0]!r} has no domain", details=details, fix="Use a full address, local@domain."
        )
    return FROM.ok(subject, f"From: {found[0]}", details=details)


def _message_id_check(message: ParsedMessage, subject: str) -> Check:
    values = message.all("message-id")
    if not values:
        return MESSAGE_ID.fail(
            subject,
            "no Message-ID field (Gmail replies 550 5.7.1)",
            details={"count": 0},
            fix="Let the sending server or library add Message-ID: <unique@your-host>.",
        )
    value = values[0].strip()
    if not _MSG_ID.match(value):
        return MESSAGE_ID.fail(
            subject,
            f"Message-ID {value!r} is not <left@right>",
            details={"value": value},
            fix="Generate Message-ID as <unique@your-host>.",
        )
    return MESSAGE_ID.ok(subject, f"Message-ID {value}", details={"value": value})


def _date_check(message: ParsedMessage, subject: str) -> Check:
    value = message.first("date")
    if value is None:
        return DATE.fail(subject, "no Date field", details={}, fix="Add a Date field when the message is sent.")
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        when = None
    if when is None:
        return DATE.fail(
            subject,
            f"Date {value!r} is not an RFC 5322 date",
            details={"value": value},
            fix="Write Date as e.g. 'Sun, 01 Mar 2026 12:00:00 +0000'.",
        )
    return DATE.ok(subject, f"Date {value}", details={"value": value, "iso": when.isoformat()})


def _headers_check(message: ParsedMessage, subject: str) -> Check:
    counts: dict[str, int] = {}
    for header in message.headers:
        counts[header.name.lower()] = counts.get(header.name.lower(), 0) + 1
    doubled = {name: n for name, n in counts.items() if name in SINGLE_INSTANCE and n > 1}
    details = {"fields": len(message.headers), "repeated": doubled, "stray_lines": list(message.stray_lines)}
    if doubled:
        shown = ", ".join(f"{name} ×{n}" for name, n in doubled.items())
        return HEADERS.fail(
            subject,
            f"single-instance fields repeated: {shown}",
            details=details,
            fix="Keep one of each; the sending code probably adds the field twice.",
        )
    if message.stray_lines:
        return HEADERS.fail(
            subject,
            f"{len(message.stray_lines)} header lines are not fields, first {message.stray_lines[0]!r}",
            details=details,
            fix="Fold continuation lines with a leading space, or remove the stray lines.",
        )
    return HEADERS.ok(subject, f"{len(message.headers)} header fields, each single-instance one once", details=details)


def _line_check(message: ParsedMessage, subject: str) -> Check:
    details = {"longest": message.longest_line, "limit": MAX_LINE, "long_lines": list(message.long_lines)}
    if message.long_lines:
        return LINE_LENGTH.fail(
            subject,
            f"{len(message.long_lines)} lines over {MAX_LINE} characters (longest {message.longest_line})",
            details=details,
            fix="Encode the part quoted-printable or base64, or fold long header fields.",
        )
    return LINE_LENGTH.ok(subject, f"longest line {message.longest_line} characters", details=details)


def _encoding_check(message: ParsedMessage, subject: str) -> Check:
    eight_bit = [h.name for h in message.headers if _EIGHT_BIT.search(h.raw)]
    is_mime = message.first("mime-version") is not None
    body_8bit = _EIGHT_BIT.search(message.body) is not None
    declared = {part.get("content-transfer-encoding", "7bit").strip().lower() for part in message.tree.walk()}
    details = {"eight_bit_headers": eight_bit, "mime": is_mime, "eight_bit_body": body_8bit}
    if eight_bit:
        return ENCODING.warn(
            subject,
            f"raw 8-bit bytes in {', '.join(eight_bit)}; only SMTPUTF8 receivers read them",
            details=details,
            fix="Encode non-ASCII header text as RFC 2047 encoded words (=?UTF-8?...?=).",
        )
    if body_8bit and (not is_mime or not declared & {"8bit", "binary"}):
        why = "without MIME" if not is_mime else "without Content-Transfer-Encoding: 8bit"
        return ENCODING.warn(
            subject,
            f"8-bit bytes in the body {why}",
            details=details,
            fix="Declare MIME-Version: 1.0 and a charset, and encode the body quoted-printable or base64.",
        )
    return ENCODING.ok(subject, "headers are ASCII; the body's encoding is declared", details=details)


def _size_check(message: ParsedMessage, subject: str) -> Check:
    html = max((_part_size(part) for part in message.tree.walk() if part.get_content_type() == "text/html"), default=0)
    details = {
        "size": message.size,
        "read": len(message.data),
        "truncated": message.truncated,
        "html_size": html,
        "gmail_clip": GMAIL_CLIP,
    }
    if message.truncated:
        return SIZE.warn(
            subject,
            f"message of {message.size:,} bytes cut at {len(message.data):,} (--max-size): body checks see only the start",
            details=details,
            fix="Raise --max-size to verify the whole message.",
        )
    if html > GMAIL_CLIP:
        return SIZE.warn(
            subject,
            f"HTML part of {html // 1024} KB: Gmail clips it after 102 KB",
            details=details,
            fix="Shrink the HTML (link images, trim inline CSS) below 102 KB.",
        )
    return SIZE.ok(subject, f"{message.size:,} bytes", details=details)


def _part_size(part: Message) -> int:
    payload = part.get_payload(decode=True)
    return len(payload) if isinstance(payload, bytes) else 0


def _mime_check(message: ParsedMessage, subject: str) -> Check:
    defects = [type(defect).__name__ for part in message.tree.walk() for defect in part.defects]
    parts = [{"type": part.get_content_type(), "depth": _depth(message.tree, part)} for part in message.tree.walk()]
    details = {"parts": len(parts), "defects": defects, "tree": parts}
    broken = [d for d in defects if d in _BOUNDARY_DEFECTS]
    if broken:
        return MIME.fail(
            subject,
            f"broken MIME structure: {', '.join(dict.fromkeys(broken))}",
            details=details,
            fix="Check that the boundary in Content-Type matches the --boundary lines and that the last part ends with --boundary--.",
        )
    if defects:
        return MIME.warn(
            subject,
            f"MIME defects: {', '.join(dict.fromkeys(defects))}",
            details=details,
            fix="Generate the message with a MIME library rather than by hand.",
        )
    return MIME.ok(subject, f"{len(parts)} MIME parts, {message.tree.get_content_type()}", details=details)


def _depth(root: Message, wanted: Message, depth: int = 0) -> int:
    if root is wanted:
        return depth
    payload = root.get_payload() if root.is_multipart() else None
    for child in payload if isinstance(payload, list) else []:
        if not isinstance(child, Message):
            continue
        found = _depth(child, wanted, depth + 1)
        if found >= 0:
            return found
    return -1
