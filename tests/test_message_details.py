"""Data stays data: every command's checks carry values in ``details`` (no text lines
made for the terminal), and the text report draws the message checks' lines from them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import mailcheck.render.json as json_render
from mailcheck.model import Report
from tests.helpers import ROOT, ZONES, offline, run_cli
from tests.helpers.message_fixtures import message, sign
from tests.test_message import TRACE, check_message, forwarded, one, three_sealers

PLAIN = (str, int, float, bool, type(None))


def not_plain(value: Any, where: str) -> list[str]:
    """Where ``value`` holds anything but str/int/float/bool/None, lists and str-keyed dicts."""
    if isinstance(value, PLAIN):
        return []
    if isinstance(value, list):
        return [bad for n, item in enumerate(value) for bad in not_plain(item, f"{where}[{n}]")]
    if isinstance(value, dict):
        found = [f"{where}: key {key!r}" for key in value if not isinstance(key, str)]
        return found + [bad for key, item in value.items() for bad in not_plain(item, f"{where}.{key}")]
    return [f"{where}: {type(value).__name__}"]


def multipart_with_a_long_line() -> bytes:
    head = "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b1\r\n"
    body = (
        "--b1\r\nContent-Type: text/plain\r\n\r\nhello " + "x" * 1200 + "\r\n"
        "--b1\r\nContent-Type: text/html\r\n\r\n<p>hello</p>\r\n--b1--\r\n"
    )
    data = message(body=body).replace(b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n", head.encode())
    return TRACE + sign(data)


def _written(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


RUNS = {
    "message-good": lambda tmp: ("message", _written(tmp, "m.eml", TRACE + sign(message())), *offline()),
    "message-arc": lambda tmp: ("message", _written(tmp, "m.eml", three_sealers()), *offline()),
    "message-forwarded": lambda tmp: ("message", _written(tmp, "m.eml", forwarded()), *offline()),
    "message-mime": lambda tmp: ("message", _written(tmp, "m.eml", multipart_with_a_long_line()), *offline()),
    "domain": lambda tmp: ("domain", "good.example", "--no-smtp", *offline()),
    "spf": lambda tmp: (
        "spf",
        "--ip",
        "127.0.0.25",
        "--mail-from",
        "b@sender.example",
        "--helo",
        "mail.sender.example",
        *offline(),
    ),
    "bounce": lambda tmp: ("bounce", str(ROOT / "fixtures" / "bounces" / "dsn-two-recipients.eml")),
    "report": lambda tmp: ("report", str(ROOT / "fixtures" / "reports" / "aggregate-rfc7489.xml"), "--no-dns"),
    "blocklist": lambda tmp: ("blocklist", "127.0.0.2", *offline()),
    "links": lambda tmp: ("links", str(ROOT / "fixtures" / "messages" / "links-mixed.eml"), *offline()),
}


@pytest.mark.parametrize("run", sorted(RUNS))
def test_every_commands_details_are_plain_data(tmp_path, monkeypatch, run):
    seen: list[Report] = []
    document = json_render.report_document

    def keeping(reports: Sequence[Report], *, version: str) -> dict[str, Any]:
        seen.extend(reports)
        return document(reports, version=version)

    # The Report objects themselves, before JSON turns tuples into lists and objects into str.
    monkeypatch.setattr(json_render, "report_document", keeping)
    result = run_cli(*RUNS[run](tmp_path), "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    checks = [check for report in seen for check in report.checks]
    assert checks, "the run reported no check"
    assert [check.id for check in checks if "lines" in check.details] == []
    assert [bad for check in checks for bad in not_plain(dict(check.details), check.id)] == []


def test_message_text_lines_are_drawn_from_the_details(tmp_path):
    data = multipart_with_a_long_line()
    path = _written(tmp_path, "m.eml", data)
    long_line = next(n for n, line in enumerate(data.split(b"\r\n"), start=1) if line.startswith(b"hello xxx"))
    _, doc = check_message(tmp_path, data)
    mime = one(doc, "message.mime")
    assert mime["details"]["tree"] == [
        {"type": "multipart/alternative", "depth": 0},
        {"type": "text/plain", "depth": 1},
        {"type": "text/html", "depth": 1},
    ]
    length = one(doc, "message.line-length")
    assert length["status"] == "fail" and length["details"]["long_lines"] == [long_line]
    hops = one(doc, "received.path")["details"]
    assert hops["trusted_hop"] == 1 and hops["hops"][0]["ip"] == "127.0.0.25"
    text = run_cli("message", path, "--zone", str(ZONES), "--offline", "--no-color", "-v").stdout.splitlines()
    assert f"        over 998 characters: line {long_line}" in text
    assert "        #1 from mail.sender.example [127.0.0.25] by mx.receiver.test with ESMTPS TLS <- the receiver's hop" in text
    tree = text.index("        multipart/alternative")
    assert text[tree + 1 : tree + 3] == ["          text/plain", "          text/html"]


def test_dmarc_and_arc_lines_in_the_text_report(tmp_path):
    path = _written(tmp_path, "m.eml", forwarded())
    text = run_cli("message", path, "--zone", str(ZONES), "--offline", "--no-color", "-v").stdout.splitlines()
    assert "        spf sender.example: not pass, aligned (relaxed)" in text
    assert "        dkim sender.example: not pass, aligned (relaxed)" in text
    assert "        policy: p=reject from _dmarc.sender.example" in text
    arc = next(line for line in text if line.startswith("        i=1 forwarder.example: "))
    assert arc.startswith("        i=1 forwarder.example: seal valid, signature valid, cv=none, sealed 20")
    assert "; AAR i=1; forwarder.example; dkim=pass header.d=sender.example" in arc
