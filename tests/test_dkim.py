"""DKIM: every key outcome at the check level, the selector probe, the tag parser, and
the CLI end to end, with the statuses and the values the user sees."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailcheck.checks.context import DomainContext, DomainOptions
from mailcheck.checks.dkim import check_dkim
from mailcheck.dkim_selectors import COMMON_SELECTORS, common_selector_names
from mailcheck.dns.library import LibraryResolver
from mailcheck.model import Check, Status
from mailcheck.names import DomainName
from mailcheck.records.dkim import DkimRecordError, parse_key_record, parse_tags
from tests.helpers import checks_by_id, mentions, offline, one_check, run_cli


def dkim_checks(resolver_factory, domain: str, *selectors: str, timeout: float = 2.0) -> list[Check]:
    async def run() -> list[Check]:
        resolver = resolver_factory(timeout)
        library = LibraryResolver(resolver, asyncio.get_running_loop())
        context = DomainContext(DomainName(domain, domain), resolver, library, DomainOptions(dkim_selectors=selectors), timeout)
        return await check_dkim(context)

    return asyncio.run(run())


def only(checks: list[Check], check_id: str, subject: str) -> Check:
    found = [c for c in checks if c.id == check_id and c.subject == subject]
    assert len(found) == 1, checks
    return found[0]


# -- each key outcome, with --dkim-selector ------------------------------------------


@pytest.mark.parametrize(
    ("selector", "status", "summary"),
    [
        ("strong", Status.PASS, "strong: RSA 2048-bit key (k=rsa, h=any)"),
        ("legacy", Status.WARN, "legacy: RSA 1024-bit key (k=rsa, h=any); 2048 bits is the norm"),
        ("weak", Status.FAIL, "weak: RSA 512-bit key (k=rsa, h=any); verifiers reject RSA keys under 1024 bits"),
        ("ed", Status.PASS, "ed: Ed25519 256-bit key (k=ed25519, h=any)"),
        ("revoked", Status.WARN, "revoked: key revoked (empty p=)"),
        ("testing", Status.PASS, "testing: RSA 2048-bit key (k=rsa, h=any)"),
        ("sha1", Status.PASS, "sha1: RSA 2048-bit key (k=rsa, h=sha1)"),
        ("delegated", Status.PASS, "delegated: RSA 2048-bit key (k=rsa, h=any)"),
        (
            "broken",
            Status.FAIL,
            "broken: unparsable key record at broken._domainkey.dkim-keys.example: "
            "the RSA key in p= cannot be read: Incorrect padding",
        ),
        (
            "badtags",
            Status.FAIL,
            "badtags: unparsable key record at badtags._domainkey.dkim-keys.example: tag 'k' appears twice",
        ),
        (
            "nothere",
            Status.FAIL,
            "nothere: no DKIM key at nothere._domainkey.dkim-keys.example (the name does not exist)",
        ),
    ],
)
def test_key_outcomes(resolver_factory, selector, status, summary):
    check = only(dkim_checks(resolver_factory, "dkim-keys.example", selector), "dkim.key", selector)
    assert (check.status, check.summary) == (status, summary)


OVER_4096 = "verifiers need only handle RSA keys up to 4096 bits, so some will fail the signature"


@pytest.mark.parametrize(
    ("selector", "status", "summary"),
    [
        ("s4096", Status.PASS, "s4096: RSA 4096-bit key (k=rsa, h=any)"),
        ("s4100", Status.WARN, f"s4100: RSA 4100-bit key (k=rsa, h=any); {OVER_4096}"),
        ("s8192", Status.WARN, f"s8192: RSA 8192-bit key (k=rsa, h=any); {OVER_4096}"),
    ],
)
def test_rsa_keys_over_4096_bits_warn(resolver_factory, selector, status, summary):
    check = only(dkim_checks(resolver_factory, "dkim-big.test", selector), "dkim.key", selector)
    assert (check.status, check.summary) == (status, summary)
    assert check.details["bits"] == int(selector[1:])
    if status is Status.WARN:
        assert check.refs == ("RFC 8301 §3.2", "RFC 6376 §3.3.3")
        assert check.fix == "Rotate to a 2048-bit RSA key under a new selector (or 4096 at most)."


def test_cli_big_key_warns_and_exits_0():
    result = run_cli("domain", "dkim-big.test", "--dkim-selector", "s8192", "--no-smtp", "--format", "json", *offline())
    assert result.exit_code == 0, result.stderr
    check = one_check(result.json(), "dkim.key", "s8192")
    assert (check["status"], check["details"]["bits"]) == ("warn", 8192)


def test_key_details_carry_the_record_values(resolver_factory):
    check = only(dkim_checks(resolver_factory, "dkim-keys.example", "legacy"), "dkim.key", "legacy")
    assert check.details["name"] == "legacy._domainkey.dkim-keys.example"
    assert (check.details["key_type"], check.details["bits"], check.details["revoked"]) == ("rsa", 1024, False)
    assert check.details["record"].startswith("v=DKIM1; k=rsa; p=MIGfMA0G")
    assert check.fix and check.refs == ("RFC 8301 §3.2", "RFC 6376 §3.3.3")


def test_testing_flag_warns(resolver_factory):
    checks = dkim_checks(resolver_factory, "dkim-keys.example", "testing")
    check = only(checks, "dkim.testing", "testing")
    assert check.status is Status.WARN
    assert mentions(check.summary, "t=y")


def test_sha1_only_warns(resolver_factory):
    check = only(dkim_checks(resolver_factory, "dkim-keys.example", "sha1"), "dkim.hash", "sha1")
    assert check.status is Status.WARN
    assert mentions(check.summary, "h=sha1", "RFC 8301")
    assert check.refs == ("RFC 8301 §3.1",)


@pytest.mark.parametrize(
    ("selector", "summary", "unknown"),
    [
        (
            "sha512",
            "sha512: key allows only h=sha512, a hash DKIM does not define; verifiers cannot use the key at all",
            ["sha512"],
        ),
        (
            "mixed",
            "mixed: key allows only h=sha1:sha512, of which DKIM defines only sha1; RFC 8301 forbids sha1, "
            "so verifiers reject every signature made with this key",
            ["sha512"],
        ),
    ],
)
def test_hash_summary_names_what_h_allows(resolver_factory, selector, summary, unknown):
    checks = dkim_checks(resolver_factory, "dkim-hash.example", selector)
    key = only(checks, "dkim.key", selector)
    assert key.status is Status.PASS
    check = only(checks, "dkim.hash", selector)
    assert (check.status, check.summary) == (Status.WARN, summary)
    assert check.details["unknown"] == unknown
    assert check.fix == (
        f"Drop h= from the record at {selector}._domainkey.dkim-hash.example (or set h=sha256) and sign with rsa-sha256."
    )


def test_a_sound_key_has_no_flag_checks(resolver_factory):
    checks = dkim_checks(resolver_factory, "dkim-keys.example", "strong")
    assert [c.id for c in checks] == ["dkim.key"]


def test_cname_delegation_names_the_provider_host(resolver_factory):
    checks = dkim_checks(resolver_factory, "dkim-keys.example", "delegated")
    check = only(checks, "dkim.cname", "delegated")
    assert check.status is Status.INFO
    assert mentions(check.summary, "CNAME", "delegated.keys.dkim-provider.example")


def test_explicit_selectors_are_each_reported_and_not_probed(resolver_factory):
    checks = dkim_checks(resolver_factory, "good.example", "google", "s1")
    assert [(c.id, c.subject, c.status) for c in checks] == [
        ("dkim.key", "google", Status.PASS),
        ("dkim.key", "s1", Status.FAIL),
    ]
    assert mentions(checks[0].summary, "RSA 2048", "k=rsa", "h=any")
    assert mentions(checks[1].summary, "s1._domainkey.good.example", "does not exist")


def test_a_non_key_record_at_a_named_selector_is_unparsable(resolver_factory):
    check = only(dkim_checks(resolver_factory, "dkim-probe.example", "mail"), "dkim.key", "mail")
    assert check.status is Status.FAIL
    assert mentions(check.summary, "mail._domainkey.dkim-probe.example", "'google-site-verification'")


def test_unanswered_lookup_is_an_error_not_a_fail(resolver_factory):
    # Outside the fixture zones with --offline: the resolver cannot tell.
    check = only(dkim_checks(resolver_factory, "elsewhere.test", "google"), "dkim.key", "google")
    assert check.status is Status.ERROR
    assert mentions(check.summary, "google._domainkey.elsewhere.test", "--offline")


# -- probing common selectors ------------------------------------------------------


def test_probe_reports_the_keys_found(resolver_factory):
    checks = dkim_checks(resolver_factory, "dkim-probe.example")
    probe = only(checks, "dkim.selectors", "dkim-probe.example")
    assert probe.status is Status.INFO
    total = len(COMMON_SELECTORS)
    assert mentions(probe.summary, f"probed {total}", "found 3", "Microsoft 365", "Microsoft 365")
    assert probe.details["probed"] == list(common_selector_names())
    assert probe.details["found"] == ["selector1", "selector2", "s1"]
    # The TXT at mail._domainkey is a verification token, not a key: not counted.
    assert "mail" not in probe.details["found"]
    keys = [(c.subject, c.status, c.summary) for c in checks if c.id == "dkim.key"]
    assert keys == [
        ("selector1", Status.PASS, "selector1: RSA 2048-bit key (k=rsa, h=any)"),
        ("selector2", Status.PASS, "selector2: RSA 2048-bit key (k=rsa, h=any)"),
        ("s1", Status.WARN, "s1: key revoked (empty p=)"),
    ]


def test_probe_finding_nothing_warns(resolver_factory):
    checks = dkim_checks(resolver_factory, "dkim-none.example")
    assert len(checks) == 1
    check = checks[0]
    assert (check.id, check.status) == ("dkim.selectors", Status.WARN)
    assert mentions(check.summary, f"({len(COMMON_SELECTORS)} probed)", "--dkim-selector")
    assert "--dkim-selector" in (check.fix or "")


def test_probe_with_dns_unavailable_is_an_error(resolver_factory):
    checks = dkim_checks(resolver_factory, "elsewhere.test")
    assert len(checks) == 1
    assert checks[0].status is Status.ERROR
    assert mentions(checks[0].summary, f"exists: {len(COMMON_SELECTORS)}", f"of {len(COMMON_SELECTORS)}")


def test_the_builtin_list_covers_the_big_providers():
    names = common_selector_names()
    assert len(names) >= 30 and len(set(names)) == len(names)
    for selector in ("google", "selector1", "selector2", "s1", "s2", "k1", "mandrill", "pm", "fm1", "protonmail"):
        assert selector in names
    assert all(who for _, who in COMMON_SELECTORS)


# -- the record parser -------------------------------------------------------------


def test_parse_tags_reads_a_key_record():
    assert parse_tags("v=DKIM1; k=rsa; t=y:s; p=AbC ") == {"v": "DKIM1", "k": "rsa", "t": "y:s", "p": "AbC"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("v=DKIM1; k=rsa; p", "'p' is not a tag=value pair"),
        ("p=1; p=2", "tag 'p' appears twice"),
        ("p=1; P=2", "tag 'P' appears twice"),
        ("k y=rsa; p=", "invalid tag name 'k y'"),
        ("v=DKIM1; p=é", "the record contains non-ASCII characters"),
    ],
)
def test_parse_tags_rejects_broken_tag_lists(text, message):
    with pytest.raises(DkimRecordError) as caught:
        parse_tags(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("v=DKIM2; p=", "v=DKIM2, expected v=DKIM1"),
        ("v=DKIM1; k=rsa", "no p= tag (the public key)"),
        ("v=DKIM1; k=dsa; p=AAAA", "unknown key type k=dsa"),
        ("v=DKIM1; s=tlsrpt; p=AAAA", "s=tlsrpt: the key is not for email"),
        ("v=DKIM1; k=ed25519; p=AAAA", "the Ed25519 key in p= cannot be read: An Ed25519 public key is 32 bytes long"),
    ],
)
def test_parse_key_record_rejects_unusable_keys(text, message):
    with pytest.raises(DkimRecordError) as caught:
        parse_key_record(text, "x._domainkey.example")
    assert str(caught.value) == message


tag_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,5}", fullmatch=True)
tag_values = st.from_regex(r"[!-:<-~]{0,12}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_tag_parser_only_raises_its_own_error(text):
    with contextlib.suppress(DkimRecordError):
        parse_tags(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("vkpht=;: DKIM1rsaed25519AQIDB+/y\t"), max_size=60))
def test_key_record_parser_only_raises_its_own_error(text):
    with contextlib.suppress(DkimRecordError):
        parse_key_record(text, "x._domainkey.example")


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(tag_names, tag_values, max_size=6))
def test_tag_parser_reads_back_what_was_written(tags):
    lowered = {name.lower() for name in tags}
    text = "; ".join(f"{name}={value}" for name, value in tags.items())
    if len(lowered) < len(tags):
        with pytest.raises(DkimRecordError):
            parse_tags(text)
    else:
        assert parse_tags(text) == {name.lower(): value for name, value in tags.items()}


# -- end to end ------------------------------------------------------------------------


def test_cli_json_weak_key_fails_with_exit_1():
    result = run_cli("domain", "dkim-keys.example", *offline("--format", "json", "-s", "weak", "-s", "strong"))
    assert result.exit_code == 1, result.stdout
    report = result.json()
    weak = one_check(report, "dkim.key", "weak")
    assert (weak["status"], weak["summary"]) == (
        "fail",
        "weak: RSA 512-bit key (k=rsa, h=any); verifiers reject RSA keys under 1024 bits",
    )
    assert weak["details"]["bits"] == 512
    assert weak["refs"] == ["RFC 8301 §3.2", "RFC 6376 §3.3.3"]
    strong = one_check(report, "dkim.key", "strong")
    assert (strong["status"], strong["summary"]) == ("pass", "strong: RSA 2048-bit key (k=rsa, h=any)")
    assert not checks_by_id(report, "dkim.selectors")


def test_cli_json_unknown_hash_names_it():
    result = run_cli("domain", "dkim-hash.example", *offline("--format", "json", "-s", "sha512"))
    check = one_check(result.json(), "dkim.hash", "sha512")
    assert (check["status"], check["summary"]) == (
        "warn",
        "sha512: key allows only h=sha512, a hash DKIM does not define; verifiers cannot use the key at all",
    )
    assert check["details"]["hashes"] == ["sha512"]


def test_cli_text_good_example_passes_with_exit_0():
    result = run_cli("domain", "good.example", *offline("--no-smtp", "--no-color", "-v"))
    assert result.exit_code == 0, result.stdout
    assert "google: RSA 2048-bit key (k=rsa, h=any)" in result.stdout
    assert f"probed {len(COMMON_SELECTORS)} common selectors; found 1: google (Google Workspace)" in result.stdout


def test_cli_text_probe_warnings_keep_exit_0():
    result = run_cli("domain", "dkim-probe.example", *offline("--no-smtp", "--no-color", "-v"))
    assert result.exit_code == 0, result.stdout
    assert "s1: key revoked (empty p=)" in result.stdout
    assert "selector2: RSA 2048-bit key (k=rsa, h=any)" in result.stdout


def test_cli_json_no_key_found_is_a_warning():
    result = run_cli("domain", "dkim-none.example", *offline("--format", "json"))
    check = one_check(result.json(), "dkim.selectors")
    assert (check["status"], check["summary"]) == (
        "warn",
        f"no key found under common selectors ({len(COMMON_SELECTORS)} probed); pass --dkim-selector",
    )
    assert check["details"]["found"] == []


def test_cli_named_missing_selector_fails():
    result = run_cli("domain", "dkim-none.example", *offline("--format", "json", "--dkim-selector", "google"))
    assert result.exit_code == 1
    check = one_check(result.json(), "dkim.key", "google")
    assert mentions(check["summary"], "google._domainkey.dkim-none.example", "does not exist")


def test_cli_bad_selector_is_bad_input():
    result = run_cli("domain", "good.example", *offline("--dkim-selector", "bad selector!"))
    assert result.exit_code == 2
    assert "--dkim-selector 'bad selector!' is not a valid selector" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
