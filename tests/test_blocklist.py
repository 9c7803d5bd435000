"""mailcheck blocklist: targets, the catalogue's answers, lookups and the CLI, on loopback."""

from __future__ import annotations

import io
import socket

import pytest

from mailcheck.blocklists.catalogue import DBL, SPAMCOP, SURBL, URIBL, ZEN, select_lists
from mailcheck.blocklists.lookup import listing_check, look_up, look_up_all
from mailcheck.blocklists.targets import parse_target, parse_targets, query_name
from mailcheck.commands.blocklist import BlocklistRequest, ListChoice, run_blocklist
from mailcheck.dns.nameservers import Nameserver
from mailcheck.dns.resolver import Resolver
from mailcheck.errors import BadInput
from mailcheck.model import Status
from mailcheck.render.detail_lines import detail_lines
from mailcheck.runtime import NetworkOptions
from tests.helpers import ZONES, mentions, offline, one_check, run_async, run_cli

# -- targets -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("192.0.2.99", "ip", "192.0.2.99"),
        (" 2001:DB8::99 ", "ip", "2001:db8::99"),
        ("::ffff:192.0.2.1", "ip", "192.0.2.1"),
        ("Blocklist-Spam.Example.", "domain", "blocklist-spam.example"),
        ("https://www.links-listed.example:8443/a?b=c", "domain", "www.links-listed.example"),
        ("http://192.0.2.99/x", "ip", "192.0.2.99"),
        ("http://[2001:db8::99]:8080/", "ip", "2001:db8::99"),
        ("sales@blocklist-spam.example", "domain", "blocklist-spam.example"),
        ("postmaster@[192.0.2.98]", "ip", "192.0.2.98"),
    ],
)
def test_targets_are_ips_domains_url_hosts_and_address_domains(text, kind, value):
    target = parse_target(text)
    assert (target.kind, target.value) == (kind, value)


def test_query_names_reverse_octets_and_ipv6_nibbles():
    v4 = parse_target("192.0.2.99")
    v6 = parse_target("2001:db8::99")
    assert query_name(v4, ZEN) == "99.2.0.192.zen.spamhaus.org"
    assert query_name(v6, ZEN) == "9.9.0.0." + "0." * 20 + "8.b.d.0.1.0.0.2.zen.spamhaus.org"
    # SpamCop answers for IPv4 only; domains never go to IP lists.
    assert query_name(v6, SPAMCOP) is None
    assert query_name(parse_target("good.example"), ZEN) is None


def test_uribl_and_surbl_are_asked_about_the_registered_domain_dbl_about_the_host():
    host = parse_target("https://www.shop.blocklist-spam.example/")
    assert query_name(host, URIBL) == "blocklist-spam.example.multi.uribl.com"
    assert query_name(host, SURBL) == "blocklist-spam.example.multi.surbl.org"
    assert query_name(host, DBL) == "www.shop.blocklist-spam.example.dbl.spamhaus.org"


def test_invalid_targets_are_all_named_in_one_message():
    with pytest.raises(BadInput) as caught:
        parse_targets(["192.0.2.1", "not a host", "300.1.1.1", "https://"])
    message = str(caught.value)
    assert message.startswith("invalid targets 'not a host', '300.1.1.1', 'https://'")
    assert "192.0.2.1" not in message


# -- the catalogue -----------------------------------------------------------------


def test_return_codes_have_their_documented_meanings():
    assert ZEN.meaning("127.0.0.4").startswith("XBL")
    assert ZEN.meaning("127.0.0.10").startswith("PBL")
    assert DBL.meaning("127.0.1.4") == "phishing domain"
    assert URIBL.meaning("127.0.0.14") == (
        "black: domain seen in spam, high confidence; grey: domain of bulk senders, may be solicited mail; "
        "red: domain seen in spam from newly registered or compromised accounts"
    )
    assert SURBL.meaning("127.0.0.136") == "PH: phishing site; CR: cracked (compromised) site"


def test_error_codes_are_never_listings():
    assert "public/open resolver" in ZEN.error_reason("127.255.255.254")
    assert "too many queries" in DBL.error_reason("127.255.255.255")
    assert "typo" in ZEN.error_reason("127.255.255.252")
    assert "IP address was queried" in DBL.error_reason("127.0.1.255")
    assert "refused" in URIBL.error_reason("127.0.0.1")
    assert "refused" in SURBL.error_reason("127.0.0.1")
    assert "outside 127.0.0.0/8" in SPAMCOP.error_reason("192.0.2.1")
    assert ZEN.error_reason("127.0.0.2") is None
    assert SPAMCOP.error_reason("127.0.0.1") is None  # SpamCop has no such error code


def test_default_lists_leave_out_barracuda_and_sorbs():
    zones = [b.zone for b in select_lists()]
    assert zones == ["zen.spamhaus.org", "bl.spamcop.net", "dbl.spamhaus.org", "multi.uribl.com", "multi.surbl.org"]
    assert not any("sorbs" in b.zone for b in select_lists(only=[b.key for b in select_lists()]))
    assert [b.zone for b in select_lists(only=["barracuda"])] == ["b.barracudacentral.org"]


def test_only_skip_custom_and_dqs_key_build_the_list_set():
    chosen = select_lists(only=["zen", "dbl"], skip=["dbl"], custom=["domain:names.blocklist-lists.example"])
    assert [(b.kind, b.zone) for b in chosen] == [("ip", "zen.spamhaus.org"), ("domain", "names.blocklist-lists.example")]
    dqs = select_lists(only=["zen", "dbl"], dqs_key="TestKey")
    assert [b.zone for b in dqs] == ["testkey.zen.dq.spamhaus.net", "testkey.dbl.dq.spamhaus.net"]
    assert [b.label for b in dqs] == ["zen.dq.spamhaus.net", "dbl.dq.spamhaus.net"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"only": ["sorbs"]}, "unknown list 'sorbs'; known lists: zen, spamcop, barracuda, dbl, uribl, surbl"),
        ({"custom": ["zone.example"]}, "--list 'zone.example': write ip:ZONE or domain:ZONE"),
        ({"custom": ["ip:bad zone"]}, "--list 'ip:bad zone': domain name 'bad zone' contains spaces"),
        ({"dqs_key": "abc-123"}, "--dqs-key must be the letters and digits of your Spamhaus DQS key"),
        ({"only": ["zen"], "skip": ["zen"]}, "no list left to query"),
    ],
)
def test_bad_list_options_say_what_is_wrong(kwargs, message):
    with pytest.raises(BadInput) as caught:
        select_lists(**kwargs)
    assert str(caught.value).startswith(message)


# -- lookups against the fixture lists -----------------------------------------------


def _lookup(resolver, text, blocklist):
    return run_async(look_up(resolver, parse_target(text), blocklist))


def test_a_listed_ip_fails_with_its_meaning_and_txt_reason(resolver_factory):
    check = listing_check(_lookup(resolver_factory(), "192.0.2.99", ZEN))
    assert check.status is Status.FAIL
    assert check.subject == "192.0.2.99 @ zen.spamhaus.org"
    assert mentions(check.summary, "192.0.2.99", "zen.spamhaus.org", "127.0.0.2")
    assert detail_lines(check, verbose=False) == ["reason: Listed by SBL, see https://check.spamhaus.org/sbl/query/SBL990099"]
    assert "https://check.spamhaus.org/" in check.fix


def test_several_codes_are_all_explained(resolver_factory):
    check = listing_check(_lookup(resolver_factory(), "192.0.2.98", ZEN))
    assert check.status is Status.FAIL
    assert check.details["codes"] == ["127.0.0.4", "127.0.0.10"]
    assert "XBL: an exploited host" in check.summary and "PBL: an end-user range" in check.summary
    assert check.summary.endswith("(127.0.0.4, 127.0.0.10)")
    assert len(check.details["reasons"]) == 2


def test_a_clean_ip_passes(resolver_factory):
    check = listing_check(_lookup(resolver_factory(), "192.0.2.1", ZEN))
    assert (check.status, check.summary) == (Status.PASS, "192.0.2.1 is not listed on Spamhaus ZEN (zen.spamhaus.org)")


def test_an_ipv6_listing_is_found_by_nibbles(resolver_factory):
    check = listing_check(_lookup(resolver_factory(), "2001:db8::99", ZEN))
    assert check.status is Status.FAIL
    assert check.details["query"].startswith("9.9.0.0.0.0.0.0.")
    assert detail_lines(check, verbose=False) == ["reason: the list published no TXT record"]


def test_spamhaus_public_resolver_answer_is_an_error_not_a_listing(resolver_factory):
    check = listing_check(_lookup(resolver_factory(), "192.0.2.254", ZEN))
    assert check.status is Status.ERROR
    assert mentions(check.summary, "zen.spamhaus.org", "192.0.2.254", "127.255.255.254")
    assert "your own recursive resolver" in check.fix and "DQS key" in check.fix


def test_spamhaus_over_limit_answer_on_dbl_is_an_error(resolver_factory):
    check = listing_check(_lookup(resolver_factory(), "blocklist-busy.example", DBL))
    assert check.status is Status.ERROR
    assert "too many queries, over the free-use limit (127.255.255.255)" in check.summary


def test_uribl_refusal_is_an_error_not_a_listing(resolver_factory):
    check = listing_check(_lookup(resolver_factory(), "blocklist-refused.example", URIBL))
    assert check.status is Status.ERROR
    assert check.summary.startswith("URIBL (multi.uribl.com) refused the query for blocklist-refused.example: ")
    assert "(127.0.0.1)" in check.summary


def test_an_answer_outside_loopback_is_an_error(resolver_factory):
    check = listing_check(_lookup(resolver_factory(), "192.0.2.97", SPAMCOP))
    assert check.status is Status.ERROR
    assert check.summary.startswith(
        "SpamCop (bl.spamcop.net) gave an answer that is not a listing for 192.0.2.97: 192.0.2.1 is outside 127.0.0.0/8"
    )
    assert "NXDOMAIN" in check.fix


def test_surbl_bitmask_listing(resolver_factory):
    check = listing_check(_lookup(resolver_factory(), "sales@blocklist-phish.example", SURBL))
    assert check.status is Status.FAIL
    assert check.summary.endswith(": PH: phishing site; MW: malware site (127.0.0.24)")


@pytest.fixture
def silent_server():
    """A UDP socket on loopback that never answers: a dead DNS server."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield Nameserver("127.0.0.1", sock.getsockname()[1])
    sock.close()


def test_a_list_that_does_not_answer_is_an_error_not_a_pass(silent_server):
    async def ask():
        resolver = Resolver(upstream=[silent_server], timeout=0.5)
        return await look_up(resolver, parse_target("192.0.2.99"), ZEN)

    check = listing_check(run_async(ask()))
    assert check.status is Status.ERROR
    assert mentions(check.summary, "zen.spamhaus.org", "192.0.2.99", "0.5s", f"{silent_server.address}:{silent_server.port}")


def test_lookups_run_concurrently_under_the_resolvers_cap(resolver_factory):
    targets = [parse_target(f"192.0.2.{n}") for n in range(1, 21)]
    wide = resolver_factory()
    capped = resolver_factory(max_in_flight=3)
    lookups = run_async(look_up_all(wide, targets, [ZEN, SPAMCOP]))
    run_async(look_up_all(capped, targets, [ZEN, SPAMCOP]))
    assert len(lookups) == 40 and all(lookup.outcome == "clean" for lookup in lookups)
    assert wide.stats().max_in_flight > 3
    assert capped.stats().max_in_flight == 3


# -- the command, end to end ---------------------------------------------------------


def line_with(text: str, *parts: str) -> str:
    """The one line of the text report that holds every part."""
    lines = [line.strip() for line in text.splitlines() if all(part in line for part in parts)]
    assert len(lines) == 1, f"expected one line with {parts}, got {lines}"
    return lines[0]


def test_cli_listed_target_fails_in_text():
    result = run_cli("blocklist", "192.0.2.99", "--no-color", *offline())
    assert result.exit_code == 1
    assert "192.0.2.99  ✗ FAIL" in result.stdout
    line = line_with(result.stdout, "blocklist.listing", "192.0.2.99 @ zen.spamhaus.org")
    assert line.endswith(
        "192.0.2.99 is listed on Spamhaus ZEN (zen.spamhaus.org): "
        "SBL: a known spam source or spam operation (Spamhaus Block List) (127.0.0.2)"
    )
    assert "reason: Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.99" in result.stdout
    assert result.stderr == ""


def test_cli_json_reports_each_target_and_list():
    result = run_cli(
        "blocklist",
        "192.0.2.1",
        "blocklist-spam.example",
        "https://www.blocklist-refused.example/x",
        "--format",
        "json",
        *offline(),
    )
    assert result.exit_code == 1
    data = result.json()
    assert data["schema"] == "mailcheck.reports/1"
    clean, spam, refused = data["reports"]
    assert (clean["target"], clean["status"]) == ("192.0.2.1", "pass")
    assert [c["subject"] for c in clean["obstacles"][0]["checks"]] == [
        "192.0.2.1 @ zen.spamhaus.org",
        "192.0.2.1 @ bl.spamcop.net",
    ]
    assert spam["status"] == "fail"
    assert mentions(
        one_check(spam, "blocklist.listing", "blocklist-spam.example @ multi.uribl.com")["summary"],
        "blocklist-spam.example",
        "multi.uribl.com",
        "127.0.0.2",
    )
    assert one_check(spam, "blocklist.listing", "blocklist-spam.example @ multi.surbl.org")["status"] == "pass"
    assert refused["target"] == "www.blocklist-refused.example"
    assert refused["target_unicode"] == "https://www.blocklist-refused.example/x"
    uribl = one_check(refused, "blocklist.listing", "www.blocklist-refused.example @ multi.uribl.com")
    assert uribl["status"] == "error"
    assert uribl["details"]["query"] == "blocklist-refused.example.multi.uribl.com"


def test_cli_refusal_only_exits_3():
    result = run_cli("blocklist", "192.0.2.254", "--only", "zen", "--format", "json", *offline())
    assert result.exit_code == 3
    check = one_check(result.json(), "blocklist.listing", "192.0.2.254 @ zen.spamhaus.org")
    assert check["status"] == "error"
    assert check["fix"].startswith("Query from your own recursive resolver")


def test_cli_clean_target_exits_0():
    result = run_cli("blocklist", "192.0.2.1", "good.example", *offline())
    assert result.exit_code == 0
    # Passes fold to one line per obstacle; -v tells each.
    assert result.stdout.count("✓ 2 passed: blocklist.listing ×2") == 1
    assert result.stdout.count("✓ 3 passed: blocklist.listing ×3") == 1
    verbose = run_cli("blocklist", "192.0.2.1", "good.example", "-v", *offline())
    assert verbose.stdout.count("is not listed on") == 5


def test_cli_from_file_and_stdin(tmp_path, monkeypatch):
    listing = tmp_path / "targets.txt"
    listing.write_text("# suspects\n192.0.2.99\n\nblocklist-spam.example\n")
    result = run_cli("blocklist", "--from-file", str(listing), "--only", "zen", "--only", "dbl", "--format", "json", *offline())
    assert result.exit_code == 1
    assert [r["target"] for r in result.json()["reports"]] == ["192.0.2.99", "blocklist-spam.example"]
    monkeypatch.setattr("sys.stdin", io.StringIO("192.0.2.1\n"))
    result = run_cli("blocklist", "--from-file", "-", "--only", "zen", "--format", "json", *offline())
    assert result.exit_code == 0
    assert result.json()["target"] == "192.0.2.1"


def test_cli_self_test_reports_and_leaves_out_misbehaving_lists():
    result = run_cli(
        "blocklist",
        "192.0.2.99",
        "--self-test",
        "--list",
        "ip:broken.blocklist-lists.example",
        "--list",
        "ip:good.blocklist-lists.example",
        "--list",
        "domain:names.blocklist-lists.example",
        "--format",
        "json",
        *offline(),
    )
    assert result.exit_code == 1
    tests, target = result.json()["reports"]
    assert tests["target"] == "self-test" and tests["status"] == "warn"
    zen = one_check(tests, "blocklist.self-test", "zen.spamhaus.org")
    assert zen["status"] == "pass"
    assert mentions(zen["summary"], "zen.spamhaus.org", "RFC 5782", "127.0.0.2", "127.0.0.2", "127.0.0.1")
    assert one_check(tests, "blocklist.self-test", "multi.uribl.com")["summary"].endswith(
        "test.uribl.com → 127.0.0.14, invalid → not listed"
    )
    assert one_check(tests, "blocklist.self-test", "names.blocklist-lists.example")["status"] == "pass"
    broken = one_check(tests, "blocklist.self-test", "broken.blocklist-lists.example")
    assert broken["status"] == "warn"
    assert mentions(
        broken["summary"], "broken.blocklist-lists.example", "broken.blocklist-lists.example", "127.0.0.1", "127.0.0.2"
    )
    subjects = [c["subject"] for o in target["obstacles"] for c in o["checks"]]
    assert subjects == [
        "192.0.2.99 @ zen.spamhaus.org",
        "192.0.2.99 @ bl.spamcop.net",
        "192.0.2.99 @ good.blocklist-lists.example",
    ]
    custom = one_check(target, "blocklist.listing", "192.0.2.99 @ good.blocklist-lists.example")
    assert mentions(custom["summary"], "192.0.2.99", "good.blocklist-lists.example", "good.blocklist-lists.example", "127.0.0.2")
    assert custom["details"]["reasons"] == ["on the custom list since 2026-11-01"]


def test_cli_dqs_key_asks_dqs_zones_and_never_prints_the_key():
    result = run_cli("blocklist", "192.0.2.99", "--dqs-key", "testkey", "--only", "zen", "--format", "json", *offline())
    assert result.exit_code == 1
    check = one_check(result.json(), "blocklist.listing", "192.0.2.99 @ zen.dq.spamhaus.net")
    assert check["summary"].startswith("192.0.2.99 is listed on Spamhaus ZEN (DQS) (zen.dq.spamhaus.net): SBL")
    assert check["details"]["query"] == "99.2.0.192.<key>.zen.dq.spamhaus.net"
    assert "testkey" not in result.stdout


def test_cli_offline_skips_lists_that_no_zone_serves(tmp_path):
    (tmp_path / "zen.spamhaus.org.zone").write_text((ZONES / "zen.spamhaus.org.zone").read_text())
    result = run_cli("blocklist", "192.0.2.99", "--format", "json", "--zone", str(tmp_path), "--offline")
    assert result.exit_code == 1
    report = result.json()
    assert one_check(report, "blocklist.listing", "192.0.2.99 @ zen.spamhaus.org")["status"] == "fail"
    skipped = one_check(report, "blocklist.list", "bl.spamcop.net")
    assert skipped["status"] == "skip"
    assert mentions(skipped["summary"], "SpamCop", "--offline", "bl.spamcop.net")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("blocklist", "not a host"),
            "mailcheck: error: invalid target 'not a host': give IP addresses, domains, URLs or email addresses\n",
        ),
        (
            ("blocklist",),
            "mailcheck: error: give at least one target (IP, domain, URL, email address), --from-file or --self-test\n",
        ),
        (
            ("blocklist", "192.0.2.1", "--only", "sorbs"),
            "mailcheck: error: unknown list 'sorbs'; known lists: zen, spamcop, barracuda, dbl, uribl, surbl\n",
        ),
        (
            ("blocklist", "192.0.2.1", "--list", "zone.example"),
            "mailcheck: error: --list 'zone.example': write ip:ZONE or domain:ZONE\n",
        ),
        (
            ("blocklist", "--from-file", "/nonexistent/targets"),
            "mailcheck: error: --from-file /nonexistent/targets: No such file or directory\n",
        ),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(args, message):
    result = run_cli(*args, *offline())
    assert result.exit_code == 2
    assert result.stderr == message
    assert result.stdout == ""


def test_every_lookup_goes_to_the_loopback_zone_server():
    targets = parse_targets(["192.0.2.99", "2001:db8::99", "blocklist-spam.example"])
    request = BlocklistRequest(targets, ListChoice().lists(), self_test=True)
    network = NetworkOptions(zones=(str(ZONES),), offline=True, timeout=2)
    outcome = run_blocklist(request, network)
    reports, log = outcome.reports, outcome.log
    assert len(log) >= 20
    assert {record.server.rsplit(":", 1)[0] for record in log} == {"127.0.0.1"}
    assert all(record.outcome in ("NOERROR", "NXDOMAIN", "NODATA") for record in log)
    assert reports[0].target == "self-test" and reports[0].status is Status.PASS
    asked = {record.name for record in log}
    assert "99.2.0.192.zen.spamhaus.org" in asked and "blocklist-spam.example.multi.uribl.com" in asked


def test_dqs_key_may_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MAILCHECK_DQS_KEY", "testkey")
    result = run_cli("blocklist", "dbltest.com", "--only", "dbl", "--format", "json", *offline())
    check = one_check(result.json(), "blocklist.listing", "dbltest.com @ dbl.dq.spamhaus.net")
    assert (check["status"], check["details"]["query"]) == ("fail", "dbltest.com.<key>.dbl.dq.spamhaus.net")
    assert check["summary"].endswith(": spam domain (127.0.1.2)")


def test_ipv6_target_on_ipv4_only_lists_is_skipped_by_name():
    result = run_cli("blocklist", "2001:db8::1", "--only", "spamcop", "--format", "json", *offline())
    assert result.exit_code == 0
    check = one_check(result.json(), "blocklist.listing")
    assert (check["status"], check["summary"]) == ("skip", "no chosen list answers for IPv6 targets such as 2001:db8::1")


SKIP_CATALOGUE = tuple(arg for key in ("zen", "spamcop", "dbl", "uribl", "surbl") for arg in ("--skip", key))


def test_every_list_failing_its_self_test_is_an_error_naming_them_not_a_list_choice_skip():
    args = (
        "192.0.2.99",
        "blocklist-spam.example",
        "--self-test",
        *SKIP_CATALOGUE,
        "--list",
        "ip:ips.blocklist-selftest.example",
        "--list",
        "ip:broken.blocklist-lists.example",
        "--list",
        "domain:names.blocklist-selftest.example",
    )
    result = run_cli("blocklist", *args, "--format", "json", *offline())
    text = run_cli("blocklist", *args, "--no-color", *offline())
    assert result.exit_code == 3 and text.exit_code == 3  # errors: no verdict
    tests, ip, domain = result.json()["reports"]
    assert tests["status"] == "warn"
    assert mentions(
        one_check(tests, "blocklist.self-test", "names.blocklist-selftest.example")["summary"],
        "names.blocklist-selftest.example",
        "names.blocklist-selftest.example",
    )
    check = one_check(ip, "blocklist.listing")
    assert (ip["status"], check["status"], check["subject"]) == ("error", "error", "192.0.2.99")
    assert mentions(check["summary"], "192.0.2.99", "ips.blocklist-selftest.example", "broken.blocklist-lists.example")
    assert check["details"]["failed_self_test"] == ["ips.blocklist-selftest.example", "broken.blocklist-lists.example"]
    assert check["refs"] == ["RFC 5782 §5"]
    check = one_check(domain, "blocklist.listing")
    assert (domain["status"], check["status"]) == ("error", "error")
    assert mentions(check["summary"], "blocklist-spam.example", "names.blocklist-selftest.example")
    assert "no chosen list answers" not in text.stdout
    assert line_with(text.stdout, "blocklist.listing", "no list was asked about 192.0.2.99").startswith("? blocklist.listing")
    assert "192.0.2.99  ? ERROR" in text.stdout


def test_a_failed_self_test_names_the_lists_of_that_kind_only():
    # ZEN passes and answers for the IP; the only domain list failed, so the domain has no verdict.
    result = run_cli(
        "blocklist",
        "192.0.2.1",
        "blocklist-spam.example",
        "--self-test",
        "--only",
        "zen",
        "--list",
        "domain:names.blocklist-selftest.example",
        "--format",
        "json",
        *offline(),
    )
    assert result.exit_code == 3
    _, ip, domain = result.json()["reports"]
    assert ip["status"] == "pass"
    assert mentions(one_check(ip, "blocklist.listing")["summary"], "192.0.2.1", "zen.spamhaus.org")
    check = one_check(domain, "blocklist.listing")
    assert check["status"] == "error"
    assert mentions(check["summary"], "blocklist-spam.example", "names.blocklist-selftest.example")
