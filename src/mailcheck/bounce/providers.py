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


# Outlook.com (hotmail, live, msn) answers a recipient that does not exist with RFC
# 5321's bare text, whatever its notice says about the stage.
_MICROSOFT_HOSTS = re.compile(r"(?:^|\.)(?:hotmail|outlook|live|msn)\.com$")
_MICROSOFT_UNKNOWN = re.compile(r"requested action not taken: mailbox unavailable")


def provider_reason(
    diagnostic: str, *, remote_mta: str = "", reporting_mta: str = "", recipient: str = "", command: str = ""
) -> str | None:
    """The reason a provider's own code or words name, None when none is recognised.
    ``reporting_mta``: the host that wrote the notice (a provider's own DSN)."""
    text = diagnostic.lower()
    host = remote_mta.lower()
    if _MICROSOFT_UNKNOWN.search(text) and any(_MICROSOFT_HOSTS.search(h.lower()) for h in (host, reporting_mta)):
        return "userunknown"
    match = _ORANGE_CODE.search(text)
    if match is not None and (match.group(1) in _ORANGE):
        return _ORANGE[match.group(1)]
    match = _SPECTRUM_CODE.search(text)
    if match is not None:
        number = int(match.group(1))
        return next((reason for low, high, reason in _SPECTRUM if low <= number <= high), None)
    if "facebook" in text or "facebook" in host:
        match = _FACEBOOK_CODE.search(text)
        if match is not None:
            return _FACEBOOK.get(f"{match.group(1)}-{match.group(2)}")
    if "mimecast" in text or "mimecast" in host:
        found = next((reason for reason, pattern in _MIMECAST if pattern.search(text)), None)
        if found is not None:
            return found
    if host.endswith("docomo.ne.jp") and _DOCOMO_UNKNOWN.search(text):
        if command == "DATA":
            return "rejected"
        if command == "RCPT TO":
            return "userunknown"
    domain = recipient.rpartition("@")[2].lower()
    if _KDDI_HOSTS.search(domain) or _KDDI_HOSTS.search(host):
        if _KDDI_FILTERED.search(text):
            return "filtered"
        if _KDDI_UNKNOWN.search(text):
            return "userunknown"
    return None
