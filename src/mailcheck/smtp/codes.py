"""SMTP replies: the 3-digit code (RFC 5321 §4.2), the enhanced status code (RFC 3463,
IANA "SMTP Enhanced Status Codes" registry), and what a reply means for a mailbox.

Public API (stable, shared with other checks):

- ``Reply(code, lines)``: one parsed reply; ``.text``, ``.enhanced``, ``.is_positive``
  (2xx only), ``.is_intermediate`` (3xx), ``.is_transient``, ``.is_permanent``,
  ``.short()`` ("550 5.1.1 User unknown").
- ``parse_enhanced(text) -> EnhancedCode | None``.
- ``describe_code(code)`` and ``describe_enhanced(enhanced)``: the registry's words.
- ``classify(reply) -> Classification``: kind (``Kind``) + words a person can act on.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

# class.subject.detail: class 2/4/5, subject up to 3 digits, detail up to 3 (RFC 3463 §2).
_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)")


@dataclass(frozen=True)
class EnhancedCode:
    klass: int
    subject: int
    detail: int

    def __str__(self) -> str:
        return f"{self.klass}.{self.subject}.{self.detail}"


@dataclass(frozen=True)
class Reply:
    """One SMTP reply: its code and the text of each of its lines (code stripped)."""

    code: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """The reply's text, enhanced codes of continuation lines removed, one line."""
        enhanced = self.enhanced
        parts = []
        for line in self.lines:
            if enhanced is not None and line.startswith(str(enhanced)):
                line = line[len(str(enhanced)) :].lstrip()
            parts.append(line)
        return " ".join(p for p in parts if p)

    @property
    def enhanced(self) -> EnhancedCode | None:
        # RFC 3463 §3: the code leads the text; its class must match the reply's.
        found = parse_enhanced(self.lines[0]) if self.lines else None
        if found is not None and found.klass != self.code // 100:
            return None
        return found

    @property
    def is_positive(self) -> bool:
        """2xx, positive completion: the command was done (accepted, at RCPT).

        A 3xx is not: it is an intermediate reply (RFC 5321 §4.2.1) that only DATA and
        AUTH expect, and a probe sends neither; anywhere else it is a protocol error.
        """
        return 200 <= self.code < 300

    @property
    def is_intermediate(self) -> bool:
        return 300 <= self.code < 400

    @property
    def is_transient(self) -> bool:
        return 400 <= self.code < 500

    @property
    def is_permanent(self) -> bool:
        return self.code >= 500

    def short(self) -> str:
        """'550 5.1.1 User unknown', whole: the text report wraps it, never cuts it."""
        head = f"{self.code} {self.enhanced} " if self.enhanced else f"{self.code} "
        return head + self.text


def parse_enhanced(text: str) -> EnhancedCode | None:
    match = _ENHANCED.match(text.strip())
    if not match:
        return None
    return EnhancedCode(*(int(g) for g in match.groups()))


# RFC 5321 §4.2.2 and §4.2.3, in words.
REPLY_CODES: dict[int, str] = {
    211: "system status",
    214: "help message",
    220: "service ready",
    221: "closing connection",
    250: "requested action completed",
    251: "user not local; will forward",
    252: "cannot verify the user, but will accept and attempt delivery",
    354: "start mail input",
    421: "service not available, closing the connection",
    450: "mailbox unavailable (busy or temporarily blocked)",
    451: "local error in processing; action aborted",
    452: "insufficient system storage",
    454: "TLS not available",
    455: "server unable to accommodate parameters",
    500: "syntax error, command unrecognized",
    501: "syntax error in parameters or arguments",
    502: "command not implemented",
    503: "bad sequence of commands",
    504: "command parameter not implemented",
    521: "host does not accept mail",
    530: "authentication or STARTTLS required",
    550: "mailbox unavailable (not found, no access, or refused by policy)",
    551: "user not local",
    552: "exceeded storage allocation",
    553: "mailbox name not allowed",
    554: "transaction failed",
    555: "MAIL FROM/RCPT TO parameters not recognized",
    556: "domain does not accept mail",
}

_CLASSES = {2: "success", 4: "persistent transient failure", 5: "permanent failure"}

_SUBJECTS = {
    0: "other or undefined status",
    1: "addressing",
    2: "mailbox",
    3: "mail system",
    4: "network and routing",
    5: "mail delivery protocol",
    6: "message content or media",
    7: "security or policy",
}

# The IANA registry of enhanced status codes (RFC 3463, 3886, 4468, 4865, 4954, 5248,
# 6531, 6710, 7293, 7372, 7504, 7505, 8098), keyed by (subject, detail).
ENHANCED_CODES: dict[tuple[int, int], str] = {
    (0, 0): "other undefined status",
    (1, 0): "other address status",
    (1, 1): "bad destination mailbox address (mailbox unknown)",
    (1, 2): "bad destination system address (domain unknown)",
    (1, 3): "bad destination mailbox address syntax",
    (1, 4): "destination mailbox address ambiguous",
    (1, 5): "destination address valid",
    (1, 6): "destination mailbox has moved, no forwarding address",
    (1, 7): "bad sender's mailbox address syntax",
    (1, 8): "bad sender's system address",
    (1, 9): "message relayed to non-compliant mailer",
    (1, 10): "recipient address has null MX",
    (2, 0): "other or undefined mailbox status",
    (2, 1): "mailbox disabled, not accepting messages",
    (2, 2): "mailbox full",
    (2, 3): "message length exceeds administrative limit",
    (2, 4): "mailing list expansion problem",
    (3, 0): "other or undefined mail system status",
    (3, 1): "mail system full",
    (3, 2): "system not accepting network messages",
    (3, 3): "system not capable of selected features",
    (3, 4): "message too big for system",
    (3, 5): "system incorrectly configured",
    (3, 6): "requested priority was changed",
    (4, 0): "other or undefined network or routing status",
    (4, 1): "no answer from host",
    (4, 2): "bad connection",
    (4, 3): "directory server failure",
    (4, 4): "unable to route",
    (4, 5): "mail system congestion",
    (4, 6): "routing loop detected",
    (4, 7): "delivery time expired",
    (5, 0): "other or undefined protocol status",
    (5, 1): "invalid command",
    (5, 2): "syntax error",
    (5, 3): "too many recipients",
    (5, 4): "invalid command arguments",
    (5, 5): "wrong protocol version",
    (5, 6): "authentication exchange line is too long",
    (6, 0): "other or undefined media error",
    (6, 1): "media not supported",
    (6, 2): "conversion required and prohibited",
    (6, 3): "conversion required but not supported",
    (6, 4): "conversion with loss performed",
    (6, 5): "conversion failed",
    (6, 6): "message content not available",
    (6, 7): "non-ASCII addresses not permitted for that sender/recipient",
    (6, 8): "UTF-8 string reply is required, but not permitted by the SMTP client",
    (6, 9): "UTF-8 header message cannot be transferred to one or more recipients",
    (7, 0): "other or undefined security status",
    (7, 1): "delivery not authorized, message refused",
    (7, 2): "mailing list expansion prohibited",
    (7, 3): "security conversion required but not possible",
    (7, 4): "security features not supported",
    (7, 5): "cryptographic failure",
    (7, 6): "cryptographic algorithm not supported",
    (7, 7): "message integrity failure",
    (7, 8): "authentication credentials invalid",
    (7, 9): "authentication mechanism is too weak",
    (7, 10): "encryption needed",
    (7, 11): "encryption required for requested authentication mechanism",
    (7, 12): "a password transition is needed",
    (7, 13): "user account disabled",
    (7, 14): "trust relationship required",
    (7, 15): "priority level is too low",
    (7, 16): "message is too big for the specified priority",
    (7, 17): "mailbox owner has changed",
    (7, 18): "domain owner has changed",
    (7, 19): "RRVS test cannot be completed",
    (7, 20): "no passing DKIM signature found",
    (7, 21): "no acceptable DKIM signature found",
    (7, 22): "no valid author-matched DKIM signature found",
    (7, 23): "SPF validation failed",
    (7, 24): "SPF validation error",
    (7, 25): "reverse DNS validation failed",
    (7, 26): "multiple authentication checks failed",
    (7, 27): "sender address has null MX",
    (7, 28): "mail flood detected",
    (7, 29): "ARC validation failure",
    (7, 30): "REQUIRETLS support required",
}


def describe_code(code: int) -> str:
    if code in REPLY_CODES:
        return REPLY_CODES[code]
    family = {2: "positive completion", 3: "positive intermediate", 4: "transient negative", 5: "permanent negative"}
    return f"{family.get(code // 100, 'unknown')} reply"


def describe_enhanced(enhanced: EnhancedCode) -> str:
    """The registry's words for the code; subject and class words when the detail is new."""
    words = ENHANCED_CODES.get((enhanced.subject, enhanced.detail))
    if words is None:
        subject = _SUBJECTS.get(enhanced.subject, "unknown subject")
        words = f"{subject} (detail {enhanced.detail} is not in the registry)"
    return f"{_CLASSES.get(enhanced.klass, 'unknown class')}: {words}"


class Kind(str, enum.Enum):
    """What a reply means for the mailbox, in the terms a sender acts on."""

    ACCEPTED = "accepted"
    MAILBOX_UNKNOWN = "mailbox unknown"
    MAILBOX_DISABLED = "mailbox disabled"
    MAILBOX_FULL = "mailbox full"
    POLICY_BLOCK = "refused by policy"
    STARTTLS_REQUIRED = "STARTTLS required"
    RATE_LIMITED = "rate limited"
    GREYLISTED = "greylisted"
    TEMPORARY = "temporary failure"
    PERMANENT = "permanent failure"
    PROTOCOL_ERROR = "protocol error"


@dataclass(frozen=True)
class Classification:
    kind: Kind
    words: str  # short: "mailbox unknown", "refused by policy or reputation"
    explanation: str  # a sentence for details and fixes


_GREYLIST_WORDS = re.compile(r"grey|gray", re.IGNORECASE)
_LATER_WORDS = re.compile(r"try again|retry|later|temporar|deferr", re.IGNORECASE)
_UNKNOWN_WORDS = re.compile(
    r"user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|doesn't exist|"
    r"not found|unknown recipient|recipient unknown|invalid recipient|mailbox unavailable",
    re.IGNORECASE,
)


def classify(reply: Reply) -> Classification:
    """What the reply says about the mailbox; 5.7.x is always the sender, never the address."""
    enhanced = reply.enhanced
    subject_detail = (enhanced.subject, enhanced.detail) if enhanced else None
    if reply.is_positive:
        return Classification(Kind.ACCEPTED, "accepted", "the server accepted the command")
    if not (reply.is_transient or reply.is_permanent):
        # 3xx (or a code outside 2xx-5xx): neither acceptance nor refusal of a command a
        # probe sends; it says nothing about the mailbox (RFC 5321 §4.2.1).
        return Classification(
            Kind.PROTOCOL_ERROR,
            "unexpected reply (protocol error)",
            "the server answered with a reply that is neither acceptance (2xx) nor refusal (4xx/5xx); "
            "this says nothing about the address",
        )
    lowered = reply.text.lower()
    # 530 also means "authentication required" (RFC 4954); 5.7.0 without AUTH words is TLS.
    if (reply.code == 530 and ("tls" in lowered or "auth" not in lowered)) or subject_detail == (7, 10):
        return Classification(
            Kind.STARTTLS_REQUIRED,
            "STARTTLS required",
            "the server refuses to go on until the session is encrypted with STARTTLS",
        )
    if subject_detail == (2, 2) or (reply.code == 452 and subject_detail is None and "full" in lowered):
        return Classification(Kind.MAILBOX_FULL, "mailbox full", "the mailbox is over its quota")
    if subject_detail == (2, 1):
        return Classification(Kind.MAILBOX_DISABLED, "mailbox disabled", "the mailbox exists but is disabled and accepts no mail")
    if reply.code in (450, 451) and (
        _GREYLIST_WORDS.search(reply.text) or (_LATER_WORDS.search(reply.text) and (enhanced is None or enhanced.subject != 7))
    ):
        return Classification(
            Kind.GREYLISTED,
            "greylisted",
            "the server defers first attempts from unknown senders; a real MTA retries after minutes",
        )
    if subject_detail is not None and subject_detail[0] == 7:
        if reply.is_transient:
            return Classification(
                Kind.RATE_LIMITED,
                "rate limited or temporarily blocked",
                "the server is throttling or temporarily blocking the sending IP or sender; this says nothing about the address",
            )
        return Classification(
            Kind.POLICY_BLOCK,
            "refused by policy or reputation",
            "the server refused the sender (its IP, name or reputation), not the address; "
            "this does not mean the address does not exist",
        )
    if reply.code == 421:
        return Classification(
            Kind.RATE_LIMITED,
            "rate limited, connection closed",
            "the server closed the session (421), usually because of rate limits or load",
        )
    if reply.is_transient:
        return Classification(Kind.TEMPORARY, "temporary failure", "the server deferred the command")
    if subject_detail == (1, 1) or (subject_detail is None and reply.code == 550 and _UNKNOWN_WORDS.search(reply.text)):
        return Classification(Kind.MAILBOX_UNKNOWN, "mailbox unknown", "the server says the mailbox does not exist")
    return Classification(Kind.PERMANENT, "permanent failure", "the server refused the command permanently")


def decode(reply: Reply) -> str:
    """'550 (mailbox unavailable ...), 5.1.1 (permanent failure: bad destination ...)'."""
    text = f"{reply.code} ({describe_code(reply.code)})"
    if reply.enhanced:
        text += f", {reply.enhanced} ({describe_enhanced(reply.enhanced)})"
    return text


_RETRY_AFTER = re.compile(
    r"(?:in|after|wait(?:ing)?|for)\s+(\d+)\s*(seconds?|secs?|s\b|minutes?|mins?|m\b|hours?|h\b)", re.IGNORECASE
)


def retry_hint(reply: Reply) -> str:
    """When the server says to come back, in its words, or the usual greylisting window."""
    match = _RETRY_AFTER.search(reply.text)
    if match:
        number, unit = int(match.group(1)), match.group(2).lower()
        seconds = number * (3600 if unit.startswith("h") else 60 if unit.startswith("m") else 1)
        return f"the server asks to retry after {seconds} s"
    if classify(reply).kind is Kind.MAILBOX_FULL:
        return "the mailbox is over quota: a retry succeeds only once its owner makes room"
    return "greylisting windows are usually 1 to 15 minutes: retry later, not at once (e.g. --retry-greylist 300)"
