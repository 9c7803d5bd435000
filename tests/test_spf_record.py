"""The SPF record parser (RFC 7208 §12): terms, macros, CIDR lengths, error positions."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailcheck.checks.spf_records import long_txt_strings, udp_answer_size
from mailcheck.records.spf import (
    Qualifier,
    SpfSyntaxError,
    expand_domain_macros,
    is_spf_record,
    parse_spf,
)


def test_terms_qualifiers_and_modifiers():
    record = parse_spf(
        "v=spf1 +a -mx:mail.example.com/24 ~ptr ?include:_spf.example.com ip4:192.0.2.0/24 "
        "ip6:2001:db8::/32 exists:%{i}.x.example.com redirect=_spf.example.net exp=why.example.com x-foo=bar all"
    )
    kinds = [(m.qualifier.value, m.kind) for m in record.mechanisms]
    assert kinds == [
        ("+", "a"),
        ("-", "mx"),
        ("~", "ptr"),
        ("?", "include"),
        ("+", "ip4"),
        ("+", "ip6"),
        ("+", "exists"),
        ("+", "all"),
    ]
    assert record.mechanisms[1].domain_spec == "mail.example.com"
    assert record.mechanisms[1].cidr4 == 24
    assert record.mechanisms[4].network == ipaddress.ip_network("192.0.2.0/24")
    assert record.mechanisms[5].network == ipaddress.ip_network("2001:db8::/32")
    assert [(m.name, m.value) for m in record.modifiers] == [
        ("redirect", "_spf.example.net"),
        ("exp", "why.example.com"),
        ("x-foo", "bar"),
    ]
    assert record.all is not None and record.all.qualifier is Qualifier.PASS
    assert record.explanation == "why.example.com"


def test_lookup_terms_follow_section_4_6_4():
    # Duplicate includes each count; exp= does not; redirect= counts only without all.
    record = parse_spf(
        "v=spf1 include:a.example include:a.example a mx ptr exists:%{i}.e.example ip4:192.0.2.1 redirect=r.example exp=x.example"
    )
    assert record.lookup_terms == (
        "include:a.example",
        "include:a.example",
        "a",
        "mx",
        "ptr",
        "exists:%{i}.e.example",
        "redirect=r.example",
    )
    with_all = parse_spf("v=spf1 a -all include:late.example redirect=r.example")
    assert with_all.lookup_terms == ("a",)
    assert [m.text for m in with_all.unreachable] == ["include:late.example"]
    assert not with_all.redirect_applies


@pytest.mark.parametrize(
    ("text", "kind", "spec", "cidr4", "cidr6"),
    [
        ("v=spf1 a/24", "a", None, 24, None),
        ("v=spf1 mx//64", "mx", None, None, 64),
        ("v=spf1 a:mail.example.com/24//64", "a", "mail.example.com", 24, 64),
        ("v=spf1 mx:example.com/0//0", "mx", "example.com", 0, 0),
        ("v=spf1 a:%{d}/32", "a", "%{d}", 32, None),
    ],
)
def test_dual_cidr_lengths(text, kind, spec, cidr4, cidr6):
    mechanism = parse_spf(text).mechanisms[0]
    assert (mechanism.kind, mechanism.domain_spec, mechanism.cidr4, mechanism.cidr6) == (kind, spec, cidr4, cidr6)


@pytest.mark.parametrize(
    "text",
    [
        "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all",
        "v=spf1 include:%{d2}._spf.example.com -all",
        "v=spf1 a:%{D}.example.com exists:%{i}.%{v}.%{h}.%{s}.%{o}.%{p}.x.example.com",
        "v=spf1 redirect=%{d}",
        "v=spf1 exists:%%.%_.%-.example.com x-note=%{l}.%{d}",
        "V=SPF1 MX -ALL",
    ],
)
def test_macros_and_case_parse(text):
    assert parse_spf(text).text == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("v=spf1 a inclde:foo.example -all", 'unknown mechanism "inclde:foo.example" at position 9'),
        ("v=spf1 ip4:192.0.2.300 -all", 'invalid IPv4 address in "ip4:192.0.2.300" at position 7'),
        ("v=spf1 ip4:192.0.02.1", 'invalid IPv4 address in "ip4:192.0.02.1" at position 7'),
        ("v=spf1 ip4:192.0.2.0/33", 'invalid prefix length (0-32) in "ip4:192.0.2.0/33" at position 7'),
        ("v=spf1 ip6:2001:db8::/129", 'invalid prefix length (0-128) in "ip6:2001:db8::/129" at position 7'),
        ("v=spf1 ip6:fe80::1%eth0", 'invalid IPv6 address in "ip6:fe80::1%eth0" at position 7'),
        ("v=spf1 ip6:2001:db8::zz", 'invalid IPv6 address in "ip6:2001:db8::zz" at position 7'),
        ("v=spf1 mx a/33", 'IPv4 prefix length above 32 in "a/33" at position 10'),
        ("v=spf1 mx//129", 'IPv6 prefix length above 128 in "mx//129" at position 7'),
        ("v=spf1 a:192.0.2.1", 'not a domain name in "a:192.0.2.1" at position 7'),
        ("v=spf1 include:localhost", 'not a domain name in "include:localhost" at position 7'),
        ("v=spf1 include:_spf..example.com", 'not a valid domain name in "include:_spf..example.com" at position 7'),
        ("v=spf1 include", 'include needs a domain, as in include:_spf.example.com "include" at position 7'),
        ("v=spf1 all:foo", 'all takes no argument "all:foo" at position 7'),
        ("v=spf1 -redirect=x.example", 'a modifier cannot have a qualifier "-redirect=x.example" at position 7'),
        ("v=spf1 redirect=a.example redirect=b.example", 'redirect= given a second time "redirect=b.example" at position 26'),
        ("v=spf1 exp=a.example exp=b.example", 'exp= given a second time "exp=b.example" at position 21'),
        ("v=spf1 redirect=", 'redirect= needs a domain "redirect=" at position 7'),
        ("v=spf1 exists:%{d0}.example.com", 'invalid macro in "exists:%{d0}.example.com" at position 7'),
        ("v=spf1 exists:%{x}.example.com", 'invalid macro in "exists:%{x}.example.com" at position 7'),
        ("v=spf1 exists:%{c}.example.com", 'invalid macro in "exists:%{c}.example.com" at position 7'),
        ("v=spf1 a:50%.example.com", 'invalid macro in "a:50%.example.com" at position 7'),
        ("v=spf1 exists:%{d.example.com", 'invalid macro in "exists:%{d.example.com" at position 7'),
        ("v=spf1\ta -all", 'not an SPF record: it must start with v=spf1, found "v=spf1\ta" at position 0'),
        ("v=spf2 -all", 'not an SPF record: it must start with v=spf1, found "v=spf2" at position 0'),
        ("v=spf1 ip4:192.0.2.1include:x.example", 'invalid IPv4 address in "ip4:192.0.2.1include:x.example" at position 7'),
    ],
)
def test_syntax_errors_name_the_term_and_position(text, message):
    with pytest.raises(SpfSyntaxError) as caught:
        parse_spf(text)
    assert str(caught.value).startswith(message)
    error = caught.value
    assert text[error.position : error.position + len(error.term)] == error.term


def test_error_detail_explains_the_macro_rule():
    with pytest.raises(SpfSyntaxError) as caught:
        parse_spf("v=spf1 exists:%{c}.example.com")
    assert caught.value.detail == "%{c} is allowed only in explanation text (§7.2)"
    assert isinstance(caught.value, ValueError)


def test_mechanism_named_modifier_is_valid_but_flagged():
    # RFC 7208 §6: an unknown modifier is ignored; "include=" is one, and surely a typo.
    record = parse_spf("v=spf1 include=_spf.example.com -all")
    assert [m.text for m in record.misspelt_modifiers] == ["include=_spf.example.com"]
    assert record.lookup_terms == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v=spf1", True),
        ("v=spf1 -all", True),
        ("V=SPF1 -all", True),
        ("v=spf10 -all", False),
        ("v=spf1-all", False),
        ("spf1 -all", False),
    ],
)
def test_is_spf_record(text, expected):
    assert is_spf_record(text) is expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("_spf.%{d}", "_spf.mail.example.com"),
        ("%{d2}", "example.com"),
        ("%{dr}", "com.example.mail"),
        ("%{d1r}.x.example", "mail.x.example"),
        ("plain.Example.COM.", "plain.example.com"),
        ("%{i}._spf.%{d}", None),
        ("%%.example.com", None),
    ],
)
def test_expand_domain_macros(spec, expected):
    assert expand_domain_macros(spec, "mail.example.com") == expected


def test_expansion_longer_than_253_is_cut_from_the_left():
    expanded = expand_domain_macros("%{d}.%{d}.%{d}.%{d}.%{d}", "a" * 60 + ".example")
    assert expanded is not None and len(expanded) <= 253 and expanded.endswith(".example")


# -- the 255-byte string and 512-byte answer limits ---------------------------------


@dataclass(frozen=True)
class FakeTxt:
    """A TXT rdata as a zone-file editor or provider API holds it before publishing:
    dnspython itself refuses strings over 255 bytes."""

    strings: tuple[bytes, ...]


def test_long_txt_strings_finds_a_string_over_255_bytes():
    record = b"v=spf1 " + b" ".join(b"ip4:198.51.100.%d" % i for i in range(1, 20)) + b" -all"
    assert len(record) == 344
    assert long_txt_strings([FakeTxt((record,))]) == [344]
    assert long_txt_strings([FakeTxt((record[:255], record[255:]))]) == []


def test_udp_answer_size_counts_every_txt_record_at_the_name():
    import dns.rdata

    def txt(*strings: str):
        return dns.rdata.from_text("IN", "TXT", " ".join(f'"{s}"' for s in strings))

    small = udp_answer_size("x.example", [txt("v=spf1 -all")])
    # header 12 + question (11 name + 4) + answer (2 pointer + 10 + 1 + 11 rdata)
    assert small == 12 + 15 + 2 + 10 + 12
    big = udp_answer_size("x.example", [txt("v=spf1 " + "a" * 240, "b" * 250), txt("c" * 200)])
    assert big > 512


# -- property tests ----------------------------------------------------------------

TOKENS = [
    "v=spf1",
    " ",
    "  ",
    "+",
    "-",
    "~",
    "?",
    "all",
    "include",
    "a",
    "mx",
    "ptr",
    "ip4",
    "ip6",
    "exists",
    "redirect",
    "exp",
    ":",
    "=",
    "/",
    "//",
    ".",
    "%",
    "%{",
    "}",
    "d",
    "i",
    "r",
    "0",
    "1",
    "24",
    "33",
    "128",
    "192.0.2.1",
    "2001:db8::",
    "example.com",
    "_spf",
    "%{d}",
    "%{ir}",
    "%%",
    "-",
    "\t",
    "é",
    "\x00",
]


@settings(max_examples=400, deadline=None)
@given(st.text())
@example("v=spf1 ip4:1.2.3.4/")
@example("v=spf1 a://")
@example("v=spf1 %{")
def test_no_text_raises_anything_but_the_parse_error(text):
    try:
        record = parse_spf(text)
    except SpfSyntaxError as error:
        assert text[error.position : error.position + len(error.term)] == error.term
    else:
        assert record.text == text


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=14).map("".join))
def test_spf_shaped_text_raises_only_the_parse_error(body):
    text = "v=spf1 " + body
    try:
        record = parse_spf(text)
    except SpfSyntaxError as error:
        assert 7 <= error.position < len(text)
        assert text[error.position : error.position + len(error.term)] == error.term
    else:
        terms = [m.text for m in record.mechanisms] + [m.text for m in record.modifiers]
        assert sorted(terms) == sorted(text.split()[1:])


VALID_TERMS = st.one_of(
    st.builds(lambda q, n: q + n, st.sampled_from(["", "+", "-", "~", "?"]), st.sampled_from(["all", "a", "mx", "ptr"])),
    st.builds(lambda n, p: f"ip4:{n}/{p}", st.ip_addresses(v=4).map(str), st.integers(0, 32)),
    st.builds(lambda n, p: f"ip6:{n}/{p}", st.ip_addresses(v=6).map(str), st.integers(0, 128)),
    st.builds(
        lambda k, d: f"{k}:{d}",
        st.sampled_from(["include", "exists", "a", "mx", "ptr"]),
        st.from_regex(r"(_?[a-z][a-z0-9-]{0,8}[a-z0-9]\.){1,3}example", fullmatch=True),
    ),
    st.sampled_from(["exists:%{ir}.%{l1r+-}._spf.%{d}", "a:%{d}/24//64", "x-tag=%{d}", "exp=explain.%{d}"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(VALID_TERMS, max_size=12))
def test_valid_records_parse_term_by_term(terms):
    text = " ".join(["v=spf1", *terms])
    if sum(t.startswith("exp=") for t in terms) > 1:
        return  # a second exp= is an error of its own, tested above
    record = parse_spf(text)
    assert [m.text for m in record.mechanisms] + [m.text for m in record.modifiers] == [t for t in terms if "=" not in t] + [
        t for t in terms if "=" in t
    ]
