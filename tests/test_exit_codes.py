"""Exit codes say what the user asked: the rule in model.exit_code, and end to end.

A check that could not be made about a side fact (the PTR of one MX address, one
blocklist among several that answered) is listed first in the text report and takes
no verdict away: it weighs as a warning. ``probe`` answers one question, so its exit
code follows ``acceptance.verdict`` alone. ``--fail-on`` stays a strict gate over
every check.
"""

from __future__ import annotations

import pytest

from mailcheck.cli.options import FailOn
from mailcheck.cli.output import exit_code_for
from mailcheck.model import Check, ExitCode, Obstacle, Report, Status, exit_code
from tests.helpers import ZONES, checks_by_id, mentions, one_check, run_cli


def report(*checks: Check, verdict_check: str | None = None) -> Report:
    return Report("domain", "a.test", (Obstacle("routing", "Routing", checks),), verdict_check=verdict_check)


PASSED = Check("mx.records", Status.PASS, "a.test", "1 MX host")
PTR_UNMADE = Check("mx.ptr", Status.ERROR, "127.0.6.11", "could not look up the PTR of 127.0.6.11: REFUSED", side_fact=True)
LOOKUP_UNMADE = Check("mx.lookup", Status.ERROR, "a.test", "could not look up a.test MX: timed out")


def test_an_unmade_side_fact_weighs_as_a_warning_and_exits_0() -> None:
    only_side = report(PASSED, PTR_UNMADE)
    assert only_side.status is Status.WARN
    assert only_side.unmade == (PTR_UNMADE,)
    assert exit_code([only_side]) is ExitCode.OK
    assert PTR_UNMADE.to_dict()["side_fact"] is True and "side_fact" not in PASSED.to_dict()


def test_an_error_on_the_question_itself_is_still_no_verdict() -> None:
    assert exit_code([report(PASSED, LOOKUP_UNMADE)]) is ExitCode.NO_VERDICT
    assert exit_code([report(PASSED, PTR_UNMADE, LOOKUP_UNMADE)]) is ExitCode.NO_VERDICT
    assert report(PASSED, PTR_UNMADE, LOOKUP_UNMADE).unmade == (PTR_UNMADE,)


def test_a_side_fact_that_fails_still_fails() -> None:
    failed = Check("mx.ptr", Status.FAIL, "127.0.6.11", "no PTR", side_fact=True)
    assert exit_code([report(PASSED, failed)]) is ExitCode.FAILED
    assert report(failed).unmade == ()


@pytest.mark.parametrize(
    ("verdict", "code"),
    [
        (Status.PASS, ExitCode.OK),  # deliverable
        (Status.WARN, ExitCode.OK),  # risky (catch-all, a provider that accepts anything) or deferred
        (Status.FAIL, ExitCode.FAILED),  # undeliverable
        (Status.ERROR, ExitCode.NO_VERDICT),  # unknown
    ],
)
def test_the_verdict_check_alone_decides_a_probe(verdict: Status, code: ExitCode) -> None:
    other = Check("mx.cname", Status.FAIL, "mx.a.test", "the MX is a CNAME")
    answer = Check("acceptance.verdict", verdict, "u@a.test", "verdict")
    assert exit_code([report(other, LOOKUP_UNMADE, answer, verdict_check="acceptance.verdict")]) is code


def test_several_reports_the_worst_outcome_wins() -> None:
    assert exit_code([report(PASSED), report(LOOKUP_UNMADE)]) is ExitCode.NO_VERDICT
    assert exit_code([report(LOOKUP_UNMADE), report(Check("mx.host", Status.FAIL, "h", "x"))]) is ExitCode.FAILED


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [(FailOn.warn, ExitCode.FAILED), (FailOn.error, ExitCode.FAILED), (FailOn.fail, ExitCode.OK), (None, ExitCode.OK)],
)
def test_fail_on_is_a_strict_gate_over_every_check_side_facts_included(fail_on: FailOn | None, code: ExitCode) -> None:
    assert exit_code_for([report(PASSED, PTR_UNMADE)], fail_on) is code


# -- end to end: the PTR of the MX address is refused by the resolver ------------------


def domain(zone_server, *args: str):
    # Through the zone server as the run's only nameserver: it refuses the PTR query of
    # 127.0.6.11, whose reverse zone no fixture serves, as a real resolver may.
    return run_cli("domain", "mail.local", "--nameserver", f"127.0.0.1:{zone_server.port}", "--no-smtp", "--timeout", "2", *args)


def test_domain_report_with_only_side_fact_errors_exits_0_and_lists_them_first(zone_server) -> None:
    text = domain(zone_server, "--no-color")
    assert text.exit_code == 0, text.stdout + text.stderr
    lines = text.stdout.splitlines()
    assert lines[:2] == ["mail.local  ! WARN", "  1 check could not be made:"]
    # The resolver's words may name the query too ("refused the query for NAME PTR").
    refused = f"could not look up the PTR of 127.0.6.11: 127.0.0.1:{zone_server.port} refused the query"
    assert lines[2].startswith(f"    ? mx.ptr [127.0.6.11]: {refused}") and lines[2].endswith("(REFUSED)")
    assert lines[3] == "  DNS  ✓ PASS"
    # The side fact told above is counted in its obstacle, not told twice.
    assert "  Authentication  ✓ PASS" in lines and "  Routing  ! WARN  (1 above)" in lines
    data = domain(zone_server, "--format", "json")
    assert data.exit_code == 0
    document = data.json()  # validated against docs/report.schema.json
    assert document["status"] == "warn"
    ptr = one_check(document, "mx.ptr")
    assert (ptr["status"], ptr["side_fact"], ptr["subject"]) == ("error", True, "127.0.6.11")
    assert ptr["summary"].startswith(refused) and ptr["summary"].endswith("(REFUSED)")
    assert [c["id"] for o in document["obstacles"] for c in o["checks"] if c.get("side_fact")] == ["mx.ptr"]
    assert all(c["status"] in ("pass", "info", "skip") for o in document["obstacles"] for c in o["checks"] if c["id"] != "mx.ptr")


def test_domain_report_side_fact_error_fails_under_fail_on_error(zone_server) -> None:
    assert domain(zone_server, "-q", "--fail-on", "error").exit_code == 1
    assert domain(zone_server, "-q", "--fail-on", "fail").exit_code == 0


def test_one_blocklist_that_refused_among_several_that_answered_exits_0() -> None:
    args = ("blocklist", "192.0.2.254", "--zone", str(ZONES), "--offline", "--timeout", "2")
    both = run_cli(*args, "--format", "json")
    assert both.exit_code == 0
    document = both.json()
    refused = one_check(document, "blocklist.listing", "192.0.2.254 @ zen.spamhaus.org")
    assert (refused["status"], refused["side_fact"]) == ("error", True)
    assert one_check(document, "blocklist.listing", "192.0.2.254 @ bl.spamcop.net")["status"] == "pass"
    assert document["status"] == "warn"
    text = run_cli(*args, "--no-color")
    assert text.stdout.splitlines()[1] == "  1 check could not be made:"
    # Asked of that list alone, the refusal is the whole answer: no verdict.
    alone = run_cli(*args, "--only", "zen", "--format", "json")
    assert alone.exit_code == 3
    assert [c.get("side_fact") for c in checks_by_id(alone.json(), "blocklist.listing")] == [None]


def test_a_tls_report_destination_that_could_not_be_resolved_is_a_side_fact(resolver_factory) -> None:
    from tests.helpers.transport import transport_report

    result = transport_report(resolver_factory, "tlsrpt-lost.test", smtp=False, https_port=9)
    rua = one_check(result, "tlsrpt.rua", "mailto:tls-reports@reports.tlsrpt-lost.invalid")
    assert (rua["status"], rua["side_fact"]) == ("error", True)
    assert mentions(
        rua["summary"], "reports.tlsrpt-lost.invalid", "mailto:tls-reports@reports.tlsrpt-lost.invalid", "DNS did not answer"
    )
    assert one_check(result, "tlsrpt.record")["status"] == "pass"
    transport = next(o for o in result["obstacles"] if o["id"] == "transport")
    assert transport["status"] == "warn"
