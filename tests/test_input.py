"""Domain names and --nameserver values as users type them."""

from __future__ import annotations

import pytest

from mailcheck.dns.nameservers import Nameserver, parse_nameserver
from mailcheck.errors import BadInput
from mailcheck.names import parse_domain


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty domain name"),
        ("   ", "empty domain name"),
        ("exa mple.com", "contains spaces"),
        (" example.com", "contains spaces"),
        ("a..b", "has an empty label ('..')"),
        ("x" * 64 + ".example", "has a label of 64 characters (at most 63)"),
        (".".join(["abcdefghi"] * 26), "is 259 characters long (at most 253)"),
        ("192.0.2.1", "is an IP address, not a domain name"),
        ("[2001:db8::1]", "is an IP address, not a domain name"),
        ("localhost", "is a single label"),
        ("exa$mple.com", "contains '$'"),
        ("-bad.example", "starts or ends with a hyphen"),
        (".", "the root '.' is not a mail domain"),
    ],
)
def test_bad_domain_names_say_why(text, message):
    with pytest.raises(BadInput) as info:
        parse_domain(text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_trailing_dot_and_case_are_normalised():
    name = parse_domain("Good.Example.")
    assert (name.ascii, name.unicode, name.is_idn) == ("good.example", "good.example", False)


def test_idn_is_converted_and_kept_both_ways():
    name = parse_domain("bücher.example")
    assert name.ascii == "xn--bcher-kva.example"
    assert name.unicode == "bücher.example"
    assert name.is_idn
    assert parse_domain("xn--bcher-kva.example").unicode == "bücher.example"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", Nameserver("127.0.0.1", 53)),
        ("127.0.0.1:5353", Nameserver("127.0.0.1", 5353)),
        ("::1", Nameserver("::1", 53)),
        ("[::1]:5353", Nameserver("::1", 5353)),
        ("[2001:db8::53]", Nameserver("2001:db8::53", 53)),
    ],
)
def test_nameserver_forms(text, expected):
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("garbage", "expected an IP address"),
        ("127.0.0.1:0", "port must be a number from 1 to 65535"),
        ("127.0.0.1:dns", "port must be a number from 1 to 65535"),
        ("[::1", "missing ']'"),
        ("[::1]53", "expected ':PORT' after ']'"),
        ("ns1.example.com:53", "expected an IP address"),
    ],
)
def test_bad_nameservers_say_why(text, message):
    with pytest.raises(BadInput, match=message):
        parse_nameserver(text)
