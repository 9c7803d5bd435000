"""The probe's pure parts: reply decoding and classification, host name matching,
provider hints, address parsing."""

from __future__ import annotations

import pytest

from mailcheck.commands.probe import parse_address
from mailcheck.errors import BadInput
from mailcheck.smtp import providers
from mailcheck.smtp.codes import (
    EnhancedCode,
    Kind,
    Reply,
    classify,
    decode,
    describe_enhanced,
    parse_enhanced,
    retry_hint,
)
from mailcheck.smtp.tls import hostname_matches


def reply(code: int, *lines: str) -> Reply:
    return Reply(code, lines)


def test_enhanced_codes_with_multi_digit_detail() -> None:
    assert parse_enhanced("5.7.606 Access denied, banned sending IP") == EnhancedCode(5, 7, 606)
    assert parse_enhanced("4.2.2 Mailbox full") == EnhancedCode(4, 2, 2)
    assert parse_enhanced("5.1.1a") is None
    assert parse_enhanced("Mailbox 5.1.1") is None
    # The class of the enhanced code must agree with the reply's (RFC 3463 §3).
    assert reply(550, "2.1.5 odd").enhanced is None


def test_decode_uses_the_registry_words() -> None:
    assert decode(reply(550, "5.1.1 User unknown")) == (
        "550 (mailbox unavailable (not found, no access, or refused by policy)), "
        "5.1.1 (permanent failure: bad destination mailbox address (mailbox unknown))"
    )
    assert describe_enhanced(EnhancedCode(5, 7, 26)) == "permanent failure: multiple authentication checks failed"
    assert describe_enhanced(EnhancedCode(5, 7, 606)) == (
        "permanent failure: security or policy (detail 606 is not in the registry)"
    )


@pytest.mark.parametrize(
    ("code", "text", "kind"),
    [
        (250, "2.1.5 OK", Kind.ACCEPTED),
        (550, "5.1.1 User unknown", Kind.MAILBOX_UNKNOWN),
        (550, "No such user here", Kind.MAILBOX_UNKNOWN),
        (550, "5.2.1 Mailbox disabled", Kind.MAILBOX_DISABLED),
        (452, "4.2.2 Mailbox full, try again later", Kind.MAILBOX_FULL),
        (552, "5.2.2 Over quota", Kind.MAILBOX_FULL),
        (554, "5.7.1 Relay access denied", Kind.POLICY_BLOCK),
        (550, "5.7.606 Access denied, banned sending IP", Kind.POLICY_BLOCK),
        (530, "5.7.0 Must issue a STARTTLS command first", Kind.STARTTLS_REQUIRED),
        (421, "4.7.0 Too many connections", Kind.RATE_LIMITED),
        (450, "4.7.1 Client host rejected: too many messages", Kind.RATE_LIMITED),
        (451, "4.7.1 Greylisted, see http://postgrey.schweikert.ch/", Kind.GREYLISTED),
        (450, "Please try again later", Kind.GREYLISTED),
        (451, "4.3.0 Local error", Kind.TEMPORARY),
        (553, "5.1.3 Bad address syntax", Kind.PERMANENT),
        (354, "Start mail input", Kind.PROTOCOL_ERROR),
        (334, "VXNlcm5hbWU6", Kind.PROTOCOL_ERROR),
    ],
)
def test_classification(code: int, text: str, kind: Kind) -> None:
    assert classify(reply(code, text)).kind is kind


def test_policy_block_never_says_the_address_does_not_exist() -> None:
    meaning = classify(reply(550, "5.7.1 Message rejected as spam"))
    assert meaning.words == "refused by policy or reputation"
    assert "does not mean the address does not exist" in meaning.explanation


def test_only_2xx_is_positive() -> None:
    assert reply(250, "2.1.5 OK").is_positive and reply(251, "User not local; will forward").is_positive
    for code in (334, 354):
        assert not reply(code, "go ahead").is_positive
        assert reply(code, "go ahead").is_intermediate
        assert not reply(code, "go ahead").is_transient and not reply(code, "go ahead").is_permanent
    assert not reply(250, "2.1.5 OK").is_intermediate
    meaning = classify(reply(354, "Start mail input"))
    assert meaning.words == "unexpected reply (protocol error)"
    assert "says nothing about the address" in meaning.explanation


def test_retry_hint_reads_the_servers_words() -> None:
    assert retry_hint(reply(451, "4.7.1 Greylisted, try again in 5 minutes")) == "the server asks to retry after 300 s"
    assert retry_hint(reply(451, "4.7.1 Try later")).startswith("greylisting windows are usually 1 to 15 minutes")
    assert retry_hint(reply(452, "4.2.2 Mailbox full")) == (
        "the mailbox is over quota: a retry succeeds only once its owner makes room"
    )
    assert retry_hint(reply(452, "4.2.2 Mailbox full, retry in 2 hours")) == "the server asks to retry after 7200 s"


@pytest.mark.parametrize(
    ("host", "names", "expected"),
    [
        ("mx.example.com", ("mx.example.com",), True),
        ("MX.Example.COM.", ("mx.example.com",), True),
        ("mx.example.com", ("*.example.com",), True),
        ("a.mx.example.com", ("*.example.com",), False),  # one label only
        ("example.com", ("*.example.com",), False),
        ("mx.example.com", ("*.com",), False),  # never a whole public suffix
        ("mx.example.com", ("m*.example.com",), False),  # partial wildcards are not honoured
        ("mx.example.com", ("other.example.com",), False),
    ],
)
def test_hostname_matching_follows_rfc_6125(host: str, names: tuple[str, ...], expected: bool) -> None:
    assert hostname_matches(host, names) is expected


def test_provider_recognition_and_hints() -> None:
    assert providers.recognise(["example-com.mail.protection.outlook.com"]) == providers.MICROSOFT
    assert providers.recognise(["mta5.am0.yahoodns.net"]) == providers.YAHOO
    assert providers.recognise(["aspmx.l.google.com"]) == providers.GOOGLE
    assert providers.recognise(["mx1.probe-ok.example"]) is None
    caveat = providers.acceptance_caveat(providers.YAHOO)
    assert caveat is not None and caveat.accepts_unverified and "bounces unknown ones after DATA" in caveat.text
    blocked = providers.reply_hint(None, reply(550, "5.7.606 Access denied, banned sending IP [192.0.2.1]"))
    assert blocked is not None and blocked.provider == providers.MICROSOFT and "sender.office.com" in blocked.text
    gmail = providers.reply_hint(providers.GOOGLE, reply(550, "5.7.26 Unauthenticated email is not accepted"))
    assert gmail is not None and "authentication" in gmail.text and "3726730" in gmail.source
    assert providers.reply_hint(None, reply(550, "5.7.26 Unauthenticated")) is None


def test_address_parsing() -> None:
    target = parse_address("Alice@Probe-OK.example")
    assert target.smtp == "Alice@probe-ok.example" and target.domain == "probe-ok.example"
    idn = parse_address("josé@bücher.example")
    assert idn.smtp == "josé@xn--bcher-kva.example" and idn.needs_smtputf8 and idn.domain_unicode == "bücher.example"
    with pytest.raises(BadInput, match="is not a valid email address"):
        parse_address("no-at-sign.example")
