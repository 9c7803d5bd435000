"""mailcheck report: DMARC aggregate and failure reports and SMTP TLS reports, through the CLI."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailcheck.commands.report import ReportChecker
from mailcheck.model import Report, Status
from mailcheck.reports.containers import Document, documents
from mailcheck.reports.reading import read_document
from mailcheck.run import DnsScope, ImmediateCheck, run_targets
from mailcheck.runtime import NetworkOptions
from mailcheck.sources import DEFAULT_MAX_SIZE, Source, SourceSpec, open_sources
from tests.helpers import ROOT, checks_by_id, mentions, offline, one_check, run_cli
from tests.helpers.cli_subprocess import run_mailcheck

REPORTS = ROOT / "fixtures" / "reports"


def fixture(name: str) -> str:
    return str(REPORTS / name)


def read(*args: str) -> dict:
    """A JSON run that reads without DNS; the one report of the run."""
    result = run_cli("report", *args, "--no-dns", "--format", "json")
    document = result.json()
    return document


# -- aggregate reports -----------------------------------------------------------------


def test_an_rfc7489_aggregate_report_reads_in_parsedmarcs_field_names():
    report = read(fixture("aggregate-rfc7489.xml"))
    assert report["command"] == "report" and report["report_type"] == "aggregate"
    check = one_check(report, "report.aggregate")
    assert check["status"] == "info"
    assert mentions(check["summary"], "receiver.example", "reports.example", "p=none", "2026-11-30", "167", "4", "89.8%")
    details = check["details"]
    assert details["report_metadata"] == {
        "org_name": "receiver.example",
        "org_email": "dmarc-noreply@receiver.example",
        "org_extra_contact_info": "https://receiver.example/dmarc",
        "report_id": "rx-2026-11-30-0001",
        "begin_date": "2026-11-30T00:00:00Z",
        "end_date": "2026-11-30T23:59:59Z",
        "errors": ["One record had an unparsable From header."],
    }
    assert details["policy_published"] == {
        "domain": "reports.example",
        "adkim": "r",
        "aspf": "r",
        "p": "none",
        "sp": "none",
        "pct": "100",
        "fo": "1",
        "np": None,
        "testing": None,
        "discovery_method": None,
    }
    second = details["records"][1]
    assert second["source"] == {"ip_address": "198.51.100.7"} and second["count"] == 30
    assert second["policy_evaluated"] == {"disposition": "none", "dkim": "pass", "spf": "fail", "policy_override_reasons": []}
    # No envelope_from in the report: parsedmarc's default, the last SPF domain.
    assert second["identifiers"] == {"header_from": "reports.example", "envelope_from": "reports.example", "envelope_to": None}
    assert second["auth_results"]["spf"] == [
        {"domain": "reports.example", "scope": "mfrom", "result": "softfail", "human_result": "not permitted"}
    ]
    forwarded = details["records"][3]["policy_evaluated"]["policy_override_reasons"]
    assert forwarded == [{"type": "forwarded", "comment": "looks like a forwarder"}]


def test_failing_sources_forwarding_and_readiness_are_judged():
    result = run_cli("report", fixture("aggregate-rfc7489.xml"), "--no-dns")
    assert result.exit_code == 0  # warnings only
    assert (
        "! report.alignment [203.0.113.66]  203.0.113.66 sent 5 messages as reports.example that failed DMARC "
        "(SPF none, DKIM fail; disposition none)"
    ) in result.stdout
    assert "i report.forwarding  12 messages had their policy overridden by the receiver (forwarded 12)" in result.stdout
    assert (
        "! report.readiness [reports.example]  reports.example (p=none): 96.8% of 155 messages pass DMARC aligned; "
        "12 forwarded set apart: not ready for p=reject; failing senders: 203.0.113.66 (5)"
    ) in result.stdout
    # The sender that passes, and the forwarded one, are not named as failing.
    assert "[192.0.2.10]" not in result.stdout and "report.alignment [192.0.2.200]" not in result.stdout


def test_an_rfc9990_report_reads_its_namespace_and_new_elements():
    report = read(fixture("aggregate-rfc9990.xml"))
    details = one_check(report, "report.aggregate")["details"]
    assert details["xml_schema"] == "RFC 9990"
    policy = details["policy_published"]
    assert (policy["np"], policy["testing"], policy["discovery_method"], policy["pct"], policy["adkim"], policy["sp"]) == (
        "reject",
        "n",
        "treewalk",
        None,
        "s",
        "quarantine",
    )
    assert details["records"][0]["source"]["ip_address"] == "2001:db8::25"
    readiness = one_check(report, "report.readiness")
    assert readiness["status"] == "pass"
    assert mentions(readiness["summary"], "reports.example", "p=none", "100.0%", "400", "ready for p=reject")


@pytest.mark.parametrize(
    ("name", "target_suffix"),
    [
        ("aggregate-rfc7489.xml.gz", "aggregate-rfc7489.xml.gz"),
        ("aggregate-rfc7489.zip", "aggregate-rfc7489.zip"),
        ("aggregate-zip.eml", "aggregate-zip.eml!receiver.example!reports.example!1795996800!1796083199.zip"),
    ],
)
def test_gzip_zip_and_mail_attachments_unpack_to_the_same_report(name, target_suffix):
    report = read(fixture(name))
    assert report["target"].endswith(target_suffix)
    details = one_check(report, "report.aggregate")["details"]
    assert details["report_metadata"]["report_id"] == "rx-2026-11-30-0001"
    assert [r["count"] for r in details["records"]] == [120, 30, 5, 12]


def test_a_message_with_two_attachments_is_two_reports():
    result = run_cli("report", fixture("two-reports.eml"), "--no-dns", "--format", "json")
    document = result.json()
    assert document["schema"] == "mailcheck.reports/1"
    kinds = {r["target"].split("two-reports.eml!", 1)[1]: r["report_type"] for r in document["reports"]}
    assert kinds == {
        "provider-b!reports.example!1796083200!1796169599.xml.gz": "aggregate",
        "sender-a.example!reports.example!1795996800.json.gz": "smtp_tls",
    }


def test_damage_is_read_past_and_listed():
    report = read(fixture("aggregate-damaged.xml"))
    damage = one_check(report, "report.damage")
    assert damage["status"] == "warn"
    assert damage["details"]["problems"] == [
        "bytes that are not UTF-8 (first at line 5); read as U+FFFD",
        "a bare '&' at line 5 is not XML; read as '&amp;'",
        "the XML breaks at line 26, column 15 (unclosed token) inside <count>; read what came before",
        "record 2 left out: line 24: <row> has no <policy_evaluated>",
        "upper-case values read as lower case: <disposition>None, <dkim>PASS, <p>NONE, <result>PASS, <spf>Pass",
    ]
    details = one_check(report, "report.aggregate")["details"]
    assert details["report_metadata"]["org_name"] == "AT&T Mail \ufffddition"
    assert details["policy_published"]["p"] == "none"
    (record,) = details["records"]
    assert (record["count"], record["policy_evaluated"]["dkim"], record["identifiers"]["header_from"]) == (
        7,
        "pass",
        "reports.example",
    )


# -- failure and TLS reports -------------------------------------------------------------


def test_an_arf_failure_report_reads_its_fields():
    report = read(fixture("failure-arf.eml"))
    check = one_check(report, "report.failure")
    assert check["status"] == "warn"
    assert mentions(check["summary"], "auth-failure", "reports.example", "203.0.113.66", "2026-11-30T13:01:58Z", "dmarc")
    details = check["details"]
    assert (details["original_mail_from"], details["original_rcpt_to"], details["source"]) == (
        "billing@reports.example",
        "alice@receiver.example",
        {"ip_address": "203.0.113.66"},
    )
    assert (details["dkim_selector"], details["subject"], details["delivery_result"]) == ("old", "Your invoice", "delivered")


def test_an_exim_failure_report_reads_its_text_form():
    report = read(fixture("failure-exim.eml"))
    details = one_check(report, "report.failure")["details"]
    assert details["report_form"] == "exim"
    assert (details["reported_domain"], details["source"]["ip_address"], details["arrival_date_utc"]) == (
        "reports.example",
        "203.0.113.66",
        "2026-11-30T15:09:41Z",
    )
    assert details["auth_failure"] == ["dmarc", "spf", "dkim"]


def test_an_smtp_tls_report_maps_failures_to_mailchecks_checks():
    result = run_cli("report", fixture("tlsrpt-rfc8460.json"), "--no-dns", "--format", "json")
    report = result.json()
    check = one_check(report, "report.smtp-tls")
    assert check["status"] == "warn"
    assert mentions(check["summary"], "Sender Org A", "reports.example", "2026-11-30", "950", "50 failed")
    policy = check["details"]["policies"][0]
    assert (policy["policy_type"], policy["mx_host"], policy["successful_session_count"], policy["failed_session_count"]) == (
        "sts",
        ["mx1.reports.example"],
        950,
        50,
    )
    assert policy["failure_details"][1] == {
        "result_type": "certificate-expired",
        "failed_session_count": 10,
        "sending_mta_ip": "198.51.100.21",
        "receiving_ip": "192.0.2.25",
        "receiving_mx_hostname": "mx1.reports.example",
        "additional_info_uri": "https://sender-a.example/tls-help",
        "failure_reason_code": "X509_V_ERR_CERT_HAS_EXPIRED",
    }
    mapped = {c["details"]["result_type"]: c["details"]["check_id"] for c in checks_by_id(report, "report.tls-failure")}
    assert mapped == {"sts-policy-fetch-error": "mta-sts.policy", "certificate-expired": "tls.certificate"}


def test_provider_quirks_in_tls_reports_are_read_and_flagged():
    report = read(fixture("tlsrpt-quirks.json"))
    details = one_check(report, "report.smtp-tls")["details"]
    assert one_check(report, "report.smtp-tls")["status"] == "pass"
    assert details["contact_info"] is None and details["begin_date"] == "2026-11-30T00:00:00Z"
    tlsa, none = details["policies"]
    assert (tlsa["policy_type"], tlsa["successful_session_count"], tlsa["mx_host"], len(tlsa["policy_strings"])) == (
        "tlsa",
        12,
        ["mx1.reports.example"],
        1,
    )
    assert none["policy_type"] == "no-policy-found" and none["failure_details"] == []
    problems = one_check(report, "report.damage")["details"]["problems"]
    assert "policies[0].summary.total-successful-session-count is the string '12', not a number; read as 12" in problems
    assert "date-range.start-datetime '2026-11-30T00:00:00' has no time zone; read as UTC" in problems


# -- against the (fixture) DNS ---------------------------------------------------------------


def test_the_cross_check_finds_a_sender_missing_from_spf_and_a_selector_without_a_key():
    result = run_cli("report", *offline(fixture("aggregate-rfc7489.xml"), "--format", "json"))
    report = result.json()
    assert result.exit_code == 1  # a selector without a key fails
    missing = one_check(report, "report.spf-source", "198.51.100.7")
    assert missing["status"] == "warn"
    assert mentions(missing["summary"], "198.51.100.7", "reports.example", "DKIM", "30", "SPF", "fail")
    no_key = one_check(report, "report.dkim-selector", "old:reports.example")
    assert no_key["status"] == "fail"
    assert mentions(no_key["summary"], "old", "reports.example", "5", "old._domainkey.reports.example", "no key")
    assert one_check(report, "report.dkim-selector", "s1:reports.example")["status"] == "pass"
    failing = one_check(report, "report.alignment", "203.0.113.66")
    assert failing["summary"].startswith("203.0.113.66 (bulk-sender.reports.example) sent 5 messages as reports.example")
    assert failing["details"]["reverse_dns"] == "bulk-sender.reports.example"
    # SPF of someone else's envelope domain is not judged.
    assert [c["subject"] for c in checks_by_id(report, "report.spf-source")] == ["198.51.100.7"]


def test_the_cross_check_of_a_tls_report_looks_up_the_mta_sts_record():
    report = run_cli("report", *offline(fixture("tlsrpt-rfc8460.json"), "--format", "json")).json()
    found = one_check(report, "report.tls-failure", "reports.example")
    assert mentions(found["summary"], "_mta-sts.reports.example", "v=STSv1; id=20261201", "mta-sts.policy")


def test_no_dns_leaves_the_cross_check_out():
    report = read(fixture("aggregate-rfc7489.xml"))
    assert checks_by_id(report, "report.spf-source") == [] and checks_by_id(report, "report.dkim-selector") == []
    assert "dns" not in report


# -- the summary -------------------------------------------------------------------------------


def test_summary_over_a_maildir_per_org_source_and_day(tmp_path):
    maildir = tmp_path / "inbox"
    (maildir / "new").mkdir(parents=True)
    (maildir / "cur").mkdir()
    for name in ("aggregate-zip.eml", "two-reports.eml", "failure-arf.eml", "aggregate-damaged.xml"):
        (maildir / "cur" / name).write_bytes((REPORTS / name).read_bytes())
    result = run_cli("report", "--maildir", str(maildir), "--summary", "--no-dns", "-v")
    assert result.exit_code == 0
    out = result.stdout
    assert "i report.by-org [organizations]  4 reporting organizations, 5 reports read, 1 failure report\n" in out
    # The damaged document is named, with only its damage; its records are in the tables.
    assert f"{maildir}/cur/aggregate-damaged.xml  ! WARN" in out
    assert "! report.damage  read with repairs: bytes that are not UTF-8 (first at line 5)" in out
    assert "receiver.example: 1 report, 167 messages, 89.8% pass" in out
    assert "Sender Org A: 1 report, 1,000 sessions, 95.0% succeeded" in out
    assert "2001:db8::25: 400 messages, 100.0% pass, as reports.example; seen by Mailbox Provider B" in out
    assert "2026-11-30: 174 messages, 90.2% pass" in out and "2026-12-01: 400 messages, 100.0% pass" in out
    assert (
        "✓ report.readiness [reports.example]  reports.example (p=none): 99.1% of 562 messages pass DMARC aligned; "
        "12 forwarded set apart: ready for p=reject; what fails (5) comes from 203.0.113.66 (5)"
    ) in out
    # Per-document reports are folded into the summary.
    assert "report.aggregate" not in out


def test_summary_carries_what_todays_dns_says_once_per_subject():
    result = run_cli(
        "report",
        *offline(fixture("aggregate-zip.eml"), fixture("aggregate-rfc7489.xml.gz"), fixture("two-reports.eml"), "--summary"),
    )
    assert result.exit_code == 1
    out = result.stdout
    line = "✗ report.dkim-selector [old:reports.example]  selector old of reports.example signed 5 messages but old._domainkey"
    assert out.count(line) == 1
    assert out.count("! report.spf-source [198.51.100.7]  198.51.100.7 sends as reports.example with aligned DKIM") == 1
    assert "certificate-expired: 10 sessions to mx1.reports.example from 198.51.100.21 failed" in out
    assert "sts-policy-fetch-error: 40 sessions to mx1.reports.example from 198.51.100.20 failed" in out


def test_summary_json_carries_the_tables():
    result = run_cli(
        "report", fixture("aggregate-rfc7489.xml"), fixture("aggregate-rfc9990.xml"), "--summary", "--no-dns", "--format", "json"
    )
    report = result.json()
    assert report["target"] == "summary" and report["report_type"] == "summary"
    tables = report["summary"]
    assert [(d["date"], d["messages"], d["passing"]) for d in tables["days"]] == [
        ("2026-11-30", 167, 150),
        ("2026-12-01", 400, 400),
    ]
    assert tables["domains"] == [
        {"domain": "reports.example", "policy": "none", "messages": 567, "passing": 550, "pass_share": 0.97}
    ]
    assert tables["sources"][0] == {
        "ip_address": "2001:db8::25",
        "messages": 400,
        "passing": 400,
        "pass_share": 1.0,
        "header_from": ["reports.example"],
        "reporters": ["Mailbox Provider B"],
    }


# -- bad input -----------------------------------------------------------------------------------


def test_an_invalid_document_names_the_element_and_line_and_the_others_are_still_read():
    result = run_cli(
        "report", fixture("aggregate-no-metadata.xml"), fixture("aggregate-rfc9990.xml"), "--no-dns", "--format", "json"
    )
    assert result.exit_code == 3  # an error and no failure: no verdict on one document
    first, second = result.json()["reports"]
    invalid = one_check(first, "report.invalid")
    assert invalid["status"] == "error"
    assert mentions(invalid["summary"], "line 3", "<feedback>", "<report_metadata>")
    assert invalid["details"] == {"reason": "<feedback> has no <report_metadata>", "line": 3}
    assert one_check(second, "report.aggregate")["status"] == "info"


@pytest.mark.parametrize(
    ("name", "summary"),
    [
        (
            "aggregate-bad-xml.xml",
            "not a report mailcheck can read: the XML breaks at line 6, column 3 (not well-formed (invalid token)) inside "
            "<report_metadata>, and what comes before it is not a whole report: <report_metadata> has no <date_range>",
        ),
        (
            "aggregate-entities.xml",
            "not a report mailcheck can read (line 3): refused: an entity declaration (reports never need them)",
        ),
        ("not-a-report.txt", "not a report mailcheck can read: not a report: neither XML, JSON, gzip, zip nor an email message"),
    ],
)
def test_nothing_readable_exits_2_and_says_why(name, summary):
    result = run_cli("report", fixture(name), "--no-dns")
    assert result.exit_code == 2
    assert f"? report.invalid  {summary}" in result.stdout
    assert result.stderr == "mailcheck: error: no document could be read as a report\n"


def test_a_gzip_bomb_is_invalid_not_a_hang(tmp_path):
    bomb = tmp_path / "bomb.xml.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as stream:
        stream.write(b"<feedback>" + b" " * (3 * 1024 * 1024))
    report = run_cli("report", str(bomb), "--no-dns", "--max-size", "1M", "--format", "json")
    assert report.exit_code == 2
    check = one_check(report.json(), "report.invalid")
    assert mentions(check["summary"], "gzip", "1,048,576 bytes")


def test_a_zip_bomb_is_invalid(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.xml", b"<feedback>" + b"0" * (2 * 1024 * 1024))
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(buffer.getvalue())
    result = run_cli("report", str(bomb), "--no-dns", "--max-size", "1M")
    assert result.exit_code == 2
    assert "zip member report.xml decompresses to more than the size cap of 1,048,576 bytes (a zip bomb?)" in result.stdout


def test_a_message_saved_from_outlook_is_read_for_its_reports_and_the_message_forwarded_in_it():
    # An OLE compound file (MS-CFB) of MS-OXMSG streams: a gzipped aggregate report by
    # value, and an attached message that carries a TLS report.
    result = run_cli("report", fixture("two-reports-outlook.msg"), "--no-dns", "--format", "json")
    assert result.exit_code == 0
    reports = {r["target"].split("two-reports-outlook.msg!", 1)[1]: r for r in result.json()["reports"]}
    assert list(reports) == [
        "receiver.example!reports.example!1795996800!1796083199.xml.gz",
        "sender-a.example!reports.example!1795996800.json",
    ]
    aggregate, tls = reports.values()
    details = one_check(aggregate, "report.aggregate")["details"]
    assert details["report_metadata"]["report_id"] == "rx-2026-11-30-0001"
    assert [r["count"] for r in details["records"]] == [120, 30, 5, 12]
    assert mentions(one_check(tls, "report.smtp-tls")["summary"], "Sender Org A", "950 sessions succeeded", "50 failed")


def _outlook_file(tmp_path: Path, name: str, tree: dict) -> str:
    from fixtures.reports.make_containers import compound_file

    path = tmp_path / name
    path.write_bytes(compound_file(tree))
    return str(path)


def test_an_outlook_message_without_a_report_says_what_it_carries(tmp_path):
    from fixtures.reports.make_containers import outlook_message

    msg = _outlook_file(tmp_path, "notes.msg", outlook_message("Minutes", [("minutes.txt", "text/plain", b"Nothing to see.")]))
    result = run_cli("report", msg, "--no-dns")
    assert result.exit_code == 2
    assert "an Outlook message with no report attached (attachments: minutes.txt)" in result.stdout


def test_an_ole_file_that_is_no_outlook_message_and_a_broken_one_are_invalid_with_the_reason(tmp_path):
    word = _outlook_file(tmp_path, "letter.doc", {"WordDocument": b"\xec\xa5" + b"\0" * 600})
    whole = (REPORTS / "two-reports-outlook.msg").read_bytes()
    cut = tmp_path / "cut.msg"
    cut.write_bytes(whole[:1500])
    header_only = tmp_path / "header.msg"
    header_only.write_bytes(whole[:8] + b"\0" * 504)
    result = run_cli("report", word, str(cut), str(header_only), "--no-dns", "--format", "json")
    assert result.exit_code == 2
    reasons = {Path(r["target"]).name: one_check(r, "report.invalid")["details"]["reason"] for r in result.json()["reports"]}
    assert reasons["letter.doc"] == (
        "an Outlook .msg file: an OLE compound file but no Outlook message (no __properties_version1.0): a Word or Excel file?"
    )
    assert reasons["cut.msg"] == "an Outlook .msg file: not a readable OLE compound file (incomplete OLE sector)"
    assert reasons["header.msg"].startswith("an Outlook .msg file: not a readable OLE compound file (")


_OUTLOOK_FIXTURE = (REPORTS / "two-reports-outlook.msg").read_bytes()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_OUTLOOK_FIXTURE) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_a_damaged_outlook_message_is_read_or_refused_never_a_crash(changes):
    # Hostile or broken .msg files: bytes changed anywhere (header, FAT, directory,
    # streams). Whatever comes out is documents, each read or refused with a reason.
    data = bytearray(_OUTLOOK_FIXTURE)
    for position, value in changes:
        data[position] = value
    found = list(documents(Source("fuzzed.msg", bytes(data), len(data)), DEFAULT_MAX_SIZE))
    assert found and all(isinstance(document, Document) for document in found)
    for document in found:
        reading, _damage = read_document(document)
        assert reading is not None
        if document.label == "fuzzed.msg" and document.problem is not None and data.startswith(_OUTLOOK_FIXTURE[:8]):
            # Refused as a whole: the reason says it was taken for an Outlook message.
            assert document.problem.startswith(("an Outlook .msg file: ", "an Outlook message with no report attached"))


def test_stdin_is_read():
    done = run_mailcheck(
        "report", "-", "--no-dns", "--format", "json", input=(REPORTS / "tlsrpt-rfc8460.json.gz").read_bytes(), text=False
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["target"], report["report_type"]) == ("stdin", "smtp_tls")
    assert one_check(report, "report.smtp-tls")["details"]["report_id"] == "2026-11-30T00:00:00Z_reports.example"


def test_an_mbox_is_read_and_jsonl_streams_a_line_each(tmp_path):
    mbox = tmp_path / "dmarc.mbox"
    mbox.write_bytes(
        b"From receiver@example Tue Dec  1 06:00:00 2026\n"
        + (REPORTS / "aggregate-zip.eml").read_bytes().replace(b"\r\n", b"\n")
        + b"\nFrom receiver@example Tue Dec  1 06:00:01 2026\n"
        + (REPORTS / "failure-arf.eml").read_bytes()
    )
    result = run_cli("report", "--mbox", str(mbox), "--no-dns", "--format", "jsonl")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["target"].split("!")[0], r["report_type"]) for r in lines] == [
        (f"{mbox}#1", "aggregate"),
        (f"{mbox}#2", "failure"),
    ]
    assert result.exit_code == 0


def test_a_json_document_that_breaks_names_its_line(tmp_path):
    broken = tmp_path / "tls.json"
    broken.write_text('{\n  "organization-name": "x",\n  "policies": [\n}\n')
    result = run_cli("report", str(broken), "--no-dns")
    assert result.exit_code == 2
    assert (
        "? report.invalid  not a report mailcheck can read (line 4): not valid JSON (Expecting value, column 1)" in result.stdout
    )


def test_a_nonexistent_file_is_bad_input():
    result = run_cli("report", "no-such-report.xml")
    assert result.exit_code == 2
    assert result.stdout == "" and result.stderr == "mailcheck: error: no-such-report.xml: no such file\n"


def test_html_is_refused_by_other_commands():
    result = run_cli("blocklist", "192.0.2.1", "--format", "html")
    assert result.exit_code == 2
    assert result.stderr.startswith("mailcheck: error: --format html is made by mailcheck report only")


def test_control_characters_from_a_report_are_never_printed_raw(tmp_path):
    xml = tmp_path / "evil.xml"
    xml.write_text((REPORTS / "aggregate-rfc9990.xml").read_text().replace("Mailbox Provider B", "Evil\x1b[31m Org"))
    tls = tmp_path / "evil.json"
    tls.write_text((REPORTS / "tlsrpt-rfc8460.json").read_text().replace("Sender Org A", "Evil\\u001b[31m Sender"))
    result = run_cli("report", str(xml), str(tls), "--no-dns")
    assert "\x1b" not in result.stdout
    # XML may not hold the byte at all: left out and said so. JSON may: shown escaped.
    assert "control bytes (first at line 6) are not allowed in XML; left out" in result.stdout
    assert "i report.aggregate  Evil[31m Org on reports.example" in result.stdout
    assert "report.smtp-tls  Evil\\x1b[31m Sender on reports.example" in result.stdout


def test_fixture_containers_are_up_to_date(tmp_path):
    # The packed fixtures are made from the plain ones by fixtures/reports/make_containers.py.
    with gzip.open(REPORTS / "aggregate-rfc7489.xml.gz") as stream:
        assert stream.read() == (REPORTS / "aggregate-rfc7489.xml").read_bytes()
    with zipfile.ZipFile(REPORTS / "aggregate-rfc7489.zip") as archive:
        (name,) = archive.namelist()
        assert archive.read(name) == Path(REPORTS / "aggregate-rfc7489.xml").read_bytes()
    from fixtures.reports.make_containers import two_reports_outlook
    from mailcheck.reports.outlook import attachments

    assert (REPORTS / "two-reports-outlook.msg").read_bytes() == two_reports_outlook()

    saved = attachments((REPORTS / "two-reports-outlook.msg").read_bytes(), DEFAULT_MAX_SIZE, 10)
    assert [(a.content_type, a.data) for a in saved] == [
        ("application/gzip", gzip.compress((REPORTS / "aggregate-rfc7489.xml").read_bytes(), mtime=0)),
        ("application/tlsrpt+json", (REPORTS / "tlsrpt-rfc8460.json").read_bytes()),
    ]


def test_the_text_report_draws_aggregate_rows_only_with_verbose():
    path = str(REPORTS / "aggregate-rfc7489.xml")
    plain = run_cli("report", path, "--no-dns", "--no-color")
    assert "report.aggregate" in plain.stdout and "{'" not in plain.stdout
    assert "192.0.2.10: 120 messages" not in plain.stdout
    verbose = run_cli("report", path, "--no-dns", "--no-color", "-v")
    assert "        192.0.2.10: 120 messages, dkim pass, spf pass, disposition none" in verbose.stdout.splitlines()
    assert "{'" not in verbose.stdout


# -- the loop without DNS ----------------------------------------------------------------


class _CrashesOnTls(ReportChecker):
    """A reader that breaks on one kind of document, as a bug would."""

    def check_now(self, target: Document) -> Report:
        if target.kind == "json":
            raise ValueError("unlucky")
        return super().check_now(target)


def test_without_dns_documents_are_read_in_order_and_a_crash_is_that_documents_error():
    names = ("aggregate-rfc7489.xml", "tlsrpt-rfc8460.json", "aggregate-rfc9990.xml")
    sources = open_sources(SourceSpec(files=tuple(fixture(name) for name in names)))
    targets = (document for source in sources for document in documents(source, DEFAULT_MAX_SIZE))
    seen: list[str] = []
    checker = _CrashesOnTls(dns=False, summary=False)
    assert isinstance(checker, ImmediateCheck)  # so the loop reads them in this thread, in order
    offline = NetworkOptions(offline=True, timeout=2)
    outcome = run_targets(
        checker, targets, offline, scope=DnsScope.NONE, on_report=lambda report: seen.append(report.target), keep=True
    )
    assert seen == [r.target for r in outcome.reports] == [fixture(name) for name in names]
    assert [r.status for r in outcome.reports] == [Status.WARN, Status.ERROR, Status.PASS]
    crashed = outcome.reports[1].checks[0]
    assert (crashed.id, crashed.summary) == ("run.crash", f"checking {fixture(names[1])} crashed: ValueError: unlucky")
    assert outcome.worst is Status.ERROR and outcome.count == 3
    assert checker.tally.readable == 2
