"""The CLI in a real pseudo-terminal: what reaches the screen, what reaches stdout,
colour and NO_COLOR, Ctrl-C during a slow bulk run, stdin that is a terminal."""

from __future__ import annotations

import json
import signal
import time

import pytest

from tests.helpers import validate_report
from tests.helpers.terminal import OFFLINE, Terminal, clean_env, mailcheck, run_in_terminal, silent_dns_server

BULK = ("good.example", "mx-ptr.example", "dmarc-none.example")
ESC = b"\x1b"


@pytest.fixture
def domain_list(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text("\n".join(BULK) + "\n")
    return str(path)


def _documents(text: str) -> list[dict]:
    lines = text.splitlines()
    documents = [json.loads(line) for line in lines]
    for document in documents:
        validate_report(document)
    return documents


def test_jsonl_redirected_to_a_file_fills_the_file_while_the_terminal_shows_progress(tmp_path, domain_list):
    # `mailcheck domain --from-file list.txt --format jsonl > out.jsonl` in a terminal.
    out = tmp_path / "out.jsonl"
    with out.open("wb") as stdout:
        run = run_in_terminal("domain", "--from-file", domain_list, "--format", "jsonl", "--no-smtp", *OFFLINE, stdout=stdout)
    assert run.exit_code == 1  # dmarc-none.example fails dmarc.record
    documents = _documents(out.read_text())
    assert sorted(d["target"] for d in documents) == sorted(BULK)
    assert {d["target"]: d["status"] for d in documents}["dmarc-none.example"] == "fail"
    screen = run.screen.decode()
    assert "checking" in screen  # the progress bar, on stderr
    assert "3 targets checked" in screen and "dmarc.record" in screen  # the summary, on stderr
    assert '"schema"' not in screen  # no report on the screen


def test_json_redirected_to_a_file_is_one_document_and_the_summary_stays_on_screen(tmp_path, domain_list):
    out = tmp_path / "out.json"
    with out.open("wb") as stdout:
        run = run_in_terminal("domain", "--from-file", domain_list, "--format", "json", "--no-smtp", *OFFLINE, stdout=stdout)
    assert run.exit_code == 1
    document = json.loads(out.read_text())
    validate_report(document)
    assert document["schema"] == "mailcheck.reports/1"
    assert [r["target"] for r in document["reports"]] == list(BULK)
    screen = run.screen.decode()
    assert "3 targets checked" in screen and '"schema"' not in screen


def test_text_redirected_to_a_file_holds_the_report_and_summary_without_escapes(tmp_path, domain_list):
    out = tmp_path / "out.txt"
    with out.open("wb") as stdout:
        run = run_in_terminal("domain", "--from-file", domain_list, "--no-smtp", *OFFLINE, stdout=stdout)
    assert run.exit_code == 1
    text = out.read_text()
    assert "dmarc-none.example  ✗ FAIL" in text and "mx-ptr.example  ! WARN" in text
    assert "3 targets checked" in text
    assert "\x1b" not in text  # a file is not a terminal: no colour
    screen = run.screen.decode()
    assert "checking" in screen and "✗ FAIL" not in screen and "targets checked" not in screen


def test_colour_in_a_terminal_and_none_with_no_color():
    args = ("domain", "good.example", "--no-smtp", *OFFLINE)
    coloured = run_in_terminal(*args)
    assert coloured.exit_code == 0
    assert b"\x1b[32m\xe2\x9c\x93 PASS\x1b[0m" in coloured.screen  # a green "✓ PASS"

    for run in (run_in_terminal(*args, env=clean_env(NO_COLOR="1")), run_in_terminal(*args, "--no-color")):
        assert run.exit_code == 0
        assert b"good.example  \xe2\x9c\x93 PASS" in run.screen
        assert ESC not in run.screen

    # no-color.org: an empty NO_COLOR does not count.
    empty = run_in_terminal(*args, env=clean_env(NO_COLOR=""))
    assert b"\x1b[32m" in empty.screen


def test_control_bytes_from_a_record_are_shown_escaped_in_the_terminal():
    run = run_in_terminal("domain", "control-bytes.example", "--no-smtp", "-v", *OFFLINE)
    assert run.exit_code == 1
    screen = run.screen
    # The colours are there; the record's own escape sequences are not.
    assert b"\x1b[32m" in screen
    assert b"\x1b]0;" not in screen and b"\x07" not in screen and b"\x1b[2J" not in screen
    assert rb"v=spf1 include:_spf.good.example \x1b]0;pwned\x07\x1b[2J -all" in screen


def test_links_stdin_that_is_a_terminal_is_bad_input():
    run = run_in_terminal("links", "-", *OFFLINE)
    assert run.exit_code == 2
    assert run.screen.decode().strip() == (
        "mailcheck: error: '-' reads a message or HTML page from stdin, but stdin is a terminal: pipe one in"
    )


def _slow_bulk_run(tmp_path, port: int) -> Terminal:
    """A bulk run whose every DNS query waits for an answer that never comes."""
    listing = tmp_path / "slow.txt"
    listing.write_text("\n".join(f"d{i}.example" for i in range(30)) + "\n")
    argv = mailcheck("domain", "--from-file", str(listing), "--nameserver", f"127.0.0.1:{port}", "--timeout", "120", "--no-smtp")
    terminal = Terminal(argv, env=clean_env())
    assert terminal.read_until(lambda screen: b"checking" in screen, 60), terminal.screen
    return terminal


@pytest.mark.parametrize("pause", [0.0, 0.3])
def test_second_ctrl_c_exits_130_at_once_without_a_traceback(tmp_path, pause):
    with silent_dns_server() as port:
        terminal = _slow_bulk_run(tmp_path, port)
        terminal.process.send_signal(signal.SIGINT)
        time.sleep(pause)  # the second comes while the first is still unwinding, or after
        terminal.process.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        run = terminal.finish(timeout=10)
    assert run.exit_code == 130
    assert time.monotonic() - interrupted < 5  # not the 120 s the queries would wait
    assert b"Traceback" not in run.screen and b"Error" not in run.screen and b"Warning" not in run.screen
    assert b"\x1b[?25h" in run.screen[-40:]  # the cursor is shown again


def test_first_ctrl_c_cancels_the_run_and_exits_130_quietly(tmp_path):
    with silent_dns_server() as port:
        terminal = _slow_bulk_run(tmp_path, port)
        terminal.process.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        run = terminal.finish(timeout=15)
    assert run.exit_code == 130
    assert time.monotonic() - interrupted < 10
    assert b"Traceback" not in run.screen and b"Error" not in run.screen and b"Warning" not in run.screen
    assert b"\x1b[?25h" in run.screen  # the progress bar gave the cursor back
