"""Internal and test domains can be probed: any domain the run can resolve, special-use
names (.test, .local, .localhost, .arpa, .onion, .invalid) included, for the target
and for --mail-from, with email-validator's syntax checks kept for the local part."""

from __future__ import annotations

import pytest

from mailcheck.commands.probe import parse_address
from mailcheck.errors import BadInput
from tests.helpers import ZONES, mentions, one_check, run_cli
from tests.helpers.smtp_servers import Script, free_port, known_users, smtp_server

HELO = "prober.probe-client.example"
MX = "127.0.6.10"  # mx1.probe.test


def probe(port: int, *args: str):
    return run_cli("probe", *args, "--zone", str(ZONES), "--offline", "--port", str(port), "--helo", HELO, "--timeout", "2")


@pytest.mark.parametrize(
    ("text", "smtp", "domain"),
    [
        ("alice@corp.local", "alice@corp.local", "corp.local"),
        ("Bob@Probe.TEST", "Bob@probe.test", "probe.test"),
        ("ops@mail.localhost", "ops@mail.localhost", "mail.localhost"),
        ("x@host.home.arpa", "x@host.home.arpa", "host.home.arpa"),
        ("x@hidden.onion", "x@hidden.onion", "hidden.onion"),
        ("x@nowhere.invalid", "x@nowhere.invalid", "nowhere.invalid"),
        ("ü@bücher.local", "ü@xn--bcher-kva.local", "xn--bcher-kva.local"),
    ],
)
def test_special_use_addresses_parse(text: str, smtp: str, domain: str) -> None:
    target = parse_address(text)
    assert (target.smtp, target.domain) == (smtp, domain)


def test_an_idn_under_local_keeps_its_unicode_form_and_needs_smtputf8_only_for_the_local_part() -> None:
    target = parse_address("ü@bücher.local")
    assert (target.display, target.domain_unicode, target.needs_smtputf8) == ("ü@bücher.local", "bücher.local", True)
    assert parse_address("a@bücher.local").needs_smtputf8 is False


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a..b@corp.local", "An email address cannot have two periods in a row."),
        ("a@corp..local", "An email address cannot have two periods in a row."),
        ("@corp.local", "There must be something before the @-sign."),
        ('"a b"@mail.local', "Quoting the part before the @-sign is not allowed here."),
    ],
)
def test_syntax_is_still_checked_under_special_use_names(text: str, reason: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_address(text)
    assert str(caught.value) == f"{text!r} is not a valid email address: {reason}"


def test_an_address_under_special_use_name_too_long_is_refused() -> None:
    local = "x" * 64
    domain = ".".join(["a" * 60] * 4) + ".local"  # 249 characters: a valid name on its own
    with pytest.raises(BadInput) as caught:
        parse_address(f"{local}@{domain}")
    assert str(caught.value).endswith(f"{len(local) + 1 + len(domain)} characters long (at most 254)")


def test_probe_of_a_test_domain_is_deliverable_and_the_unmade_ptr_is_listed_first() -> None:
    port = free_port()
    with smtp_server(MX, port, Script(rcpt=known_users("user@probe.test"))) as server:
        data = probe(port, "user@probe.test", "--mail-from", "sender@mail.local", "--format", "json")
        text = probe(port, "user@probe.test", "--mail-from", "sender@mail.local", "--no-color")
    assert data.exit_code == 0 and text.exit_code == 0, data.stdout + data.stderr
    report = data.json()
    assert (report["target"], report["verdict"], report["status"]) == ("user@probe.test", "deliverable", "warn")
    verdict = one_check(report, "acceptance.verdict")
    assert verdict["status"] == "pass"
    assert mentions(verdict["summary"], "250 2.1.5", "'OK'", "mx1.probe.test", MX, "refuses unknown")
    ptr = one_check(report, "mx.ptr", MX)
    assert (ptr["status"], ptr["side_fact"]) == ("error", True)
    assert mentions(ptr["summary"], f"PTR of {MX}", "--offline")
    assert server.args("MAIL")[0].startswith("FROM:<sender@mail.local>")
    assert text.stdout.splitlines()[:3] == [
        "user@probe.test  ! WARN",
        "  1 check could not be made:",
        f"    ? mx.ptr [{MX}]: could not look up the PTR of {MX}: outside the loaded zones and --offline is set",
    ]
    assert "DATA" not in server.verbs()


def test_probe_of_an_unknown_mailbox_under_test_is_undeliverable() -> None:
    port = free_port()
    with smtp_server(MX, port, Script(rcpt=known_users("user@probe.test"))):
        data = probe(port, "nobody@probe.test", "--format", "json")
    assert data.exit_code == 1
    verdict = one_check(data.json(), "acceptance.verdict")
    assert verdict["status"] == "fail"
    assert verdict["summary"].startswith(
        f"undeliverable: 550 5.1.1 mailbox unknown — '<nobody@probe.test>: User unknown' (mx1.probe.test {MX})"
    )


def test_probe_of_a_local_domain_without_zone_gets_no_verdict_not_bad_input() -> None:
    # corp-nowhere.local is served by no zone: the name is accepted, the lookup cannot be made.
    result = run_cli("probe", "a@corp-nowhere.local", "--zone", str(ZONES), "--offline", "--helo", HELO, "--format", "json")
    assert result.exit_code == 3
    assert mentions(one_check(result.json(), "acceptance.verdict")["summary"], "corp-nowhere.local", "--offline")


def test_mail_from_under_a_special_use_name_is_checked_too() -> None:
    result = run_cli("probe", "user@probe.test", "--mail-from", "a..b@mail.local", "--zone", str(ZONES), "--offline")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "mailcheck: error: 'a..b@mail.local' is not a valid email address: An email address cannot have two periods in a row."
    )
