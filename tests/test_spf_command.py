"""mailcheck spf: check_host() for raw SMTP identities, exit codes by result."""

from __future__ import annotations

import pytest

from tests.helpers import ZONES, run_cli


def spf(*args: str):
    return run_cli("spf", *args, "--zone", str(ZONES), "--offline", "--format", "json")


def evaluations(result) -> dict[str, dict]:
    return {c["subject"]: c for c in result.json()["obstacles"][0]["checks"]}


def test_pass_shows_the_tree_walked_and_the_mechanism():
    result = spf("--ip", "127.0.0.25", "--mail-from", "bob@sender.example", "--helo", "mail.sender.example")
    assert result.exit_code == 0
    found = evaluations(result)
    mfrom = found["MAIL FROM bob@sender.example"]
    assert (mfrom["id"], mfrom["status"], mfrom["details"]["result"]) == ("spf.evaluation", "pass", "pass")
    assert mfrom["details"]["mechanism"] == "include:_spf.sender.example"
    assert mfrom["details"]["tree"]["children"][0]["record"] == "v=spf1 ip4:127.0.0.25 ip4:192.0.2.0/24 -all"
    helo = found["HELO mail.sender.example"]
    assert (helo["details"]["result"], helo["details"]["mechanism"]) == ("pass", "a")
    text = run_cli(
        "spf",
        "--ip",
        "127.0.0.25",
        "--mail-from",
        "bob@sender.example",
        "--helo",
        "mail.sender.example",
        "--zone",
        str(ZONES),
        "--offline",
        "--no-color",
        "-v",
    )
    assert "sender.example: 1 lookup (1 with what it includes)" in text.stdout
    assert "  include:_spf.sender.example: 0 lookups" in text.stdout
    assert "matched: include:_spf.sender.example" in text.stdout


@pytest.mark.parametrize(
    ("args", "result_word", "status", "code"),
    [
        (("--ip", "127.0.0.26", "--mail-from", "bob@sender.example"), "fail", "fail", 1),
        (("--ip", "127.0.0.99", "--mail-from", "bob@soft.esp.example"), "softfail", "fail", 1),
        (("--ip", "198.51.100.7", "--mail-from", "bob@spf-neutral.example"), "neutral", "warn", 0),
        (("--ip", "127.0.0.25", "--mail-from", "bob@spf-syntax.example"), "permerror", "fail", 1),
        (("--ip", "127.0.0.25", "--mail-from", "bob@elsewhere.test"), "temperror", "error", 3),
        (("--ip", "127.0.0.25", "--mail-from", "nobody"), "none", "warn", 0),
    ],
    ids=["fail", "softfail", "neutral", "permerror", "temperror", "malformed-sender"],
)
def test_results_and_exit_codes(args, result_word, status, code):
    result = spf(*args)
    assert result.exit_code == code, result.stdout
    (check,) = evaluations(result).values()
    assert (check["details"]["result"], check["status"]) == (result_word, status)


def test_null_sender_uses_the_helo_and_a_literal_helo_gives_none():
    result = spf("--ip", "127.0.0.25", "--mail-from", "<>", "--helo", "mail.sender.example")
    found = evaluations(result)
    assert found["MAIL FROM postmaster@mail.sender.example"]["details"]["result"] == "pass"
    literal = spf("--ip", "127.0.0.25", "--helo", "[127.0.0.25]")
    (check,) = evaluations(literal).values()
    assert (check["details"]["result"], check["status"], literal.exit_code) == ("none", "warn", 0)
    assert check["details"]["explanation"] == "HELO '[127.0.0.25]' is an address literal: check_host() gives none (RFC 7208 §2.3)"
    single = spf("--ip", "127.0.0.25", "--helo", "localhost")
    (check,) = evaluations(single).values()
    assert (
        check["details"]["explanation"]
        == "HELO 'localhost' is not a fully qualified domain name: check_host() gives none (RFC 7208 §2.3)"
    )


def test_text_output_names_the_mechanism():
    result = run_cli(
        "spf", "--ip", "127.0.0.26", "--mail-from", "bob@sender.example", "--zone", str(ZONES), "--offline", "--no-color"
    )
    assert result.exit_code == 1
    assert "SPF fail for 127.0.0.26 as MAIL FROM bob@sender.example, matched -all" in result.stdout
    assert "fix: If 127.0.0.26 sends for sender.example, add ip4:127.0.0.26" in result.stdout


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("--mail-from", "a@b.example"), "--ip ADDR is required"),
        (("--ip", "127.0.0.1"), "give --mail-from ADDRESS|<> and/or --helo NAME"),
        (("--ip", "not-an-ip", "--helo", "x.example"), "--ip 'not-an-ip' is not an IPv4 or IPv6 address"),
    ],
)
def test_bad_input(args, error):
    result = run_cli("spf", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"mailcheck: error: {error}") and result.stderr.count("\n") == 1
