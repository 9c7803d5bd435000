"""compliance.<provider>.<rule>: the big mailbox providers' sender rules, one check per
rule, each failing one naming the reply the provider gives and its page.

One table holds every rule (``RULES``); the catalogue reads its declarations from it
(mailcheck.catalogue.compliance). Rules for bulk senders (over about 5,000 messages a
day) warn rather than fail, since the volume is not in the message.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.model import Check, Status

Provider = Literal["gmail", "yahoo", "outlook"]
PROVIDERS: tuple[Provider, ...] = ("gmail", "yahoo", "outlook")
Applies = Literal["all", "bulk", "bulk-marketing"]

GMAIL_PAGE = "https://support.google.com/a/answer/81126"
GMAIL_CODES = "https://support.google.com/a/answer/3726730"
YAHOO_PAGE = "https://senders.yahooinc.com/best-practices/"
OUTLOOK_PAGE = "https://techcommunity.microsoft.com/blog/microsoftdefenderforoffice365blog/strengthening-email-ecosystem-outlooks-new-requirements-for-high-volume-senders/4399730"
MIN_KEY_BITS = 1024


@dataclass(frozen=True)
class Facts:
    """What the rules judge, computed once from the message's other checks."""

    spf_pass: bool
    spf_known: bool  # False without a sending IP
    dkim_pass: bool
    dkim_aligned: bool
    spf_aligned: bool
    dmarc_record: bool
    dmarc_pass: bool
    dmarc_policy: str | None
    ptr_ok: bool | None  # None: no sending IP or DNS could not tell
    tls: bool | None  # None: the trusted hop does not say
    format_ok: bool
    format_problem: str
    marketing: bool
    one_click: bool
    unsubscribe_any: bool  # a List-Unsubscribe of any kind (Yahoo accepts mailto)
    body_link: bool
    smallest_key: int | None  # bits of the smallest key among RSA signatures that verify
    # A trusted ARC sealer recorded a pass before forwarding broke SPF and DKIM: the
    # providers that trust it judge the message by that record (RFC 8617 §7.2).
    arc_vouched: bool = False


_VOUCHED = "SPF and DKIM broken by forwarding; authenticated by the trusted ARC sealer's record"


Verdict = tuple[bool | None, str]  # (passed, what was seen); None: cannot tell


@dataclass(frozen=True)
class Rule:
    provider: Provider
    name: str
    title: str
    verifies: str
    applies: Applies
    reply: str  # what the provider answers when the rule is broken
    page: str
    judge: Callable[[Facts], Verdict]
    example: Example

    @property
    def check_id(self) -> str:
        return f"compliance.{self.provider}.{self.name}"

    @functools.cached_property
    def spec(self) -> CheckSpec:
        # Made once a rule, not once a message: each message judges every rule.
        who = {"all": "every sender", "bulk": "bulk senders", "bulk-marketing": "bulk senders of marketing mail"}[self.applies]
        return CheckSpec(
            id=self.check_id,
            title=self.title,
            verifies=f"{self.verifies} ({self.provider.capitalize()} asks it of {who}.)",
            why=f"{self.provider.capitalize()} answers mail that breaks this rule with {self.reply}, or files it as spam.",
            example=self.example,
            refs=(self.page,) + ((GMAIL_CODES,) if self.provider == "gmail" else ()),
        )


def _spf_or_dkim(f: Facts) -> Verdict:
    if f.arc_vouched and not (f.spf_pass or f.dkim_pass):
        return True, _VOUCHED
    return f.spf_pass or f.dkim_pass, f"SPF {'pass' if f.spf_pass else 'not pass'}, DKIM {'pass' if f.dkim_pass else 'not pass'}"


def _spf_and_dkim(f: Facts) -> Verdict:
    if f.arc_vouched and not (f.spf_pass and f.dkim_pass):
        return True, _VOUCHED
    if not f.spf_known and f.dkim_pass:
        return None, "DKIM passes; SPF unknown without a sending IP"
    return f.spf_pass and f.dkim_pass, f"SPF {'pass' if f.spf_pass else 'not pass'}, DKIM {'pass' if f.dkim_pass else 'not pass'}"


def _ptr(f: Facts) -> Verdict:
    if f.ptr_ok is None:
        return None, "no sending IP, or its reverse DNS could not be looked up"
    return (
        f.ptr_ok,
        "the sending IP has forward-confirmed reverse DNS" if f.ptr_ok else "the sending IP has no forward-confirmed reverse DNS",
    )


def _tls(f: Facts) -> Verdict:
    if f.tls is None:
        return None, "the receiver's Received field does not say whether TLS was used"
    return f.tls, "delivered over TLS" if f.tls else "delivered without TLS"


def _format(f: Facts) -> Verdict:
    return f.format_ok, "RFC 5322 format" if f.format_ok else f.format_problem


def _dmarc_record(f: Facts) -> Verdict:
    return f.dmarc_record, f"DMARC p={f.dmarc_policy}" if f.dmarc_record else "no DMARC record for the From domain"


def _dmarc_pass(f: Facts) -> Verdict:
    if f.arc_vouched and not f.dmarc_pass:
        return True, _VOUCHED
    return f.dmarc_pass, "DMARC passes" if f.dmarc_pass else ("DMARC fails" if f.dmarc_record else "no DMARC record")


def _alignment(f: Facts) -> Verdict:
    if f.arc_vouched and not (f.spf_aligned or f.dkim_aligned):
        return True, _VOUCHED
    aligned = f.spf_aligned or f.dkim_aligned
    return aligned, "From aligned with " + (
        "DKIM" if f.dkim_aligned else "SPF"
    ) if aligned else "From aligned with neither SPF nor DKIM"


def _one_click(f: Facts) -> Verdict:
    if not f.marketing:
        return True, "transactional mail: exempt"
    return f.one_click, "RFC 8058 one-click unsubscribe" if f.one_click else "no RFC 8058 one-click unsubscribe"


def _yahoo_unsubscribe(f: Facts) -> Verdict:
    if not f.marketing:
        return True, "transactional mail: exempt"
    ok = f.one_click or f.unsubscribe_any
    return ok, ("one-click" if f.one_click else "List-Unsubscribe (mailto)") if ok else "no List-Unsubscribe"


def _body_link(f: Facts) -> Verdict:
    if not f.marketing:
        return True, "transactional mail: exempt"
    return f.body_link, "visible unsubscribe link" if f.body_link else "no visible unsubscribe link in the body"


def _key_size(f: Facts) -> Verdict:
    if f.smallest_key is None:
        return (
            (None, "no RSA signature that verifies") if not f.dkim_pass else (True, "no RSA key among the signatures (ed25519)")
        )
    return f.smallest_key >= MIN_KEY_BITS, f"smallest DKIM key {f.smallest_key} bits"


def _ex(bad: str, good: str, why: str) -> Example:
    return Example(bad, good, why)


_AUTH_EX = _ex(
    "no DKIM-Signature; SPF softfail for the sending IP",
    "DKIM-Signature: d=example.com ...; SPF pass",
    "Authenticate with at least one of the two, both for bulk mail.",
)
_BOTH_EX = _ex(
    "DKIM passes, SPF fails for the provider's IP",
    "DKIM passes and SPF includes the provider",
    "Bulk mail needs both SPF and DKIM to pass.",
)
_PTR_EX = _ex(
    "192.0.2.1 has no PTR record",
    "192.0.2.1 PTR mail.example.com, and mail.example.com A 192.0.2.1",
    "The reverse name resolves back to the address.",
)
_TLS_EX = _ex(
    "Received: ... with ESMTP", "Received: ... with ESMTPS (version=TLS1_3)", "The sending server starts TLS with the receiver."
)
_FORMAT_EX = _ex(
    "two Subject fields, no Message-ID",
    "one of each single-instance field, a Message-ID",
    "RFC 5322 format: one From, a Message-ID, single-instance fields once.",
)
_DMARC_EX = _ex(
    "(no _dmarc.example.com record)",
    '_dmarc.example.com TXT "v=DMARC1; p=none; rua=mailto:d@example.com"',
    "Any DMARC record, p=none included, meets the rule.",
)
_ALIGN_EX = _ex(
    "From: news@example.com; DKIM d=esp.example",
    "From: news@example.com; DKIM d=example.com",
    "The DKIM (or SPF) domain matches the From domain.",
)
_CLICK_EX = _ex(
    "List-Unsubscribe: <mailto:u@example.com>",
    "List-Unsubscribe: <https://example.com/u/1>\nList-Unsubscribe-Post: List-Unsubscribe=One-Click",
    "An https URI and the one-click POST header.",
)
_LINK_EX = _ex(
    "(no unsubscribe link in the footer)",
    '<a href="https://example.com/u/1">Unsubscribe</a>',
    "A visible link in the body as well as the header.",
)
_KEY_EX = _ex(
    's1._domainkey TXT "v=DKIM1; p=(512-bit key)"',
    's1._domainkey TXT "v=DKIM1; p=(2048-bit key)"',
    "Keys of at least 1024 bits; 2048 is the norm.",
)
_DMARC_PASS_EX = _ex(
    "DMARC fails: DKIM d=esp.example, SPF for esp.example",
    "DMARC passes: DKIM d=example.com",
    "An aligned pass makes DMARC pass.",
)

RULES: tuple[Rule, ...] = (
    Rule(
        "gmail",
        "spf-or-dkim",
        "Gmail: SPF or DKIM passes",
        "That SPF or DKIM passes for the message.",
        "all",
        "550 5.7.26 / 421 4.7.26 (unauthenticated)",
        GMAIL_PAGE,
        _spf_or_dkim,
        _AUTH_EX,
    ),
    Rule(
        "gmail",
        "ptr",
        "Gmail: sending IP has valid reverse DNS",
        "That the sending IP has a PTR record whose name resolves back to it.",
        "all",
        "550 5.7.25 / 451 4.7.23 (PTR)",
        GMAIL_PAGE,
        _ptr,
        _PTR_EX,
    ),
    Rule(
        "gmail",
        "tls",
        "Gmail: delivered over TLS",
        "That the hop into the receiver used TLS, as its Received field says.",
        "all",
        "550 5.7.29 / 421 4.7.29 (TLS)",
        GMAIL_PAGE,
        _tls,
        _TLS_EX,
    ),
    Rule(
        "gmail",
        "format",
        "Gmail: RFC 5322 format",
        "That the message has one From address, a Message-ID, and each single-instance field once.",
        "all",
        "550 5.7.1 (not RFC 5322 compliant)",
        GMAIL_PAGE,
        _format,
        _FORMAT_EX,
    ),
    Rule(
        "gmail",
        "spf-and-dkim",
        "Gmail bulk: SPF and DKIM pass",
        "That both SPF and DKIM pass for the message.",
        "bulk",
        "550 5.7.27 (SPF) / 421 4.7.30 (DKIM)",
        GMAIL_PAGE,
        _spf_and_dkim,
        _BOTH_EX,
    ),
    Rule(
        "gmail",
        "dmarc-record",
        "Gmail bulk: a DMARC record",
        "That the From domain publishes a DMARC record (p=none is enough).",
        "bulk",
        "421 4.7.40 (older pages: 4.7.31) / 550 5.7.40 (no DMARC)",
        GMAIL_PAGE,
        _dmarc_record,
        _DMARC_EX,
    ),
    Rule(
        "gmail",
        "alignment",
        "Gmail bulk: From aligned with SPF or DKIM",
        "That the From domain aligns with the SPF or the DKIM domain that passes.",
        "bulk",
        "421 4.7.32 (not aligned)",
        GMAIL_PAGE,
        _alignment,
        _ALIGN_EX,
    ),
    Rule(
        "gmail",
        "one-click",
        "Gmail bulk: one-click unsubscribe",
        "That marketing mail carries RFC 8058 one-click unsubscribe.",
        "bulk-marketing",
        "no fixed reply: the mail is filtered to spam",
        GMAIL_PAGE,
        _one_click,
        _CLICK_EX,
    ),
    Rule(
        "gmail",
        "body-link",
        "Gmail bulk: visible unsubscribe link",
        "That marketing mail has a visible unsubscribe link in its body.",
        "bulk-marketing",
        "no fixed reply: the mail is filtered to spam",
        GMAIL_PAGE,
        _body_link,
        _LINK_EX,
    ),
    Rule(
        "gmail",
        "dkim-key-size",
        "Gmail bulk: DKIM key of 1024 bits or more",
        "That the passing DKIM signatures use keys of at least 1024 bits.",
        "bulk",
        "421 4.7.30 / 550 5.7.30 (DKIM)",
        GMAIL_PAGE,
        _key_size,
        _KEY_EX,
    ),
    Rule(
        "yahoo",
        "spf-or-dkim",
        "Yahoo: SPF or DKIM passes",
        "That SPF or DKIM passes for the message.",
        "all",
        "550 5.7.9 (sender is unauthenticated)",
        YAHOO_PAGE,
        _spf_or_dkim,
        _AUTH_EX,
    ),
    Rule(
        "yahoo",
        "ptr",
        "Yahoo: valid forward and reverse DNS",
        "That the sending IP has a PTR record whose name resolves back to it.",
        "all",
        "421 4.7.0 [TSS04] (deferred)",
        YAHOO_PAGE,
        _ptr,
        _PTR_EX,
    ),
    Rule(
        "yahoo",
        "format",
        "Yahoo: RFC 5322 format",
        "That the message has one From address, a Message-ID, and each single-instance field once.",
        "all",
        "554 5.7.9 (not accepted for policy reasons)",
        YAHOO_PAGE,
        _format,
        _FORMAT_EX,
    ),
    Rule(
        "yahoo",
        "spf-and-dkim",
        "Yahoo bulk: SPF and DKIM pass",
        "That both SPF and DKIM pass for the message.",
        "bulk",
        "550 5.7.9 (sender is unauthenticated)",
        YAHOO_PAGE,
        _spf_and_dkim,
        _BOTH_EX,
    ),
    Rule(
        "yahoo",
        "dmarc-pass",
        "Yahoo bulk: DMARC passes",
        "That the From domain has a DMARC record (p=none or stricter) and the message passes it.",
        "bulk",
        "554 5.7.9 (not accepted for policy reasons)",
        YAHOO_PAGE,
        _dmarc_pass,
        _DMARC_PASS_EX,
    ),
    Rule(
        "yahoo",
        "one-click",
        "Yahoo bulk: easy unsubscribe",
        "That marketing mail carries List-Unsubscribe (one-click POST recommended, mailto accepted).",
        "bulk-marketing",
        "no fixed reply: the mail is filtered to spam",
        YAHOO_PAGE,
        _yahoo_unsubscribe,
        _CLICK_EX,
    ),
    Rule(
        "yahoo",
        "body-link",
        "Yahoo bulk: visible unsubscribe link",
        "That marketing mail has a visible unsubscribe link in its body.",
        "bulk-marketing",
        "no fixed reply: the mail is filtered to spam",
        YAHOO_PAGE,
        _body_link,
        _LINK_EX,
    ),
    Rule(
        "outlook",
        "spf-and-dkim",
        "Outlook.com: SPF and DKIM pass",
        "That both SPF and DKIM pass for the message.",
        "bulk",
        "550 5.7.515 (does not meet the required authentication level)",
        OUTLOOK_PAGE,
        _spf_and_dkim,
        _BOTH_EX,
    ),
    Rule(
        "outlook",
        "dmarc-record",
        "Outlook.com: a DMARC record",
        "That the From domain publishes a DMARC record of at least p=none.",
        "bulk",
        "550 5.7.515 (does not meet the required authentication level)",
        OUTLOOK_PAGE,
        _dmarc_record,
        _DMARC_EX,
    ),
    Rule(
        "outlook",
        "alignment",
        "Outlook.com: DMARC aligned with SPF or DKIM",
        "That the From domain aligns with the SPF or the DKIM domain that passes.",
        "bulk",
        "550 5.7.515; 550 5.7.509 when p=reject fails",
        OUTLOOK_PAGE,
        _alignment,
        _ALIGN_EX,
    ),
)


def compliance_specs() -> tuple[CheckSpec, ...]:
    return tuple(rule.spec for rule in RULES)


def compliance_checks(facts: Facts, providers: tuple[Provider, ...]) -> list[Check]:
    checks = []
    for rule in RULES:
        if rule.provider not in providers:
            continue
        passed, seen = rule.judge(facts)
        status = _status(rule, passed)
        details = {
            "provider": rule.provider,
            "rule": rule.name,
            "applies_to": rule.applies,
            "passed": passed,
            "seen": seen,
            "reply": rule.reply,
            "page": rule.page,
        }
        summary = f"{seen}" if passed or passed is None else f"{seen}: {rule.provider.capitalize()} replies {rule.reply}"
        if passed is None:
            summary = f"cannot tell: {seen}"
        fix = None if status.severity == 0 else f"Make sure {rule.verifies.removeprefix('That ')}"
        refs = (rule.page,) if status.severity else ()
        checks.append(rule.spec.result(status, rule.provider, summary, details=details, fix=fix, refs=refs))
    return checks


def _status(rule: Rule, passed: bool | None) -> Status:
    if passed is None:
        return Status.SKIP
    if passed:
        return Status.PASS
    return Status.FAIL if rule.applies == "all" else Status.WARN
