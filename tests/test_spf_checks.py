"""spf.* checks over the fixture zones: the record, its tree, lookups, void lookups,
loops, includes, all, ptr, length, and --ip evaluation; at the check level and end to end."""

from __future__ import annotations

import asyncio
import time

import pytest

from mailcheck.checks.context import DomainContext, DomainOptions
from mailcheck.checks.spf import check_spf
from mailcheck.checks.spf_tree import walk_spf
from mailcheck.dns.library import LibraryResolver, library_dns
from mailcheck.model import Check, Status
from mailcheck.names import DomainName
from mailcheck.render.detail_lines import detail_lines
from tests.helpers import checks_by_id, mentions, offline, one_check, run_cli


def spf_run(resolver_factory, domain: str, **options: str) -> tuple[list[Check], list[tuple[str, str]]]:
    """The spf.* checks of ``domain``, and the (name, type) queries the run's resolver made."""

    async def run():
        resolver = resolver_factory(1.0)
        library = LibraryResolver(resolver, asyncio.get_running_loop())
        context = DomainContext(DomainName(domain, domain), resolver, library, DomainOptions(**options), 1.0)
        with library_dns(library):  # as runtime.run_dns does: pyspf resolves through the run
            checks = await check_spf(context)
        return checks, [(q.name, q.rdtype) for q in resolver.log]

    return asyncio.run(run())


def spf_checks(resolver_factory, domain: str, **options: str) -> list[Check]:
    return spf_run(resolver_factory, domain, **options)[0]


def only(checks: list[Check], check_id: str, subject: str | None = None) -> Check:
    found = [c for c in checks if c.id == check_id and (subject is None or c.subject == subject)]
    assert len(found) == 1, [f"{c.id} {c.subject} {c.status} {c.summary}" for c in checks]
    return found[0]


def outcome(check: Check) -> tuple[Status, str]:
    return check.status, check.summary


# -- healthy records -------------------------------------------------------------------


def test_good_record_passes_with_its_counts(resolver_factory):
    checks = spf_checks(resolver_factory, "good.example")
    assert [c.id for c in checks] == ["spf.record", "spf.syntax", "spf.all", "spf.lookups", "spf.void-lookups"]
    assert outcome(only(checks, "spf.record")) == (Status.PASS, "SPF record: v=spf1 mx include:_spf.good.example -all")
    assert outcome(only(checks, "spf.syntax")) == (
        Status.PASS,
        "all 2 SPF records of the tree parse (RFC 7208 grammar, macros included)",
    )
    assert outcome(only(checks, "spf.all")) == (Status.PASS, "the SPF record ends with -all: mail from unlisted hosts fails SPF")
    lookups = only(checks, "spf.lookups")
    assert outcome(lookups) == (Status.PASS, "SPF needs 2 DNS lookups of 10")
    assert (lookups.details["lookups"], lookups.details["limit"], lookups.details["complete"]) == (2, 10, True)
    assert detail_lines(lookups, verbose=False) == [
        "good.example: 2 lookups (2 with what it includes)",
        "  include:_spf.good.example: 0 lookups",
    ]
    assert outcome(only(checks, "spf.void-lookups")) == (
        Status.PASS,
        "no void lookups: every a, mx and include target has records",
    )


def test_macros_parse_and_d_macro_includes_are_followed(resolver_factory):
    checks = spf_checks(resolver_factory, "spf-macro.example")
    assert outcome(only(checks, "spf.record")) == (
        Status.PASS,
        "SPF record: v=spf1 a:%{d} exists:%{ir}.%{l1r+-}._spf.%{d} include:_spf.%{d2} -all exp=explain._spf.%{d}",
    )
    assert only(checks, "spf.syntax").status is Status.PASS
    # a, exists and include count; exp= does not.
    lookups = only(checks, "spf.lookups")
    assert outcome(lookups) == (Status.PASS, "SPF needs 3 DNS lookups of 10")
    assert detail_lines(lookups, verbose=False)[1] == "  include:_spf.%{d2} (_spf.spf-macro.example): 0 lookups"
    assert only(checks, "spf.void-lookups").status is Status.PASS


def test_redirect_is_followed_and_is_not_a_loop(resolver_factory):
    checks = spf_checks(resolver_factory, "spf-redirect.example")
    assert not checks_of(checks, "spf.loop")
    assert outcome(only(checks, "spf.all")) == (
        Status.PASS,
        "the SPF record ends with ~all (through redirect=_spf.spf-redirect.example): mail from unlisted hosts soft-fails SPF",
    )
    lookups = only(checks, "spf.lookups")
    assert outcome(lookups) == (Status.PASS, "SPF needs 1 DNS lookup of 10")
    assert lookups.details["tree"]["children"][0]["via"] == "redirect"


def checks_of(checks: list[Check], check_id: str) -> list[Check]:
    return [c for c in checks if c.id == check_id]


# -- failures ------------------------------------------------------------------------


def test_no_spf_record_fails_and_points_at_the_near_miss(resolver_factory):
    checks = spf_checks(resolver_factory, "spf-none.example")
    assert [c.id for c in checks] == ["spf.record"]
    assert outcome(checks[0]) == (
        Status.FAIL,
        "no SPF record: spf-none.example has 2 TXT records but none starts with v=spf1; "
        "this one looks meant as SPF but does not start with \"v=spf1 \": 'spf1 mx -all'",
    )
    assert checks[0].refs == ("RFC 7208 §4.5", "RFC 7208 §3")


def test_missing_domain_has_no_spf_record(resolver_factory):
    checks = spf_checks(resolver_factory, "nowhere.example")
    assert outcome(only(checks, "spf.record")) == (Status.FAIL, "no SPF record: nowhere.example does not exist (NXDOMAIN)")


def test_two_spf_records_fail(resolver_factory):
    check = only(spf_checks(resolver_factory, "spf-multiple.example"), "spf.record")
    assert check.status is Status.FAIL
    assert check.summary.startswith("spf-multiple.example has 2 SPF records; receivers treat that as permerror: ")
    assert sorted(check.details["records"]) == ["v=spf1 ip4:192.0.2.0/24 ~all", "v=spf1 mx -all"]


def test_syntax_error_names_the_term_and_position(resolver_factory):
    checks = spf_checks(resolver_factory, "spf-syntax.example")
    assert [c.id for c in checks] == ["spf.record", "spf.syntax"]
    syntax = only(checks, "spf.syntax")
    assert outcome(syntax) == (Status.FAIL, 'unknown mechanism "inclde:_spf.spf-syntax.example" at position 9 (permerror)')
    assert syntax.details["errors"][0]["position"] == 9
    assert syntax.fix.startswith('Correct "inclde:_spf.spf-syntax.example" in your record')


def test_syntax_error_at_a_string_join_says_the_space_is_missing(resolver_factory):
    syntax = only(spf_checks(resolver_factory, "split.spf-syntax.example"), "spf.syntax")
    assert outcome(syntax) == (
        Status.FAIL,
        'invalid prefix length (0-32) in "ip4:192.0.2.0/24include:_spf.spf-syntax.example" at position 7; '
        "the TXT strings join at position 23 with no space between them (RFC 7208 §3.3) (permerror)",
    )


def test_plus_all_fails(resolver_factory):
    check = only(spf_checks(resolver_factory, "spf-plusall.example"), "spf.all")
    assert outcome(check) == (
        Status.FAIL,
        "the SPF record ends with +all: every host on the internet may send as spf-plusall.example",
    )
    assert check.fix == "Replace it with -all (or ~all while you make sure every sender is listed)."


def test_include_of_a_plus_all_record_fails(resolver_factory):
    check = only(spf_checks(resolver_factory, "inc.spf-plusall.example"), "spf.all")
    assert outcome(check) == (
        Status.FAIL,
        "include:_open.spf-plusall.example ends with +all: every host on the internet matches that include "
        "and passes SPF for inc.spf-plusall.example",
    )


QUAL = "spf-qualinclude.example"
OPEN = f"_open.{QUAL}"


@pytest.mark.parametrize(
    ("name", "status", "summary", "verdict"),
    [
        # Only a pass include of a record that passes every host opens the record.
        (
            "bare",
            Status.FAIL,
            f"include:{OPEN} ends with +all: every host on the internet matches that include and passes SPF for bare.{QUAL}",
            "pass",
        ),
        (
            "plus",
            Status.FAIL,
            f"+include:{OPEN} ends with +all: every host on the internet matches that include and passes SPF for plus.{QUAL}",
            "pass",
        ),
        # The redirect's result is the include's result.
        (
            "redir",
            Status.FAIL,
            f"include:_redir.{QUAL} ends with +all (through redirect={OPEN}): every host on the internet "
            f"matches that include and passes SPF for redir.{QUAL}",
            "pass",
        ),
        # Any other qualifier gives every host its own result, before the record's all.
        (
            "fail",
            Status.PASS,
            f"-include:{OPEN} matches every host, as {OPEN} ends with +all: mail from unlisted hosts fails SPF",
            "fail",
        ),
        (
            "softfail",
            Status.PASS,
            f"~include:{OPEN} matches every host, as {OPEN} ends with +all: mail from unlisted hosts soft-fails SPF",
            "softfail",
        ),
        (
            "neutral",
            Status.WARN,
            f"?include:{OPEN} matches every host, as {OPEN} ends with +all: mail from unlisted hosts gets neutral, "
            "which receivers treat like no SPF",
            "neutral",
        ),
        (
            "deep",
            Status.PASS,
            f"-include:_bare.{QUAL} matches every host, as include:{OPEN} under it ends with +all: "
            "mail from unlisted hosts fails SPF",
            "fail",
        ),
        # _closed fails every host, so its include never matches: the record's -all decides.
        ("nested", Status.PASS, "the SPF record ends with -all: mail from unlisted hosts fails SPF", "fail"),
    ],
)
def test_include_of_a_plus_all_record_opens_only_with_the_pass_qualifier(resolver_factory, name, status, summary, verdict):
    checks = spf_checks(resolver_factory, f"{name}.{QUAL}", sending_ip="203.0.113.9")
    assert outcome(only(checks, "spf.all")) == (status, summary)
    # What a receiver (pyspf) decides for a host the record does not list agrees.
    assert only(checks, "spf.evaluation").details["result"] == verdict


def test_fixes_for_includes_that_match_every_host_name_who_can_change_them(resolver_factory):
    redir = only(spf_checks(resolver_factory, f"redir.{QUAL}"), "spf.all")
    assert redir.fix == f"Remove include:_redir.{QUAL}, or have the owner of {OPEN} end it with -all."
    assert (redir.details["catch_all_include"], redir.details["open_record"]) == (f"include:_redir.{QUAL}", OPEN)
    neutral = only(spf_checks(resolver_factory, f"neutral.{QUAL}"), "spf.all")
    assert neutral.fix == f"Remove ?include:{OPEN}, or have the owner of {OPEN} end it with -all."
    assert neutral.details["all"] == "-all"


def test_cli_json_minus_include_of_a_plus_all_record_passes():
    result = run_cli("domain", f"fail.{QUAL}", *offline("--format", "json"))
    check = one_check(result.json(), "spf.all")
    assert (check["status"], check["summary"]) == (
        "pass",
        f"-include:{OPEN} matches every host, as {OPEN} ends with +all: mail from unlisted hosts fails SPF",
    )


def test_three_level_tree_needing_11_lookups_fails(resolver_factory):
    checks, asked = spf_run(resolver_factory, "spf-toomany.example")
    lookups = only(checks, "spf.lookups")
    assert outcome(lookups) == (Status.FAIL, "SPF needs 11 DNS lookups; receivers stop at 10 (permerror)")
    assert (lookups.details["lookups"], lookups.details["limit"]) == (11, 10)
    assert lookups.fix == "Flatten or remove includes until the tree needs at most 10 lookups (ip4:/ip6: terms cost none)."
    assert lookups.refs == ("RFC 7208 §4.6.4",)
    # _c is included twice, and counts twice.
    assert detail_lines(lookups, verbose=False) == [
        "spf-toomany.example: 3 lookups (11 with what it includes)",
        "  include:_a.spf-toomany.example: 2 lookups (4 with what it includes)",
        "    include:_c.spf-toomany.example: 2 lookups",
        "  include:_b.spf-toomany.example: 2 lookups (4 with what it includes)",
        "    include:_c.spf-toomany.example: 2 lookups",
    ]
    tree = lookups.details["tree"]
    assert [c["domain"] for c in tree["children"]] == ["_a.spf-toomany.example", "_b.spf-toomany.example"]
    assert tree["children"][0]["children"][0]["record"] == (
        "v=spf1 a:mail.spf-toomany.example a:relay.spf-toomany.example ip4:192.0.2.0/24 -all"
    )
    # The run's cache asks for _c once although it is reached twice.
    assert asked.count(("_c.spf-toomany.example", "TXT")) == 1


def test_includes_of_a_level_are_fetched_at_once(resolver_factory):
    async def run():
        resolver = resolver_factory(1.0)
        await walk_spf(resolver, "spf-toomany.example")
        return resolver.log

    log = asyncio.run(run())
    by_name = {(q.name, q.rdtype): q for q in log}
    first_a, first_b = by_name[("_a.spf-toomany.example", "TXT")], by_name[("_b.spf-toomany.example", "TXT")]
    # Both includes of the top record were in flight together, before either answered.
    assert first_b.started_ms < first_a.started_ms + first_a.elapsed_ms
    assert first_a.started_ms < first_b.started_ms + first_b.elapsed_ms
    # The level below starts only after its parents' answers arrived.
    c = by_name[("_c.spf-toomany.example", "TXT")]
    assert c.started_ms >= min(first_a.started_ms + first_a.elapsed_ms, first_b.started_ms + first_b.elapsed_ms)


def test_three_void_lookups_fail(resolver_factory):
    check = only(spf_checks(resolver_factory, "spf-void.example"), "spf.void-lookups")
    assert check.status is Status.FAIL
    assert check.summary.startswith("SPF makes 3 void lookups (names with no records); receivers stop at 2 (permerror): ")
    assert sorted(detail_lines(check, verbose=False)) == [
        "a:gone1.spf-void.example in spf-void.example: gone1.spf-void.example does not exist (NXDOMAIN)",
        "a:gone2.spf-void.example in spf-void.example: gone2.spf-void.example does not exist (NXDOMAIN)",
        "mx:nomx.spf-void.example in spf-void.example: nomx.spf-void.example has no MX record",
    ]
    assert (check.details["void_lookups"], check.details["limit"]) == (3, 2)


def test_include_loop_fails(resolver_factory):
    checks = spf_checks(resolver_factory, "spf-loop.example")
    loop = only(checks, "spf.loop")
    assert outcome(loop) == (
        Status.FAIL,
        "include:spf-loop.example in _a.spf-loop.example leads back to a record already being evaluated "
        "(loop: spf-loop.example → _a.spf-loop.example → spf-loop.example); receivers give permerror",
    )
    assert only(checks, "spf.lookups").status is Status.FAIL


def test_includes_without_spf_fail_each_by_name(resolver_factory):
    checks = spf_checks(resolver_factory, "spf-missing-include.example")
    missing = only(checks, "spf.include", "_spf.spf-missing-include.example")
    assert outcome(missing) == (
        Status.FAIL,
        "include:_spf.spf-missing-include.example in spf-missing-include.example leads to no single SPF record: "
        "_spf.spf-missing-include.example does not exist (NXDOMAIN); receivers give permerror",
    )
    not_spf = only(checks, "spf.include", "_notspf.spf-missing-include.example")
    assert not_spf.status is Status.FAIL
    assert "_notspf.spf-missing-include.example has 1 TXT record but none starts with v=spf1" in not_spf.summary
    # The include of a name that does not exist is also a void lookup.
    assert outcome(only(checks, "spf.void-lookups")) == (
        Status.WARN,
        "1 void lookup of 2 allowed: include:_spf.spf-missing-include.example in spf-missing-include.example: "
        "_spf.spf-missing-include.example does not exist (NXDOMAIN)",
    )


# -- warnings ------------------------------------------------------------------------


def test_neutral_all_warns(resolver_factory):
    assert outcome(only(spf_checks(resolver_factory, "spf-neutral.example"), "spf.all")) == (
        Status.WARN,
        "the SPF record ends with ?all: mail from unlisted hosts gets neutral, which receivers treat like no SPF",
    )


def test_missing_all_warns(resolver_factory):
    assert outcome(only(spf_checks(resolver_factory, "spf-noall.example"), "spf.all")) == (
        Status.WARN,
        "the SPF record has no all and no redirect=: mail from unlisted hosts gets neutral, as if there were no SPF",
    )


def test_terms_after_all_and_an_inert_redirect_warn_and_cost_nothing(resolver_factory):
    checks = spf_checks(resolver_factory, "spf-afterall.example")
    assert outcome(only(checks, "spf.all")) == (
        Status.WARN,
        "the SPF record ends with -all: mail from unlisted hosts fails SPF, but 1 term after all is never "
        "evaluated: include:_spf.spf-afterall.example",
    )
    assert outcome(only(checks, "spf.redirect")) == (
        Status.WARN,
        "redirect=_spf.spf-afterall.example in spf-afterall.example is ignored because the record has -all",
    )
    assert outcome(only(checks, "spf.lookups")) == (Status.PASS, "SPF needs 0 DNS lookups of 10")


def test_ptr_warns(resolver_factory):
    check = only(spf_checks(resolver_factory, "spf-ptr.example"), "spf.ptr")
    assert outcome(check) == (
        Status.WARN,
        "the SPF tree uses ptr (ptr:spf-ptr.example in spf-ptr.example): slow, unreliable, and RFC 7208 says "
        "not to use it; some receivers skip it",
    )
    assert check.refs == ("RFC 7208 §5.5",)


def test_record_too_long_for_udp_warns(resolver_factory):
    check = only(spf_checks(resolver_factory, "spf-long.example"), "spf.length")
    assert outcome(check) == (
        Status.WARN,
        "the TXT answer for spf-long.example is 771 bytes (SPF record 722 bytes), over the 512 bytes of a plain "
        "UDP answer; receivers must retry over TCP or EDNS, and some fail",
    )


def test_string_over_255_bytes_warns():
    from mailcheck.checks.spf import tree_checks
    from mailcheck.checks.spf_tree import SpfNode
    from mailcheck.records.spf import parse_spf
    from tests.test_spf_record import FakeTxt

    text = "v=spf1 " + " ".join(f"ip4:198.51.100.{i}" for i in range(1, 20)) + " -all"
    rdata = FakeTxt((text.encode(),))
    root = SpfNode("x.example", None, None, record=parse_spf(text), txt=(rdata,), spf_txt=(rdata,))
    check = only(tree_checks("x.example", root), "spf.length")
    assert outcome(check) == (Status.WARN, "the SPF record has a TXT string of 344 bytes; one string holds at most 255")


# -- could not tell ------------------------------------------------------------------


def test_unanswerable_include_is_an_error_never_a_failure(resolver_factory):
    checks = spf_checks(resolver_factory, "spf-unreachable.example")
    include = only(checks, "spf.include", "_spf.provider.invalid")
    assert include.status is Status.ERROR
    assert mentions(
        include.summary, "include:_spf.provider.invalid", "spf-unreachable.example", "_spf.provider.invalid TXT", "--offline"
    )
    lookups = only(checks, "spf.lookups")
    assert lookups.status is Status.ERROR
    assert lookups.summary.startswith("could not tell: SPF needs at least 1 DNS lookup of 10; ")
    assert not [c for c in checks if c.status is Status.FAIL]


def test_unanswerable_top_record_is_an_error(resolver_factory):
    checks = spf_checks(resolver_factory, "outside.invalid")
    assert [(c.id, c.status) for c in checks] == [("spf.record", Status.ERROR)]
    assert mentions(checks[0].summary, "outside.invalid TXT", "--offline")


def test_dead_nameserver_gives_an_error_quickly(zone_server):
    import socket

    from mailcheck.dns.nameservers import Nameserver
    from mailcheck.dns.resolver import Resolver

    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:

        async def run():
            resolver = Resolver(upstream=[Nameserver("127.0.0.1", silent.getsockname()[1])], timeout=0.5)
            library = LibraryResolver(resolver, asyncio.get_running_loop())
            context = DomainContext(DomainName("good.example", "good.example"), resolver, library, DomainOptions(), 0.5)
            return await check_spf(context)

        started = time.monotonic()
        checks = asyncio.run(run())
    finally:
        silent.close()
    assert time.monotonic() - started < 3
    assert [(c.id, c.status) for c in checks] == [("spf.record", Status.ERROR)]
    assert checks[0].summary.startswith("could not look up good.example TXT: no answer within 0.5s")


UNANSWERED = "spf-unanswered.example"


def servfail(zone_server) -> str:
    # The zone server gives up on the loop with SERVFAIL; the resolver names the cause.
    return f"{zone_server.host}:{zone_server.port} answered SERVFAIL: CNAME loop"


def test_unanswered_a_lookup_leaves_the_count_exact_but_void_lookups_unknown(resolver_factory, zone_server):
    checks = spf_checks(resolver_factory, f"a.{UNANSWERED}")
    # An a term costs its one lookup whatever the answer.
    assert outcome(only(checks, "spf.lookups")) == (Status.PASS, "SPF needs 1 DNS lookup of 10")
    assert outcome(only(checks, "spf.void-lookups")) == (
        Status.ERROR,
        f"could not tell: 0 void lookups so far, and a:broken.{UNANSWERED} ({servfail(zone_server)}) could not be looked up",
    )


def test_unanswered_mx_lookup_leaves_the_mx_host_limit_unknown(resolver_factory, zone_server):
    checks = spf_checks(resolver_factory, f"mx.{UNANSWERED}")
    lookups = only(checks, "spf.lookups")
    assert outcome(lookups) == (
        Status.ERROR,
        f"could not tell: SPF needs 1 DNS lookup of 10, but the MX hosts of mx:broken.{UNANSWERED} in "
        f"mx.{UNANSWERED} could not be counted ({servfail(zone_server)}); receivers look up at most 10",
    )
    assert lookups.details["complete"] is True
    assert lookups.details["mx_uncounted"] == [
        {"domain": f"mx.{UNANSWERED}", "term": f"mx:broken.{UNANSWERED}", "reason": servfail(zone_server)}
    ]
    assert only(checks, "spf.void-lookups").status is Status.ERROR


@pytest.mark.parametrize(
    ("domain", "reason"),
    [
        (f"include.{UNANSWERED}", "SERVFAIL"),
        ("spf-unreachable.example", "offline"),
    ],
)
def test_unanswered_include_leaves_void_lookups_unknown(resolver_factory, zone_server, domain, reason):
    checks = spf_checks(resolver_factory, domain)
    target = f"broken.{UNANSWERED}" if reason == "SERVFAIL" else "_spf.provider.invalid"
    why = servfail(zone_server) if reason == "SERVFAIL" else "outside the loaded zones and --offline is set"
    assert outcome(only(checks, "spf.void-lookups")) == (
        Status.ERROR,
        f"could not tell: 0 void lookups so far, and include:{target} in {domain} was not followed: "
        f"could not look up {target} TXT: {why}",
    )
    assert outcome(only(checks, "spf.lookups")) == (
        Status.ERROR,
        f"could not tell: SPF needs at least 1 DNS lookup of 10; could not look up {target} TXT: {why}",
    )


UNFOLLOWED = "spf-unfollowed.example"
MACROS = "has macros that need the sender's address or IP"


@pytest.mark.parametrize(
    ("name", "lookups", "summary", "fix"),
    [
        (
            "include",
            Status.WARN,
            f"no void lookups in the parts of the tree that could be followed, but include:%{{ir}}._spf.{UNFOLLOWED} "
            f"in include.{UNFOLLOWED} {MACROS}, so it is not followed",
            "Make sure every name the macros build for your senders has records: receivers stop after 2 names without any.",
        ),
        (
            "a",
            Status.PASS,
            f"no void lookups in the parts of the tree that could be followed, but a:%{{i}}.hosts.{UNFOLLOWED} "
            f"in a.{UNFOLLOWED} {MACROS}, so it is not looked up",
            "Make sure every name the macros build for your senders has records: receivers stop after 2 names without any.",
        ),
        # Each level includes the next twice: the walk stops at 200 records.
        (
            "big",
            Status.FAIL,
            f"no void lookups in the parts of the tree that could be followed, but include:_l8.{UNFOLLOWED} in "
            f"_l7.{UNFOLLOWED} not followed: the tree has more than 200 records (and 1 more part not followed)",
            "Flatten the tree: receivers stop at 10 lookups, long before the end of a tree this large.",
        ),
    ],
)
def test_parts_not_followed_make_no_void_lookups_a_warning(resolver_factory, name, lookups, summary, fix):
    checks = spf_checks(resolver_factory, f"{name}.{UNFOLLOWED}")
    void = only(checks, "spf.void-lookups")
    assert outcome(void) == (Status.WARN, summary)
    assert void.fix == fix
    assert only(checks, "spf.lookups").status is lookups


FAMILY = "spf-family.example"
ASSUMED = "for an IPv4 sender (assumed, as no --ip was given)"


@pytest.mark.parametrize(
    ("domain", "ip", "status", "summary"),
    [
        # A receiver asks A for an IPv4 sender: a host with AAAA only is void for it.
        (
            FAMILY,
            None,
            Status.WARN,
            f"1 void lookup of 2 allowed {ASSUMED}: a:v6only.{FAMILY} in {FAMILY}: v6only.{FAMILY} has no A record "
            "(it has AAAA only); 0 for an IPv6 sender",
        ),
        (
            FAMILY,
            "192.0.2.25",
            Status.WARN,
            f"1 void lookup of 2 allowed for an IPv4 sender: a:v6only.{FAMILY} in {FAMILY}: v6only.{FAMILY} has no "
            "A record (it has AAAA only)",
        ),
        (
            FAMILY,
            "::ffff:192.0.2.25",
            Status.WARN,
            f"1 void lookup of 2 allowed for an IPv4 sender: a:v6only.{FAMILY} in {FAMILY}: v6only.{FAMILY} has no "
            "A record (it has AAAA only)",
        ),
        (
            FAMILY,
            "2001:db8::25",
            Status.PASS,
            "no void lookups for an IPv6 sender: every a, mx and include target has records for it",
        ),
        # And AAAA for an IPv6 sender: a host with A only is void for it.
        (
            f"v4.{FAMILY}",
            None,
            Status.PASS,
            f"no void lookups {ASSUMED}: every a, mx and include target has records for it; 1 for an IPv6 sender",
        ),
        (
            f"v4.{FAMILY}",
            "2001:db8::25",
            Status.WARN,
            f"1 void lookup of 2 allowed for an IPv6 sender: a:v4only.{FAMILY} in v4.{FAMILY}: v4only.{FAMILY} has no "
            "AAAA record (it has A only)",
        ),
        (
            f"many.{FAMILY}",
            None,
            Status.FAIL,
            f"SPF makes 3 void lookups (names with no records) {ASSUMED}; receivers stop at 2 (permerror): "
            f"a:v6only.{FAMILY} in many.{FAMILY}: v6only.{FAMILY} has no A record (it has AAAA only); "
            f"a:gone.{FAMILY} in many.{FAMILY}: gone.{FAMILY} does not exist (NXDOMAIN); "
            f"mx:v6only.{FAMILY} in many.{FAMILY}: v6only.{FAMILY} has no MX record; 2 for an IPv6 sender",
        ),
        (
            f"many.{FAMILY}",
            "2001:db8::25",
            Status.WARN,
            f"2 void lookups of 2 allowed for an IPv6 sender: a:gone.{FAMILY} in many.{FAMILY}: gone.{FAMILY} does not "
            f"exist (NXDOMAIN); mx:v6only.{FAMILY} in many.{FAMILY}: v6only.{FAMILY} has no MX record",
        ),
    ],
)
def test_void_a_lookups_are_counted_for_the_senders_address_family(resolver_factory, domain, ip, status, summary):
    options = {"sending_ip": ip} if ip else {}
    check = only(spf_checks(resolver_factory, domain, **options), "spf.void-lookups")
    assert outcome(check) == (status, summary)
    assert (check.details["family"], check.details["family_assumed"]) == ("IPv6" if ip == "2001:db8::25" else "IPv4", ip is None)


@pytest.mark.parametrize(
    ("ip", "verdict", "explanation"),
    [
        ("192.0.2.25", "permerror", "SPF Permanent Error: Void lookup limit of 2 exceeded"),
        ("2001:db8::25", "fail", "SPF fail - not authorized"),
    ],
)
def test_void_lookups_per_family_agree_with_pyspf(resolver_factory, ip, verdict, explanation):
    checks = spf_checks(resolver_factory, f"many.{FAMILY}", sending_ip=ip)
    void = only(checks, "spf.void-lookups")
    assert void.details["by_family"] == {"IPv4": 3, "IPv6": 2}
    evaluation = only(checks, "spf.evaluation")
    assert (evaluation.details["result"], evaluation.details["explanation"]) == (verdict, explanation)
    assert void.status is (Status.FAIL if verdict == "permerror" else Status.WARN)


def test_cli_json_void_lookups_for_an_ipv4_sender_fail():
    result = run_cli("domain", f"many.{FAMILY}", *offline("--format", "json"))
    assert result.exit_code == 1
    check = one_check(result.json(), "spf.void-lookups")
    assert check["status"] == "fail"
    assert check["summary"].startswith(f"SPF makes 3 void lookups (names with no records) {ASSUMED}; ")
    assert (check["details"]["family"], check["details"]["by_family"]) == ("IPv4", {"IPv4": 3, "IPv6": 2})


# -- --ip: pyspf's verdict, its DNS through the run's resolver -------------------------


@pytest.mark.parametrize(
    ("domain", "ip", "status", "summary"),
    [
        (
            "good.example",
            "192.0.2.10",
            Status.PASS,
            "SPF pass for 192.0.2.10 sending as postmaster@good.example (HELO good.example), "
            "matched include:_spf.good.example: sender SPF authorized",
        ),
        (
            "good.example",
            "198.51.100.7",
            Status.FAIL,
            "SPF fail for 198.51.100.7 sending as postmaster@good.example (HELO good.example), "
            "matched -all: SPF fail - not authorized",
        ),
        (
            "spf-redirect.example",
            "203.0.113.9",
            Status.WARN,
            "SPF softfail for 203.0.113.9 sending as postmaster@spf-redirect.example (HELO spf-redirect.example), "
            "matched ~all: domain owner discourages use of this host",
        ),
        (
            "spf-neutral.example",
            "203.0.113.9",
            Status.WARN,
            "SPF neutral for 203.0.113.9 sending as postmaster@spf-neutral.example (HELO spf-neutral.example), "
            "matched ?all: access neither permitted nor denied",
        ),
        (
            "spf-none.example",
            "192.0.2.1",
            Status.WARN,
            "SPF none for 192.0.2.1 sending as postmaster@spf-none.example (HELO spf-none.example)",
        ),
        (
            "spf-toomany.example",
            "198.51.100.1",
            Status.FAIL,
            "SPF permerror for 198.51.100.1 sending as postmaster@spf-toomany.example (HELO spf-toomany.example): "
            "SPF Permanent Error: Too many DNS lookups",
        ),
        (
            "spf-macro.example",
            "198.51.100.3",
            Status.FAIL,
            "SPF fail for 198.51.100.3 sending as postmaster@spf-macro.example (HELO spf-macro.example), "
            "matched -all: 198.51.100.3 is not one of spf-macro.example's designated mail servers",
        ),
    ],
)
def test_ip_evaluation(resolver_factory, domain, ip, status, summary):
    check = only(spf_checks(resolver_factory, domain, sending_ip=ip), "spf.evaluation")
    assert check.subject == ip
    assert outcome(check) == (status, summary)


def test_ip_evaluation_temperror_is_an_error(resolver_factory):
    check = only(spf_checks(resolver_factory, "spf-unreachable.example", sending_ip="203.0.113.9"), "spf.evaluation")
    assert check.status is Status.ERROR
    assert check.summary.startswith(
        "SPF temperror for 203.0.113.9 sending as postmaster@spf-unreachable.example (HELO spf-unreachable.example): "
        "SPF Temporary Error"
    )


def test_ip_evaluation_uses_helo_and_mail_from_and_the_runs_resolver(resolver_factory, zone_server):
    before = len(zone_server.queries)
    checks, asked = spf_run(
        resolver_factory,
        "spf-neutral.example",
        sending_ip="2001:db8::5",
        helo="mail.spf-plusall.example",
        mail_from="bob@spf-plusall.example",
    )
    check = only(checks, "spf.evaluation")
    assert outcome(check) == (
        Status.PASS,
        "SPF pass for 2001:db8::5 sending as bob@spf-plusall.example (HELO mail.spf-plusall.example), "
        "matched +all: sender SPF authorized",
    )
    # Only pyspf asks for spf-plusall.example here (the tree walked is spf-neutral.example's):
    # the zone server saw that query, and it went through the run's resolver.
    served = [(q.name, q.rdtype) for q in zone_server.queries[before:]]
    assert ("spf-plusall.example.", "TXT") in served
    assert ("spf-plusall.example", "TXT") in asked


# -- end to end ----------------------------------------------------------------------


def test_cli_json_too_many_lookups_exits_1():
    result = run_cli("domain", "spf-toomany.example", *offline("--format", "json"))
    assert result.exit_code == 1, result.stdout + result.stderr
    report = result.json()
    lookups = one_check(report, "spf.lookups")
    assert (lookups["status"], lookups["summary"]) == ("fail", "SPF needs 11 DNS lookups; receivers stop at 10 (permerror)")
    assert (lookups["details"]["lookups"], lookups["details"]["limit"]) == (11, 10)
    assert lookups["details"]["tree"]["total_lookups"] == 11
    assert lookups["fix"] == "Flatten or remove includes until the tree needs at most 10 lookups (ip4:/ip6: terms cost none)."
    assert lookups["refs"] == ["RFC 7208 §4.6.4"]
    authentication = next(o for o in report["obstacles"] if o["id"] == "authentication")
    assert authentication["status"] == "fail"


def test_cli_text_syntax_error_exits_1():
    result = run_cli("domain", "spf-syntax.example", *offline("--no-color"))
    assert result.exit_code == 1
    assert '    ✗ spf.syntax  unknown mechanism "inclde:_spf.spf-syntax.example" at position 9 (permerror)' in (
        result.stdout.splitlines()
    )


def test_cli_text_shows_the_tree_under_the_check():
    result = run_cli("domain", "spf-toomany.example", *offline("--no-color"))
    lines = result.stdout.splitlines()
    at = lines.index("    ✗ spf.lookups  SPF needs 11 DNS lookups; receivers stop at 10 (permerror)")
    assert [line.strip() for line in lines[at + 1 : at + 4]] == [
        "spf-toomany.example: 3 lookups (11 with what it includes)",
        "include:_a.spf-toomany.example: 2 lookups (4 with what it includes)",
        "include:_c.spf-toomany.example: 2 lookups",
    ]


def test_cli_only_warnings_exits_0():
    # spf-neutral.example has a null MX and DMARC, so ?all is the worst of its report.
    result = run_cli("domain", "spf-neutral.example", *offline("--format", "json"))
    report = result.json()
    assert [c["id"] for c in report["obstacles"][0]["checks"] if c["status"] in ("fail", "error")] == []
    assert one_check(report, "spf.all")["status"] == "warn"
    assert report["status"] == "warn"
    assert result.exit_code == 0, [c for o in report["obstacles"] for c in o["checks"] if c["status"] != "pass"]


def test_cli_ip_evaluation_json():
    result = run_cli("domain", "good.example", *offline("--ip", "198.51.100.7", "--format", "json"))
    assert result.exit_code == 1
    check = one_check(result.json(), "spf.evaluation", "198.51.100.7")
    assert (check["status"], check["details"]["result"], check["details"]["mechanism"]) == ("fail", "fail", "-all")
    assert check["fix"] == (
        "If 198.51.100.7 sends mail for good.example, add ip4:198.51.100.7 (or the include of its provider) to its SPF record."
    )


def test_cli_unanswerable_include_exits_3():
    result = run_cli("domain", "spf-unreachable.example", *offline("--format", "json"))
    report = result.json()
    assert one_check(report, "spf.include", "_spf.provider.invalid")["status"] == "error"
    assert [c["id"] for c in checks_by_id(report, "spf.lookups") if c["status"] == "error"] == ["spf.lookups"]
    assert result.exit_code == 3, [c for o in report["obstacles"] for c in o["checks"] if c["status"] == "fail"]


def test_cli_bad_ip_is_exit_2():
    result = run_cli("domain", "good.example", *offline("--ip", "300.1.1.1"))
    assert result.exit_code == 2
    assert "--ip '300.1.1.1' is not an IPv4 or IPv6 address" in result.stderr
    assert "Traceback" not in result.stderr


def test_mechanism_written_as_modifier_warns(resolver_factory):
    check = only(spf_checks(resolver_factory, "typo.spf-syntax.example"), "spf.syntax")
    assert outcome(check) == (
        Status.WARN,
        "include=_spf.spf-syntax.example is a modifier, not the include mechanism, so receivers ignore it",
    )
    assert check.fix == "Write include:_spf.spf-syntax.example, with a colon."


def test_mx_with_more_than_10_hosts_fails(resolver_factory):
    checks = spf_checks(resolver_factory, "spf-mxlimit.example", sending_ip="198.51.100.1")
    lookups = only(checks, "spf.lookups")
    assert outcome(lookups) == (
        Status.FAIL,
        "mx in spf-mxlimit.example has 11 MX hosts; receivers look up at most 10 (permerror)",
    )
    assert lookups.details["mx_overflows"] == [{"domain": "spf-mxlimit.example", "term": "mx", "hosts": 11}]
    # pyspf agrees.
    evaluation = only(checks, "spf.evaluation")
    assert (evaluation.status, evaluation.details["result"]) == (Status.FAIL, "permerror")


def test_same_record_by_include_and_redirect_is_not_a_loop(resolver_factory):
    checks = spf_checks(resolver_factory, "both.spf-redirect.example")
    assert not checks_of(checks, "spf.loop")
    lookups = only(checks, "spf.lookups")
    assert outcome(lookups) == (Status.PASS, "SPF needs 2 DNS lookups of 10")
    assert detail_lines(lookups, verbose=False) == [
        "both.spf-redirect.example: 2 lookups (2 with what it includes)",
        "  include:_spf.spf-redirect.example: 0 lookups",
        "  redirect=_spf.spf-redirect.example: 0 lookups",
    ]
