"""Receivers' own reply codes: the providers that put a code of their own into the SMTP
reply, or whose words mean one thing only on their servers.

A provider's code is more precise than the RFC 3463 status beside it (Facebook answers
"550 5.1.1 RCP-P2" for a recipient whose preferences refuse the sender, not for a
missing one), so a code found here decides the reason. Each table follows the
provider's published list of codes:

- Orange / La Poste (Wanadoo): ``OFR_506``, ``LPN007_416``, ``OFR004_405 [405]``: the
  last three digits name the cause (Orange's postmaster pages and the field manuals
  that list them).
- Spectrum / Charter: ``AUP#In-1310``, ``AUP#O-1000``: a four-digit code in ranges
  ("understanding email error codes", spectrum.net).
- Facebook: ``RCP-P1``, ``POL-P5``, ...: a three-letter family and a letter P
  (permanent) or T (temporary) with a digit (postmaster.facebook.com/response_codes).
- Mimecast: its documented reply texts ("Host network not allowed" is its geographic
  restriction policy), recognised only when the reply or host names Mimecast.
- NTT docomo and au (KDDI): Japanese mobile carriers that answer "Unknown user" also
  for a recipient whose filter refuses the sender; the command or the form of the
  reply tells which.
- Cox (``AUP#CXBL``, ``AUP#IPBL0001``, ...), GoDaddy (``IB108``, ``IB212``, ...) and
  i.ua (``mail.i.ua/err/2/``): codes from their bounce-code help pages.
- Gmail, Outlook.com / Microsoft 365, Yahoo / AOL, iCloud, Tencent QQ and Zoho: the
  reply texts their postmaster pages document, recognised when the reply, the remote
  host or the reporting host names the provider (Microsoft's texts, distinctive as
  they are, also when relayed by an Exchange server of a customer).
"""

from __future__ import annotations

import re

# Orange's codes: a label (OFR, LPN, LPNAAA, OUK), maybe a group number, then three
# digits ("OFR_506", "LPN007_416", "OFR004_405", "LPN416").
_ORANGE_CODE = re.compile(r"\b(?:ofr|lpn|lpnaaa|ouk)(?:\d{3})?[_-]?(\d{3})\b")
_ORANGE: dict[str, str] = {
    "101": "blocked", "102": "blocked", "103": "blocked", "104": "toomanyconn",
    "305": "securityerror", "401": "authfailure", "402": "securityerror",
    "403": "rejected", "405": "rejected", "415": "rejected", "416": "userunknown",
    "417": "mailboxfull", "418": "userunknown", "420": "suspend", "421": "rejected",
    "426": "suspend", "505": "systemerror", "506": "spamdetected", "510": "blocked",
    "514": "mesgtoobig", "517": "authfailure", "630": "policyviolation", "999": "blocked",
}  # fmt: skip

# Spectrum's AUP# codes: inclusive ranges of four digits.
_SPECTRUM_CODE = re.compile(r"aup#(?:in?|o(?:ut)?)?-?(\d{4})\b")
_SPECTRUM: tuple[tuple[int, int, str], ...] = (
    (1000, 1000, "blocked"),
    (1010, 1080, "rejected"),
    (1090, 1090, "systemerror"),
    (1100, 1150, "requireptr"),
    (1160, 1190, "policyviolation"),
    (1200, 1250, "blocked"),
    (1260, 1260, "networkerror"),
    (1300, 1340, "toomanyconn"),
    (1350, 1490, "speeding"),
    (1500, 1520, "rejected"),
    (1530, 1530, "mesgtoobig"),
    (1540, 1550, "speeding"),
    (1560, 1560, "policyviolation"),
    (1580, 1580, "speeding"),
)

_FACEBOOK_CODE = re.compile(r"\b(rcp|pol|dns|msg|con|int)-([pt]\d)\b")
_FACEBOOK: dict[str, str] = {
    "rcp-p1": "userunknown", "int-p1": "userunknown", "int-p3": "userunknown", "int-p4": "userunknown",
    "rcp-p2": "filtered", "rcp-p3": "filtered", "rcp-t4": "suspend", "rcp-t1": "systemerror",
    "pol-p1": "blocked", "pol-p2": "blocked", "pol-p3": "blocked", "pol-p4": "blocked",
    "pol-t1": "blocked", "pol-t2": "blocked", "pol-t3": "blocked", "pol-p5": "virusdetected",
    "pol-p6": "spamdetected", "pol-p7": "authfailure", "msg-p1": "mesgtoobig", "int-p2": "mesgtoobig",
    "msg-p2": "contenterror", "msg-p3": "notcompliantrfc", "dns-p1": "rejected", "dns-p2": "rejected",
    "dns-t1": "rejected", "dns-p3": "requireptr", "dns-t2": "requireptr", "con-t1": "toomanyconn",
    "con-t2": "toomanyconn", "con-t3": "toomanyconn", "con-t4": "toomanyconn", "msg-t1": "toomanyconn",
}  # fmt: skip

# Mimecast's documented reply texts (its "SMTP error codes" knowledge-base page).
_MIMECAST: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("authfailure", re.compile(r"(?:spf|dkim|dmarc) sender invalid")),
    ("badreputation", re.compile(r"ip reputation")),
    ("policyviolation", re.compile(r"host network,? not allowed|anti-spoofing policy|content examination policy")),
    ("rejected", re.compile(r"envelope blocked|blocked senders|block policy for (?:header|envelope) from")),
    ("failedstarttls", re.compile(r"route requires (?:encryption|tls|high-strength)")),
    ("mesgtoobig", re.compile(r"maximum email size exceeded")),
    ("norelaying", re.compile(r"open relay (?:is )?not allowed")),
    ("toomanyconn", re.compile(r"exceeding outbound thread limit|account service is temporarily unavailable")),
    ("userunknown", re.compile(r"invalid recipient|user unknown")),
)

# docomo's reply to a refused recipient, at RCPT (no such user) or after DATA (the
# recipient's reception settings refuse the sender).
_DOCOMO_UNKNOWN = re.compile(r"\b550 unknown user\b")
# au (KDDI) names the address when it does not exist ("550 <a@b>: User unknown") and
# leaves it out when the recipient's filter refuses the sender ("550 : User unknown").
_KDDI_FILTERED = re.compile(r"\b550 : user unknown")
_KDDI_UNKNOWN = re.compile(r">: user unknown")
_KDDI_HOSTS = re.compile(r"(?:^|[.@])(?:ezweb\.ne\.jp|au\.com|kddi\.com)$")


_COX_CODE = re.compile(r"aup#(cx[a-z]+|cdrbl|ipbl\d+|urlbl\d+)")
_COX: tuple[tuple[str, str], ...] = (
    ("cxbl", "blocked"), ("cdrbl", "blocked"), ("ipbl", "blocked"), ("cxdns", "requireptr"),
    ("cxsndr", "authfailure"), ("cxsmtp", "rejected"), ("cxcnct", "toomanyconn"), ("cxmxrt", "toomanyconn"),
    ("cxthrt", "securityerror"), ("cxmj", "securityerror"), ("urlbl", "spamdetected"),
)  # fmt: skip

_GODADDY_CODE = re.compile(r"\bib(\d{3})\b")
_GODADDY: dict[str, str] = {
    "401": "securityerror", "501": "notcompliantrfc", "502": "notcompliantrfc", "506": "rejected",
    "508": "authfailure", "108": "requireptr", "212": "spamdetected", "705": "virusdetected",
    "605": "toomanyconn", "007": "toomanyconn", "101": "speeding", "110": "blocked", "111": "blocked",
    "112": "blocked", "113": "blocked", "504": "speeding", "510": "speeding", "607": "speeding",
    "103": "badreputation", "104": "blocked", "105": "blocked", "106": "blocked",
}  # fmt: skip
_GODADDY_HOSTS = re.compile(r"secureserver\.net|ibsmtp")

_IUA_CODE = re.compile(r"\bi\.ua/err/(\d+)")
_IUA: dict[str, str] = {
    "1": "norelaying", "2": "userunknown", "3": "suspend", "4": "mailboxfull", "5": "toomanyconn",
    "6": "norelaying", "7": "blocked", "8": "rejected", "9": "blocked", "10": "filtered",
}  # fmt: skip


def _words(*pairs: tuple[str, str]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((reason, re.compile(pattern)) for reason, pattern in pairs)


# Providers recognised by name, and the reply texts their postmaster pages document,
# most specific first within each.
_PROVIDER_WORDS: tuple[tuple[re.Pattern[str], tuple[tuple[str, re.Pattern[str]], ...]], ...] = (
    (
        re.compile(r"google\.com|googlemail\.com|gmail|gsmtp"),
        _words(
            ("requireptr", r"does not have a ptr record|ptr record's forward dns|ipv6 sending guidelines regarding ptr"),
            ("badreputation", r"very low reputation of the sending"),
            ("blocked", r"unusual rate of unsolicited mail|ip not in whitelist for rcpt domain|helo/ehlo argument"),
            ("spamdetected", r"likely unsolicited mail|nature of the content or the links"),
            (
                "notcompliantrfc",
                r"missing a valid (?:address in the from|message-id)|not rfc 5322 compliant|encoded-word syntax is not permitted|unicode character in a disallowed header",
            ),
            (
                "policyviolation",
                r"has a policy that prohibited|illegal attachment|content presents a potential security issue|same message-id",
            ),
            (
                "speeding",
                r"receiving mail (?:too quickly|at a rate that prevents)|(?:daily|peak) smtp relay (?:sending )?limit|daily (?:user )?sending (?:quota|limit)",
            ),
            ("suspend", r"account that you tried to reach is (?:disabled|inactive)"),
            ("mailboxfull", r"inbox is out of storage space|tried to reach is over quota"),
            ("failedstarttls", r"must issue a starttls command first|tls required for rcpt domain|to use tls/ssl"),
            (
                "norelaying",
                r"mail relay denied|invalid credentials for relay|not authorized to send email directly to our servers",
            ),
            ("rejected", r"mail sending denied"),
            (
                "securityerror",
                r"too many login attempts|application-specific password required|username and password not accepted|log in (?:with|through) your web browser",
            ),
            ("toomanyconn", r"your message has too many recipients|too many recipients for this sender"),
        ),
    ),
    (
        # Outlook.com answers an address that does not exist with RFC 5321's bare text,
        # whatever stage its notice names.
        re.compile(r"(?:^|[.@\s])(?:outlook|hotmail|live|msn)\.com|office365|microsoft"),
        _words(
            ("userunknown", r"requested action not taken: mailbox unavailable|resolver\.adr\.exrecipnotfound"),
        ),
    ),
    (
        # Microsoft's own texts: distinctive enough to need no host.
        re.compile(r""),
        _words(
            (
                "blocked",
                r"access denied, (?:bad helo|banned sender|banned sending ip)|does not accept email over ipv6|using customer block list|part of their network is on our block list",
            ),
            (
                "speeding",
                r"has exceeded permitted limits within|submission quota exceeded|tenant has exceeded threshold|traffic not accepted from this ip|per hour message receive limit|daily limit for message recipients|recipient thread limit exceeded",
            ),
            (
                "rejected",
                r"sender not authenticated for group|sender was not authenticated (?:by organization|for)|sender not in allowed-senders list|access denied, spam abuse detected|access denied, bad outbound sender|delivery not authorized, message refused",
            ),
            ("expired", r"\b[45]\.4\.3(?:00|16|18)\b.{0,20}message expired"),
            ("authfailure", r"does not pass dmarc verification|must pass either spf or dkim"),
        ),
    ),
    (
        re.compile(r"yahoo|(?:^|[.@\s])aol\.(?:com|jp)"),
        _words(
            ("authfailure", r"requires all senders to authenticate"),
            ("blocked", r"ip is in spamhaus's list|not accepted from ip addresses on spamhaus"),
            ("badreputation", r"temporarily deferred due to unexpected volume or user complaints"),
            ("rejected", r"will be permanently deferred|unresolvable rfc\.?5321"),
            ("notcompliantrfc", r"headers are not rfc compliant"),
            ("policyviolation", r"not accepted for policy reasons"),
            ("suspend", r"is no longer valid|this mailbox is disabled"),
            ("userunknown", r"doesn'?t have an? [\w.-]+ account|mailbox not found"),
            ("norelaying", r"relaying denied for"),
        ),
    ),
    (
        re.compile(r"(?:^|[.@\s])(?:icloud|me|mac|apple)\.com"),
        _words(
            ("authfailure", r"'s dmarc policy|failing both spf and dkim"),
            ("hasmoved", r"recipient no longer on server"),
            ("userunknown", r"inactive email address|unknown or illegal alias|user does not exist"),
            ("speeding", r"deferred due to excessive volume"),
            ("policyviolation", r"due to local policy"),
            ("mailboxfull", r"user is over quota"),
        ),
    ),
    (
        re.compile(r"qq\.com|tencent|foxmail"),
        _words(
            ("authfailure", r"(?:spf|dmarc) check failed"),
            ("blocked", r"suspected bounce attacks|suspected spam ip|connection denied"),
            ("spamdetected", r"spam is embedded in the email|mail content denied"),
            ("rejected", r"suspected spam|mail is rejected by recipients"),
            ("mesgtoobig", r"message too large"),
            ("speeding", r"mailbox unavailable or access deni"),
            ("suspend", r"is a deactivated mailbox"),
            ("syntaxerror", r"bad address syntax"),
            ("toomanyconn", r"frequency limited"),
            ("userunknown", r"mailbox not found"),
        ),
    ),
    (
        re.compile(r"zoho"),
        _words(
            ("authfailure", r"rejected per dmarc policy"),
            ("rejected", r"email flagged as spam|mail rejected by destination domain"),
            ("policyviolation", r"email policy violation detected|delivery restricted by policy"),
            ("userunknown", r"user does not exist"),
            ("virusdetected", r"detected by zoho mail"),
        ),
    ),
)


def _named_provider_reason(text: str, hosts: str) -> str | None:
    for names, words in _PROVIDER_WORDS:
        if names.pattern and not (names.search(hosts) or names.search(text)):
            continue
        found = next((reason for reason, pattern in words if pattern.search(text)), None)
        if found is not None:
            return found
    return None


def provider_reason(
    diagnostic: str, *, remote_mta: str = "", reporting_mta: str = "", recipient: str = "", command: str = ""
) -> str | None:
    """The reason a provider's own code or words name, None when none is recognised.
    ``reporting_mta``: the host that wrote the notice (a provider's own DSN)."""
    text = diagnostic.lower()
    host = remote_mta.lower()
    return (
        _coded_reason(text, host)
        or _carrier_reason(text, host, recipient.rpartition("@")[2].lower(), command)
        or _named_provider_reason(text, f"{host} {reporting_mta.lower()}")
    )


def _coded_reason(text: str, host: str) -> str | None:
    """A provider's own code in the reply: its table names the reason."""
    for pattern, table in ((_ORANGE_CODE, _ORANGE), (_IUA_CODE, _IUA)):
        match = pattern.search(text)
        if match is not None and match.group(1) in table:
            return table[match.group(1)]
    match = _COX_CODE.search(text)
    if match is not None:
        return next((reason for prefix, reason in _COX if match.group(1).startswith(prefix)), None)
    match = _SPECTRUM_CODE.search(text)
    if match is not None:
        number = int(match.group(1))
        return next((reason for low, high, reason in _SPECTRUM if low <= number <= high), None)
    if _GODADDY_HOSTS.search(host) or _GODADDY_HOSTS.search(text):
        match = _GODADDY_CODE.search(text)
        if match is not None and match.group(1) in _GODADDY:
            return _GODADDY[match.group(1)]
    if "facebook" in text or "facebook" in host:
        match = _FACEBOOK_CODE.search(text)
        if match is not None:
            return _FACEBOOK.get(f"{match.group(1)}-{match.group(2)}")
    if "mimecast" in text or "mimecast" in host:
        return next((reason for reason, pattern in _MIMECAST if pattern.search(text)), None)
    return None


def _carrier_reason(text: str, host: str, domain: str, command: str) -> str | None:
    """docomo and au: the same "unknown user" words, told apart by stage or form."""
    if host.endswith("docomo.ne.jp") and _DOCOMO_UNKNOWN.search(text):
        return {"DATA": "rejected", "RCPT TO": "userunknown"}.get(command)
    if _KDDI_HOSTS.search(domain) or _KDDI_HOSTS.search(host):
        if _KDDI_FILTERED.search(text):
            return "filtered"
        if _KDDI_UNKNOWN.search(text):
            return "userunknown"
    return None
