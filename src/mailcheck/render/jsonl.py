"""JSON Lines: one compact report document a line, so a bulk run can stream them.

Each line is a whole ``mailcheck.report/1`` document (the shape of ``--format json``
for one target); there is no wrapper, so ``jq``, ``grep`` and a partial file read
after an interrupted run all work line by line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from mailcheck import __version__
from mailcheck.model import Report


def render_line(report: Report, *, version: str = __version__) -> str:
    """One report as one line, without the newline."""
    return json.dumps(report.to_dict(version), ensure_ascii=False, separators=(",", ":"), default=str)


def render_jsonl(reports: Sequence[Report], *, version: str = __version__) -> str:
    return "".join(render_line(report, version=version) + "\n" for report in reports)
