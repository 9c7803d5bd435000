"""mailcheck.api: the CLI's reports, from Python, with the CLI's options and errors."""

from __future__ import annotations

import json

import pytest

from mailcheck.api import Network, check_domain, check_domains, probe_address
from mailcheck.errors import BadInput
from mailcheck.render.jsonl import render_line
from tests.helpers import ZONES, offline, run_cli

NETWORK = Network(zones=(str(ZONES),), offline=True, timeout=2)


def _without_dns(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "dns"}


def test_check_domain_is_the_cli_report():
    report = check_domain("good.example", network=NETWORK, smtp=False, dkim_selectors=("google",))
    cli = json.loads(run_cli("domain", *offline("good.example", "--no-smtp", "-s", "google", "--format", "json")).stdout)
    assert report.status.value == "pass"
    assert _without_dns(json.loads(render_line(report))) == _without_dns(cli)


def test_check_domains_keeps_the_input_order():
    reports = check_domains(["mx-null.example", "good.example"], network=NETWORK, smtp=False, dkim_selectors=("google",))
    assert [(r.target, r.status.value) for r in reports] == [("mx-null.example", "fail"), ("good.example", "pass")]


def test_probe_address_reports_the_verdict():
    report = probe_address("someone@mx-null.example", network=NETWORK)
    assert report.target == "someone@mx-null.example" and report.status.value == "fail"
    assert "acceptance.verdict" in [check.id for check in report.checks]


def test_bad_options_raise_the_clis_message():
    with pytest.raises(BadInput, match="--dkim-selector 'bad selector!' is not a valid selector"):
        check_domain("good.example", network=NETWORK, dkim_selectors=("bad selector!",))
    with pytest.raises(BadInput, match="timeout must be a positive number of seconds, not 0"):
        check_domain("good.example", network=Network(timeout=0))


def test_check_domains_keeps_as_many_domains_in_flight_as_from_file():
    import inspect

    from mailcheck.run import BULK_CONCURRENCY

    assert inspect.signature(check_domains).parameters["concurrency"].default == BULK_CONCURRENCY == 100
