"""Run ``mailcheck bounce``: one report per returned message (or per --line), a summary
over all of them, the suppress list, and the exit code --fail-on asks for.

Takes validated, typed values; the flag names and their messages live in cli/bounce.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mailcheck.errors import BadInput
from mailcheck.model import Report
from mailcheck.run import DnsScope, Env, RunOutcome, run_targets
from mailcheck.runtime import NetworkOptions
from mailcheck.sources import Source, SourceSpec, open_sources

# --fail-on's own values for bounce: exit 1 when any recipient hard-bounced; when any
# bounced or was delayed, hard or soft; when anyone complained.
BounceFailOn = Literal["hard", "soft", "complaint"]

# A direct FILE argument must look like a message before the run starts (exit 2 if not).
_PEEK = 64 * 1024


@dataclass(frozen=True)
class BounceRequest:
    sources: SourceSpec | None = None
    lines: tuple[str, ...] = ()
    summary: bool = False
    suppress_list: Path | None = None
    fail_on: BounceFailOn | None = None


@dataclass
class Tally:
    """What the summary counts, kept as reports stream past (none of them is kept)."""

    messages: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    domains: Counter[str] = field(default_factory=Counter)
    # Address → why, in the order first met.
    suppress: dict[str, str] = field(default_factory=dict)
    hard: int = 0
    soft: int = 0
    complaints: int = 0

    def add(self, report: Report) -> None:
        self.messages += 1
        kind = str(report.extra.get("kind", "not-bounce"))
        self.kinds[kind] += 1
        for check in report.checks:
            if check.id != "bounce.recipient":
                continue
            details = check.details
            address = str(details.get("recipient", ""))
            reason = str(details.get("reason", ""))
            self.reasons[reason] += 1
            if "@" in address:
                self.domains[address.rsplit("@", 1)[1]] += 1
            if details.get("action_to_take") == "suppress" and address:
                self.suppress.setdefault(address, reason)
            if reason == "feedback":
                self.complaints += 1
            elif details.get("hardbounce"):
                self.hard += 1
            elif kind in ("bounce", "delay"):
                self.soft += 1

    def matches(self, fail_on: BounceFailOn) -> bool:
        if fail_on == "hard":
            return self.hard > 0
        if fail_on == "soft":
            return self.hard + self.soft > 0
        return self.complaints > 0

    def as_dict(self) -> dict[str, object]:
        return {
            "messages": self.messages,
            "kinds": dict(self.kinds.most_common()),
            "reasons": dict(self.reasons.most_common()),
            "domains": dict(self.domains.most_common()),
            "suppress": sorted(self.suppress),
        }


class MessageCheck:
    """One returned message → its report (the run loop's ImmediateCheck: nothing to wait for)."""

    command = "bounce"

    def label(self, target: Source) -> str:
        return target.label

    async def check(self, target: Source, env: Env) -> Report:
        return self.check_now(target)

    def check_now(self, target: Source) -> Report:
        return check_source(target)


class LineCheck:
    command = "bounce"

    def label(self, target: str) -> str:
        return "line"

    async def check(self, target: str, env: Env) -> Report:
        return self.check_now(target)

    def check_now(self, target: str) -> Report:
        from mailcheck.bounce.checks import report_for
        from mailcheck.bounce.classify import analyze_line

        return report_for("line", analyze_line(target))


def check_source(source: Source) -> Report:
    from mailcheck.bounce.checks import report_for, unreadable_report
    from mailcheck.bounce.classify import analyze

    if source.error is not None:
        return unreadable_report(source.label, source.error)
    problem = not_a_message(source.data)
    if problem is not None:
        return unreadable_report(source.label, problem)
    note = f"cut at {len(source.data)} of {source.size} bytes (--max-size)" if source.truncated else None
    return report_for(source.label, analyze(source.data), size_note=note)


def not_a_message(data: bytes) -> str | None:
    """Why ``data`` is no email message at all, or None."""
    head = data[:_PEEK]
    if not head.strip():
        return "empty: no header fields"
    if b"\x00" in head[:8192]:
        return "binary data, not a message"
    first = head.lstrip().split(b"\n", 1)[0].rstrip(b"\r")
    name, colon, _ = first.partition(b":")
    if first.startswith(b"From ") or (colon and name and all(33 <= c <= 126 for c in name)):
        return None
    return "no header fields (not an email message)"


def validate(request: BounceRequest) -> None:
    """Reject what cannot work before any output: a direct FILE that is no message, a
    --suppress-list in a folder that does not exist."""
    if request.suppress_list is not None:
        parent = request.suppress_list.parent
        if not parent.is_dir():
            raise BadInput(f"--suppress-list {request.suppress_list}: no such directory {parent}")
        if request.suppress_list.is_dir():
            raise BadInput(f"--suppress-list {request.suppress_list}: is a directory")
    if request.sources is None:
        return
    for path in request.sources.files:
        if path == "-" or not Path(path).is_file():
            continue  # stdin is judged as it is read; a missing file is open_sources' to say
        with open(path, "rb") as stream:
            problem = not_a_message(stream.read(_PEEK))
        if problem is not None:
            raise BadInput(f"{path}: {problem}")


def _checked_stdin(sources: Iterator[Source]) -> Iterator[Source]:
    for source in sources:
        if source.label == "stdin":
            problem = not_a_message(source.data)
            if problem is not None:
                raise BadInput(f"stdin: {problem}")
        yield source


def run_bounce(
    request: BounceRequest, network: NetworkOptions, on_report: Callable[[Report], None], keep: bool
) -> tuple[RunOutcome[Any], Tally]:
    """Check every message (or line); the summary report, with --summary, comes last."""
    from mailcheck.bounce.summary import summary_report

    tally = Tally()

    def seen(report: Report) -> None:
        tally.add(report)
        on_report(report)

    outcome: RunOutcome[Any]
    if request.lines:
        outcome = run_targets(LineCheck(), request.lines, network, scope=DnsScope.NONE, on_report=seen, keep=keep)
    else:
        assert request.sources is not None
        sources = _checked_stdin(open_sources(request.sources))
        outcome = run_targets(MessageCheck(), sources, network, scope=DnsScope.NONE, on_report=seen, keep=keep)
    if request.summary:
        summary = summary_report(tally.as_dict())
        on_report(summary)
        if keep:
            outcome.reports.append(summary)
    if request.suppress_list is not None:
        write_suppress_list(request.suppress_list, tally)
    return outcome, tally


def write_suppress_list(path: Path, tally: Tally) -> None:
    try:
        path.write_text("".join(f"{address}\n" for address in sorted(tally.suppress)), encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"--suppress-list {path}: {exc.strerror or exc}") from None
