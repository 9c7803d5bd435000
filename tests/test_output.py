"""Where the report goes and what it may hold: --output (atomic, '-', write errors),
pipes closed early, stdout on a full device, stdin for links, and text from the
network that carries control characters, in every format."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mailcheck.cli.options import OutputFormat
from mailcheck.cli.output import render_document
from mailcheck.model import Check, DnsStats, Obstacle, Report, Status
from mailcheck.render.safe import printable
from tests.helpers import mentions, offline, one_check, run_cli, validate_report
from tests.helpers.terminal import OFFLINE, ROOT, mailcheck, silent_dns_server

SCHEMAS = Path(__file__).resolve().parent / "schemas"
FULL = "/dev/full"
# Enough reports that the output outgrows a pipe's buffer (64 KiB on Linux), so the
# writer really meets the closed pipe instead of leaving everything in the buffer.
# Enough reports (and, with -v, query log) that the output outgrows a pipe's buffer.
PASSING = ("good.example", "mx-ptr.example", "dkim-none.example", "dmarc-monitor.example", "good.example", "dkim-probe.example")
PIPE_BUFFER = 65536


# -- the one escaping function -------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("v=spf1 \x1b]0;title\x07 -all", "v=spf1 \\x1b]0;title\\x07 -all"),
        ("nul\x00del\x7fc1\x9b", "nul\\x00del\\x7fc1\\x9b"),
        ("line\nbreak\ttab\rcr", "line\\x0abreak\\x09tab\\x0dcr"),
        ("abc\u202edcba\u2066x\u2069\u200f", "abc\\u202edcba\\u2066x\\u2069\\u200f"),
        ("bad\ud800half\ufffe", "bad\\ud800half\\ufffe"),
        ("plain ✓ é ß 中文 — fine", "plain ✓ é ß 中文 — fine"),
    ],
)
def test_printable_shows_controls_bidi_and_xml_forbidden_characters_as_escapes(raw, shown):
    assert printable(raw) == shown


def test_printable_keeping_lines_leaves_tab_and_newline_alone():
    assert printable("a\tb\nc\x1bd\re", keep_lines=True) == "a\tb\nc\\x1bd\\x0de"


# -- control characters from the network, in every format ----------------------------

HOSTILE = "v=spf1 \x1b]0;pwned\x07\x1b[2J\x00 \u202eevil -all"


def _hostile_report() -> Report:
    check = Check(
        id="spf.syntax",
        status=Status.FAIL,
        subject="mx\x1b[31m.hostile.example",
        summary=f"unknown mechanism in {HOSTILE}",
        details={"errors": [{"domain": "hostile.example", "via": None, "text": "220 banner\x07\x1b[H"}], "record": HOSTILE},
        fix=f"Correct {HOSTILE}",
        refs=("RFC 7208",),
    )
    skipped = Check(id="spf.lookups", status=Status.SKIP, subject="hostile.example", summary="skipped: \x1b[5m")
    return Report(
        "domain",
        "hostile.example",
        (Obstacle("authentication", "Authentication", (check, skipped)),),
        DnsStats(queries=3, elapsed_ms=12, max_in_flight=2),
    )


def test_junit_stays_well_formed_and_valid_with_control_characters():
    import xmlschema

    text = render_document([_hostile_report()], OutputFormat.junit)
    xmlschema.XMLSchema(SCHEMAS / "junit.xsd").validate(text)
    root = ET.fromstring(text)
    case = root.find("testsuite/testcase[@classname='hostile.example.authentication']")
    assert case.get("name") == "spf.syntax [mx\\x1b[31m.hostile.example]"
    failure = case.find("failure")
    assert failure.get("message") == "unknown mechanism in v=spf1 \\x1b]0;pwned\\x07\\x1b[2J\\x00 \\u202eevil -all"
    assert failure.text.startswith("FAIL: unknown mechanism in v=spf1 \\x1b]0;pwned")
    assert "\n  220 banner\\x07\\x1b[H\n" in failure.text  # the body keeps its lines
    skipped = root.find("testsuite/testcase[@name='spf.lookups [hostile.example]']/skipped")
    assert skipped.get("message") == "skipped: \\x1b[5m"


def test_markdown_and_text_show_escapes_and_json_keeps_the_true_string():
    from mailcheck.cli.console import make_console
    from mailcheck.render.text import render_text

    markdown = render_document([_hostile_report()], OutputFormat.markdown)
    assert "\x1b" not in markdown and "\x07" not in markdown and "\u202e" not in markdown
    # The escape's backslash is itself escaped for Markdown, so it renders as \x1b.
    assert "v=spf1 \\\\x1b\\]0;pwned\\\\x07\\\\x1b\\[2J\\\\x00 \\\\u202eevil -all" in markdown

    import io

    stream = io.StringIO()
    render_text(make_console(stream, color=False), [_hostile_report()], verbose=True)
    text = stream.getvalue()
    assert not any(ch in text for ch in "\x1b\x07\x00\u202e")
    assert (
        "    ✗ spf.syntax [mx\\x1b[31m.hostile.example]  unknown mechanism in v=spf1 \\x1b]0;pwned\\x07\\x1b[2J\\x00 \\u202eevil -all"
        in text
    )
    assert "        220 banner\\x07\\x1b[H" in text

    document = json.loads(render_document([_hostile_report()], OutputFormat.json))
    assert document["obstacles"][0]["checks"][0]["details"]["record"] == HOSTILE
    sarif = json.loads(render_document([_hostile_report()], OutputFormat.sarif))
    assert sarif["runs"][0]["results"][0]["message"]["text"].startswith(
        f"mx\x1b[31m.hostile.example: unknown mechanism in {HOSTILE}"
    )


def test_a_zone_record_with_esc_and_bel_is_escaped_in_text_and_well_formed_in_junit():
    import xmlschema

    text = run_cli("domain", *offline("control-bytes.example", "--no-smtp", "--no-color", "-v"))
    assert text.exit_code == 1
    assert "\x1b" not in text.stdout and "\x07" not in text.stdout
    assert "    ✓ spf.record  SPF record: v=spf1 include:_spf.good.example \\x1b]0;pwned\\x07\\x1b[2J -all" in text.stdout
    assert (
        "    ✓ dmarc.record  _dmarc.control-bytes.example: v=DMARC1; p=reject; rua=mailto:\\x1b[31mdmarc@control-bytes.example"
        in text.stdout
    )

    junit = run_cli("domain", *offline("control-bytes.example", "--no-smtp", "--format", "junit"))
    assert junit.exit_code == 1
    xmlschema.XMLSchema(SCHEMAS / "junit.xsd").validate(junit.stdout)
    root = ET.fromstring(junit.stdout)
    out = root.find("testsuite/testcase[@name='spf.record [control-bytes.example]']/system-out")
    assert out.text.splitlines()[0] == "PASS: SPF record: v=spf1 include:_spf.good.example \\x1b]0;pwned\\x07\\x1b[2J -all"

    report = run_cli("domain", *offline("control-bytes.example", "--no-smtp", "--format", "json")).json()
    spf = one_check(report, "spf.record")
    assert spf["summary"] == "SPF record: v=spf1 include:_spf.good.example \x1b]0;pwned\x07\x1b[2J -all"


# -- --output ------------------------------------------------------------------------


def test_output_dash_is_stdout():
    result = run_cli("domain", *offline("good.example", "--no-smtp", "--format", "json", "--output", "-"))
    assert result.exit_code == 0
    document = result.json()  # stdout is exactly one JSON document: no text report after it
    assert document["target"] == "good.example" and document["status"] == "pass"

    text = run_cli("domain", *offline("good.example", "--no-smtp", "--output", "-", "--no-color"))
    assert text.exit_code == 0
    assert text.stdout.count("good.example  ✓ PASS") == 1


def test_output_file_replaces_the_old_one_when_complete_and_keeps_its_permissions(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old report\n")
    target.chmod(0o640)
    result = run_cli("domain", *offline("good.example", "--no-smtp", "--format", "json", "--output", str(target)))
    assert result.exit_code == 0
    document = json.loads(target.read_text())
    validate_report(document)
    assert document["target"] == "good.example"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temporary file left


def test_interrupted_run_leaves_the_old_output_file_intact(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("old report\n")
    listing = tmp_path / "slow.txt"
    listing.write_text("\n".join(f"d{i}.example" for i in range(10)) + "\n")
    with silent_dns_server() as port:
        argv = mailcheck(
            "domain", "--from-file", str(listing), "--nameserver", f"127.0.0.1:{port}", "--timeout", "120",
            "--no-smtp", "--format", "jsonl", "--output", str(target),
        )  # fmt: skip
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        try:
            deadline = time.monotonic() + 60
            # The run has started once its temporary file sits beside the target.
            while len(list(tmp_path.glob(".out.jsonl.*.tmp"))) == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert list(tmp_path.glob(".out.jsonl.*.tmp")), "the run never opened its output"
            time.sleep(0.5)
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 130
    assert stderr == b""
    assert target.read_text() == "old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "slow.txt"]


def test_output_to_a_full_device_is_one_line_and_exit_2():
    result = run_cli("domain", *offline("good.example", "--no-smtp", "--format", "json", "--output", FULL))
    assert result.exit_code == 2
    assert result.stderr == "mailcheck: error: cannot write the report to /dev/full: No space left on device\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("domain", "good.example", "--no-smtp", *OFFLINE), "cannot write the report to stdout: No space left on device"),
        (
            ("domain", "good.example", "--no-smtp", "--format", "jsonl", *OFFLINE),
            "cannot write the report to stdout: No space left on device",
        ),
        (("explain", "--list"), "cannot write the output: No space left on device"),
    ],
)
def test_stdout_on_a_full_device_is_one_line_and_exit_2(args, message):
    with open(FULL, "wb") as full:
        process = subprocess.run(mailcheck(*args), stdout=full, stderr=subprocess.PIPE, cwd=ROOT, timeout=60)
    assert process.returncode == 2
    assert process.stderr.decode() == f"mailcheck: error: {message}\n"


def _closed_after_one_line(argv: list[str]) -> tuple[int, bytes, bytes]:
    """``argv | head -1``: read one line, close the pipe, let the writer meet it."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    first = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read()
    return process.wait(timeout=60), first, stderr


@pytest.mark.parametrize(
    ("domains", "extra", "code"),
    [
        (PASSING, ("--format", "json"), 0),  # warnings only
        (PASSING, ("-v", "--no-color"), 0),
        ((*PASSING, "dmarc-none.example"), ("--format", "json"), 1),  # dmarc-none.example fails
        ((*PASSING, "dmarc-none.example"), ("-v", "--no-color"), 1),
    ],
)
def test_a_pipe_closed_early_exits_with_the_reports_own_code(domains, extra, code):
    argv = mailcheck("domain", *domains, "--no-smtp", *extra, *OFFLINE)
    whole = subprocess.run(argv, capture_output=True, cwd=ROOT, timeout=60)
    assert whole.returncode == code
    assert len(whole.stdout) > PIPE_BUFFER  # the writer cannot finish into the pipe's buffer

    returncode, first, stderr = _closed_after_one_line(argv)
    assert returncode == code
    assert first == whole.stdout.splitlines(keepends=True)[0]
    assert stderr == b""  # no traceback, no "Exception ignored"


def test_explain_list_into_a_closed_pipe_exits_0_quietly():
    returncode, first, stderr = _closed_after_one_line(mailcheck("explain", "--list"))
    assert returncode == 0 and first.startswith(b"dns.exists") and stderr == b""


# -- stdin ---------------------------------------------------------------------------


def test_links_dash_reads_a_page_or_a_message_from_stdin():
    page = (ROOT / "fixtures" / "messages" / "links-page.html").read_bytes()
    from_file = subprocess.run(
        mailcheck("links", "fixtures/messages/links-page.html", "--format", "json", *OFFLINE), capture_output=True, cwd=ROOT
    )
    from_stdin = subprocess.run(mailcheck("links", "-", "--format", "json", *OFFLINE), input=page, capture_output=True, cwd=ROOT)
    assert from_stdin.returncode == from_file.returncode == 1
    stdin_report, file_report = json.loads(from_stdin.stdout), json.loads(from_file.stdout)
    validate_report(stdin_report)
    assert stdin_report["target"] == "-"
    assert mentions(one_check(stdin_report, "links.found")["summary"], "3 links", "3 hosts", "in -")
    as_seen = [(c["subject"], c["status"]) for o in stdin_report["obstacles"] for c in o["checks"] if c["id"] == "links.url"]
    assert as_seen == [
        (c["subject"], c["status"]) for o in file_report["obstacles"] for c in o["checks"] if c["id"] == "links.url"
    ]
    assert ("https://links-listed.example/x", "fail") in as_seen

    message = (ROOT / "fixtures" / "messages" / "links-mixed.eml").read_bytes()
    result = subprocess.run(mailcheck("links", "-", "--format", "json", *OFFLINE), input=message, capture_output=True, cwd=ROOT)
    assert result.returncode == 1
    assert mentions(one_check(json.loads(result.stdout), "links.found")["summary"], "8 links", "7 hosts", "in -")


def test_links_dash_twice_is_bad_input():
    result = subprocess.run(mailcheck("links", "-", "-", *OFFLINE), input=b"", capture_output=True, cwd=ROOT)
    assert result.returncode == 2
    assert result.stderr.decode() == "mailcheck: error: '-' (stdin) can be given once\n"


def test_dev_full_exists_for_these_tests():
    # The write-error tests rely on Linux's /dev/full; say so plainly if it is missing.
    assert os.path.exists(FULL) and stat.S_ISCHR(os.stat(FULL).st_mode)
