"""``mailcheck report --format html``: one self-contained page of the run's summary.

No script and no external resource of any kind (the page sets a Content-Security-Policy
that forbids them): inline CSS, tables, and SVG drawn here. Every value from a report is
escaped, since reports come from strangers.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from mailcheck.model import Report

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:72em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:.25em .7em;border-bottom:1px solid #ddd;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#17702a}.warn{color:#9a6700}.fail{color:#b3261e}.error{color:#7a2e8e}
svg{background:#fafafa;border:1px solid #ddd}
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_WIDTH, _HEIGHT, _PAD = 720, 220, 40


def render_html(summary: Report, problems: Sequence[Report] = ()) -> str:
    tables: dict[str, Any] = dict(summary.extra.get("summary", {}))
    documents = tables.get("documents", {})
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        "<title>mailcheck report: DMARC and TLS reports</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>DMARC and SMTP TLS reports</h1>",
        f'<p id="documents">{documents.get("read", 0):,} reports read, {documents.get("invalid", 0):,} unreadable, '
        f"{documents.get('failure_reports', 0):,} failure reports.</p>",
        _readiness(summary),
        "<h2>Volume per day</h2>",
        _volume_chart(tables.get("days", [])),
        "<h2>DMARC pass rate per day</h2>",
        _rate_chart(tables.get("days", [])),
        "<h2>Per reporting organization</h2>",
        _table(
            "organizations",
            ("Organization", "Type", "Reports", "Messages / sessions", "Pass"),
            [
                (o["org_name"], o["report_type"], o["reports"], o["messages"], _pct(o["pass_share"]))
                for o in tables.get("organizations", [])
            ],
        ),
        "<h2>Per source</h2>",
        _table(
            "sources",
            ("Source IP", "Messages", "Pass", "Header From", "Seen by"),
            [
                (s["ip_address"], s["messages"], _pct(s["pass_share"]), ", ".join(s["header_from"]), ", ".join(s["reporters"]))
                for s in tables.get("sources", [])
            ],
        ),
        "<h2>Per day</h2>",
        _table(
            "days",
            ("Day (UTC)", "Messages", "Pass"),
            [(d["date"], d["messages"], _pct(d["pass_share"])) for d in tables.get("days", [])],
        ),
    ]
    if tables.get("tls_policies"):
        parts += [
            "<h2>SMTP TLS per policy domain</h2>",
            _table(
                "tls",
                ("Policy domain", "Successful sessions", "Failed sessions"),
                [(t["policy_domain"], t["successful_session_count"], t["failed_session_count"]) for t in tables["tls_policies"]],
            ),
        ]
    if problems:
        rows = [(p.target, c.id, c.status.value, c.summary) for p in problems for c in p.checks if c.status.severity > 0]
        parts += [
            "<h2>Documents unreadable or read with repairs</h2>",
            _table("problems", ("Document", "Check", "Status", "Why"), rows),
        ]
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _readiness(summary: Report) -> str:
    checks = [c for c in summary.checks if c.id == "report.readiness"]
    if not checks:
        return '<p id="readiness">No aggregate report: nothing to say about p=reject.</p>'
    items = "".join(
        f'<li class="{c.status.value}"><strong>{escape(c.status.value.upper())}</strong> {escape(c.summary)}</li>' for c in checks
    )
    return f'<h2>Ready for p=reject?</h2><ul id="readiness">{items}</ul>'


def _table(table_id: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(value) for value in row) + "</tr>" for row in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cell(value: object) -> str:
    if isinstance(value, int):
        return f'<td class="n">{value:,}</td>'
    return f"<td>{escape(str(value))}</td>"


def _pct(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.1%}"


def _volume_chart(days: Sequence[dict[str, Any]]) -> str:
    if not days:
        return '<p class="chart-empty">No data.</p>'
    most = max(d["messages"] for d in days) or 1
    step = (_WIDTH - 2 * _PAD) / len(days)
    bars = []
    for index, day in enumerate(days):
        height = (_HEIGHT - 2 * _PAD) * day["messages"] / most
        x = _PAD + index * step
        y = _HEIGHT - _PAD - height
        failing = (_HEIGHT - 2 * _PAD) * (day["messages"] - day["passing"]) / most
        bars.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(step * 0.8, 1):.1f}" height="{height:.1f}" fill="#4c78a8">'
            f"<title>{escape(day['date'])}: {day['messages']:,} messages</title></rect>"
            f'<rect x="{x:.1f}" y="{_HEIGHT - _PAD - failing:.1f}" width="{max(step * 0.8, 1):.1f}" height="{failing:.1f}" fill="#e45756"/>'
        )
    return _svg("volume-chart", "Messages per day (red: failing DMARC)", days, f"{most:,}", "".join(bars))


def _rate_chart(days: Sequence[dict[str, Any]]) -> str:
    rated = [d for d in days if d["pass_share"] is not None]
    if not rated:
        return '<p class="chart-empty">No data.</p>'
    step = (_WIDTH - 2 * _PAD) / max(len(rated) - 1, 1)
    points = [(_PAD + index * step, _HEIGHT - _PAD - (_HEIGHT - 2 * _PAD) * d["pass_share"]) for index, d in enumerate(rated)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = "".join(
        f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#17702a"><title>{escape(d["date"])}: {_pct(d["pass_share"])}</title></circle>'
        for (x, y), d in zip(points, rated, strict=False)
    )
    body = f'<polyline points="{line}" fill="none" stroke="#17702a" stroke-width="2"/>{dots}'
    return _svg("rate-chart", "Share passing DMARC per day", rated, "100%", body)


def _svg(svg_id: str, title: str, days: Sequence[dict[str, Any]], top: str, body: str) -> str:
    axis = (
        f'<line x1="{_PAD}" y1="{_HEIGHT - _PAD}" x2="{_WIDTH - _PAD}" y2="{_HEIGHT - _PAD}" stroke="#888"/>'
        f'<line x1="{_PAD}" y1="{_PAD}" x2="{_PAD}" y2="{_HEIGHT - _PAD}" stroke="#888"/>'
        f'<text x="{_PAD - 4}" y="{_PAD + 4}" font-size="11" text-anchor="end">{escape(top)}</text>'
        f'<text x="{_PAD}" y="{_HEIGHT - _PAD + 16}" font-size="11">{escape(days[0]["date"])}</text>'
        f'<text x="{_WIDTH - _PAD}" y="{_HEIGHT - _PAD + 16}" font-size="11" text-anchor="end">{escape(days[-1]["date"])}</text>'
    )
    return (
        f'<svg id="{svg_id}" role="img" aria-label="{escape(title)}" width="{_WIDTH}" height="{_HEIGHT}" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}"><title>{escape(title)}</title>{axis}{body}</svg>'
    )
