"""``mailcheck report`` against parsedmarc: the same fields, faster, in bounded memory.

Three measurements (not a test; run on demand):

1. accuracy: each real report of ../shared/corpora/reports/ read by ``mailcheck report
   --format json --no-dns`` and its core fields (metadata, published policy, per record
   the source IP, count, evaluated policy, identifiers and auth results; for TLS reports
   the report and each policy's counts and failure details) compared with parsedmarc's
   reading in expected.json. Prints the match rate and every mismatch.
2. speed: the same files, copied ``--copies`` times (and reports generated from the
   project's fixture), read in the same run by one whole ``mailcheck report`` process
   (its worker processes included), by parsedmarc's ``parse_report_file(offline=True)``
   in a loop (start-up not counted), and by parsedmarc's own CLI as a user runs it
   (``parsedmarc --offline DIR``, output discarded) beside mailcheck on the same files:
   every file of the set, then the first ``--cli-files`` of them, where each command's
   start weighs more; prints documents per second and the ratios by CPU time and by
   wall clock. Each whole-CLI figure is the median of three runs, the two CLIs taking
   turns (one run each where parsedmarc's takes over a minute). parsedmarc lives in its
   own virtualenv (``--parsedmarc-venv``, created with ``pip install parsedmarc`` when
   missing).
3. memory: 10,000 aggregate reports made from the project's own fixture, in a
   Maildir, read with ``--format jsonl``, ``--summary`` and ``--format html``; prints the peak RSS.

    python benchmarks/report_corpus.py [--corpus DIR] [--copies N] [--generated N] [--cli-files N] [--reports N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the checkout, or beside the folder of worktrees.
DEFAULT_CORPUS = next(
    (base / "shared" / "corpora" / "reports" for base in (ROOT.parent, ROOT.parent.parent) if (base / "shared").is_dir()),
    ROOT.parent / "shared" / "corpora" / "reports",
)
FIXTURE = ROOT / "fixtures" / "reports" / "aggregate-rfc7489.xml"
MAILCHECK = [sys.executable, "-m", "mailcheck"]
# Each whole-CLI measurement is the median of this many runs (this VM's speed moves by
# a fifth or more from one minute to the next).
RUNS = 3
ONE_PAIR_SECONDS = 60.0


# -- 1. accuracy --------------------------------------------------------------------


def read_with_mailcheck(paths: list[Path]) -> dict[str, dict[str, Any]]:
    done = subprocess.run(
        [*MAILCHECK, "report", "--no-dns", "--format", "jsonl", *map(str, paths)], capture_output=True, text=True
    )
    readings = {}
    for line in done.stdout.splitlines():
        report = json.loads(line)
        checks = {c["id"]: c for o in report["obstacles"] for c in o["checks"]}
        read = checks.get("report.aggregate") or checks.get("report.smtp-tls")
        readings[report["target"]] = read["details"] if read else {}
    return readings


def _parsedmarc_date(iso: str | None) -> str | None:
    # parsedmarc writes aggregate dates as "YYYY-MM-DD HH:MM:SS" (UTC here); ours are ISO 8601 with Z.
    return iso.replace("T", " ").removesuffix("Z") if iso else iso


def compare_aggregate(expected: dict[str, Any], got: dict[str, Any]) -> tuple[int, list[str]]:
    fields: list[tuple[str, Any, Any]] = []
    meta, got_meta = expected["report_metadata"], got.get("report_metadata", {})
    for key in ("org_name", "org_email", "report_id", "errors"):
        fields.append((f"report_metadata.{key}", meta.get(key), got_meta.get(key)))
    for key in ("begin_date", "end_date"):
        fields.append((f"report_metadata.{key}", meta.get(key), _parsedmarc_date(got_meta.get(key))))
    for key, value in expected["policy_published"].items():
        fields.append((f"policy_published.{key}", value, got.get("policy_published", {}).get(key)))
    got_records = got.get("records", [])
    fields.append(("records", len(expected["records"]), len(got_records)))
    for index, (want, have) in enumerate(zip(expected["records"], got_records, strict=False)):
        where = f"records[{index}]"
        fields.append((f"{where}.source_ip", want["source_ip"], have["source"]["ip_address"]))
        fields.append((f"{where}.count", want["count"], have["count"]))
        for section in ("policy_evaluated", "identifiers"):
            for key, value in want[section].items():
                fields.append((f"{where}.{section}.{key}", value, have[section].get(key)))
        for kind in ("dkim", "spf"):
            fields.append((f"{where}.auth_results.{kind}", want["auth_results"][kind], have["auth_results"][kind]))
        if "alignment" in want:
            fields.append((f"{where}.alignment", want["alignment"], have["alignment"]))
    return _score(fields)


def compare_tls(expected: dict[str, Any], got: dict[str, Any]) -> tuple[int, list[str]]:
    fields: list[tuple[str, Any, Any]] = []
    for key in ("organization_name", "begin_date", "end_date", "contact_info", "report_id"):
        fields.append((key, expected.get(key), got.get(key)))
    policies = got.get("policies", [])
    fields.append(("policies", len(expected["policies"]), len(policies)))
    for index, (want, have) in enumerate(zip(expected["policies"], policies, strict=False)):
        where = f"policies[{index}]"
        for key in ("policy_domain", "policy_type", "successful_session_count", "failed_session_count"):
            fields.append((f"{where}.{key}", want.get(key), have.get(key)))
        # parsedmarc leaves out an empty list; ours is always there.
        fields.append((f"{where}.policy_strings", want.get("policy_strings", []), have.get("policy_strings")))
        want_details = want.get("failure_details", [])
        have_details = have.get("failure_details", [])
        fields.append((f"{where}.failure_details", len(want_details), len(have_details)))
        for number, (a, b) in enumerate(zip(want_details, have_details, strict=False)):
            for key, value in a.items():
                fields.append((f"{where}.failure_details[{number}].{key}", value, b.get(key)))
    return _score(fields)


def _score(fields: list[tuple[str, Any, Any]]) -> tuple[int, list[str]]:
    wrong = [f"{name}: parsedmarc {want!r}, mailcheck {have!r}" for name, want, have in fields if want != have]
    return len(fields), wrong


def accuracy(corpus: Path) -> None:
    expected = json.loads((corpus / "expected.json").read_text())["cases"]
    paths = [corpus / case["file"] for case in expected]
    readings = read_with_mailcheck(paths)
    total = matched = whole = 0
    for case in expected:
        got = readings.get(str(corpus / case["file"]), {})
        if case["report_type"] == "aggregate":
            count, wrong = compare_aggregate(case, got)
        else:
            count, wrong = compare_tls(case["report"], got)
        total += count
        matched += count - len(wrong)
        whole += not wrong
        for line in wrong:
            print(f"  {case['file']}: {line}")
    print(
        f"accuracy: {matched}/{total} core fields match parsedmarc ({matched / total:.1%}); {whole}/{len(expected)} reports whole"
    )


# -- 2. speed -------------------------------------------------------------------------

_PARSEDMARC_LOOP = """
import sys, time, parsedmarc
paths = sys.argv[1:]
wall, cpu = time.perf_counter(), time.process_time()
for path in paths:
    parsedmarc.parse_report_file(path, offline=True)
print(time.perf_counter() - wall, time.process_time() - cpu)
"""


def parsedmarc_python(venv: Path) -> Path | None:
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        installed = subprocess.run([str(python), "-m", "pip", "install", "-q", "parsedmarc"], capture_output=True, text=True)
        if installed.returncode != 0:
            print(f"parsedmarc could not be installed: {installed.stderr.strip().splitlines()[-1:]}")
            return None
    return python


def speed(corpus: Path, copies: int, generated: int, cli_files: int, venv: Path) -> None:
    """Documents per second, by wall clock and by CPU time (the machine may be shared),
    on two sets: the corpus copied over and over (parsedmarc's caches help it there),
    and reports made from the project's fixture with a new source IP each (as a real
    inbox has)."""
    originals = sorted((corpus / "dmarc-reports").glob("*.xml")) + sorted((corpus / "smtp-tls-reports").glob("*.json"))
    python = parsedmarc_python(venv)
    with tempfile.TemporaryDirectory() as scratch:
        repeated = Path(scratch) / "repeated"
        (repeated / "cur").mkdir(parents=True)
        for number in range(copies):
            for original in originals:
                shutil.copyfile(original, repeated / "cur" / f"{number:05d}-{original.name}")
        unique = Path(scratch) / "unique"
        make_reports(unique, generated)
        for name, maildir in (("corpus copies", repeated), ("generated reports", unique)):
            _compare(name, maildir, python)
            if python is None:
                continue
            # Every file: the rate over the same files. Then the first cli_files of them,
            # where each command's start weighs more.
            for count in dict.fromkeys((0, cli_files)):
                _compare_clis(name, maildir, count, python.parent / "parsedmarc", Path(scratch) / "subset")


def _compare(name: str, maildir: Path, python: Path | None) -> None:
    """mailcheck's whole run against parsedmarc's library loop over every file."""
    paths = sorted(str(p) for p in (maildir / "cur").iterdir())
    ours = _mailcheck_run(name, maildir, len(paths))
    if python is None:
        return
    theirs_run = subprocess.run([str(python), "-c", _PARSEDMARC_LOOP, *paths], capture_output=True, text=True)
    if theirs_run.returncode != 0:
        print(f"parsedmarc failed: {theirs_run.stderr.strip()[-300:]}")
        return
    their_wall, their_cpu = map(float, theirs_run.stdout.split()[-2:])
    print(
        f"speed ({name}): parsedmarc's parse_report_file loop read them in {their_wall:.2f} s wall, {their_cpu:.2f} s CPU "
        f"(start-up not counted): {len(paths) / their_wall:,.0f} documents/s wall, {len(paths) / their_cpu:,.0f} /s CPU"
    )
    _ratios(name, "its library loop", ours, (their_wall, their_cpu))


def _compare_clis(name: str, maildir: Path, count: int, parsedmarc: Path, subset: Path) -> None:
    """Both command lines as a user runs them, whole processes, on the same files: all
    of them (``count`` 0), or the first ``count``."""
    paths = sorted((maildir / "cur").iterdir())
    if 0 < count < len(paths):
        shutil.rmtree(subset, ignore_errors=True)
        (subset / "cur").mkdir(parents=True)
        for path in paths[:count]:
            os.link(path, subset / "cur" / path.name)
        maildir, paths = subset, paths[:count]
    ours_command = _mailcheck_command(maildir)
    theirs_command = [str(parsedmarc), "--offline", str(maildir / "cur")]
    # Turn about, so both meet the same moments of a shared machine; the median of
    # each. A parsedmarc run over a minute is averaged enough on its own: one pair.
    ours_runs, theirs_runs = [], []
    for _ in range(RUNS):
        ours_runs.append(_measure(ours_command))
        theirs_runs.append(_measure(theirs_command))
        if theirs_runs[-1][0] > ONE_PAIR_SECONDS:
            break
    ours = _report_mailcheck(f"{name}, {len(paths):,} for the CLIs", len(paths), ours_runs)
    wall, cpu, peak = _median(theirs_runs)
    print(
        f"speed ({name}, {len(paths):,} for the CLIs): parsedmarc --offline read them in {wall:.2f} s wall, {cpu:.2f} s CPU, "
        f"peak RSS {peak / 1024:,.0f} MB (one whole CLI run{_of(theirs_runs)}): {len(paths) / wall:,.0f} documents/s wall, "
        f"{len(paths) / cpu:,.0f} /s CPU"
    )
    _ratios(f"{name}, {len(paths):,} for the CLIs", "its CLI", ours, (wall, cpu))


def _mailcheck_command(maildir: Path) -> list[str]:
    return [*MAILCHECK, "report", "--no-dns", "--format", "jsonl", "--maildir", str(maildir)]


def _mailcheck_run(name: str, maildir: Path, count: int) -> tuple[float, float]:
    runs = [_measure(_mailcheck_command(maildir)) for _ in range(RUNS)]
    return _report_mailcheck(name, count, runs)


def _report_mailcheck(name: str, count: int, runs: list[tuple[float, float, int]]) -> tuple[float, float]:
    wall, cpu, peak = _median(runs)
    print(
        f"speed ({name}): mailcheck read {count:,} documents in {wall:.2f} s wall, {cpu:.2f} s CPU, peak RSS "
        f"{peak / 1024:,.0f} MB (one whole CLI run{_of(runs)}, start-up and workers included): {count / wall:,.0f} "
        f"documents/s wall, {count / cpu:,.0f} /s CPU"
    )
    return wall, cpu


def _median(runs: list[tuple[float, float, int]]) -> tuple[float, float, int]:
    """The median wall time, the median CPU time, the largest peak RSS."""
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), max(r[2] for r in runs)


def _of(runs: list[tuple[float, float, int]]) -> str:
    return f", median of {len(runs)}" if len(runs) > 1 else ""


def _ratios(name: str, against: str, ours: tuple[float, float], theirs: tuple[float, float]) -> None:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"speed ({name}): mailcheck is {theirs[1] / ours[1]:.1f}x parsedmarc's rate by CPU time, "
        f"{theirs[0] / ours[0]:.1f}x by wall clock, against {against} (load average {load})"
    )


def make_reports(maildir: Path, count: int) -> None:
    """``count`` aggregate reports from the project's fixture: each its own id, day and
    failing source, so tables grow as a real inbox's would."""
    template = FIXTURE.read_text()
    cur = maildir / "cur"
    cur.mkdir(parents=True)
    for number in range(count):
        text = template.replace("rx-2026-11-30-0001", f"rx-bench-{number}")
        text = text.replace("1795996800", str(1795996800 - 86400 * (number % 365)))
        text = text.replace("198.51.100.7", f"198.51.{number % 200}.{number % 250}")
        (cur / f"{number:06d}.xml").write_text(text)


# -- 3. memory ------------------------------------------------------------------------


def memory(count: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        make_reports(Path(scratch), count)
        for extra in (["--format", "jsonl"], ["--summary", "--format", "json"], ["--format", "html"]):
            command = [*MAILCHECK, "report", "--no-dns", "--maildir", scratch, *extra]
            _, _, peak = _measure(command)
            print(f"memory: {count:,} reports, {' '.join(extra)}: peak RSS {peak / 1024:,.0f} MB")


def _measure(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS in KiB of one child run."""
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execv(command[0], command)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(command[:6])} ... exited {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--copies", type=int, default=600, help="copies of each corpus file for the speed run")
    parser.add_argument("--generated", type=int, default=5_000, help="reports made from the fixture for the speed run")
    parser.add_argument(
        "--cli-files",
        type=int,
        default=1_000,
        help="after every file of each set, also the first N for the CLIs, where start-up weighs more (0: not)",
    )
    parser.add_argument("--reports", type=int, default=10_000, help="generated reports for the memory run")
    parser.add_argument("--parsedmarc-venv", type=Path, default=ROOT / "benchmarks" / ".venv-parsedmarc")
    args = parser.parse_args()
    # Bytecode as an installed package has it (parsedmarc's virtualenv has its own): with
    # PYTHONDONTWRITEBYTECODE set, each run would compile every module again (~0.1 s).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    accuracy(args.corpus)
    speed(args.corpus, args.copies, args.generated, args.cli_files, args.parsedmarc_venv)
    memory(args.reports)


if __name__ == "__main__":
    main()
