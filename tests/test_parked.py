"""Parked domains: a domain that says it sends no mail is not asked for DKIM keys,
report addresses, TLS-RPT, MTA-STS or BIMI; --parked judges one that says so only in part."""

from __future__ import annotations

from tests.helpers import checks_by_id, mentions, offline, one_check, run_cli


def _report(domain: str, *args: str) -> tuple[int, dict]:
    result = run_cli("domain", domain, *offline("--no-smtp", "--format", "json", *args))
    return result.exit_code, result.json()


def test_a_domain_that_says_it_is_parked_is_judged_so_and_asked_for_nothing_more() -> None:
    code, report = _report("parked.example")
    assert code == 0 and report["status"] == "pass"
    parked = one_check(report, "dns.parked")
    assert parked["status"] == "info"
    assert parked["summary"].startswith("judged as parked (it says so: null MX, v=spf1 -all, DMARC p=reject)")
    assert parked["details"] == {"parked": True, "forced": False, "missing": []}
    for check_id in ("dkim.selectors", "dmarc.rua", "tlsrpt.record", "mta-sts.record", "bimi.record"):
        check = one_check(report, check_id)
        assert check["status"] == "skip", check
        assert mentions(check["summary"], "not asked", "parked.example", "judged as parked")
        assert "fix" not in check or check["fix"] is None
    null_mx = one_check(report, "mx.null")
    assert (null_mx["status"], null_mx["summary"]) == (
        "info",
        "parked.example publishes a null MX (0 .): it receives no mail, as a parked domain should",
    )
    # What the domain does publish is still judged.
    assert one_check(report, "dmarc.policy")["status"] == "pass"
    assert mentions(one_check(report, "spf.record")["summary"], "v=spf1 -all")


def test_two_of_the_three_records_are_not_a_parked_domain() -> None:
    code, report = _report("parked.test")
    assert code == 1
    assert checks_by_id(report, "dns.parked") == []
    assert one_check(report, "dkim.selectors")["status"] == "warn"
    assert one_check(report, "mx.null")["status"] == "warn"


def test_parked_forces_the_judgement_and_names_the_missing_record() -> None:
    code, report = _report("parked.test", "--parked")
    assert code == 1
    parked = one_check(report, "dns.parked")
    assert parked["status"] == "warn"
    assert parked["details"] == {"parked": True, "forced": True, "missing": ["no DMARC policy p=reject"]}
    assert parked["fix"] == (
        'Publish _dmarc.parked.test. TXT "v=DMARC1; p=reject;", so that receivers refuse mail forged in its name.'
    )
    assert mentions(one_check(report, "dkim.selectors")["summary"], "not asked", "parked.test", "--parked")
    # No DMARC record still fails, with the advice for a parked domain rather than p=none and reports.
    record = one_check(report, "dmarc.record")
    assert record["status"] == "fail"
    assert record["fix"] == 'Publish _dmarc.parked.test. TXT "v=DMARC1; p=reject;": a parked domain needs no reports.'


def test_parked_on_a_sending_domain_lists_the_records_it_lacks() -> None:
    code, report = _report("good.example", "--parked")
    parked = one_check(report, "dns.parked")
    assert parked["status"] == "warn" and code == 0
    # good.example already publishes p=reject; its MX and its SPF are a sender's.
    assert parked["details"]["missing"] == ["no null MX (MX 0 .)", 'no SPF record "v=spf1 -all"']
    # The DKIM key good.example publishes is still judged; the selector probe is not asked.
    assert one_check(report, "dkim.key", "google")["status"] == "pass"
    assert one_check(report, "dkim.selectors")["status"] == "skip"


def test_the_text_report_says_it_judged_the_domain_as_parked() -> None:
    result = run_cli("domain", "parked.example", *offline("--no-smtp", "--no-color"))
    assert result.exit_code == 0
    assert "    i dns.parked  judged as parked (it says so: null MX, v=spf1 -all, DMARC p=reject)" in result.stdout
    assert "Problems" not in result.stdout
