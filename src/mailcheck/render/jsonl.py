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

# One encoder for every line: json.dumps with options builds a new one each call,
# which a run over 100,000 small reports pays 100,000 times. A report's dict is made
# fresh by to_dict and holds no cycle, so the encoder need not look for one (a sixth
# of its time on a small report).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str, check_circular=False)


def render_line(report: Report, *, version: str = __version__) -> str:
    """One report as one line, without the newline."""
    return _ENCODER.encode(report.to_dict(version))


def render_jsonl(reports: Sequence[Report], *, version: str = __version__) -> str:
    return "".join(render_line(report, version=version) + "\n" for report in reports)
