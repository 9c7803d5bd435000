"""``mailcheck bounce`` end to end on the project's own fixtures (fixtures/bounces)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, run_cli, validate_report
from tests.helpers.cli_subprocess import run_mailcheck

BOUNCES = ROOT / "fixtures" / "bounces"


def fixture(name: str) -> str:
    return str(BOUNCES / name)


def recipients(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["subject"]: c for o in report["obstacles"] for c in o["checks"] if c["id"] == "bounce.recipient"}


def check(report: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(c for o in report["obstacles"] for c in o["checks"] if c["id"] == check_id)


def test_postfix_dsn_hard_bounce_in_text():
    result = run_cli("bounce", fixture("dsn-postfix-userunknown.eml"), "--no-color")
    assert result.exit_code == 1
    assert "bounce (rfc3464, from postfix), 1 recipient" in result.stdout
    assert (
        '✗ bounce.recipient [gone@receiver.example]  hard bounce: userunknown (550 5.1.1): "550 5.1.1 '
        '<gone@receiver.example>: Recipient address rejected: User unknown in virtual mailbox table" — suppress'
    ) in result.stdout
    assert "fix: Suppress gone@receiver.example" in result.stdout


def test_postfix_dsn_fields_in_json():
    result = run_cli("bounce", fixture("dsn-postfix-userunknown.eml"), "--format", "json")
    assert result.exit_code == 1
    report = result.json()
    assert (report["kind"], report["format"], report["mta"], report["status"]) == ("bounce", "rfc3464", "postfix", "fail")
    found = recipients(report)["gone@receiver.example"]
    assert found["status"] == "fail"
    details = found["details"]
    assert details["recipient"] == "gone@receiver.example"
    assert details["original_recipient"] == "gone@receiver.example"
    assert (details["action"], details["status"], details["status_inferred"], details["replycode"]) == (
        "failed",
        "5.1.1",
        "",
        "550",
    )
    assert (details["reason"], details["hardbounce"], details["action_to_take"]) == ("userunknown", True, "suppress")
    assert details["remote_mta"] == "mx.receiver.example"
    assert details["command"] == "RCPT TO"
    assert details["feedbacktype"] == ""
    assert details["diagnostic"].startswith("550 5.1.1 <gone@receiver.example>: Recipient address rejected")
    assert details["message_id"] == "<march-1@sender.example>"
    assert details["list_id"] == "March news <news.sender.example>"
    assert details["feedback_id"] == "42:march:news:sender01"
    assert details["from"] == "Newsletter <news@sender.example>"


def test_two_recipients_one_soft_one_hard():
    report = run_cli("bounce", fixture("dsn-two-recipients.eml"), "--format", "json").json()
    found = recipients(report)
    full, gone = found["full@mailbox.example"], found["nodomain@no-such-domain.example"]
    assert (full["status"], full["details"]["reason"], full["details"]["hardbounce"]) == ("warn", "mailboxfull", False)
    assert (full["details"]["status"], full["details"]["replycode"], full["details"]["action_to_take"]) == (
        "5.2.2",
        "552",
        "retry later",
    )
    assert (gone["status"], gone["details"]["reason"], gone["details"]["hardbounce"]) == ("fail", "hostunknown", True)
    assert (gone["details"]["status"], gone["details"]["replycode"]) == ("5.1.2", "")
    assert report["kind"] == "bounce"


def test_delay_is_a_warning_and_exits_0():
    result = run_cli("bounce", fixture("dsn-delay.eml"), "--format", "json")
    assert result.exit_code == 0
    report = result.json()
    assert (report["kind"], report["status"]) == ("delay", "warn")
    details = recipients(report)["slow@busy.example"]["details"]
    assert (details["action"], details["status"], details["reason"], details["hardbounce"]) == (
        "delayed",
        "4.4.1",
        "expired",
        False,
    )
    assert details["action_to_take"] == "retry later"


def test_success_dsn_is_delivered():
    result = run_cli("bounce", fixture("dsn-delivered.eml"), "--format", "json")
    assert result.exit_code == 0
    report = result.json()
    assert (report["kind"], report["status"]) == ("delivered", "info")
    details = recipients(report)["partner@receiver.example"]["details"]
    assert (details["action"], details["status"], details["replycode"], details["reason"]) == (
        "relayed",
        "2.0.0",
        "250",
        "delivered",
    )
    assert details["action_to_take"] == "none"


@pytest.mark.parametrize(
    ("name", "address", "reason", "names"),
    [
        ("dsn-gmail-authfailure.eml", "reader@gmail.example", "authfailure", "mailcheck domain YOUR-DOMAIN"),
        ("dsn-ptr.eml", "ops@strict.example", "requireptr", "ip.fcrdns"),
        ("prose-exim.eml", "listed@strict.example", "blocked", "mailcheck blocklist SENDING-IP"),
    ],
)
def test_sender_side_reasons_name_the_check_that_fixes_them(name: str, address: str, reason: str, names: str):
    result = run_cli("bounce", fixture(name), "--format", "json")
    found = recipients(result.json())[address]
    assert (found["status"], found["details"]["reason"], found["details"]["hardbounce"]) == ("warn", reason, False)
    assert found["details"]["action_to_take"] == "fix the sender side"
    assert found["fix"].startswith(f"Fix the sender side ({reason}): run `")
    assert names in found["fix"]
    assert result.exit_code == 0


@pytest.mark.parametrize(
    ("address", "reason", "status", "replycode", "hard", "to_do"),
    [
        ("spam@receiver.example", "spamdetected", "5.7.1", "550", False, "fix the sender side"),
        ("virus@receiver.example", "virusdetected", "5.7.1", "554", False, "fix the sender side"),
        ("big@receiver.example", "mesgtoobig", "5.3.4", "552", False, "fix the sender side"),
        ("policy@yahoo.example", "policyviolation", "5.7.9", "554", False, "fix the sender side"),
        ("moved@receiver.example", "hasmoved", "5.1.6", "550", True, "suppress"),
        ("busy@receiver.example", "toomanyconn", "4.7.0", "421", False, "retry later"),
        ("tls@receiver.example", "failedstarttls", "5.7.10", "530", False, "fix the sender side"),
        ("suspended@receiver.example", "suspend", "5.2.1", "550", False, "retry later"),
        ("outlook@outlook.example", "authfailure", "5.7.515", "550", False, "fix the sender side"),
        ("ms@contoso.example", "blocked", "5.7.606", "550", False, "fix the sender side"),
    ],
)
def test_reason_families(address: str, reason: str, status: str, replycode: str, hard: bool, to_do: str):
    report = run_cli("bounce", fixture("dsn-reason-families.eml"), "--format", "json").json()
    details = recipients(report)[address]["details"]
    assert (details["reason"], details["status"], details["replycode"]) == (reason, status, replycode)
    assert (details["hardbounce"], details["action_to_take"]) == (hard, to_do)


def test_arf_complaint():
    result = run_cli("bounce", fixture("arf-abuse.eml"), "--format", "json")
    assert result.exit_code == 1
    report = result.json()
    assert (report["kind"], report["format"]) == ("complaint", "rfc5965")
    found = recipients(report)["annoyed@isp.example"]
    assert found["status"] == "fail"
    details = found["details"]
    assert (details["reason"], details["feedbacktype"], details["hardbounce"], details["action_to_take"]) == (
        "feedback",
        "abuse",
        False,
        "suppress",
    )
    assert details["message_id"] == "<march-2@sender.example>"
    report_fields = check(report, "bounce.feedback")["details"]
    assert report_fields["feedback_type"] == "abuse"
    assert report_fields["user_agent"] == "ExampleFBL/2.1"
    assert report_fields["source_ip"] == "192.0.2.77"
    assert report_fields["reported_domain"] == ["sender.example"]
    assert report_fields["original_mail_from"] == "<bounces@sender.example>"
    assert report_fields["original_rcpt_to"] == ["<annoyed@isp.example>"]
    assert report_fields["arrival_date"] == "Wed, 04 Mar 2026 12:00:00 +0000"
    assert report_fields["incidents"] == "1"
    assert report_fields["authentication_results"][0].startswith("mx.isp.example; spf=pass")
    assert report_fields["list_id"] == "March news <news.sender.example>"


@pytest.mark.parametrize(
    ("name", "address", "sign"),
    [
        ("autoreply-vacation.eml", "dana@receiver.example", "Auto-Submitted: auto-replied"),
        ("autoreply-subject.eml", "help@vendor.example", "Subject: Automatic reply: your message"),
    ],
)
def test_auto_replies(name: str, address: str, sign: str):
    result = run_cli("bounce", fixture(name), "--format", "json")
    assert result.exit_code == 0
    report = result.json()
    assert (report["kind"], report["format"], report["status"]) == ("autoreply", "rfc3834", "info")
    details = recipients(report)[address]["details"]
    assert (details["reason"], details["hardbounce"], details["action_to_take"]) == ("vacation", False, "none")
    assert check(report, "bounce.message")["details"]["autoreply_sign"] == sign


@pytest.mark.parametrize(
    ("name", "fmt", "address", "reason", "status", "replycode", "hard"),
    [
        ("prose-qmail.eml", "qmail", "overquota@receiver.example", "mailboxfull", "5.2.2", "552", False),
        ("prose-exim.eml", "exim", "listed@strict.example", "blocked", "5.7.1", "554", False),
        ("prose-sendmail-relay.eml", "sendmail", "outsider@elsewhere.example", "norelaying", "5.7.1", "550", False),
        ("prose-exchange.eml", "exchange", "left.company@corp.example", "userunknown", "5.1.1", "550", True),
        ("prose-gmail-expired.eml", "gmail", "far.away@unreachable.example", "expired", "", "", False),
        ("prose-yahoo.eml", "yahoo", "disabled@yahoo.example", "suspend", "", "554", False),
        ("amazonses-bounce.eml", "amazonses", "nobody@receiver.example", "userunknown", "5.1.1", "550", True),
    ],
)
def test_mta_prose_formats(name: str, fmt: str, address: str, reason: str, status: str, replycode: str, hard: bool):
    report = run_cli("bounce", fixture(name), "--format", "json").json()
    assert (report["kind"], report["format"]) == ("bounce", fmt)
    found = recipients(report)
    assert list(found) == [address]
    details = found[address]["details"]
    assert (details["reason"], details["status"], details["replycode"], details["hardbounce"]) == (
        reason,
        status,
        replycode,
        hard,
    )


def test_prose_without_a_code_infers_one_and_says_so():
    found = recipients(run_cli("bounce", fixture("prose-gmail-expired.eml"), "--format", "json").json())[
        "far.away@unreachable.example"
    ]
    assert (found["details"]["status"], found["details"]["status_inferred"]) == ("", "5.4.7")
    assert found["summary"].startswith("soft bounce: expired (5.4.7 inferred): ")


def test_sendmail_transcript_names_the_failed_command():
    details = recipients(run_cli("bounce", fixture("prose-sendmail-relay.eml"), "--format", "json").json())[
        "outsider@elsewhere.example"
    ]["details"]
    assert details["command"] == "RCPT TO"


def test_plain_message_is_not_a_bounce():
    result = run_cli("bounce", fixture("plain-message.eml"), "--format", "json")
    assert result.exit_code == 0
    report = result.json()
    assert (report["kind"], report["format"], report["status"]) == ("not-bounce", "", "info")
    assert recipients(report) == {}
    assert check(report, "bounce.message")["summary"] == "not a bounce, delay, delivery report, complaint or auto-reply"


def test_cr_lf_and_crlf_read_the_same(tmp_path: Path):
    crlf = (BOUNCES / "dsn-crlf.eml").read_bytes()
    assert b"\r\n" in crlf
    lf, cr = tmp_path / "lf.eml", tmp_path / "cr.eml"
    lf.write_bytes(crlf.replace(b"\r\n", b"\n"))
    cr.write_bytes(crlf.replace(b"\r\n", b"\r"))
    seen = []
    for path in (fixture("dsn-crlf.eml"), str(lf), str(cr)):
        details = recipients(run_cli("bounce", path, "--format", "json").json())["crlf@receiver.example"]["details"]
        seen.append((details["status"], details["reason"], details["diagnostic"]))
    assert seen == [("5.1.1", "userunknown", "550 5.1.1 user unknown")] * 3


def test_garbage_fields_and_8bit_headers_are_read_not_fatal():
    result = run_cli("bounce", fixture("dsn-garbage-8bit.eml"), "--format", "json")
    assert result.exit_code == 1
    report = result.json()
    found = recipients(report)
    assert list(found) == ["garbled@receiver.example"]
    # "Status: five.one.one" is no code; the reply's 5.1.1 stands in.
    assert (found["garbled@receiver.example"]["details"]["status"], found["garbled@receiver.example"]["details"]["reason"]) == (
        "5.1.1",
        "userunknown",
    )
    assert "\x01" not in result.stdout


def test_line_mode():
    result = run_cli("bounce", "--line", "550 5.1.1 <a@b.example>: Recipient address rejected: User unknown", "--format", "json")
    assert result.exit_code == 1
    report = result.json()
    assert (report["target"], report["kind"], report["format"]) == ("line", "bounce", "line")
    details = recipients(report)["a@b.example"]["details"]
    assert (details["status"], details["replycode"], details["reason"], details["hardbounce"]) == (
        "5.1.1",
        "550",
        "userunknown",
        True,
    )


def test_line_mode_soft_and_not_a_reply():
    report = run_cli("bounce", "--line", "451 4.7.1 Greylisted, try again in 5 minutes <x@y.example>", "--format", "json").json()
    assert report["kind"] == "delay"
    assert recipients(report)["x@y.example"]["details"]["action_to_take"] == "retry later"
    other = run_cli("bounce", "--line", "hello there", "--format", "json")
    assert other.json()["kind"] == "not-bounce"
    assert other.exit_code == 0


def _mbox(tmp_path: Path, names: list[str], tail: bytes = b"") -> Path:
    path = tmp_path / "returned.mbox"
    with path.open("wb") as out:
        for name in names:
            body = (BOUNCES / name).read_bytes().replace(b"\r\n", b"\n")
            out.write(b"From MAILER-DAEMON Mon Mar  2 10:00:00 2026\n" + body.rstrip(b"\n") + b"\n\n")
        out.write(tail)
    return path


MBOX_NAMES = ["dsn-postfix-userunknown.eml", "arf-abuse.eml", "dsn-delay.eml", "plain-message.eml", "prose-qmail.eml"]


def test_mbox_streams_one_line_per_message_and_survives_bad_ones(tmp_path: Path):
    broken = b'From x Mon Mar  2 10:00:00 2026\n\x00\x01\x02binary junk\n\nFrom y Mon Mar  2 10:00:00 2026\nFrom: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\nContent-Type: multipart/report; boundary="never-closed"\n\n--never-closed\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; cut@receiver.example\nAction: fail'
    mbox = _mbox(tmp_path, MBOX_NAMES, broken)
    result = run_cli("bounce", "--mbox", str(mbox), "--format", "jsonl")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    for document in lines:
        validate_report(document)
    assert [d["target"] for d in lines] == [f"{mbox}#{i}" for i in range(1, 8)]
    assert [d["kind"] for d in lines] == ["bounce", "complaint", "delay", "not-bounce", "bounce", "not-bounce", "bounce"]
    assert check(lines[5], "bounce.message")["status"] == "error"
    assert "cut@receiver.example" in recipients(lines[6])
    assert result.exit_code == 1


def test_summary_and_suppress_list(tmp_path: Path):
    mbox = _mbox(tmp_path, MBOX_NAMES + ["dsn-two-recipients.eml"])
    suppress = tmp_path / "suppress.txt"
    result = run_cli("bounce", "--mbox", str(mbox), "--summary", "--suppress-list", str(suppress), "--format", "json")
    document = result.json()
    summary = document["reports"][-1]
    assert summary["target"] == "summary"
    counts = summary["bounce_summary"]
    assert counts["messages"] == 6
    assert counts["kinds"] == {"bounce": 3, "complaint": 1, "delay": 1, "not-bounce": 1}
    assert counts["reasons"] == {"userunknown": 1, "feedback": 1, "expired": 1, "mailboxfull": 2, "hostunknown": 1}
    assert counts["domains"]["receiver.example"] == 2
    assert counts["suppress"] == ["annoyed@isp.example", "gone@receiver.example", "nodomain@no-such-domain.example"]
    assert suppress.read_text() == "annoyed@isp.example\ngone@receiver.example\nnodomain@no-such-domain.example\n"
    text = run_cli("bounce", "--mbox", str(mbox), "--summary", "--no-color")
    assert "Reasons" in text.stdout and "mailboxfull" in text.stdout
    assert "Suppress (3)\n  annoyed@isp.example\n  gone@receiver.example\n  nodomain@no-such-domain.example" in text.stdout
    assert text.exit_code == 1


@pytest.mark.parametrize(
    ("names", "fail_on", "code"),
    [
        (["dsn-delay.eml", "autoreply-vacation.eml"], None, 0),
        (["dsn-delay.eml", "autoreply-vacation.eml"], "soft", 1),
        (["dsn-delay.eml", "autoreply-vacation.eml"], "hard", 0),
        (["dsn-delay.eml"], "warn", 1),
        (["arf-abuse.eml"], "hard", 0),
        (["arf-abuse.eml"], "complaint", 1),
        (["dsn-postfix-userunknown.eml"], "complaint", 0),
        (["dsn-postfix-userunknown.eml"], "hard", 1),
    ],
)
def test_fail_on(tmp_path: Path, names: list[str], fail_on: str | None, code: int):
    args = ["bounce", *[fixture(n) for n in names], "--format", "json"]
    if fail_on:
        args += ["--fail-on", fail_on]
    assert run_cli(*args).exit_code == code


def test_maildir(tmp_path: Path):
    for folder in ("cur", "new", "tmp"):
        (tmp_path / "md" / folder).mkdir(parents=True)
    (tmp_path / "md" / "new" / "1.eml").write_bytes((BOUNCES / "prose-qmail.eml").read_bytes())
    (tmp_path / "md" / "cur" / "2.eml").write_bytes((BOUNCES / "autoreply-vacation.eml").read_bytes())
    result = run_cli("bounce", "--maildir", str(tmp_path / "md"), "--format", "json")
    assert [r["kind"] for r in result.json()["reports"]] == ["bounce", "autoreply"]


def test_huge_attachment_is_cut_at_max_size(tmp_path: Path):
    head = (BOUNCES / "dsn-postfix-userunknown.eml").read_bytes().replace(b"--B1--\n", b"")
    big = (
        head
        + b"--B1\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
        + (b"QUFB" * 19 + b"\n") * 40000
        + b"--B1--\n"
    )
    path = tmp_path / "big.eml"
    path.write_bytes(big)
    result = run_cli("bounce", str(path), "--max-size", "1M", "--format", "json")
    report = result.json()
    message = check(report, "bounce.message")
    assert message["status"] == "error"
    assert message["summary"].startswith(f"cut at {1024 * 1024} of {len(big)} bytes (--max-size)")
    assert recipients(report)["gone@receiver.example"]["details"]["reason"] == "userunknown"
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "empty: no header fields"),
        (b"\x00\x01\x02\x03" * 100, "binary data, not a message"),
        (b"just some words\nand more\n", "no header fields (not an email message)"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, content: bytes | None, message: str):
    path = tmp_path / "input.eml"
    if content is not None:
        path.write_bytes(content)
    result = run_cli("bounce", str(path))
    assert result.exit_code == 2
    assert result.stderr == f"mailcheck: error: {path}: {message}\n"
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--line", "  "], "--line needs the text of a reply"),
        (["--line", "550 x", fixture("dsn-delay.eml")], "--line reads one reply given on the command line"),
        (
            ["--fail-on", "sometimes", fixture("dsn-delay.eml")],
            "--fail-on 'sometimes' is not one of warn, error, fail, hard, soft or complaint",
        ),
        (
            ["--suppress-list", "/no/such/dir/s.txt", fixture("dsn-delay.eml")],
            "--suppress-list /no/such/dir/s.txt: no such directory",
        ),
        ([], "give a FILE, '-' for stdin, --mbox FILE or --maildir DIR"),
    ],
)
def test_bad_options(args: list[str], message: str):
    result = run_cli("bounce", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"mailcheck: error: {message}")
    assert result.stderr.count("\n") == 1


def test_subprocess_stdin_and_jsonl(tmp_path: Path):
    process = run_mailcheck("bounce", "-", "--format", "jsonl", input=(BOUNCES / "prose-exchange.eml").read_bytes(), text=False)
    assert process.returncode == 1
    assert process.stderr == b""
    (line,) = process.stdout.decode().splitlines()
    report = json.loads(line)
    validate_report(report)
    assert (report["target"], report["kind"], report["format"]) == ("stdin", "bounce", "exchange")
    assert recipients(report)["left.company@corp.example"]["details"]["reason"] == "userunknown"


def test_control_characters_from_the_message_never_reach_the_terminal(tmp_path: Path):
    path = tmp_path / "ctl.eml"
    path.write_bytes(
        b"From: MAILER-DAEMON@x.example\nSubject: Undelivered \x1b[31mred\x1b[0m\n"
        b'Content-Type: multipart/report; report-type=feedback-report; boundary="Z"\n\n--Z\n'
        b"Content-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: evil\x1b[2J agent\n"
        b"Original-Rcpt-To: a@b.example\n\n--Z--\n"
    )
    result = run_cli("bounce", str(path), "--verbose", "--no-color")
    assert "\x1b" not in result.stdout
    assert "i bounce.feedback  Feedback-Type abuse; from evil [2J agent" in result.stdout
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("line", "reason", "kind"),
    [
        ("421 4.4.2 lost connection with mx.receiver.example while sending RCPT TO", "networkerror", "delay"),
        ("421 4.4.1 connect to mx.receiver.example: Connection timed out", "expired", "delay"),
        ("550 5.7.1 Service unavailable; client host [192.0.2.77] blocked using zen.spamhaus.org", "blocked", "bounce"),
        ("550 5.7.1 <x@y.example>: Recipient address rejected: Mailbox full", "mailboxfull", "bounce"),
        ("250 2.0.0 Ok: queued as 12345", "delivered", "delivered"),
    ],
)
def test_line_reasons(line: str, reason: str, kind: str):
    report = run_cli("bounce", "--line", line, "--format", "json").json()
    assert report["kind"] == kind
    (found,) = recipients(report).values()
    assert found["details"]["reason"] == reason


@pytest.mark.parametrize(
    ("address", "reason", "status", "replycode", "command", "hard", "to_do"),
    [
        ("filter@receiver.example", "filtered", "5.7.1", "550", "DATA", False, "retry later"),
        ("nosender@receiver.example", "rejected", "5.1.8", "553", "MAIL FROM", False, "retry later"),
        ("tempfail@receiver.example", "systemerror", "4.3.0", "451", "RCPT TO", False, "retry later"),
        ("nomail@nullmx.example", "notaccept", "5.1.10", "556", "RCPT TO", True, "suppress"),
        ("reputation@receiver.example", "badreputation", "5.7.1", "550", "RCPT TO", False, "fix the sender side"),
        ("rfc@gmail.example", "notcompliantrfc", "5.7.1", "550", "DATA", False, "fix the sender side"),
        ("many@receiver.example", "toomanyconn", "4.5.3", "452", "RCPT TO", False, "retry later"),
        ("rate@gmail.example", "speeding", "4.7.28", "421", "DATA", False, "fix the sender side"),
        ("mime@receiver.example", "contenterror", "5.6.0", "554", "DATA", False, "fix the sender side"),
        ("auth@receiver.example", "securityerror", "5.7.0", "530", "MAIL FROM", False, "fix the sender side"),
        ("disk@receiver.example", "systemfull", "4.3.1", "452", "RCPT TO", False, "retry later"),
        ("syntax@receiver.example", "syntaxerror", "5.5.2", "500", "RCPT TO", False, "retry later"),
        ("local@sender.example", "mailererror", "", "", "", False, "retry later"),
    ],
)
def test_postfix_prose_reason_families(
    address: str, reason: str, status: str, replycode: str, command: str, hard: bool, to_do: str
):
    report = run_cli("bounce", fixture("prose-postfix-families.eml"), "--format", "json").json()
    assert (report["kind"], report["format"]) == ("bounce", "postfix")
    found = recipients(report)
    assert len(found) == 13
    details = found[address]["details"]
    assert (details["reason"], details["status"], details["replycode"], details["command"]) == (
        reason,
        status,
        replycode,
        command,
    )
    assert (details["hardbounce"], details["action_to_take"]) == (hard, to_do)


# The SMTP stage a reply answers and the phrase families of sisimai's reasons
# (prose-postfix-stages.eml): each row is one rule of reasons.classify_reason/PHRASES.
@pytest.mark.parametrize(
    ("address", "reason", "status", "inferred", "replycode", "command", "hard"),
    [
        # "User unknown" after DATA, without a mailbox status: a filter refused the message.
        ("afterdata@receiver.example", "filtered", "", "5.2.0", "550", "DATA", False),
        ("atrcpt@receiver.example", "userunknown", "", "5.1.1", "550", "RCPT TO", True),
        # No SMTP reply at all: the reporting MTA's own lookup of a local mailbox.
        ("localonly@sender.example", "userunknown", "", "5.1.1", "", "", True),
        ("accessmap@receiver.example", "userunknown", "5.7.1", "", "554", "RCPT TO", True),
        # Refusals that name no cause: of the sender at MAIL FROM, of the host at EHLO.
        ("senderdenied@receiver.example", "rejected", "5.7.1", "", "550", "MAIL FROM", False),
        ("greeting@receiver.example", "blocked", "", "5.7.1", "550", "EHLO", False),
        ("weakauth@receiver.example", "securityerror", "5.7.9", "", "550", "RCPT TO", False),
        ("nullmx@receiver.example", "notaccept", "5.7.27", "", "550", "MAIL FROM", True),
        ("manymessages@receiver.example", "mailboxfull", "", "5.2.2", "552", "RCPT TO", False),
        ("longlines@receiver.example", "mesgtoobig", "", "5.3.4", "500", "DATA", False),
        ("listedsender@receiver.example", "rejected", "", "5.7.1", "550", "RCPT TO", False),
        ("unverified@receiver.example", "requireptr", "5.7.1", "", "550", "MAIL FROM", False),
        ("fromdomain@receiver.example", "rejected", "5.2.0", "", "550", "DATA", False),
        ("tagged@receiver.example", "blocked", "", "5.7.1", "554", "RCPT TO", False),
        # Yahoo's missing-account words stay a mailbox verdict even after DATA.
        ("gone@yahoo.example", "userunknown", "", "5.1.1", "554", "DATA", True),
        ("vague@receiver.example", "securityerror", "5.7.1", "", "550", "", False),
        # "Too many recipients" spells out X.5.3: toomanyconn, the code's own reason.
        ("crowd@receiver.example", "toomanyconn", "", "5.4.5", "552", "RCPT TO", False),
        # A reply that names no cause at all: sisimai's onhold.
        ("sparse@receiver.example", "onhold", "5.0.0", "", "554", "RCPT TO", False),
    ],
)
def test_reply_stage_and_phrase_rules(
    address: str, reason: str, status: str, inferred: str, replycode: str, command: str, hard: bool
):
    report = run_cli("bounce", fixture("prose-postfix-stages.eml"), "--format", "json").json()
    assert (report["kind"], report["format"]) == ("bounce", "postfix")
    found = recipients(report)
    assert len(found) == 18
    details = found[address]["details"]
    assert (details["reason"], details["status"], details["status_inferred"]) == (reason, status, inferred)
    assert (details["replycode"], details["command"], details["hardbounce"]) == (replycode, command, hard)
    assert found[address]["status"] == ("fail" if hard else "warn")


def test_sendmail_transcript_reply_after_data_is_filtered():
    report = run_cli("bounce", fixture("dsn-sendmail-transcript-data.eml"), "--format", "json").json()
    details = recipients(report)["screened@receiver.example"]["details"]
    assert (details["reason"], details["status"], details["command"], details["hardbounce"]) == (
        "filtered",
        "5.0.0",
        "DATA",
        False,
    )


@pytest.mark.parametrize(
    ("address", "reason", "status", "replycode"),
    [
        # Diagnostic type X-Unix: a local program's exit code, the local mailer failed.
        ("piped@sender.example", "mailererror", "5.3.0", ""),
        ("later@receiver.example", "onhold", "4.0.0", "450"),
    ],
)
def test_local_program_and_sparse_replies(address: str, reason: str, status: str, replycode: str):
    report = run_cli("bounce", fixture("dsn-local-program-and-sparse.eml"), "--format", "json").json()
    assert (report["kind"], report["format"]) == ("bounce", "rfc3464")
    details = recipients(report)[address]["details"]
    assert (details["reason"], details["status"], details["replycode"], details["hardbounce"]) == (
        reason,
        status,
        replycode,
        False,
    )


@pytest.mark.parametrize(
    ("line", "reason", "kind"),
    [
        # "temporary failure" alone names no network fault: the words after it decide.
        (
            "451 Technical details of temporary failure: The recipient server did not accept our requests to connect",
            "expired",
            "delay",
        ),
        (
            "550 5.7.1 You are sending this from another address using the 'Send mail as' feature; its settings are misconfigured",
            "rejected",
            "bounce",
        ),
        ("550 5.7.1 Access denied", "securityerror", "bounce"),
        # Bare refusal words without a code still read as a bounce, and as rejected.
        ("Delivery refused", "rejected", "bounce"),
    ],
)
def test_line_reasons_after_sisimai_definitions(line: str, reason: str, kind: str):
    report = run_cli("bounce", "--line", line, "--format", "json").json()
    assert report["kind"] == kind
    (found,) = recipients(report).values()
    assert (found["details"]["reason"], found["details"]["hardbounce"]) == (reason, False)


# Receivers' own reply codes (prose-postfix-providers.eml): each row is one provider's
# table in bounce/providers.py, or a contrast showing the words alone decide otherwise.
@pytest.mark.parametrize(
    ("address", "reason", "status", "inferred", "replycode", "command", "hard", "to_do"),
    [
        # Orange / La Poste: the code's last three digits name the cause, not the status.
        ("gone@orange.example", "userunknown", "5.5.0", "", "550", "RCPT TO", True, "suppress"),
        ("bulk@wanadoo.example", "spamdetected", "5.2.0", "", "550", "DATA", False, "fix the sender side"),
        ("geo@laposte.example", "policyviolation", "5.7.1", "", "554", "RCPT TO", False, "fix the sender side"),
        # Spectrum AUP#: 1300-1340 is its connection limit.
        ("crowded@charter.example", "toomanyconn", "5.1.0", "", "550", "RCPT TO", False, "retry later"),
        # Facebook: RCP-P1 no such address, RCP-P2 the recipient's preferences.
        ("nobody@facebook.example", "userunknown", "5.1.1", "", "550", "RCPT TO", True, "suppress"),
        ("private@facebook.example", "filtered", "5.1.1", "", "550", "RCPT TO", False, "retry later"),
        # Mimecast's geographic restriction policy.
        ("geofenced@customer.example", "policyviolation", "", "5.7.1", "554", "RCPT TO", False, "fix the sender side"),
        # docomo: "Unknown user" after DATA is the recipient refusing the sender.
        ("screens@docomo.example", "rejected", "", "5.7.1", "550", "DATA", False, "retry later"),
        ("missing@docomo.example", "userunknown", "", "5.1.1", "550", "RCPT TO", True, "suppress"),
        # au (KDDI): the address left out of the reply means its filter refused.
        ("picky@ezweb.ne.jp", "filtered", "", "5.2.0", "550", "DATA", False, "retry later"),
        ("vanished@ezweb.ne.jp", "userunknown", "", "5.1.1", "550", "DATA", True, "suppress"),
        # Outlook.com's RFC 5321 text means no such account; elsewhere after DATA, a filter.
        ("closed@hotmail.example", "userunknown", "", "5.1.1", "550", "DATA", True, "suppress"),
        ("elsewhere@receiver.example", "filtered", "", "5.2.0", "550", "DATA", False, "retry later"),
        ("headers@receiver.example", "policyviolation", "5.7.0", "", "554", "DATA", False, "fix the sender side"),
    ],
)
def test_provider_reply_codes(
    address: str, reason: str, status: str, inferred: str, replycode: str, command: str, hard: bool, to_do: str
):
    report = run_cli("bounce", fixture("prose-postfix-providers.eml"), "--format", "json").json()
    assert (report["kind"], report["format"]) == ("bounce", "postfix")
    found = recipients(report)
    assert len(found) == 14
    details = found[address]["details"]
    assert (details["reason"], details["status"], details["status_inferred"]) == (reason, status, inferred)
    assert (details["replycode"], details["command"], details["hardbounce"]) == (replycode, command, hard)
    assert details["action_to_take"] == to_do
    assert found[address]["status"] == ("fail" if hard else "warn")


def test_outlook_dsn_mailbox_unavailable_is_an_unknown_account():
    report = run_cli("bounce", fixture("dsn-outlook-mailbox-unavailable.eml"), "--format", "json").json()
    assert (report["kind"], report["format"]) == ("bounce", "rfc3464")
    details = recipients(report)["closed.account@hotmail.example"]["details"]
    assert (details["reason"], details["status"], details["replycode"], details["hardbounce"]) == (
        "userunknown",
        "5.5.0",
        "550",
        True,
    )


def test_gmail_address_not_found_keeps_the_mailbox_verdict():
    # Status 5.0.0 and no command named, but Gmail's headline says the address was refused.
    report = run_cli("bounce", fixture("dsn-gmail-address-not-found.eml"), "--format", "json").json()
    details = recipients(report)["left@receiver.example"]["details"]
    assert (details["reason"], details["status"], details["hardbounce"], details["action_to_take"]) == (
        "userunknown",
        "5.0.0",
        True,
        "suppress",
    )


@pytest.mark.parametrize(
    ("name", "address", "reason", "status", "inferred"),
    [
        # A named network fault outweighs the queue's giving up; a timeout does not.
        ("prose-qmail-gave-up.eml", "unreachable@receiver.example", "networkerror", "4.4.1", ""),
        ("prose-qmail-gave-up.eml", "slow@receiver.example", "expired", "4.4.1", ""),
        ("dsn-sendmail-lookup-failure.eml", "invoices@unresolved.example", "networkerror", "4.4.7", ""),
        ("prose-delivery-aborted.eml", "buyer@receiver.example", "expired", "", "5.4.7"),
    ],
)
def test_network_faults_and_expiry(name: str, address: str, reason: str, status: str, inferred: str):
    report = run_cli("bounce", fixture(name), "--format", "json").json()
    assert report["kind"] == "bounce"
    details = recipients(report)[address]["details"]
    assert (details["reason"], details["status"], details["status_inferred"]) == (reason, status, inferred)
    assert (details["action"], details["hardbounce"], details["action_to_take"]) == ("failed", False, "retry later")


@pytest.mark.parametrize(
    ("name", "reason", "inferred"),
    [("fml-loop-alert.eml", "systemerror", "5.3.0"), ("fml-not-member.eml", "rejected", "5.7.1")],
)
def test_fml_notices(name: str, reason: str, inferred: str):
    report = run_cli("bounce", fixture(name), "--format", "json").json()
    assert (report["kind"], report["format"]) == ("bounce", "fml")
    (found,) = recipients(report).values()
    assert found["subject"] == "cats@lists.sender.example"
    details = found["details"]
    assert (details["reason"], details["status"], details["status_inferred"], details["hardbounce"]) == (
        reason,
        "",
        inferred,
        False,
    )


def test_a_post_fml_distributes_is_not_a_bounce():
    result = run_cli("bounce", fixture("fml-list-post.eml"), "--format", "json")
    assert result.exit_code == 0
    assert result.json()["kind"] == "not-bounce"


def test_verizon_notice_with_a_broken_multipart_header():
    # The inner part's boundary sits on an unfolded line: its body is still read.
    report = run_cli("bounce", fixture("prose-verizon.eml"), "--format", "json").json()
    assert (report["kind"], report["format"]) == ("bounce", "verizon")
    (found,) = recipients(report).values()
    details = found["details"]
    assert details["recipient"] == "5550100@vtext.com"
    assert details["diagnostic"] == "550 - Requested action not taken: no such user here"
    assert (details["reason"], details["replycode"], details["status_inferred"], details["hardbounce"]) == (
        "userunknown",
        "550",
        "5.1.1",
        True,
    )


def test_ezweb_spam_filter_header_means_filtered():
    report = run_cli("bounce", fixture("prose-ezweb-spam-filter.eml"), "--format", "json").json()
    assert report["kind"] == "bounce"
    details = recipients(report)["customer@ezweb.ne.jp"]["details"]
    assert (details["reason"], details["hardbounce"], details["action_to_take"]) == ("filtered", False, "retry later")


# The documented reply texts and codes of named providers (prose-postfix-provider-texts.eml):
# each row would read otherwise by the generic phrase tables or the status alone.
@pytest.mark.parametrize(
    ("address", "reason", "status", "replycode", "command", "hard"),
    [
        ("listed@cox.example", "blocked", "5.7.1", "554", "RCPT TO", False),
        ("unsigned@cox.example", "authfailure", "5.1.0", "550", "MAIL FROM", False),
        ("noptr@godaddy.example", "requireptr", "", "421", "RCPT TO", False),
        ("hourly@godaddy.example", "speeding", "", "550", "DATA", False),
        ("absent@i.ua.example", "userunknown", "5.7.1", "550", "RCPT TO", True),
        ("lowrep@gmail.example", "badreputation", "5.7.1", "550", "DATA", False),
        ("busy@gmail.example", "speeding", "4.2.1", "450", "RCPT TO", False),
        ("group@tenant.example", "rejected", "5.7.133", "550", "RCPT TO", False),
        ("quota@tenant.example", "speeding", "5.2.2", "550", "DATA", False),
        ("gone@yahoo.example", "suspend", "", "554", "DATA", False),
        ("moved@icloud.example", "hasmoved", "5.1.6", "550", "RCPT TO", True),
        ("fast@qq.example", "toomanyconn", "", "550", "RCPT TO", False),
        ("strict@zoho.example", "policyviolation", "5.7.7", "554", "DATA", False),
    ],
)
def test_named_provider_texts(address: str, reason: str, status: str, replycode: str, command: str, hard: bool):
    report = run_cli("bounce", fixture("prose-postfix-provider-texts.eml"), "--format", "json").json()
    assert (report["kind"], report["format"]) == ("bounce", "postfix")
    found = recipients(report)
    assert len(found) == 13
    details = found[address]["details"]
    assert (details["reason"], details["status"], details["replycode"]) == (reason, status, replycode)
    assert (details["command"], details["hardbounce"]) == (command, hard)
    assert found[address]["status"] == ("fail" if hard else "warn")


@pytest.mark.parametrize(
    ("line", "reason", "kind"),
    [
        ("450 4.2.1 The user you are trying to contact is receiving mail too quickly", "speeding", "delay"),
        ("421 Max message per connection reached, closing transmission channel", "toomanyconn", "delay"),
    ],
)
def test_line_rate_and_connection_limits(line: str, reason: str, kind: str):
    report = run_cli("bounce", "--line", line, "--format", "json").json()
    assert report["kind"] == kind
    (found,) = recipients(report).values()
    assert (found["details"]["reason"], found["details"]["hardbounce"]) == (reason, False)


def test_sendmail_transcript_reply_before_the_recipient_line():
    # The server refused MAIL FROM; sendmail's own line for the recipient says only
    # "Remote protocol error": the transcript's reply above it is the reply.
    report = run_cli("bounce", fixture("prose-sendmail-mail-from-refused.eml"), "--format", "json").json()
    assert (report["kind"], report["format"]) == ("bounce", "sendmail")
    details = recipients(report)["partner@receiver.example"]["details"]
    assert details["diagnostic"].startswith("<<< 550 Insecure Mail Relay")
    assert (details["reason"], details["replycode"], details["command"], details["hardbounce"]) == (
        "norelaying",
        "550",
        "MAIL FROM",
        False,
    )
