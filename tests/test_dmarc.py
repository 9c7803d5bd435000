"""DMARC: where the record is found, its syntax, policy, pct, alignment and report
destinations, at the check level and through the CLI, with the values the user sees."""

from __future__ import annotations

import asyncio

import pytest

from mailcheck.checks.context import DomainContext, DomainOptions
from mailcheck.checks.dmarc import check_dmarc
from mailcheck.dns.library import LibraryResolver
from mailcheck.model import Check, Status
from mailcheck.names import DomainName
from mailcheck.records.dmarc import NoPolicyError, RecordError, read_record
from tests.helpers import checks_by_id, mentions, offline, one_check, run_cli


def dmarc_run(resolver_factory, domain: str) -> tuple[list[Check], list[str]]:
    """The checks, and the names the run's resolver was asked (in order)."""

    async def run() -> tuple[list[Check], list[str]]:
        resolver = resolver_factory(2.0)
        library = LibraryResolver(resolver, asyncio.get_running_loop())
        context = DomainContext(DomainName(domain, domain), resolver, library, DomainOptions(), 2.0)
        checks = await check_dmarc(context)
        return checks, [f"{q.name} {q.rdtype}" for q in resolver.log]

    return asyncio.run(run())


def dmarc_checks(resolver_factory, domain: str) -> list[Check]:
    return dmarc_run(resolver_factory, domain)[0]


def only(checks: list[Check], check_id: str, subject: str | None = None) -> Check:
    found = [c for c in checks if c.id == check_id and (subject is None or c.subject == subject)]
    assert len(found) == 1, checks
    return found[0]


def outcome(check: Check) -> tuple[Status, str]:
    return check.status, check.summary


# -- a healthy record ------------------------------------------------------------------


def test_good_record_passes_with_its_values(resolver_factory):
    checks = dmarc_checks(resolver_factory, "good.example")
    assert [c.id for c in checks] == [
        "dmarc.record",
        "dmarc.syntax",
        "dmarc.discovery",
        "dmarc.policy",
        "dmarc.np",
        "dmarc.alignment",
        "dmarc.rua",
    ]
    assert outcome(only(checks, "dmarc.record")) == (
        Status.PASS,
        "_dmarc.good.example: v=DMARC1; p=reject; rua=mailto:dmarc-reports@good.example; adkim=s; aspf=r",
    )
    assert outcome(only(checks, "dmarc.syntax")) == (Status.PASS, "the record at _dmarc.good.example is valid")
    assert outcome(only(checks, "dmarc.policy")) == (
        Status.PASS,
        "p=reject applies to good.example: p=reject, sp=reject, pct=100, adkim=s, aspf=r",
    )
    assert outcome(only(checks, "dmarc.alignment")) == (
        Status.INFO,
        "adkim=s (strict), aspf=r (relaxed); organizational domain good.example for both generations",
    )
    assert outcome(only(checks, "dmarc.discovery")) == (
        Status.INFO,
        "RFC 9989 and RFC 7489 receivers both apply p=reject from _dmarc.good.example "
        "(tree walk: _dmarc.good.example, _dmarc.example)",
    )
    assert outcome(only(checks, "dmarc.np")) == (
        Status.PASS,
        "non-existent subdomains of good.example get no np=, so p=reject applies (RFC 9989); "
        "RFC 7489 receivers ignore np= and apply sp=reject",
    )
    rua = only(checks, "dmarc.rua", "dmarc-reports@good.example")
    assert outcome(rua) == (Status.PASS, "aggregate reports go to dmarc-reports@good.example")


def test_reports_to_the_own_organization_need_no_authorization_only_a_mail_route(resolver_factory):
    _, asked = dmarc_run(resolver_factory, "good.example")
    assert "_dmarc.good.example TXT" in asked
    assert not [name for name in asked if "._report._dmarc." in name]
    assert "good.example MX" in asked


# -- where the record is found -------------------------------------------------------


def test_no_record_anywhere_fails(resolver_factory):
    checks = dmarc_checks(resolver_factory, "dmarc-none.example")
    assert len(checks) == 1
    check = checks[0]
    assert (check.id, *outcome(check)) == ("dmarc.record", Status.FAIL, "no DMARC record at _dmarc.dmarc-none.example")
    assert check.fix and "v=DMARC1; p=none" in check.fix
    assert check.refs == ("RFC 7489 §6.1", "RFC 7489 §6.6.3")


def test_a_subdomain_with_no_record_at_either_level_names_both(resolver_factory):
    checks, asked = dmarc_run(resolver_factory, "mail.dmarc-none.example")
    assert outcome(only(checks, "dmarc.record")) == (
        Status.FAIL,
        "no DMARC record at _dmarc.mail.dmarc-none.example nor at _dmarc.dmarc-none.example",
    )
    # RFC 7489 asks the name and its PSL organizational domain; the RFC 9989 walk goes on to the TLD.
    assert sorted(asked) == ["_dmarc.dmarc-none.example TXT", "_dmarc.example TXT", "_dmarc.mail.dmarc-none.example TXT"]


def test_a_record_with_a_typo_is_no_record_and_is_shown(resolver_factory):
    check = only(dmarc_checks(resolver_factory, "typo.dmarc-none.example"), "dmarc.record")
    assert outcome(check) == (
        Status.FAIL,
        "no DMARC record at _dmarc.typo.dmarc-none.example nor at _dmarc.dmarc-none.example; "
        "_dmarc.typo.dmarc-none.example holds 'v=DMARC1 p=reject', which does not start with 'v=DMARC1;'",
    )
    assert check.details["ignored"] == ["v=DMARC1 p=reject"]


def test_a_subdomain_inherits_the_organizational_record_with_its_sp(resolver_factory):
    checks = dmarc_checks(resolver_factory, "sub.dmarc-inherit.example")
    record = only(checks, "dmarc.record")
    assert outcome(record) == (
        Status.INFO,
        "no record at _dmarc.sub.dmarc-inherit.example; the organizational domain's record at "
        "_dmarc.dmarc-inherit.example applies with sp=quarantine: "
        "v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@dmarc-inherit.example",
    )
    assert record.details["inherited"] is True
    policy = only(checks, "dmarc.policy")
    assert outcome(policy) == (
        Status.PASS,
        "sp=quarantine applies to sub.dmarc-inherit.example (from _dmarc.dmarc-inherit.example): "
        "p=reject, sp=quarantine, pct=100, adkim=r, aspf=r",
    )
    assert policy.details["effective"] == "quarantine"
    assert only(checks, "dmarc.syntax").subject == "dmarc-inherit.example"


def test_the_organizational_domain_itself_uses_p(resolver_factory):
    policy = only(dmarc_checks(resolver_factory, "dmarc-inherit.example"), "dmarc.policy")
    assert outcome(policy) == (
        Status.PASS,
        "p=reject applies to dmarc-inherit.example: p=reject, sp=quarantine, pct=100, adkim=r, aspf=r",
    )


def test_several_records_fail(resolver_factory):
    checks = dmarc_checks(resolver_factory, "dmarc-multiple.example")
    assert len(checks) == 1
    assert outcome(checks[0]) == (
        Status.FAIL,
        "2 DMARC records at _dmarc.dmarc-multiple.example; receivers ignore them all",
    )
    assert sorted(checks[0].details["records"]) == [
        "v=DMARC1; p=none",
        "v=DMARC1; p=reject; rua=mailto:dmarc@dmarc-multiple.example",
    ]


def test_unanswered_lookup_is_an_error(resolver_factory):
    checks = dmarc_checks(resolver_factory, "elsewhere.test")
    assert [(c.id, *outcome(c)) for c in checks] == [
        (
            "dmarc.record",
            Status.ERROR,
            "could not look up _dmarc.elsewhere.test TXT: outside the loaded zones and --offline is set",
        )
    ]


# -- the record's contents -------------------------------------------------------------


def test_bad_report_uri_fails_syntax():
    # The grammar and URI errors still fail as before; only p= has the fallback below.
    with pytest.raises(RecordError) as caught:
        read_record("v=DMARC1; p=reject; rua=mailto:a@b.example,dmarc@b.example", "b.example")
    assert not isinstance(caught.value, NoPolicyError)


@pytest.mark.parametrize(
    ("domain", "reason"),
    [
        ("dmarc-nopolicy.example", "no p= tag and no rua="),
        ("badp.dmarc-nopolicy.example", "invalid p=block and no rua="),
        ("badrua.dmarc-nopolicy.example", "no p= tag and no valid rua= URI"),
    ],
)
def test_no_valid_p_and_no_valid_rua_fails_syntax(resolver_factory, domain, reason):
    # RFC 7489 §6.6.3 step 6: receivers ignore such a record altogether.
    checks = dmarc_checks(resolver_factory, domain)
    assert [c.id for c in checks] == ["dmarc.record", "dmarc.syntax"]
    syntax = only(checks, "dmarc.syntax")
    assert outcome(syntax) == (
        Status.FAIL,
        f"the record at _dmarc.{domain} has {reason}: receivers following RFC 7489 ignore the record, "
        "and under RFC 9989 it only monitors, with no reports",
    )
    assert syntax.refs == ("RFC 7489 §6.3", "RFC 7489 §6.6.3", "RFC 9989 §4.10.1")
    assert syntax.fix and "p=none" in syntax.fix and f"rua=mailto:dmarc-reports@{domain}" in syntax.fix


@pytest.mark.parametrize(
    ("domain", "problem", "record"),
    [
        ("dmarc-ruaonly.example", "no p= tag", "v=DMARC1; rua=mailto:dmarc@dmarc-ruaonly.example"),
        ("dmarc-syntax.example", "invalid p=block", "v=DMARC1; p=block; rua=mailto:dmarc@dmarc-syntax.example"),
    ],
)
def test_no_valid_p_with_a_valid_rua_warns_and_monitors(resolver_factory, domain, problem, record):
    checks = dmarc_checks(resolver_factory, domain)
    assert outcome(only(checks, "dmarc.record")) == (Status.PASS, f"_dmarc.{domain}: {record}")
    syntax = only(checks, "dmarc.syntax")
    assert outcome(syntax) == (
        Status.WARN,
        f"the record at _dmarc.{domain} has {problem}: receivers act as if p=none, since its rua= is valid",
    )
    assert syntax.details["p_problem"] == problem
    policy = only(checks, "dmarc.policy")
    assert outcome(policy) == (
        Status.WARN,
        f"p=none applies to {domain}: receivers only monitor, mail failing DMARC is delivered "
        "(p=none, sp=none, pct=100, adkim=r, aspf=r)",
    )
    assert policy.details["effective"] == "none"
    assert outcome(only(checks, "dmarc.rua", f"dmarc@{domain}")) == (
        Status.PASS,
        f"aggregate reports go to dmarc@{domain}",
    )


def test_p_none_warns(resolver_factory):
    policy = only(dmarc_checks(resolver_factory, "dmarc-monitor.example"), "dmarc.policy")
    assert outcome(policy) == (
        Status.WARN,
        "p=none applies to dmarc-monitor.example: receivers only monitor, mail failing DMARC is delivered "
        "(p=none, sp=none, pct=100, adkim=r, aspf=r)",
    )
    assert policy.fix and "p=quarantine" in policy.fix


def test_pct_under_100_warns(resolver_factory):
    checks = dmarc_checks(resolver_factory, "dmarc-pct.example")
    assert outcome(only(checks, "dmarc.pct")) == (
        Status.WARN,
        "pct=50: RFC 7489 receivers apply the policy to 50% of failing mail and only monitor the rest; "
        "RFC 9989 receivers ignore pct= and apply p=quarantine to all of it",
    )
    assert outcome(only(checks, "dmarc.policy")) == (
        Status.PASS,
        "p=quarantine applies to dmarc-pct.example: p=quarantine, sp=quarantine, pct=50, adkim=r, aspf=r",
    )


def test_pct_under_p_none_is_info(resolver_factory):
    checks = dmarc_checks(resolver_factory, "dmarc-pctnone.example")
    pct = only(checks, "dmarc.pct")
    assert outcome(pct) == (
        Status.INFO,
        (
            "pct=25 has no effect under p=none; once the policy enforces, RFC 7489 receivers will apply it "
            "to only 25% of failing mail (RFC 9989 receivers ignore pct=)"
        ),
    )
    assert pct.fix is None and pct.details["pct"] == 25
    assert outcome(only(checks, "dmarc.policy")) == (
        Status.WARN,
        "p=none applies to dmarc-pctnone.example: receivers only monitor, mail failing DMARC is delivered "
        "(p=none, sp=none, pct=25, adkim=r, aspf=r)",
    )


def test_no_rua_warns(resolver_factory):
    checks = dmarc_checks(resolver_factory, "dmarc-norua.example")
    assert outcome(only(checks, "dmarc.rua")) == (
        Status.WARN,
        "no rua= in _dmarc.dmarc-norua.example: nobody receives aggregate reports for dmarc-norua.example",
    )
    assert not [c for c in checks if c.id == "dmarc.pct"]


def test_external_destinations_need_authorization(resolver_factory):
    checks, asked = dmarc_run(resolver_factory, "dmarc-external.example")
    assert outcome(only(checks, "dmarc.rua", "agg@dmarc-reports.example")) == (
        Status.PASS,
        "aggregate reports go to agg@dmarc-reports.example, authorized by "
        "dmarc-external.example._report._dmarc.dmarc-reports.example",
    )
    missing = "dmarc-external.example._report._dmarc.noauth.dmarc-reports.example"
    rua = only(checks, "dmarc.rua", "agg@noauth.dmarc-reports.example")
    assert outcome(rua) == (
        Status.WARN,
        "noauth.dmarc-reports.example has not authorized aggregate reports for dmarc-external.example: "
        f"{missing} does not exist; receivers will not send them",
    )
    assert rua.details["authorization"] == missing
    ruf = only(checks, "dmarc.ruf", "forensic@noauth.dmarc-reports.example")
    assert outcome(ruf) == (
        Status.WARN,
        "noauth.dmarc-reports.example has not authorized failure reports for dmarc-external.example: "
        f"{missing} does not exist; receivers will not send them",
    )
    # One authorization query per destination and its mail route, asked by us;
    # checkdmarc resolved nothing.
    assert sorted(asked) == sorted(
        [
            "_dmarc.dmarc-external.example TXT",
            "_dmarc.example TXT",
            "dmarc-external.example._report._dmarc.dmarc-reports.example TXT",
            f"{missing} TXT",
            "dmarc-reports.example MX",
            "noauth.dmarc-reports.example MX",
            "mx.dmarc-reports.example A",
            "mx.dmarc-reports.example AAAA",
        ]
    )


def test_checkdmarc_is_never_asked_to_resolve(resolver_factory, monkeypatch):
    import checkdmarc.dmarc

    def no_dns(*args, **kwargs):
        raise AssertionError(f"checkdmarc resolved {args}")

    monkeypatch.setattr(checkdmarc.dmarc, "query_dns", no_dns)
    monkeypatch.setattr(checkdmarc.dmarc, "get_mx_records", no_dns)
    checks = dmarc_checks(resolver_factory, "dmarc-external.example")
    assert only(checks, "dmarc.syntax").status is Status.PASS


def test_read_record_flags_what_receivers_discard():
    policy, uris = read_record("v=DMARC1; p=reject; adkim=x; foo=bar; rua=mailto:a@b.example", "b.example")
    assert policy.notes == ("adkim=x is invalid; receivers use the default adkim=r",)
    assert policy.unknown == ("foo",)
    assert (policy.p, policy.adkim, policy.pct) == ("reject", "r", 100)
    assert [(u.tag, u.scheme, u.address, u.domain) for u in uris] == [("rua", "mailto", "a@b.example", "b.example")]


@pytest.mark.parametrize("text", ["abc", "150", "-5", "50.5"])
def test_read_record_keeps_pct_that_checkdmarc_drops_and_discards_an_invalid_one(text):
    policy, _ = read_record(f"v=DMARC1; p=quarantine; pct={text}", "b.example")
    assert (policy.pct, policy.pct_text) == (100, text)
    assert policy.notes == (f"pct={text} is invalid, not a whole number from 0 to 100; receivers use the default pct=100",)
    policy, _ = read_record("v=DMARC1; p=quarantine; pct=0", "b.example")
    assert (policy.pct, policy.notes) == (0, ())


def test_pct_out_of_range_is_a_syntax_warning_with_the_value(resolver_factory):
    checks = dmarc_checks(resolver_factory, "dmarc-pctrange.example")
    syntax = only(checks, "dmarc.syntax")
    assert outcome(syntax) == (
        Status.WARN,
        "the record at _dmarc.dmarc-pctrange.example has tags receivers discard: "
        "pct=150 is invalid, not a whole number from 0 to 100; receivers use the default pct=100",
    )
    assert syntax.refs == ("RFC 7489 §6.3", "RFC 9989 §4.7")
    # Receivers apply the policy to all mail, so there is no pct finding, and the policy says 100.
    assert not [c for c in checks if c.id == "dmarc.pct"]
    assert mentions(
        only(checks, "dmarc.policy").summary,
        "p=quarantine",
        "dmarc-pctrange.example",
        "p=quarantine",
        "sp=quarantine",
        "pct=100",
        "adkim=r",
        "aspf=r",
    )
    assert only(checks, "dmarc.rua").status is Status.PASS


# -- report destinations that cannot take mail ------------------------------------------


def test_a_destination_whose_mx_host_does_not_exist_gets_no_reports(resolver_factory):
    checks = dmarc_checks(resolver_factory, "dmarc-ruamx.example")
    own = only(checks, "dmarc.rua", "dmarc@dmarc-ruamx.example")
    assert outcome(own) == (
        Status.WARN,
        "aggregate reports to dmarc@dmarc-ruamx.example cannot be delivered: "
        "the only MX host of dmarc-ruamx.example, gone.dmarc-ruamx.example, does not exist",
    )
    assert own.details["undeliverable"] == "the only MX host of dmarc-ruamx.example, gone.dmarc-ruamx.example, does not exist"
    assert own.refs == ("RFC 7489 §7.1", "RFC 5321 §5.1")
    # Authorized by the receiver, but its MX is dangling all the same.
    external = only(checks, "dmarc.rua", "agg@dmarc-ruadest.example")
    assert outcome(external) == (
        Status.WARN,
        "aggregate reports to agg@dmarc-ruadest.example cannot be delivered: "
        "the only MX host of dmarc-ruadest.example, gone.dmarc-ruadest.example, does not exist",
    )
    assert external.details["authorization"] == "dmarc-ruamx.example._report._dmarc.dmarc-ruadest.example"
    assert outcome(only(checks, "dmarc.ruf")) == (
        Status.WARN,
        "failure reports to forensic@null.dmarc-ruadest.example cannot be delivered: "
        "null.dmarc-ruadest.example publishes a null MX (RFC 7505): it accepts no mail",
    )
    assert not [c for c in checks if c.summary.startswith(("aggregate reports go to", "failure reports go to"))]


def test_a_test_domain_with_an_mx_host_without_address_and_a_working_receiver(resolver_factory):
    checks = dmarc_checks(resolver_factory, "dmarc-ruamx.test")
    assert outcome(only(checks, "dmarc.rua", "dmarc@dmarc-ruamx.test")) == (
        Status.WARN,
        "aggregate reports to dmarc@dmarc-ruamx.test cannot be delivered: "
        "the only MX host of dmarc-ruamx.test, mx.dmarc-ruamx.test, has no address",
    )
    assert outcome(only(checks, "dmarc.rua", "agg@working.dmarc-ruadest.example")) == (
        Status.PASS,
        "aggregate reports go to agg@working.dmarc-ruadest.example, authorized by "
        "dmarc-ruamx.test._report._dmarc.working.dmarc-ruadest.example",
    )


def test_cli_dangling_report_destination_warns_in_json():
    result = run_cli("domain", "dmarc-ruamx.example", "--format", "json", *offline())
    report = result.json()
    check = one_check(report, "dmarc.rua", "dmarc@dmarc-ruamx.example")
    assert check["status"] == "warn"
    assert check["summary"].endswith("the only MX host of dmarc-ruamx.example, gone.dmarc-ruamx.example, does not exist")


def test_read_record_treats_an_invalid_p_with_a_valid_rua_as_none():
    policy, uris = read_record("v=DMARC1; p=Block; sp=reject; rua=mailto:a@b.example", "b.example")
    assert (policy.p, policy.sp, policy.sp_explicit, policy.p_problem) == ("none", "reject", True, "invalid p=Block")
    assert [u.address for u in uris] == ["a@b.example"]
    policy, _ = read_record("v=DMARC1; p=Reject; rua=mailto:a@b.example", "b.example")
    assert (policy.p, policy.p_problem) == ("reject", None)


def test_read_record_without_p_and_with_no_valid_rua_raises():
    with pytest.raises(NoPolicyError) as caught:
        read_record("v=DMARC1; rua=b.example, https", "b.example")
    assert str(caught.value) == (
        "no p= tag and no valid rua= URI: receivers following RFC 7489 ignore the record, "
        "and under RFC 9989 it only monitors, with no reports"
    )


def test_read_record_rejects_a_report_uri_without_scheme():
    with pytest.raises(RecordError) as caught:
        read_record("v=DMARC1; p=reject; rua=dmarc@b.example", "b.example")
    assert str(caught.value).startswith("dmarc@b.example is not a valid DMARC report URI")


# -- end to end ------------------------------------------------------------------------


def test_cli_json_no_record_exits_1():
    result = run_cli("domain", "dmarc-none.example", *offline("--format", "json"))
    assert result.exit_code == 1, result.stdout
    check = one_check(result.json(), "dmarc.record")
    assert (check["status"], check["summary"]) == ("fail", "no DMARC record at _dmarc.dmarc-none.example")
    assert check["refs"] == ["RFC 7489 §6.1", "RFC 7489 §6.6.3"]


def test_cli_text_monitoring_policy_warns_with_exit_0():
    result = run_cli("domain", "dmarc-monitor.example", *offline("--no-smtp", "--no-color"))
    assert result.exit_code == 0, result.stdout
    assert (
        "p=none applies to dmarc-monitor.example: receivers only monitor, mail failing DMARC is delivered "
        "(p=none, sp=none, pct=100, adkim=r, aspf=r)"
    ) in result.stdout


def test_cli_json_inherited_policy():
    result = run_cli("domain", "sub.dmarc-inherit.example", *offline("--no-smtp", "--format", "json"))
    assert result.exit_code == 0, result.stdout
    report = result.json()
    assert one_check(report, "dmarc.record")["status"] == "info"
    policy = one_check(report, "dmarc.policy")
    assert (policy["status"], policy["details"]["effective"]) == ("pass", "quarantine")


def test_cli_json_external_destinations():
    result = run_cli("domain", "dmarc-external.example", *offline("--format", "json"))
    report = result.json()
    statuses = {(c["subject"], c["status"]) for c in checks_by_id(report, "dmarc.rua")}
    assert statuses == {("agg@dmarc-reports.example", "pass"), ("agg@noauth.dmarc-reports.example", "warn")}
    assert one_check(report, "dmarc.ruf")["status"] == "warn"


def test_cli_text_record_without_p_or_rua_exits_1():
    result = run_cli("domain", "dmarc-nopolicy.example", *offline("--no-color"))
    assert result.exit_code == 1
    assert (
        "the record at _dmarc.dmarc-nopolicy.example has no p= tag and no rua=: receivers following RFC 7489 "
        "ignore the record, and under RFC 9989 it only monitors, with no reports"
    ) in result.stdout


def test_cli_json_invalid_p_with_rua_warns():
    result = run_cli("domain", "dmarc-syntax.example", *offline("--format", "json"))
    report = result.json()
    syntax = one_check(report, "dmarc.syntax")
    assert (syntax["status"], syntax["summary"]) == (
        "warn",
        "the record at _dmarc.dmarc-syntax.example has invalid p=block: receivers act as if p=none, since its rua= is valid",
    )
    policy = one_check(report, "dmarc.policy")
    assert (policy["status"], policy["details"]["effective"]) == ("warn", "none")


def test_cli_json_pct_under_p_none_is_info():
    result = run_cli("domain", "dmarc-pctnone.example", *offline("--format", "json"))
    pct = one_check(result.json(), "dmarc.pct")
    assert (pct["status"], pct["summary"]) == (
        "info",
        (
            "pct=25 has no effect under p=none; once the policy enforces, RFC 7489 receivers will apply it "
            "to only 25% of failing mail (RFC 9989 receivers ignore pct=)"
        ),
    )


def test_cli_good_example_dmarc_in_json():
    result = run_cli("domain", "good.example", *offline("--no-smtp", "--format", "json"))
    assert result.exit_code == 0, result.stdout
    alignment = one_check(result.json(), "dmarc.alignment")
    assert (alignment["status"], alignment["summary"]) == (
        "info",
        "adkim=s (strict), aspf=r (relaxed); organizational domain good.example for both generations",
    )
