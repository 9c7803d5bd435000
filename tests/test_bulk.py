"""Bulk runs: ``mailcheck domain --from-file``, --concurrency, JSON Lines streamed in
completion order, the closing summary, a broken domain among good ones, and Ctrl-C."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time

import pytest

from mailcheck.dns.zones import load_zones
from mailcheck.dns.zoneserver import ZoneServer
from tests.helpers import ZONES, mentions, offline, run_cli, validate_report
from tests.helpers.cli_subprocess import popen_mailcheck


def _write(tmp_path, text: str):
    path = tmp_path / "domains.txt"
    path.write_text(text)
    return str(path)


def _lines(stdout: str) -> list[dict]:
    documents = [json.loads(line) for line in stdout.splitlines()]
    for document in documents:
        validate_report(document)
    return documents


def test_from_file_streams_one_report_a_line_and_skips_comments(tmp_path):
    listing = _write(tmp_path, "# fixture domains\ngood.example\n\n  mx-ptr.example   # PTR warnings\nnope.example\n")
    result = run_cli("domain", *offline("--from-file", listing, "--no-smtp", "--format", "jsonl"))
    assert result.exit_code == 1  # nope.example does not exist
    reports = {r["target"]: r for r in _lines(result.stdout)}
    assert set(reports) == {"good.example", "mx-ptr.example", "nope.example"}
    assert reports["good.example"]["status"] == "pass"
    assert reports["mx-ptr.example"]["status"] == "warn"
    assert reports["nope.example"]["status"] == "fail"
    # The summary goes to stderr, leaving stdout to the JSON lines.
    assert "3 targets checked" in result.stderr
    assert "dns.exists" in result.stderr.split("Checks that fail most often")[1]


def test_workers_send_lines_and_counts_that_match_one_process(tmp_path):
    # Six domains two at a time go over the worker processes, which send each report's
    # line and what the summary counts of it; six at a time stay in this one.
    names = ["good.example", "mx-ptr.example", "mx-dangling.example", "nope.example", "dmarc-none.example", "mx-ptr.example"]
    listing = _write(tmp_path, "\n".join(names))
    args = ("--from-file", listing, "--no-smtp", "--format", "jsonl")
    over_workers = run_cli("domain", *offline(*args, "--concurrency", "2"))
    one_process = run_cli("domain", *offline(*args, "--concurrency", "6"))
    for result in (over_workers, one_process):
        assert result.exit_code == 1
        reports = _lines(result.stdout)
        assert sorted(r["target"] for r in reports) == sorted(names)
        assert {r["target"]: r["status"] for r in reports}["mx-dangling.example"] == "fail"
        assert mentions(result.stderr, "6 targets checked", "fail", "3", "warn", "2", "pass", "1")
        assert mentions(result.stderr, "Checks that fail most often", "mx.host", "2", "mx.ptr")
    assert over_workers.stderr == one_process.stderr
    by_target = {r["target"]: r for r in _lines(one_process.stdout)}
    for report in _lines(over_workers.stdout):
        assert report["obstacles"] == by_target[report["target"]]["obstacles"]


def test_from_file_text_run_ends_with_the_summary_table(tmp_path):
    listing = _write(tmp_path, "mx-ptr.example\nmx-dangling.example\n")
    result = run_cli("domain", *offline("--from-file", listing, "--no-smtp"))
    assert result.exit_code == 1
    text = result.stdout
    assert text.index("mx-ptr.example  ! WARN") < text.index("mx-dangling.example  ✗ FAIL")  # the file's order
    summary = text[text.index("2 targets checked") :]
    rows = {line.split()[0]: line.split()[1:] for line in summary.splitlines()[2:] if line.strip()}
    assert rows["fail"] == ["1"] and rows["warn"] == ["1"] and rows["pass"] == ["0"]
    # mx.host fails twice in mx-dangling.example (two hosts without addresses).
    assert rows["mx.host"] == ["2", "0", "0"]
    assert rows["mx.ptr"] == ["0", "0", "2"]


def test_from_stdin_and_arguments_together(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("mx-ptr.example\n"))
    result = run_cli("domain", *offline("good.example", "--from-file", "-", "--no-smtp", "--format", "jsonl"))
    assert result.exit_code == 0
    assert sorted(r["target"] for r in _lines(result.stdout)) == ["good.example", "mx-ptr.example"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "good.example\n# fine\nbad..example\n",
            "--from-file {path} line 3: domain name 'bad..example' has an empty label ('..')",
        ),
        ("good.example\n192.0.2.1\n", "--from-file {path} line 2: '192.0.2.1' is an IP address, not a domain name"),
        ("# nothing\n\n", "--from-file {path}: no domains (only blank lines and comments)"),
    ],
)
def test_bad_lines_exit_2_naming_the_line(tmp_path, text, message):
    listing = _write(tmp_path, text)
    result = run_cli("domain", *offline("--from-file", listing))
    assert result.exit_code == 2
    assert result.stderr == f"mailcheck: error: {message.format(path=listing)}\n"
    assert result.stdout == ""


def test_missing_file_bad_concurrency_and_no_domains(tmp_path):
    missing = run_cli("domain", *offline("--from-file", str(tmp_path / "none.txt")))
    assert missing.exit_code == 2 and "No such file or directory" in missing.stderr
    zero = run_cli("domain", *offline("good.example", "--concurrency", "0"))
    assert zero.exit_code == 2 and "--concurrency must be at least 1, not 0" in zero.stderr
    nothing = run_cli("domain", *offline())
    assert nothing.exit_code == 2 and "give at least one DOMAIN, or --from-file FILE" in nothing.stderr


def test_a_crashing_domain_becomes_an_error_report_and_the_others_complete(tmp_path, monkeypatch):
    import mailcheck.domain_report as domain_report_module

    real = domain_report_module.domain_report

    async def crashing(domain, *args, **kwargs):
        if domain.ascii == "mx-ptr.example":
            raise ValueError("resolver state corrupted")
        return await real(domain, *args, **kwargs)

    monkeypatch.setattr(domain_report_module, "domain_report", crashing)
    listing = _write(tmp_path, "good.example\nmx-ptr.example\nnope.example\nmx-dangling.example\n")
    result = run_cli("domain", *offline("--from-file", listing, "--no-smtp", "--format", "jsonl"))
    assert result.exit_code == 1
    reports = {r["target"]: r for r in _lines(result.stdout)}
    assert set(reports) == {"good.example", "mx-ptr.example", "nope.example", "mx-dangling.example"}
    crashed = reports["mx-ptr.example"]
    assert crashed["status"] == "error"
    [check] = crashed["obstacles"][0]["checks"]
    assert check["id"] == "run.crash"
    assert mentions(check["summary"], "mx-ptr.example", "crashed", "ValueError: resolver state corrupted")
    assert reports["good.example"]["status"] == "pass"
    assert reports["mx-dangling.example"]["status"] == "fail"


def test_concurrency_limits_domains_in_flight(tmp_path, monkeypatch):
    import asyncio

    import mailcheck.domain_report as domain_report_module

    real = domain_report_module.domain_report
    active = 0
    most = 0

    async def counting(*args, **kwargs):
        nonlocal active, most
        active += 1
        most = max(most, active)
        try:
            await asyncio.sleep(0.01)
            return await real(*args, **kwargs)
        finally:
            active -= 1

    monkeypatch.setattr(domain_report_module, "domain_report", counting)
    # The count lives in this process: keep the run in it (test_workers covers the processes).
    monkeypatch.setattr("mailcheck.workers.default_workers", lambda targets, concurrency: 1)
    names = ["good.example", "mx-ptr.example", "mx-dangling.example", "mx-null.example", "mx-cname.example"]
    listing = _write(tmp_path, "\n".join(names))
    result = run_cli("domain", *offline("--from-file", listing, "--no-smtp", "--format", "jsonl", "--concurrency", "2"))
    assert len(_lines(result.stdout)) == 5
    assert most == 2


def test_jsonl_output_file_streams_while_text_goes_to_the_terminal(tmp_path):
    listing = _write(tmp_path, "good.example\nmx-ptr.example\n")
    target = tmp_path / "out.jsonl"
    result = run_cli("domain", *offline("--from-file", listing, "--no-smtp", "--format", "jsonl", "--output", str(target)))
    assert result.exit_code == 0
    assert "good.example  ✓ PASS" in result.stdout and "2 targets checked" in result.stdout
    assert sorted(r["target"] for r in _lines(target.read_text())) == ["good.example", "mx-ptr.example"]


def _streaming_run(listing: str, port: int, *, concurrency: int) -> subprocess.Popen[bytes]:
    """``mailcheck domain --from-file LISTING`` streaming JSON Lines into a pipe."""
    return popen_mailcheck(
        "domain", "--from-file", listing,
        "--nameserver", f"127.0.0.1:{port}", "--format", "jsonl", "--no-smtp",
        "--concurrency", str(concurrency), "--timeout", "5",
        # Unbuffered bytes: communicate() reads the pipe itself, so what a buffered
        # readline() had read beyond the first line would be lost to the test.
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=False, bufsize=0,
    )  # fmt: skip


def test_interrupted_bulk_run_exits_130_with_whole_lines(tmp_path):
    """Ctrl-C in the middle: exit 130, and every line already streamed is whole JSON."""
    names = ["good.example", "mx-ptr.example", "dmarc-none.example", "mx-dangling.example"] * 6
    listing = _write(tmp_path, "\n".join(names))
    # 200 ms per answer and two domains at a time: the run would take many seconds.
    with ZoneServer(load_zones([ZONES]), latency=0.2) as server:
        process = _streaming_run(listing, server.port, concurrency=2)
        try:
            first = process.stdout.readline().decode()  # the first report has been streamed
            started = time.monotonic()
            process.send_signal(signal.SIGINT)
            rest_bytes, stderr_bytes = process.communicate(timeout=15)
            rest, stderr = rest_bytes.decode(), stderr_bytes.decode()
        finally:
            if process.poll() is None:
                process.kill()
            # Let the server's delayed answers to the dead client go out before it closes.
            time.sleep(0.3)
    assert process.returncode == 130, stderr
    assert time.monotonic() - started < 5  # it stopped, rather than finishing the list
    lines = [first, *rest.splitlines(keepends=True)]
    assert all(line.endswith("\n") for line in lines)
    documents = _lines("".join(lines))
    assert 1 <= len(documents) < len(names)
    assert documents[0]["target"] in names and "Traceback" not in stderr


def test_ctrl_c_while_the_reader_lags_still_leaves_whole_lines(tmp_path):
    """The reader has not read for a while, so the run blocks writing a line into a
    full pipe when Ctrl-C comes: that line is finished before the run leaves."""
    names = ["good.example", "mx-ptr.example", "dmarc-none.example", "mx-dangling.example"] * 10
    listing = _write(tmp_path, "\n".join(names))
    with ZoneServer(load_zones([ZONES]), latency=0.01) as server:
        process = _streaming_run(listing, server.port, concurrency=4)
        try:
            time.sleep(4)  # about 12 KB a line: the 64 KB pipe is full long before
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
            time.sleep(0.3)
    stderr = err.decode()
    assert process.returncode in (0, 130), stderr
    lines = out.decode().splitlines(keepends=True)
    assert lines and all(line.endswith("\n") for line in lines)
    documents = _lines("".join(lines))
    assert {document["target"] for document in documents} <= set(names) and "Traceback" not in stderr


SHARED_PROVIDER = """$ORIGIN {origin}
$TTL 300
@        SOA   ns1.good.example. hostmaster.good.example. 2026112401 3600 600 604800 300
@        NS    ns1.good.example.
@        TXT   "v=spf1 include:_spf.provider.example -all"
"""


def test_bulk_domains_share_answers_for_names_they_all_ask(tmp_path):
    # Three customers of one provider: its SPF include is asked once for the run, and
    # each domain's report still counts the lookup it costs.
    zones = tmp_path / "zones"
    zones.mkdir()
    names = ["a.shared.example", "b.shared.example", "c.shared.example"]
    for name in names:
        (zones / f"{name}.zone").write_text(SHARED_PROVIDER.format(origin=f"{name}."))
    (zones / "provider.example.zone").write_text(
        "$ORIGIN provider.example.\n$TTL 300\n"
        "@ SOA ns1.good.example. hostmaster.good.example. 1 3600 600 604800 300\n@ NS ns1.good.example.\n"
        '_spf TXT "v=spf1 ip4:192.0.2.0/24 -all"\n'
    )
    listing = _write(tmp_path, "\n".join(names))
    args = ("--from-file", listing, "--no-smtp", "-s", "google", "--concurrency", "1", "--zone", str(zones))
    result = run_cli("domain", *offline(*args, "--verbose", "--no-color"))
    asked = [line for line in result.stdout.splitlines() if " _spf.provider.example TXT -> " in line]
    assert len(asked) == 1, asked
    reports = _lines(run_cli("domain", *offline(*args, "--format", "jsonl")).stdout)
    lookups = {r["target"]: next(c for o in r["obstacles"] for c in o["checks"] if c["id"] == "spf.lookups") for r in reports}
    assert sorted(lookups) == names
    assert {check["summary"] for check in lookups.values()} == {"SPF needs 1 DNS lookup of 10"}
