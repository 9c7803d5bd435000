"""Why a recipient bounced: the RFC 3463 status and the reply text → sisimai's reason.

The vocabulary is sisimai's (reference.md, "Bounces and feedback"), so results line up
with the tools many senders already use. The order of judgement:

1. a status whose meaning is specific (5.1.1 mailbox unknown, 5.2.2 full, the
   providers' own 5.7.2x authentication codes) names the reason;
2. otherwise the reply text is read against phrase tables, most specific first (a
   "550 5.7.1 ... listed at Spamhaus" is a block, not a policy refusal);
3. otherwise a generic status class decides (5.7.x security, 4.4.7 expired, ...).
"""

from __future__ import annotations

import re
from typing import Literal

from mailcheck.bounce.providers import provider_reason

Reason = Literal[
    "authfailure", "badreputation", "blocked", "contenterror", "delivered", "exceedlimit", "expired",
    "failedstarttls", "feedback", "filtered", "hasmoved", "hostunknown", "mailboxfull", "mailererror",
    "mesgtoobig", "networkerror", "norelaying", "notaccept", "notcompliantrfc", "onhold",
    "policyviolation", "rejected", "requireptr", "securityerror", "spamdetected", "speeding",
    "suppressed", "suspend", "syntaxerror", "systemerror", "systemfull", "toomanyconn", "undefined",
    "userunknown", "vacation", "virusdetected",
]  # fmt: skip

# The address itself is bad: retrying cannot help (notaccept only when permanent).
HARD_REASONS: frozenset[str] = frozenset({"userunknown", "hasmoved", "hostunknown"})

# What the sender can fix on its own side; the value names the mailcheck command/check.
SENDER_SIDE: dict[str, str] = {
    "authfailure": "run `mailcheck domain YOUR-DOMAIN`: SPF, DKIM and DMARC must pass and align (spf.*, dkim.*, dmarc.*)",
    "requireptr": "run `mailcheck domain YOUR-DOMAIN --ip SENDING-IP`: the sending IP needs forward-confirmed reverse DNS (ip.fcrdns)",
    "blocked": "run `mailcheck blocklist SENDING-IP` and `mailcheck domain YOUR-DOMAIN --ip SENDING-IP` (blocklist.*, ip.fcrdns); then ask the receiver to delist",
    "badreputation": "run `mailcheck blocklist SENDING-IP YOUR-DOMAIN`; slow down and send only to engaged recipients until the reputation recovers",
    "spamdetected": "run `mailcheck message SENT.eml` and `mailcheck links SENT.eml`: authentication, links on blocklists, content",
    "policyviolation": "run `mailcheck domain YOUR-DOMAIN` and `mailcheck message SENT.eml`: the receiver's bulk-sender rules (authentication, one-click unsubscribe, format)",
    "securityerror": "run `mailcheck domain YOUR-DOMAIN`: SPF, DKIM and DMARC (spf.*, dkim.*, dmarc.*) and TLS (smtp.starttls)",
    "failedstarttls": "run `mailcheck probe RECIPIENT` and `mailcheck domain YOUR-DOMAIN`: STARTTLS and certificates (smtp.starttls, tls.*)",
}

# What the sender fixes in the message or the way it sends, not in its DNS.
SENDER_MESSAGE: dict[str, str] = {
    "notcompliantrfc": "the message breaks RFC 5322 (two From headers, no Message-ID, ...): fix how it is built, and check it with `mailcheck message SENT.eml`",
    "contenterror": "the receiver could not take the message's content (MIME, encoding): fix how it is built",
    "mesgtoobig": "the message is bigger than the receiver takes: send it smaller (link large files instead)",
    "virusdetected": "the receiver found malware in the message: check what it carries before sending again",
    "speeding": "sent faster than the receiver allows: lower the sending rate, then retry",
}

_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)")
_REPLY = re.compile(r"(?<![\d.#-])([245][0-5]\d)(?:[ :,-]|$)")


def find_status(text: str) -> str:
    """The first RFC 3463 code in ``text`` ('' if none). Codes of class 2 count only
    when nothing else is there, so a quoted "250 2.0.0 Ok" does not hide a failure."""
    found = [m.group(0) for m in _STATUS.finditer(text)]
    for code in found:
        if not code.startswith("2"):
            return code
    return found[0] if found else ""


def find_statuses(text: str) -> list[str]:
    """Every RFC 3463 code in ``text`` other than success ones, in order."""
    return [m.group(0) for m in _STATUS.finditer(text) if m.group(1) != "2"]


def find_replycode(text: str) -> str:
    for match in _REPLY.finditer(text):
        code = match.group(1)
        if code[0] in "45" or code in ("250", "251", "252"):
            return code
    return ""


# Codes whose meaning is specific enough to decide alone (step 1).
_SPECIFIC: dict[str, str] = {
    "1.1": "userunknown", "1.4": "userunknown",
    "1.5": "userunknown", "1.6": "hasmoved", "1.7": "rejected", "1.8": "rejected", "1.10": "notaccept",
    "2.2": "mailboxfull", "2.3": "exceedlimit", "2.4": "systemerror",
    "3.1": "systemfull", "3.4": "mesgtoobig", "3.5": "systemerror",
    "4.3": "systemerror", "4.6": "networkerror",
    "5.3": "toomanyconn", "6.1": "contenterror",
    "7.4": "securityerror", "7.5": "securityerror", "7.6": "securityerror", "7.7": "securityerror",
    "7.8": "securityerror", "7.10": "failedstarttls", "7.11": "failedstarttls",
    "7.13": "suspend", "7.14": "securityerror",
    "7.23": "requireptr", "7.24": "authfailure", "7.25": "requireptr", "7.26": "authfailure",
    "7.28": "speeding", "7.29": "failedstarttls", "7.30": "authfailure",
    "7.31": "authfailure", "7.32": "authfailure", "7.40": "authfailure", "7.509": "authfailure",
    "7.515": "authfailure", "7.650": "badreputation", "7.651": "badreputation",
}  # fmt: skip
# Microsoft's 5.7.606–5.7.649: the sending IP is blocked.
_BLOCKED_RANGE = range(606, 650)

# Codes that only name a class (step 3), used when no phrase matched.
_GENERIC: dict[str, str] = {
    "1.0": "userunknown", "1.2": "hostunknown", "1.3": "userunknown", "4.4": "hostunknown", "4.7": "expired", "6.0": "contenterror", "2.0": "filtered", "2.1": "suspend", "3.0": "systemerror", "3.2": "systemerror",
    "3.3": "systemerror", "4.0": "networkerror", "4.1": "networkerror", "4.2": "networkerror",
    "4.5": "networkerror", "5.0": "syntaxerror", "5.1": "syntaxerror", "5.2": "syntaxerror", "5.4": "syntaxerror",
    "5.5": "syntaxerror", "6.2": "contenterror", "6.3": "contenterror", "6.5": "contenterror",
    "7.0": "securityerror", "7.1": "rejected", "7.2": "rejected", "7.3": "securityerror",
    # RFC 4954's "authentication mechanism too weak", which Yahoo also sends with policy
    # words: the words decide first.
    "7.9": "securityerror",
    # RFC 7505's null MX of the sender's domain; Gmail also sends it for an SPF failure,
    # which its words then name.
    "7.27": "notaccept",
}  # fmt: skip


def _phrases(*words: str) -> re.Pattern[str]:
    # Lower-case phrases matched against lower-cased text: re.I costs more than twice
    # the time, and this table is the command's hottest loop.
    return re.compile("|".join(f"(?:{w})" for w in words))


# Step 2: the receivers' own words, most specific reasons first. Each entry is a
# reason and the phrases MTAs and providers use for it.
PHRASES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("mailererror", _phrases(r"mailer error", r"\bprogram\b.{0,30}(?:failed|error|unavailable)", r"command (?:died|failed)", r"procmail", r"\bpipe\b", r"\bunknown mailer\b", r"exited with", r"\bx-unix", r"deferred: local mailer")),
    ("virusdetected", _phrases(r"virus", r"malware", r"infected", r"worm detected", r"\bmalicious\b")),
    ("requireptr", _phrases(
        r"reverse (?:dns|lookup|hostname)", r"\bptr\b", r"no rdns", r"rdns", r"cannot find your hostname",
        r"client host rejected: cannot find", r"not have (?:a )?reverse", r"ip name (?:lookup|possibly) forged",
        r"without reverse", r"resolve your (?:address|hostname)", r"hostname does not resolve",
        r"fcrdns", r"unresolvable sender", r"forward[- ]confirmed",
        # The sending IP does not verify for the sender's domain (a per-domain IP check).
        r"unverif[iy]able sending ips?",
    )),
    ("failedstarttls", _phrases(r"starttls", r"must issue a starttls", r"requires? (?:a )?(?:secure|tls|encrypted) connection", r"tls (?:is )?required", r"encryption required")),
    ("securityerror", _phrases(r"security (?:policy|reasons|violation)", r"authentication required", r"unauthenticated senders", r"smtp authentication", r"delivery not authorized", r"not authenticated", r"not authorized", r"unauthorized", r"certificate", r"encrypt", r"access (?:not )?(?:permitted|allowed)",
        # "Access denied" alone is the receiver's security policy; Postfix's "Recipient
        # address rejected: Access denied" is its access map refusing the address.
        r"(?<!rejected: )access denied",
    )),
    ("authfailure", _phrases(
        r"\bspf\b.{0,40}(?:fail|check|reject|invalid|not pass)", r"(?:fail|failed|does not pass)\b.{0,30}\bspf\b",
        r"\bdkim\b.{0,40}(?:fail|invalid|signature)", r"\bdmarc\b", r"bad spf", r"unauthenticated (?:e-?mail|message)s? from",
        r"authentication (?:check|level|requirement)",
        r"sender policy framework", r"domainkeys", r"does not meet the required authentication",
        r"spoof", r"sender (?:address|domain) (?:is )?forged",
    )),
    ("badreputation", _phrases(
        r"reputation", r"poor reputation", r"\brp-00\d", r"\bsc-00\d", r"\bdy-00\d",
        r"sending ip .{0,40}(?:low|poor)", r"temporarily deferred due to unexpected volume",
    )),
    # The sender's address (not its host) is on the receiver's list: a sender refusal.
    ("rejected", _phrases(r"from an address that (?:has been|is) (?:black|block)listed", r"sender (?:address |domain )?(?:is |has been )?(?:black|block)listed")),
    ("blocked", _phrases(
        r"blacklist", r"black list", r"blocklist", r"block list", r"\bdnsbl\b", r"\brbl\b", r"spamhaus",
        r"spamcop", r"barracuda(?:central)?", r"sorbs", r"(?:your|sending|the|client|remote) (?:ip|host|network|server)\b.{0,40}\b(?:is |has been |was )?(?:blocked|banned|denied|refused|listed|rejected)", r"client host rejected", r"invalid ip for sending", r"use the smtp server of your isp", r"your (?:isp|provider)'?s? (?:smtp|mail) (?:server|relay|smarthost)",
        r"my name was rejected", r"(?:helo|ehlo) (?:command |name )?(?:rejected|refused)", r"not accepting connections",
        r"(?:blocked|banned|refused|rejected|listed).{0,30}\b(?:ip|your (?:host|network|server|address|domain))\b",
        r"(?<!not )\blisted (?:at|on|in|by)\b", r"not allowed to send", r"connection refused",
        r"dynamic (?:ip|pool|address)", r"residential", r"dial-?up", r"\bpolicy block", r"banned sending ip",
        r"your access to this mail system has been rejected", r"rejected due to .{0,20}reputation",
        r"\bbl\d{3}\b", r"\(bl\)", r"refused to talk", r"connections? (?:not )?(?:accepted|allowed) from",
        r"\b5\.7\.6[0-4]\d\b", r"ip .{0,20}(?:not|isn't) allowed", r"service unavailable; client host",
    )),
    ("notcompliantrfc", _phrases(r"rfc ?5322", r"not rfc[- ]?\d* ?compliant", r"multiple addresses in from", r"multiple (?:from|date|to|subject|message-id) headers", r"missing (?:a |the )?(?:valid )?(?:from|date|message-id) header", r"formatting guidelines", r"header (?:is )?(?:malformed|missing|invalid)")),
    ("spamdetected", _phrases(
        r"\bspam\b(?! sent to)", r"junk mail", r"\bubs?e\b", r"unsolicited", r"bulk mail", r"spam-?like",
        r"content (?:filter|rejected|scan)", r"classified as", r"scored? (?:too high|as)", r"suspicious",
        r"message (?:looks|seems|appears) (?:like|to be)", r"high probability", r"spam score",
    )),
    ("policyviolation", _phrases(
        r"policy (?:reason|violation)", r"violat(?:es|ion) (?:of )?(?:our|the)? ?(?:policy|policies|terms)",
        r"not accepted for policy reasons", r"prohibited", r"denied by policy", r"\bviolation\b", r"content presents a potential", r"message (?:content )?(?:rejected|refused) (?:due to|by) (?:local )?policy",
        r"content policy", r"acceptable use", r"message not allowed",
        # A header refused by the receiver's rules (sisimai's reading: a policy, not
        # RFC 5322, since no rule of the format is named).
        r"\bheader error\b",
    )),
    # A mailbox that exceeded its limit is full, not a sending limit.
    ("mailboxfull", _phrases(r"mail ?box(?:es)? (?:has |have )?exceeded", r"mailbox exceeds")),
    ("mesgtoobig", _phrases(r"line (?:length )?limit exceeded", r"message (?:size|length) exceeds", r"(?:message|mail) (?:is )?too (?:big|large|long)", r"exceeds (?:the )?(?:maximum|size) ?(?:message )?(?:size|limit)", r"size limit", r"message size", r"too much mail data", r"file too large")),
    ("exceedlimit", _phrases(r"exceeds? (?:the )?(?:local )?(?:message|recipient|sending) (?:limit|quota)", r"daily (?:sending )?(?:limit|quota)", r"limit exceeded", r"exceeded .{0,20}limit")),
    ("systemfull", _phrases(r"system (?:is )?full", r"insufficient disk space", r"insufficient system (?:storage|resources)", r"out of memory", r"disk full", r"no space left")),
    ("mailboxfull", _phrases(
        r"mailbox (?:is )?full", r"quota (?:exceeded|full)", r"over ?quota", r"(?:exceeded|exceeds|reached) .{0,30}quota",
        r"(?:storage|disk) (?:space|quota)", r"insufficient space", r"mailbox (?:is )?over", r"too many messages",
        r"user is over", r"account is full", r"out of storage", r"is full", r"not enough (?:space|storage)",
        r"inbox is full", r"quota", r"mailfolder is full", r"full mailbox",
    )),
    ("suspend", _phrases(
        r"(?:account|mailbox|user|address) (?:has been |is |was )?(?:disabled|suspended|inactive|deactivated|locked|frozen|expired|closed|blocked)",
        r"suspended", r"inactive (?:account|user|mailbox)", r"not (?:active|activated)", r"deactivated", r"account disabled",
        r"mailbox (?:currently )?disabled", r"has been disabled",
    )),
    ("hasmoved", _phrases(r"has moved", r"no longer (?:valid|available|at|with|here|in use)", r"address (?:has )?changed", r"user has moved", r"moved to")),
    ("notaccept", _phrases(r"does not accept (?:any )?(?:e-?)?mail", r"null mx", r"indicated no smtp service", r"doesn't receive email", r"not accepting network messages", r"no mx record", r"couldn't find a mail exchanger", r"not accepting (?:any )?(?:mail|messages)", r"no mail (?:is )?accepted", r"mail (?:is )?not accepted")),
    ("hostunknown", _phrases(
        r"host (?:or domain name )?(?:not found|unknown)", r"unknown (?:host|domain)", r"domain (?:not found|does not exist|name not found|is not valid|unknown)",
        r"no such (?:host|domain)", r"name service error", r"no (?:valid )?mx", r"unrouteable (?:mail )?domain", r"unroutable",
        r"could not be resolved", r"nxdomain", r"unrouteable address", r"domain is not reachable", r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)+\.[a-z]{2,} does not exist", r"dns (?:error|lookup failed)", r"host not found", r"nonexistent domain",
        r"all relevant mx records point to non-existent hosts", r"domain (?:name )?(?:has no|without) (?:any )?(?:mx|address)",
        r"recipient domain .{0,20}(?:invalid|not)", r"bad destination system address", r"bad destination (?:mailbox address|host)", r"mail for .* loops back",
        r"host .* not found", r"does not accept mail",
    )),
    ("userunknown", _phrases(
        r"user (?:unknown|not found|does not exist|doesn'?t exist|not exist|name is not recognized|invalid)", r"unknown (?:user|recipient|mailbox|local[- ]part|address|alias)",
        r"no such (?:user|mailbox|recipient|address|account|local user|person)", r"(?:mailbox|recipient|address|account|addressee|user|alias)\b.{0,30}\b(?<!system )(?:does not exist|doesn'?t exist|not exist|unknown|not found|unavailable|invalid|not valid|is not a valid|disabled or discontinued)",
        r"invalid (?:recipient|mailbox|address|user)", r"recipient (?:address )?rejected(?=\s*(?:$|[.(;<-]))", r"not a (?:valid|known) (?:user|mailbox|recipient)",
        r"undeliverable address", r"address unknown", r"address rejected(?=\s*(?:$|[.(;<-]))", r"account (?:does not exist|not found|unavailable)",
        r"no mailbox", r"mailbox not found", r"user not local", r"not our customer", r"dosn'?t have a .* account",
        r"unknown or illegal alias", r"bad recipient", r"does not like recipient", r"couldn'?t find any host named",
        r"no account by that name", r"this user doesn'?t have", r"the email account that you tried to reach does not exist",
        r"recipient not found", r"no valid recipients",
        r"not listed in", r"verify (?:the )?recipient", r"address does not exist", r"is not a valid mailbox",
        r"mailbox unavailable", r"requested action not taken: mailbox", r"rejected: user", r"user is unknown",
        r"recipient unknown", r"nosuchuser", r"5\.1\.1", r"no one by that name",
        # Postfix's recipient access map refusing the address, as sites list the gone.
        r"recipient address rejected: access denied",
    )),
    ("norelaying", _phrases(r"relay(?:ing)? (?:access )?(?:denied|not permitted|not allowed|prohibited)", r"not permitted to relay", r"unable to relay", r"relay not", r"we do not relay", r"no relaying", r"not configured to relay", r"to relay\b", r"insecure mail relay", r"relaying (?:mail )?(?:to|denied)", r"not a gateway", r"relay access")),
    # "Too many recipients" spells out X.5.3, which sisimai reads as toomanyconn: the
    # words take the reason their own status code has.
    ("toomanyconn", _phrases(r"too many recipients", r"too many (?:connections|concurrent|smtp sessions|simultaneous)", r"connection (?:rate )?limit", r"too many (?:hosts|sessions)", r"too many errors", r"max(?:imum)? (?:number of )?messages? per (?:connection|session)")),
    ("speeding", _phrases(r"rate limit", r"receiving mail (?:too quickly|at a rate)", r"too (?:fast|many messages|much mail)", r"slow down", r"sending rate", r"throttl")),
    ("networkerror", _phrases(
        r"network (?:error|unreachable)", r"connection (?:timed out|refused|reset|lost|dropped)", r"no route to host",
        r"could not connect", r"unable to connect", r"temporary (?:dns|lookup) failure", r"lost connection", r"dns (?:failure|problem)",
        r"host (?:is )?(?:unreachable|down)", r"(?:wasn't|was not|unable to|could not) (?:able to )?establish", r"host name lookup failure", r"dns error", r"loop(?:s)? back to myself", r"mail loop", r"hop count exceeded", r"too many hops", r"routing loop",
    )),
    ("expired", _phrases(
        r"(?:delivery|message) (?:time ?out|timed out|expired)", r"retry (?:time|timeout) (?:not reached|exceeded)", r"giving up",
        r"could not be delivered (?:for|within)", r"has not been delivered (?:for|within)", r"too long", r"queue (?:lifetime|time) expired",
        r"deferred for", r"(?:hours|days) .{0,40}(?:undeliver|no success|delivery)", r"expired", r"time(?:d)? out",
        r"retry limit", r"was not delivered within", r"aborted after \d+(?:\.\d+)? (?:hour|day|minute)", r"exceeded .{0,20}max(?:imum)? (?:time|age)", r"did not accept our requests to connect",
    )),
    ("syntaxerror", _phrases(r"syntax error", r"command unrecognized", r"unrecognized command", r"bad sequence", r"invalid domain name", r"line too long", r"command not (?:implemented|recognized)")),
    ("contenterror", _phrases(r"content (?:error|type)", r"message (?:contains|has) (?:invalid|bad)", r"8-?bit", r"invalid (?:mime|content)", r"attachment")),
    ("filtered", _phrases(r"filtered", r"(?:by|due to) (?:a |the )?(?:recipient'?s? )?filter", r"rejected by (?:the )?recipient", r"does not want", r"message rejected", r"refused by", r"declined", r"blocked by (?:the )?(?:recipient|user)", r"content rejected")),
    ("onhold", _phrases(r"on hold", r"held for")),
    # Gmail refusing a "Send mail as" alias of the sender's account: the sender is refused.
    ("rejected", _phrases(r"'send mail as'", r"customfromdenied")),
    ("systemerror", _phrases(r"system error", r"internal (?:server )?error", r"service (?:currently )?unavailable", r"write error", r"server error", r"local error", r"mail system (?:error|problem)", r"resources temporarily unavailable", r"temporary local problem", r"configuration error", r"misconfigured")),
    ("rejected", _phrases(r"sender (?:address )?(?:rejected|denied|refused|invalid|unknown|verify failed)", r"\bfrom:? (?:domain|address) (?:is )?(?:invalid|not valid)", r"may not have permission to post", r"domain of sender address", r"bad sender", r"envelope blocked", r"mail from .* (?:rejected|refused)")),
)  # fmt: skip

# The bare words of a refusal say no more than the status class does: a status's own
# reason (5.7.x security) comes first, these only where the status names none.
BARE_REFUSAL = re.compile(r"rejected|refused|denied|not accepted")


def status_reason(status: str) -> tuple[str | None, bool]:
    """(reason, specific) for an RFC 3463 code: specific codes decide alone."""
    parts = status.split(".")
    if len(parts) != 3:
        return None, False
    tail = f"{parts[1]}.{parts[2]}"
    if parts[1] == "7" and parts[2].isdigit() and int(parts[2]) in _BLOCKED_RANGE:
        return "blocked", True
    if tail in _SPECIFIC:
        return _SPECIFIC[tail], True
    return _GENERIC.get(tail), False


def text_reason(text: str) -> str | None:
    lowered = text.lower()
    for reason, pattern in PHRASES:
        if pattern.search(lowered):
            return reason
    return None


# Text that names a cause precisely enough to outweigh even a specific status.
_OVERRIDES = frozenset({"mailererror", "virusdetected", "notcompliantrfc", "requireptr"})
# Reasons that already say why a connection was refused.
_CONNECT_KEEP = frozenset(
    {
        "requireptr",
        "badreputation",
        "toomanyconn",
        "speeding",
        "authfailure",
        "failedstarttls",
        "blocked",
        "expired",
        "networkerror",
    }
)


_KEPT_TRYING = frozenset({"4.0", "4.1", "4.7"})
# Network faults a notice names beyond "no answer in time": the fault is the reason,
# however long the queue kept the message.
_NAMED_NETWORK_FAULT = re.compile(
    r"host name lookup failure|name server|(?:wasn'?t|was not|unable to|could not) (?:able to )?establish"
)
# The queue's own words for giving up on a message it kept retrying.
_GAVE_UP = re.compile(r"in the queue too long|not going to try again|queue (?:lifetime|time) expired")

# Providers' words that only ever mean the account does not exist, whatever command
# they answer (Yahoo and Gmail refuse unknown accounts after DATA when pipelining).
_ACCOUNT_MISSING = re.compile(r"doesn'?t have an? [\w.-]+ account")
# Words that say no more than "refused": at MAIL FROM they are a refusal of the
# envelope sender (rejected), at HELO/EHLO one of the connecting host (blocked).
_VAGUE_TEXT = frozenset({None, "userunknown", "filtered", "rejected"})
# An access map's answer ("Access denied") names no cause beyond the command it answers.
_ACCESS_MAP = re.compile(r"access denied")


def classify_reason(
    status: str,
    diagnostic: str,
    *,
    action: str = "",
    command: str = "",
    remote_mta: str = "",
    reporting_mta: str = "",
    recipient: str = "",
    address_refused: bool = False,
) -> str:
    """The sisimai reason for one recipient's status and reply text. ``address_refused``:
    the notice itself says the address was refused (Gmail's "Address not found")."""
    if action in ("delivered", "relayed", "expanded") or status.startswith("2."):
        return "delivered"
    by_provider = provider_reason(
        diagnostic, remote_mta=remote_mta, reporting_mta=reporting_mta, recipient=recipient, command=command
    )
    if by_provider is not None:
        # A provider's own code is more precise than the status beside it.
        return by_provider
    by_status, specific = status_reason(status)
    by_text = text_reason(diagnostic) if diagnostic else None
    if specific and by_status is not None:
        # A specific status decides, unless the text names a cause more precisely.
        reason: str | None = by_text if by_text in _OVERRIDES else by_status
    else:
        reason = by_text or by_status
    if reason is None and diagnostic and BARE_REFUSAL.search(diagnostic.lower()):
        reason = "rejected"
    if reason is None:
        reason = "expired" if action == "delayed" else "undefined"
    temporary = status.startswith("4") or (not status and action == "delayed")
    lowered = diagnostic.lower()
    # (Only a reason the words gave can be kept; "undefined" still becomes an expiry.)
    named_fault = reason != "undefined" and bool(_NAMED_NETWORK_FAULT.search(lowered))
    if temporary and status[2:] in _KEPT_TRYING and reason in ("networkerror", "hostunknown", "undefined") and not named_fault:
        # No answer (4.4.1), routing undefined (4.4.0) or delivery time expired (4.4.7):
        # the queue kept trying until it gave up or is still trying, an expiry. A bad
        # connection (4.4.2), a loop (4.4.6), or a fault the text names (a failed name
        # lookup, no connection established at all) stays a network error.
        return "expired"
    if reason == "networkerror" and not named_fault and _GAVE_UP.search(lowered):
        # Timed out until the queue gave up on the message: the expiry is the verdict.
        return "expired"
    if (
        reason == "userunknown"
        and not address_refused
        and by_status != "userunknown"
        and command not in ("RCPT TO", "MAIL FROM")
        and (status or find_replycode(diagnostic))
        and not _ACCOUNT_MISSING.search(diagnostic.lower())
    ):
        # sisimai's reading: a remote server's "user unknown" without a mailbox status
        # (x.1.1), and not in reply to RCPT, is a filter's refusal of the message. A
        # notice with no SMTP reply at all is the reporting MTA's own directory lookup.
        return "filtered"
    if command == "CONNECT" and reason not in _CONNECT_KEEP:
        # Refused before any command: the connecting host itself is refused.
        return "blocked"
    vague = by_text in _VAGUE_TEXT or bool(_ACCESS_MAP.search(diagnostic.lower()))
    if command in ("HELO", "EHLO") and vague:
        return "blocked"
    if command == "MAIL FROM" and vague and reason not in ("expired", "networkerror"):
        return "rejected"
    if reason == "hostunknown" and temporary:
        # A name that did not resolve this time (SERVFAIL, a timeout) is a network
        # problem, not a domain that does not exist.
        return "networkerror"
    return reason


def is_hard(reason: str, status: str, replycode: str) -> bool:
    if reason in HARD_REASONS:
        return True
    if reason == "notaccept":
        return status.startswith("5") or replycode.startswith("5") or not (status or replycode)
    return False
