"""Score `mailcheck bounce`'s classifier on a corpus of real returned messages, and
measure its speed on a generated mbox beside flufl.bounce's.

    python benchmarks/bounce_corpus.py [CORPUS_DIR] [--messages N] [--misses]

CORPUS_DIR holds messages/*.eml and expected.json (default: ../shared/corpora/bounces,
relative to the current folder, the repository root). Accuracy is scored on rows marked ``confidence: both``;
statuses are compared (class.subject) only where the message carries a code, i.e.
not where the expected status is empty or sisimai's own ``x.0.9xx`` mark. Speed runs
on an mbox built by repeating the project's own fixtures (fixtures/bounces), never the
corpus, on one core.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from mailcheck.bounce.classify import Analysis, analyze
from mailcheck.commands.bounce import check_source
from mailcheck.sources import read_mbox

ROOT = Path(__file__).resolve().parent.parent
_SISIMAI_NO_CODE = re.compile(r"^\d\.0\.9\d\d$")


def score(corpus: Path, show_misses: bool) -> None:
    cases = json.loads((corpus / "expected.json").read_text())["cases"]
    rows = found = reason_ok = hard_ok = 0
    status_rows = status_ok = 0
    false_positives: list[str] = []
    plain = 0
    misses: list[str] = []
    for case in cases:
        results = _analyses(corpus / "messages" / case["file"])
        if not case["expect_bounce"]:
            plain += 1
            taken = sorted({r.kind for r in results} - {"not-bounce"})
            if taken:
                false_positives.append(f"{case['file']} ({', '.join(taken)})")
            continue
        mine = {r.recipient.lower(): r for result in results for r in result.recipients}
        kinds = ", ".join(sorted({r.kind for r in results}))
        for row in case["recipients"]:
            if row["confidence"] != "both":
                continue
            rows += 1
            got = mine.get(row["recipient"].lower())
            if got is None:
                misses.append(f"{case['file']}: recipient {row['recipient']} not found (got {sorted(mine)}, kind {kinds})")
                continue
            found += 1
            if got.reason == row["reason"]:
                reason_ok += 1
            else:
                misses.append(
                    f"{case['file']}: reason {got.reason} != {row['reason']} [{got.status or got.status_inferred}] {got.diagnostic[:160]}"
                )
            if got.hardbounce == row["hardbounce"]:
                hard_ok += 1
            else:
                misses.append(f"{case['file']}: hardbounce {got.hardbounce} != {row['hardbounce']} ({got.reason})")
            expected_status = row["status"]
            if expected_status and not _SISIMAI_NO_CODE.match(expected_status):
                status_rows += 1
                mine_status = got.status or got.status_inferred
                if mine_status.split(".")[:2] == expected_status.split(".")[:2]:
                    status_ok += 1
                else:
                    misses.append(f"{case['file']}: status {mine_status or '-'} != {expected_status}")
    print(f"corpus: {corpus} ({len(cases)} messages, {rows} recipient rows with confidence both)")
    print(f"  recipient found   {_pct(found, rows)}")
    print(f"  reason            {_pct(reason_ok, rows)}")
    print(f"  hardbounce        {_pct(hard_ok, rows)}")
    print(f"  status class x.y  {_pct(status_ok, status_rows)}")
    print(f"  not-bounce taken for a bounce: {len(false_positives)} of {plain} {false_positives or ''}")
    if show_misses:
        print("\n".join(misses))


def _analyses(path: Path) -> list[Analysis]:
    """Each message of a corpus file: most hold one, a few are an mbox of several (as
    sisimai, which wrote the expected answers, reads every file)."""
    data = path.read_bytes()
    if not data.startswith(b"From "):
        return [analyze(data)]
    return [analyze(source.data) for source in read_mbox(str(path))]


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:6.2f} %  ({part}/{whole})" if whole else "   n/a"


def speed(count: int) -> None:
    fixtures = sorted((ROOT / "fixtures" / "bounces").glob("*.eml"))
    if not fixtures:
        print("speed: no fixtures/bounces/*.eml to build the mbox from")
        return
    bodies = [f.read_bytes().replace(b"\r\n", b"\n") for f in fixtures]
    with tempfile.NamedTemporaryFile(suffix=".mbox", delete=False) as handle:
        for i in range(count):
            body = bodies[i % len(bodies)]
            body = re.sub(rb"(?m)^From ", b">From ", body)
            handle.write(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n" + body.rstrip(b"\n") + b"\n\n")
        mbox = handle.name
    try:
        started = time.process_time()
        kinds: Counter[str] = Counter()
        for source in read_mbox(mbox):
            # The command's own path per message: classify and build the report.
            kinds[str(check_source(source).extra.get("kind"))] += 1
        elapsed = time.process_time() - started
        n = sum(kinds.values())
        rate = n / elapsed if elapsed else float("inf")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"speed: {n:,} messages (mbox of {len(fixtures)} fixtures repeated) in {elapsed:.1f} s CPU: {rate:,.0f} messages/s, one core; peak RSS {peak:.0f} MB"
        )
        print(f"  kinds: {dict(kinds.most_common())}")
        _cli(mbox, n)
        _flufl(mbox, rate)
    finally:
        Path(mbox).unlink()


def _cli(mbox: str, count: int) -> None:
    """The command as a user runs it: a fresh process streaming JSON Lines."""
    import subprocess

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    command = [sys.executable, "-m", "mailcheck", "bounce", "--mbox", mbox, "--format", "jsonl"]
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(
        f"  CLI `mailcheck bounce --mbox ... --format jsonl`: {count / cpu:,.0f} messages/s of CPU "
        f"({count / wall:,.0f}/s wall), peak RSS {after.ru_maxrss / 1024:.0f} MB"
    )


def _flufl(mbox: str, ours: float) -> None:
    try:
        from flufl.bounce import all_failures  # type: ignore[import-not-found]
    except ImportError:
        print("flufl.bounce: not installed (pip install flufl.bounce) — no comparison")
        return
    import email
    from importlib.metadata import version

    started = time.process_time()
    n = 0
    for source in read_mbox(mbox):
        message = email.message_from_bytes(source.data)
        with contextlib.suppress(Exception):  # (its crashes do not stop the measurement)
            all_failures(message)
        n += 1
    elapsed = time.process_time() - started
    rate = n / elapsed if elapsed else float("inf")
    print(
        f"flufl.bounce {version('flufl.bounce')} (recipients only, no reason): {rate:,.0f} messages/s on the same mbox; mailcheck is {ours / rate:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default="../shared/corpora/bounces", help="default: ../shared/corpora/bounces")
    parser.add_argument("--messages", type=int, default=100_000, help="size of the generated mbox for speed (0: skip)")
    parser.add_argument("--misses", action="store_true", help="list every miss")
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if not (corpus / "expected.json").is_file():
        sys.exit(f"no expected.json under {corpus}")
    score(corpus, args.misses)
    if args.messages:
        speed(args.messages)


if __name__ == "__main__":
    main()
