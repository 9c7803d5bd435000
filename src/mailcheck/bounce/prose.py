"""Bounces written as prose: qmail, Exim, Exchange, Gmail and the rest that send no
RFC 3464 part (or send one and say more in the text). Each MTA family is a small table:
the phrases that sign its notices, where its per-recipient part begins, and where its
returned copy of the original message begins. One reader then takes the recipients
and their reply text from between the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailcheck.bounce.parse import address_in


@dataclass(frozen=True)
class Family:
    name: str
    # Words only this MTA's notices carry (matched on From, Subject and the notice text).
    signs: re.Pattern[str]
    # Where the returned original (or its headers) begins in this MTA's notice.
    copy_starts: re.Pattern[str]
    # The reason its notices mean when their text names none (a Google Groups notice:
    # the group refused the post, whatever language it is written in).
    default_reason: str | None = None


def _signs(*phrases: str) -> re.Pattern[str]:
    """Lower-case phrases, matched against lower-cased text (faster than re.I)."""
    return re.compile("|".join(phrases), re.M)


def _any(*phrases: str) -> re.Pattern[str]:
    return re.compile("|".join(p.replace("^", "^[ \t]*", 1) if p.startswith("^") else p for p in phrases), re.I | re.M)


FAMILIES: tuple[Family, ...] = (
    Family(
        "qmail",
        _signs(r"this is the qmail-send program", r"\(#[45]\.\d+\.\d+\)", r"qmail-\w+"),
        _any(r"^--- below this line is a copy of the message", r"^--- enclosed are the original headers"),
    ),
    Family(
        "postfix",
        _signs(r"this is the mail system at host", r"^the mail system\s*$", r"\(postfix\)", r"postfix program"),
        _any(r"^-+ ?(?:the )?(?:original|undelivered) message", r"^content-description: undelivered message"),
    ),
    Family(
        "exim",
        _signs(
            r"this message was created automatically by mail delivery software",
            r"could not be delivered to one or more of its\s+recipients",
            r"^x-failed-recipients:",
            r"\bexim\b",
        ),
        _any(r"^-+ this is a copy of the message", r"^-+ the header of the original message", r"^-+ original message"),
    ),
    Family(
        "sendmail",
        _signs(
            r"-+ ?transcript of session follows ?-+",
            r"the original message was received at",
            r"^-+ the following addresses had permanent fatal errors",
        ),
        _any(r"^-+ ?(?:original message|returned mail|unsent message) follows", r"^-+ below this line is a copy"),
    ),
    Family(
        "exchange",
        _signs(
            r"microsoft exchange",
            r"your message did not reach some or all of the intended recipients",
            r"the following recipient\(s\) could not be reached",
            r"delivery has failed to these recipients or groups",
            r"diagnostic information for administrators",
            r"office ?365",
            r"outlook\.com",
        ),
        _any(r"^original message headers:", r"^-+ ?original message"),
    ),
    Family(
        "googlegroups",
        _signs(r"groups\.google\.com/support", r"^x-failed-recipients:.*@googlegroups\.com"),
        _any(r"^-+ ?original message ?-+"),
        "rejected",
    ),
    Family(
        "gmail",
        _signs(
            r"delivery to the following recipients? failed",
            r"mail delivery subsystem <mailer-daemon@(?:googlemail|google)\.com>",
            r"technical details of (?:permanent|temporary) failure",
            r"google tried to deliver",
            r"the email account that you tried to reach",
        ),
        _any(r"^-+ ?original message ?-+", r"^-+ forwarded message"),
    ),
    Family(
        "yahoo",
        _signs(
            r"sorry, we were unable to deliver your message to the following address", r"yahoo!? mail", r"mta\d*\.\w+\.yahoo\.com"
        ),
        _any(r"^--- below this line is a copy of the message"),
    ),
    Family("amazonses", _signs(r"amazonses\.com", r"amazon ses", r"x-ses-outgoing"), _any(r"^-+ ?original message")),
    Family(
        "courier", _signs(r"courier mail server", r"this is a delivery status notification from"), _any(r"^-+ original message")
    ),
    Family(
        "opensmtpd",
        _signs(
            r"this is the mailer-daemon at",
            r"an error has occurred while attempting to deliver a message for the following list of recipients",
        ),
        _any(r"^below is a copy of the original message"),
    ),
    # Verizon Wireless's gateway for mail to phones (vtext.com, vzwpix.com).
    Family("verizon", _signs(r"@vtext\.com", r"@vzwpix\.com"), _any(r"^-+ ?original message")),
    Family("domino", _signs(r"lotus (?:notes|domino)", r"was not delivered to:"), _any(r"^-+ ?original message")),
)

# Where a returned copy begins whatever the MTA: no recipient is read past it.
_ANY_COPY = _any(
    r"^-+ ?(?:below this line is a )?copy of (?:the )?(?:original )?message",
    r"^-+ ?(?:original|returned|unsent|undelivered) message",
    r"^-+ ?(?:the )?(?:header|headers) of (?:the )?original message",
    r"^original message headers:",
    r"^-+ ?enclosed (?:are|is) the original",
    r"^content-type: message/rfc822",
    r"^(?:message headers|original message) follows",
    r"^-* ?bounced e-?mail:?\s*$",
)

# A recipient line: the address leads the line (maybe after a label, a reply code, or
# inside <>), followed by nothing, a colon, "...", "on DATE" or the reply.
_RECIPIENT_LINE = re.compile(
    r"^\s*(?:(?:in:\s+)?(?:recipient|recipients|address|addresses|original-recipient|final-recipient|rcpt to|failed recipient)s?\s*:\s*)?"
    r"(?P<code>[245]\d\d[ -](?:[245]\.\d+\.\d+\s+)?)?"
    # A display name may lead the address, but "from a@b" or "by a@b" names the sender.
    r"(?:\"[^\"]*\"\s*|(?!(?:from|by|sender)\s)[^<>@\s:]+\s+)?<?(?:mailto:)?(?P<address>[^\s<>()\"',;:@]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>?"
    r"(?P<rest>\s*(?:$|:.*|\.\.\..*|;.*|\s+on\s.*|\s*\(.*|\s*\[.*|\s+orcpt=.*|\s+-+.*|\s+[\w ,]*?(?:failed|error|unknown|invalid|not|rejected|said)\b.*))",
    re.I,
)
# A recipient named inside a sentence: "could not be delivered to: <a@b>", "There was an
# error delivering your mail to <a@b>.", "Unknown user: a@b", "The following recipients
# returned permanent errors: a@b."
_SENTENCE_RECIPIENT = re.compile(
    r"(?P<lead>(?:deliver\w*|sent|recipients?|address(?:es)?|user|mailbox|account)\b[^@\n]{0,80}?)"
    r"(?:\bto\b|:)\s*<?(?:mailto:)?(?P<address>[^\s<>()\"',;:@]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>?(?P<rest>.*)$",
    re.I,
)
_DELAY_WORDS = re.compile(
    r"will (?:continue to |keep )?(?:try|trying|retry)|not yet been delivered|has not yet|this is a warning message only|"
    r"delivery attempts will continue|still (?:being )?(?:retried|trying)|no action is required|delayed|"
    r"temporary failure|message will be retried|warning: message",
    re.I,
)
_SENDER_WORDS = re.compile(r"mailer-daemon$", re.I)
# A notice's own headline saying the address itself was refused (Gmail's "Address not
# found", Verizon's "Invalid user address"): the reply it quotes answered the address.
_ADDRESS_REFUSED = re.compile(
    r"\*\* ?address not found ?\*\*|the address couldn'?t be found|^\s*error: invalid user address", re.I | re.M
)


@dataclass(frozen=True)
class ProseRecipient:
    address: str
    text: str


def default_reason(family: str | None) -> str | None:
    return next((f.default_reason for f in FAMILIES if f.name == family), None)


def family_of(signature: str) -> str | None:
    lowered = signature.lower()
    for family in FAMILIES:
        if family.signs.search(lowered):
            return family.name
    return None


# The label under which a notice quotes the receiver's reply, and the reply after it.
_QUOTED_REPLY = re.compile(
    r"^[ \t]*(?:error message below|the response was|the error that the other server returned was|"
    r"remote server replied|the remote server (?:said|responded))[ \t]*:?[ \t]*\n+((?:[ \t]*\S[^\n]*(?:\n|$))+)",
    re.I | re.M,
)


def quoted_reply(notice: str) -> str:
    """The reply a notice quotes under its label ('' if none, or if it holds no code)."""
    match = _QUOTED_REPLY.search(notice)
    if match is None or not re.match(r"\s*[245]\d\d\b", match.group(1)):
        return ""
    return match.group(1).strip()


def says_address_refused(text: str) -> bool:
    return bool(_ADDRESS_REFUSED.search(text))


def looks_delayed(text: str) -> bool:
    return bool(_DELAY_WORDS.search(text))


def notice_part(text: str, family: str | None) -> str:
    """The notice up to where the returned copy starts."""
    return text[: _copy_start(text, family)]


def copy_part(text: str, family: str | None) -> str:
    """The returned copy written into the text (after its marker line), '' if none."""
    start = _copy_start(text, family)
    rest = text[start:].split("\n", 1)
    return rest[1].lstrip("\n") if start < len(text) and len(rest) == 2 else ""


def _copy_start(text: str, family: str | None) -> int:
    patterns = [_ANY_COPY]
    patterns += [f.copy_starts for f in FAMILIES if f.name == family]
    end = len(text)
    for pattern in patterns:
        match = pattern.search(text)
        if match is not None:
            end = min(end, match.start())
    return end


def prose_recipients(notice: str, own_addresses: frozenset[str]) -> list[ProseRecipient]:
    """Each recipient line and the reply text that follows it, up to the next one."""
    lines = notice.split("\n")
    found: dict[str, list[str]] = {}
    current: str | None = None
    blank_run = 0
    # A transcript's reply before any recipient line (sendmail's "<<< 550 ..." to MAIL
    # FROM, which refused every recipient): the first recipient's reply.
    early_replies: list[str] = []
    for line in lines:
        match = _RECIPIENT_LINE.match(line)
        lead = ""
        if match is None:
            match = _SENTENCE_RECIPIENT.search(line)
            lead = match.group("lead") if match is not None else ""
        if match is not None:
            address = match.group("address").strip(".").lower()
            if address not in own_addresses and not _SENDER_WORDS.match(address.split("@")[0]):
                current = address
                code = match.groupdict().get("code") or ""
                # A sentence keeps its words (the reply may lead it); a line, what follows the address.
                said = line.strip() if lead else code + match.group("rest")
                if not found:
                    found[address] = early_replies
                found.setdefault(address, []).append(said.strip(" :"))
                blank_run = 0
                continue
        if not found and _TRANSCRIPT_ERROR.match(line) and "@" not in line:
            early_replies.append(line.strip())
        if current is None:
            continue
        if not line.strip():
            blank_run += 1
            if blank_run >= 2 and len(found[current]) > 1:
                current = None
            continue
        blank_run = 0
        if len(found[current]) < 12:
            found[current].append(line.strip())
    return [ProseRecipient(address, " ".join(part for part in texts if part)) for address, texts in found.items()]


_TRANSCRIPT_COMMAND = re.compile(r"^\s*>>> (RCPT TO|MAIL FROM|DATA|HELO|EHLO|STARTTLS)\b", re.I | re.M)
_TRANSCRIPT_ERROR = re.compile(r"^\s*<<< [45]\d\d")
_CONNECT_STAGE = re.compile(
    r"after (?:the )?initial connection|(?:greeting|banner|connect(?:ion)?) (?:was )?(?:rejected|refused)|in reply to (?:the )?(?:greeting|banner)",
    re.I,
)


def smtp_command(text: str) -> str:
    """The SMTP command the reply answered, when the notice says (CONNECT: the server
    refused the connection itself, before any command)."""
    if _CONNECT_STAGE.search(text):
        return "CONNECT"
    sent = ""
    for line in text.split("\n"):
        # A sendmail transcript: the command sent last before the first error reply.
        sending = _TRANSCRIPT_COMMAND.match(line)
        if sending is not None:
            sent = sending.group(1).upper()
        elif sent and _TRANSCRIPT_ERROR.match(line):
            # The reply answers the last command sent (">>> DATA" then "<<< 550 ... User
            # unknown" is a refusal of the message, sisimai's filtered, not at RCPT).
            return sent
    if re.search(r"\bSMTP:RCPT\b|\[RCPT_TO\]|did not like our RCPT TO", text):
        return "RCPT TO"  # Exchange's, Yahoo's and DragonFly's own ways of naming it
    said = re.search(r"in reply to (?:end of )?(RCPT TO|MAIL FROM|DATA|HELO|EHLO|STARTTLS|CONNECT)\b", text, re.I)
    if said is None:
        said = re.search(
            r"\b(?:after|response to|for|to)\s+(RCPT TO|MAIL FROM|DATA|HELO|EHLO|end of data|STARTTLS)\b", text, re.I
        )
    if said is None:
        return ""
    command = said.group(1).upper()
    return "DATA" if command == "END OF DATA" else command


def remote_host(text: str) -> str:
    match = re.search(
        r"(?:host|remote host|server)\s+([A-Za-z0-9.-]+\.[A-Za-z]{2,})(?:\s*\[[0-9a-fA-F.:]+\])?\s*(?:said|:)", text, re.I
    )
    return match.group(1).lower() if match else ""


__all__ = ["FAMILIES", "Family", "ProseRecipient", "address_in", "family_of", "looks_delayed", "notice_part", "prose_recipients"]
