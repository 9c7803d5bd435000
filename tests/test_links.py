"""mailcheck links: extraction from messages and HTML, redirects over loopback HTTPS, lookups."""

from __future__ import annotations

import pytest

from mailcheck.links.extract import links_in_file
from mailcheck.links.shorteners import is_shortener
from tests.helpers import ROOT, ZONES, mentions, offline, one_check, run_cli
from tests.helpers.https_server import HttpsServer, Route, redirect

MESSAGES = ROOT / "fixtures" / "messages"
MIXED = str(MESSAGES / "links-mixed.eml")
PAGE = str(MESSAGES / "links-page.html")
NONE = str(MESSAGES / "links-none.eml")
HOSTS = ["links-start.example", "links-hop.example", "links-listed.example", "dead.links-start.example"]
BIG = b"x" * (1024 * 1024)


# -- extraction ----------------------------------------------------------------------


def test_message_links_come_from_decoded_qp_text_and_base64_html():
    extraction = links_in_file(MIXED)
    assert not extraction.cut
    links = extraction.links
    assert [link.url for link in links] == [
        "https://links-listed.example/offer?id=7&utm_source=mail",
        "http://www.good.example/news",
        "https://bit.ly/3xAmPlE",
        # Joined across a quoted-printable soft line break.
        "https://good.example/a/very/long/path/that/goes/on/and/on/beyond/seventy-six/characters/page.html",
        "https://links-start.example/track?u=1&v=2",  # &amp; decoded by the HTML parser
        "https://good.example/logo.png",
        "mailto:sales@blocklist-spam.example?subject=hi",
        "http://links-hop.example/plain",
    ]
    assert links[0].where == "text/plain part 2, text"
    assert links[4].where == "text/html part 3, <a href>"
    assert links[5].where == "text/html part 3, <img src>"


def test_html_file_links_are_read_with_a_parser_and_deduplicated():
    assert [link.url for link in links_in_file(PAGE).links] == [
        "https://good.example/",
        "https://links-listed.example/x",
        "https://blocklist-phish.example/login",
    ]


# -- inputs of any size ---------------------------------------------------------------


def _nested_message(depth: int, url: str = "https://deep.example/x") -> bytes:
    head = "From: a@good.example\nTo: b@good.example\nSubject: nested\nMIME-Version: 1.0\n"
    opening = "".join(f'Content-Type: multipart/mixed; boundary="b{level}"\n\n--b{level}\n' for level in range(depth))
    closing = "".join(f"\n--b{level}--\n" for level in reversed(range(depth)))
    return (head + opening + f"Content-Type: text/plain\n\n{url}\n" + closing).encode()


@pytest.mark.parametrize("depth", [51, 1000])
def test_mime_nested_past_the_cap_is_one_line_of_bad_input(tmp_path, depth):
    path = tmp_path / "deep.eml"
    path.write_bytes(_nested_message(depth))
    result = run_cli("links", str(path), *offline())
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"mailcheck: error: {path}: MIME parts nested more than 50 levels deep; no mail client shows such a message\n"
    )
    assert result.stdout == ""


def test_mime_nested_to_the_cap_is_read(tmp_path):
    path = tmp_path / "deep.eml"
    path.write_bytes(_nested_message(49))  # 49 multiparts and the text part: 50 levels
    extraction = links_in_file(str(path))
    assert [(link.url, link.where) for link in extraction.links] == [("https://deep.example/x", "text/plain part 50, text")]


def test_a_million_links_are_counted_and_the_first_thousand_checked(tmp_path):
    path = tmp_path / "million.eml"
    # 23 MB: under the input cap, so every link is seen; the last one repeats the sixth.
    body = "".join(f"www.good.example/{n:x}\n" for n in range(1_000_000))
    path.write_text(f"From: a@good.example\nSubject: many\nContent-Type: text/plain\n\n{body}www.good.example/5\n")
    result = run_cli("links", str(path), "--format", "json", *offline())
    assert result.exit_code == 0, result.stderr
    report = result.json()
    assert mentions(one_check(report, "links.found")["summary"], "1000 links", "1 host", f"in {path}")
    limits = one_check(report, "links.limits")
    assert limits["status"] == "warn"
    assert mentions(limits["summary"], path, "1,000 links", "999,000 more")
    assert (limits["details"]["links_checked"], limits["details"]["links_left_out"]) == (1000, 999_000)
    assert len([c for o in report["obstacles"] for c in o["checks"] if c["id"] == "links.url"]) == 1000


def test_a_long_url_is_shown_shortened_and_an_overlong_one_not_looked_up(tmp_path):
    long = "https://links-listed.example/" + "a" * 971  # 1,000 characters: shown cut, still looked up
    huge = "https://good.example/" + "b" * 99_979  # 100,000 characters: over the 8 KB cap
    path = tmp_path / "page.html"
    path.write_text(f'<a href="{long}">x</a> <a href="{huge}">y</a> <a href="{huge}">again</a>')
    result = run_cli("links", str(path), "--format", "json", *offline())
    assert result.exit_code == 1
    report = result.json()
    shown = long[:200] + "… (800 characters cut)"
    check = one_check(report, "links.url", shown)
    assert check["status"] == "fail"
    assert mentions(check["summary"], shown, "links-listed.example", "Spamhaus DBL", "phishing domain")
    assert check["details"]["url"] == long
    limits = one_check(report, "links.limits")
    assert mentions(limits["summary"], path, "1 URL", "8,192 characters")
    assert limits["details"]["too_long"] == [
        {"url": huge[:200] + "… (99,800 characters cut)", "length": 100_000, "where": "HTML, <a href>"}
    ]
    assert mentions(one_check(report, "links.found")["summary"], "1 link", "1 host", f"in {path}")
    assert "b" * 201 not in result.stdout
    text = run_cli("links", str(path), "--no-color", *offline())
    assert "a" * 201 not in text.stdout and "b" * 201 not in text.stdout
    assert "… (800 characters cut)" in text.stdout and "1 URL over 8,192 characters not looked up" in text.stdout


def test_a_huge_file_is_read_up_to_the_cap_and_says_so(tmp_path):
    path = tmp_path / "huge.html"
    with path.open("wb") as file:
        file.write(b'<a href="https://links-hop.example/first">x</a>\n')
        file.truncate(100 * 1024 * 1024)  # sparse: the rest is 100 MB of NUL bytes
        file.seek(30 * 1024 * 1024)
        file.write(b'<a href="https://links-listed.example/past-the-cap">y</a>')
    result = run_cli("links", str(path), "--format", "json", *offline())
    assert result.exit_code == 0, result.stderr
    report = result.json()
    limits = one_check(report, "links.limits")
    assert limits["status"] == "warn"
    assert mentions(limits["summary"], path, "25.0", "100.0")
    assert (limits["details"]["read_bytes"], limits["details"]["input_bytes"]) == (25 * 1024 * 1024, 100 * 1024 * 1024)
    assert one_check(report, "links.found")["details"]["hosts"] == ["links-hop.example"]


def test_an_overlong_url_argument_is_bad_input():
    url = "https://good.example/" + "c" * 9000
    result = run_cli("links", url, *offline())
    assert result.exit_code == 2
    assert result.stderr == (
        f"mailcheck: error: {url[:200]}… (8,821 characters cut): a URL of over 8,192 characters is not one a reader can follow\n"
    )


def test_shorteners_are_known_by_host():
    assert is_shortener("bit.ly") and is_shortener("www.tinyurl.com") and is_shortener("T.CO")
    assert not is_shortener("good.example") and not is_shortener("notbit.ly")


# -- without --follow ------------------------------------------------------------------


def test_cli_message_links_json():
    result = run_cli("links", MIXED, "--format", "json", *offline())
    assert result.exit_code == 1
    report = result.json()
    assert (report["command"], report["target"], report["status"]) == ("links", MIXED, "fail")
    assert mentions(one_check(report, "links.found")["summary"], "8 links", "7 hosts", f"in {MIXED}")
    listed = one_check(report, "links.url", "https://links-listed.example/offer?id=7&utm_source=mail")
    assert listed["status"] == "fail"
    assert mentions(
        listed["summary"],
        "https://links-listed.example/offer?id=7&utm_source=mail",
        "links-listed.example",
        "Spamhaus DBL",
        "phishing domain",
    )
    short = one_check(report, "links.url", "https://bit.ly/3xAmPlE")
    assert short["status"] == "warn"
    assert mentions(short["summary"], "https://bit.ly/3xAmPlE", "bit.ly", "bit.ly", "3 lists")
    mailto = one_check(report, "links.url", "mailto:sales@blocklist-spam.example?subject=hi")
    assert mailto["status"] == "fail"
    assert mentions(mailto["summary"], "blocklist-spam.example", "URIBL", "black: domain seen in spam, high confidence")
    clean = one_check(report, "links.url", "http://links-hop.example/plain")
    assert (clean["status"], clean["summary"]) == (
        "pass",
        "http://links-hop.example/plain: links-hop.example: not listed on 3 lists",
    )
    assert one_check(report, "blocklist.listing", "links-listed.example @ dbl.spamhaus.org")["details"]["reasons"] == [
        "https://check.spamhaus.org/results?query=links-listed.example"
    ]
    assert "ignored.example" not in result.stdout


def test_cli_html_and_empty_message_in_text():
    result = run_cli("links", PAGE, NONE, "--no-color", *offline())
    assert result.exit_code == 1
    assert f"no links found in {NONE}" in result.stdout
    assert (
        "https://blocklist-phish.example/login: blocklist-phish.example is listed on SURBL (PH: phishing site; MW: malware site)"
        in result.stdout
    )


def test_cli_a_message_without_listed_links_exits_0():
    result = run_cli("links", NONE, "--format", "json", *offline())
    assert result.exit_code == 0
    assert result.json()["status"] == "info"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("links", "/nonexistent.eml"), "mailcheck: error: '/nonexistent.eml' is neither a file nor an http(s) URL\n"),
        (
            ("links", "ftp://links-start.example/"),
            "mailcheck: error: 'ftp://links-start.example/' is neither a file nor an http(s) URL\n",
        ),
        (
            ("links", NONE, "--ca-file", NONE),
            "mailcheck: error: --ca-file is used with --follow (it trusts a CA for the HTTPS requests)\n",
        ),
        (
            ("links", NONE, "--follow", "--ca-file", "/nonexistent.pem"),
            "mailcheck: error: --ca-file /nonexistent.pem: no such file\n",
        ),
        (
            ("links", NONE, "--skip", "nope"),
            "mailcheck: error: unknown list 'nope'; known lists: zen, spamcop, barracuda, dbl, uribl, surbl\n",
        ),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(args, message):
    result = run_cli(*args, *offline())
    assert (result.exit_code, result.stderr, result.stdout) == (2, message, "")


# -- --follow over loopback HTTPS --------------------------------------------------------


@pytest.fixture(scope="module")
def web():
    with HttpsServer({}, hostnames=HOSTS, host="127.0.3.10") as server:
        listed = server.url("links-listed.example", "/landing")
        server.routes.update(
            {
                "links-start.example/track": redirect(server.url("links-hop.example", "/r2"), 302),
                "links-hop.example/r2": redirect(listed, 301),
                "links-listed.example/landing": Route(200, {"Content-Type": "text/html"}, b"<p>offer</p>"),
                "/loop": redirect("/loop", 302),  # relative, and endless
                "/ftp": redirect("ftp://links-hop.example/file", 302),
                "HEAD /head-refused": Route(405),
                "GET /head-refused": Route(200, {"Content-Type": "text/plain"}, BIG),
                "/slow": Route(200, delay=1.5),
            }
        )
        yield server


def _follow(web, url, *extra):
    return run_cli("links", url, "--follow", "--ca-file", web.ca_file, "--format", "json", *offline(), *extra)


def test_follow_reaches_a_listed_domain_through_redirects(web):
    start = web.url("links-start.example", "/track?u=1")
    before = len(web.requests)
    result = _follow(web, start)
    assert result.exit_code == 1
    report = result.json()
    check = one_check(report, "links.url", start)
    assert check["status"] == "fail"
    final = web.url("links-listed.example", "/landing")
    assert mentions(check["summary"], start, f"→ {final}", "2 redirects", "links-listed.example")
    assert check["details"]["hosts"] == ["links-start.example", "links-hop.example", "links-listed.example"]
    assert [(h["method"], h["status"]) for h in check["details"]["hops"]] == [("HEAD", 302), ("HEAD", 301), ("HEAD", 200)]
    assert check["details"]["hops"][0]["location"] == web.url("links-hop.example", "/r2")
    assert one_check(report, "blocklist.listing", "links-hop.example @ dbl.spamhaus.org")["status"] == "pass"
    # The server saw each host name in Host: (and SNI, or TLS verification would fail).
    assert [(r.method, r.host, r.path) for r in web.requests[before:]] == [
        ("HEAD", "links-start.example", "/track?u=1"),
        ("HEAD", "links-hop.example", "/r2"),
        ("HEAD", "links-listed.example", "/landing"),
    ]


def test_follow_stops_after_ten_hops(web):
    url = web.url("links-start.example", "/loop")
    result = _follow(web, url)
    check = one_check(result.json(), "links.url", url)
    assert check["status"] == "error"
    assert mentions(check["summary"], url, f"→ {url}", "10 redirects", "10 hops", "links-start.example", "3 lists")
    assert len(check["details"]["hops"]) == 10
    assert result.exit_code == 3


def test_follow_never_leaves_http(web):
    url = web.url("links-start.example", "/ftp")
    check = one_check(_follow(web, url).json(), "links.url", url)
    assert check["status"] == "error"
    assert mentions(check["summary"], "not followed to the end", "ftp:")
    assert check["details"]["final_url"] == "ftp://links-hop.example/file"


def test_follow_falls_back_to_get_when_head_is_refused(web):
    url = web.url("links-start.example", "/head-refused")
    check = one_check(_follow(web, url).json(), "links.url", url)
    assert check["status"] == "pass"
    assert [(h["method"], h["status"]) for h in check["details"]["hops"]] == [("GET", 200)]
    assert mentions(check["summary"], url, "links-start.example", "3 lists")


def test_follow_times_out_per_hop(web):
    url = web.url("links-start.example", "/slow")
    result = _follow(web, url, "--timeout", "0.5")
    check = one_check(result.json(), "links.url", url)
    assert check["status"] == "error"
    assert mentions(check["summary"], "not followed to the end", "links-start.example", "0.5s")


def test_follow_reports_a_dead_host(web):
    url = web.url("dead.links-start.example", "/")
    check = one_check(_follow(web, url).json(), "links.url", url)
    assert check["status"] == "error"
    assert check["summary"].startswith(
        f"{url}: not followed to the end: dead.links-start.example: could not connect (127.0.3.11 port {web.port}: "
    )


def test_follow_refuses_an_untrusted_certificate(web):
    url = web.url("links-start.example", "/track")
    result = run_cli("links", url, "--follow", "--format", "json", *offline())
    check = one_check(result.json(), "links.url", url)
    assert check["status"] == "error"
    assert "the TLS certificate was not trusted" in check["summary"]


def test_follow_text_output(web):
    start = web.url("links-start.example", "/track")
    result = run_cli("links", start, "--follow", "--ca-file", web.ca_file, "--no-color", *offline())
    assert result.exit_code == 1
    assert f"HEAD {web.url('links-hop.example', '/r2')} → 301 → {web.url('links-listed.example', '/landing')}" in result.stdout
    assert "links-listed.example is listed on Spamhaus DBL (dbl.spamhaus.org): phishing domain (127.0.1.4)" in result.stdout


def test_an_ip_host_goes_to_the_ip_lists():
    result = run_cli("links", "http://192.0.2.99/landing", "--format", "json", *offline())
    assert result.exit_code == 1
    report = result.json()
    check = one_check(report, "links.url", "http://192.0.2.99/landing")
    assert mentions(check["summary"], "http://192.0.2.99/landing", "192.0.2.99", "192.0.2.99")
    assert [c["subject"] for c in report["obstacles"][1]["checks"]] == [
        "192.0.2.99 @ zen.spamhaus.org",
        "192.0.2.99 @ bl.spamcop.net",
    ]


def test_follow_reports_a_host_that_does_not_resolve(web):
    url = web.url("links-nowhere.example", "/")
    check = one_check(_follow(web, url).json(), "links.url", url)
    assert check["status"] == "error"
    assert check["summary"].startswith(
        f"{url}: not followed to the end: could not resolve links-nowhere.example: the name does not exist (NXDOMAIN)"
    )


def test_every_links_lookup_goes_to_the_loopback_zone_server():
    from mailcheck.commands.blocklist import ListChoice
    from mailcheck.commands.links import LinksRequest, run_links
    from mailcheck.runtime import NetworkOptions
    from tests.helpers import ZONES

    request = LinksRequest((str(MIXED), str(PAGE)), ListChoice().lists())
    outcome = run_links(request, NetworkOptions(zones=(str(ZONES),), offline=True, timeout=2))
    reports, log = outcome.reports, outcome.log
    assert [r.status.value for r in reports] == ["fail", "fail"]
    assert len(log) >= 20
    assert {record.server.rsplit(":", 1)[0] for record in log} == {"127.0.0.1"}
    assert all(record.outcome in ("NOERROR", "NXDOMAIN", "NODATA") for record in log)
    assert "links-listed.example.dbl.spamhaus.org" in {record.name for record in log}


# -- links no list could be asked about ------------------------------------------------


def test_an_ipv6_host_with_only_ipv4_lists_is_skipped_not_passed():
    url = "http://[2001:db8::1]/landing"
    result = run_cli("links", url, "--only", "spamcop", "--format", "json", *offline())
    text = run_cli("links", url, "--only", "spamcop", "--no-color", *offline())
    assert result.exit_code == 0 and text.exit_code == 0
    report = result.json()
    check = one_check(report, "links.url", url)
    assert check["status"] == "skip"
    assert mentions(check["summary"], url, "2001:db8::1", "IPv6")
    assert check["details"]["not_asked"] == ["2001:db8::1"]
    assert report["status"] != "pass"
    assert f"- links.url  {check['summary']}" in text.stdout  # the link is the report's own target


def test_every_list_skipped_offline_leaves_the_link_skipped(tmp_path):
    # --zone serves the link's host but none of the lists: --offline leaves them all out.
    (tmp_path / "links-start.example.zone").write_text((ZONES / "links-start.example.zone").read_text())
    url = "https://links-start.example/offer"
    result = run_cli("links", url, "--format", "json", "--zone", str(tmp_path), "--offline")
    assert result.exit_code == 0
    report = result.json()
    check = one_check(report, "links.url", url)
    assert check["status"] == "skip"
    assert mentions(check["summary"], url, "links-start.example", "dbl.spamhaus.org", "multi.uribl.com", "multi.surbl.org")
    assert one_check(report, "blocklist.list", "dbl.spamhaus.org")["status"] == "skip"
    assert "blocklist.listing" not in {c["id"] for o in report["obstacles"] for c in o["checks"]}


def test_a_trail_with_a_host_no_list_takes_is_info_not_pass(resolver_factory):
    from mailcheck.blocklists.catalogue import DBL, SPAMCOP
    from mailcheck.blocklists.lookup import look_up_all
    from mailcheck.links.extract import Link
    from mailcheck.links.report import link_check, link_hosts, targets_for
    from mailcheck.links.trail import Hop, Trail
    from mailcheck.model import Status
    from tests.helpers import run_async

    start, final = "https://links-hop.example/r", "https://[2001:db8::1]/landing"
    link = Link(start, "command line")
    trail = Trail(start, (Hop(start, "HEAD", 302, final), Hop(final, "HEAD", 200)), final)
    targets = targets_for(link_hosts(link, trail))
    lookups = run_async(look_up_all(resolver_factory(), list(targets.values()), [SPAMCOP, DBL]))
    check = link_check(link, trail, targets, {"links-hop.example": lookups}, [SPAMCOP, DBL])
    assert check.status is Status.INFO
    assert mentions(check.summary, start, f"→ {final}", "1 redirect", "links-hop.example", "1 list", "2001:db8::1")
