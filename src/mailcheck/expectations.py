"""Hold reports to the team's expectations (mailcheck.toml): each expectation becomes an
``expect.<check id>`` check that passes or fails, and accepted warnings become info.

Expectations are generic on purpose: they read a check's status and the values in its
``details``, so any check, including ones added later, can be pinned without code.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.config import DomainConfig, Expectation, FieldRule
from mailcheck.model import Check, Obstacle, Report, Status

EXPECT = CheckSpec(
    id="expect.*",
    title="A config expectation",
    verifies=(
        "`mailcheck check` turns each expectation in mailcheck.toml into a check named after the "
        "check it is about (expect.dmarc.policy, expect.spf.lookups): pass when the report "
        "meets it, fail when it does not or when the report has no such check."
    ),
    why=(
        "A team's own rules (policy must be reject, at most 8 SPF lookups) are what CI should "
        "hold a change to, beyond mailcheck's general advice."
    ),
    example=Example(
        bad='[domains."shop.example".expect]\n"dmarc.policy" = { policy = "reject" }   # zone has p=none',
        good='_dmarc.shop.example. TXT "v=DMARC1; p=reject; rua=mailto:dmarc@shop.example"',
        why="Change the zone to meet the expectation, or the expectation if the rule changed.",
    ),
    refs=("docs/ci.md",),
)

OBSTACLE = ("expectations", "Expectations")


def accept_warnings(report: Report, accepted: Sequence[tuple[str, str]]) -> Report:
    """Downgrade the warnings the team has accepted to info, saying why."""
    reasons = dict(accepted)
    if not reasons:
        return report
    obstacles = tuple(Obstacle(o.id, o.title, tuple(_accept(c, reasons) for c in o.checks)) for o in report.obstacles)
    return _with_obstacles(report, obstacles)


def _accept(check: Check, reasons: dict[str, str]) -> Check:
    reason = reasons.get(check.id)
    if reason is None or check.status is not Status.WARN:
        return check
    return dataclasses.replace(
        check,
        status=Status.INFO,
        summary=f"{check.summary} (warning accepted: {reason})",
        details={**check.details, "accepted": reason, "original_status": Status.WARN.value},
        side_fact=False,
    )


def expectation_checks(domain: DomainConfig, checks: Sequence[Check], target: str, where: str) -> list[Check]:
    """One ``expect.<id>`` check per expectation, judged on ``checks`` (the domain's
    report and its probes, before accepted warnings are downgraded)."""
    return [_judge(expectation, checks, target, where) for expectation in domain.expect]


def with_expectations(report: Report, expect_checks: Sequence[Check]) -> Report:
    if not expect_checks:
        return report
    return _with_obstacles(report, (*report.obstacles, Obstacle(*OBSTACLE, tuple(expect_checks))))


def _judge(expectation: Expectation, checks: Sequence[Check], target: str, where: str) -> Check:
    spec = EXPECT.member(expectation.check_id)
    wanted = expectation.describe()
    subject = expectation.subject or target
    location = f"{where}:{expectation.line}"
    found = [
        c for c in checks if c.id == expectation.check_id and (expectation.subject is None or c.subject == expectation.subject)
    ]
    details: dict[str, Any] = {"expected": wanted, "config": location, "config_line": expectation.line}
    if not found:
        about = f" on {expectation.subject}" if expectation.subject else ""
        return spec.fail(
            subject,
            f"expected {expectation.check_id}{about} ({wanted}), but the report has no such check",
            details=details,
            fix=f"Check the id at {location}; `mailcheck domain {target} --format json` lists the ids.",
            refs=(),
        )
    problems = [problem for c in found for problem in _problems(expectation, c, len(found) > 1)]
    if problems:
        details["problems"] = problems
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        return spec.fail(
            subject,
            f"{expectation.check_id}: expected {wanted}; {problems[0]}{more}",
            details=details,
            fix=f"Fix what {expectation.check_id} reports, or change the expectation at {location}.",
            refs=(),
        )
    seen = "; ".join(sorted({_seen(expectation, c) for c in found}))
    return spec.ok(subject, f"{expectation.check_id}: {seen}, as expected ({wanted})", details=details)


def _problems(expectation: Expectation, check: Check, name_subject: bool) -> list[str]:
    prefix = f"{check.subject}: " if name_subject else ""
    problems = []
    if expectation.statuses and check.status not in expectation.statuses:
        problems.append(f"{prefix}got status {check.status.value}: {check.summary}")
    for rule in expectation.fields:
        problem = _rule_problem(rule, check.details)
        if problem:
            problems.append(prefix + problem)
    return problems


_MISSING = object()


def _field(details: Any, field: str) -> Any:
    """``details[field]``; a dotted field walks into nested tables (tree.lookups)."""
    value = details
    for part in field.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _rule_problem(rule: FieldRule, details: Any) -> str | None:
    actual = _field(dict(details), rule.field)
    if actual is _MISSING:
        fields = ", ".join(sorted(details)) or "none"
        return f"the check has no details field {rule.field!r} (fields: {fields})"
    op, value = rule.op, rule.value
    if op in ("max", "min"):
        if isinstance(actual, bool) or not isinstance(actual, (int, float)):
            return f"{rule.field} is {actual!r}, not a number"
        ok = actual <= value if op == "max" else actual >= value
    elif op == "equals":
        ok = actual == value
    elif op == "not":
        ok = actual != value
    elif op == "in":
        ok = actual in value
    elif op == "contains":
        ok = isinstance(actual, (str, list, tuple)) and value in actual
    else:  # matches
        ok = re.search(value, str(actual)) is not None
    return None if ok else f"got {rule.field} = {actual!r}"


def _seen(expectation: Expectation, check: Check) -> str:
    parts = [f"status {check.status.value}"] if expectation.statuses else []
    parts.extend(f"{rule.field} = {_field(dict(check.details), rule.field)!r}" for rule in expectation.fields)
    return ", ".join(dict.fromkeys(parts))


def _with_obstacles(report: Report, obstacles: tuple[Obstacle, ...]) -> Report:
    return Report(report.command, report.target, obstacles, report.dns, report.display_target, report.extra)
