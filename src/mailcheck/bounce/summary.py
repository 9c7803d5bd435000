"""The summary over a run of returned messages: counts per kind, reason and receiving
domain, and the addresses to suppress; as a report (JSON, JSONL) and as tables (text)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.model import Obstacle, Report

SUMMARY = CheckSpec(
    id="bounce.summary",
    title="What came back, counted",
    verifies=(
        "Over every message `mailcheck bounce --summary` read: how many of each kind (bounce, delay, "
        "delivered, complaint, autoreply, not-bounce), how many recipients per reason and per receiving "
        "domain, and the addresses to suppress (hard bounces and complaints). Always info; the exit code "
        "follows the messages (and --fail-on hard|soft|complaint)."
    ),
    why="A sender acts on the totals: the suppress list, and the reasons that point at its own side.",
    example=Example(
        bad="1,200 bounces read one by one",
        good="mailcheck bounce --mbox returned.mbox --summary --suppress-list suppress.txt",
        why="The summary gives the suppress list and the reasons in one table.",
    ),
    refs=("RFC 3464 §2.3.3",),
)


def summary_report(summary: Mapping[str, Any]) -> Report:
    kinds = summary["kinds"]
    counted = ", ".join(f"{n} {kind}" for kind, n in kinds.items()) or "nothing"
    suppress = summary["suppress"]
    line = f"{summary['messages']} messages: {counted}; {len(suppress)} address{'es' if len(suppress) != 1 else ''} to suppress"
    check = SUMMARY.info("summary", line, details=dict(summary))
    return Report("bounce", "summary", (Obstacle("feedback", "Feedback", (check,)),), extra={"bounce_summary": dict(summary)})


def print_tables(console: Console, summary: Mapping[str, Any]) -> None:
    """The summary as a user reads it: three small tables and the suppress list."""
    console.print()
    for title, key, label in (
        ("Kinds", "kinds", "kind"),
        ("Reasons", "reasons", "reason"),
        ("Receiving domains", "domains", "domain"),
    ):
        rows = summary[key]
        if not rows:
            continue
        table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
        table.add_column(label)
        table.add_column("count", justify="right")
        for name, count in list(rows.items())[:30]:
            table.add_row(escape(str(name)), str(count))
        console.print(table)
        console.print()
    suppress = summary["suppress"]
    console.print(f"[bold]Suppress ({len(suppress)})[/bold]")
    for address in suppress:
        console.print(f"  {escape(address)}", highlight=False)
