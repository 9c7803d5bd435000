"""mailcheck.toml and ``mailcheck check``: expectations, accepted warnings, discovery,
and config errors that name the key and its line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from mailcheck.config import Expectation, FieldRule, load_config, locate
from mailcheck.expectations import accept_warnings, expectation_checks
from mailcheck.model import Check, Obstacle, Report, Status
from tests.helpers import ROOT, ZONES, checks_by_id, mentions, one_check, run_cli

FIXTURE_CONFIG = ROOT / "fixtures" / "mailcheck.toml"


def _config(tmp_path: Path, body: str, name: str = "mailcheck.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip("\n"))
    return path


def _zones_line(tmp_path: Path) -> str:
    return f'zones = ["{ZONES}"]\noffline = true\ntimeout = 2\nsmtp = false\n'


# -- the worked example: fixtures/mailcheck.toml ----------------------------------------


@pytest.fixture(scope="module")
def fixture_run():
    result = run_cli("check", "--config", str(FIXTURE_CONFIG), "--format", "json")
    return result, {r["target"]: r for r in result.json()["reports"]}


def test_fixture_config_runs_every_domain(fixture_run):
    result, reports = fixture_run
    assert list(reports) == ["good.example", "mx-ptr.example", "dmarc-none.example"]
    assert result.exit_code == 1  # dmarc-none.example breaks its expectation
    assert {t: r["status"] for t, r in reports.items()} == {
        "good.example": "pass",
        "mx-ptr.example": "warn",  # dkim.selectors: no common selector, not accepted
        "dmarc-none.example": "fail",
    }


def test_met_expectations_pass_with_the_values_seen(fixture_run):
    _, reports = fixture_run
    good = reports["good.example"]
    assert mentions(one_check(good, "expect.dmarc.policy")["summary"], "dmarc.policy", "'reject'", "'reject'")
    assert mentions(one_check(good, "expect.spf.lookups")["summary"], "spf.lookups", "= 2", "<= 8")
    dkim = one_check(good, "expect.dkim.key", "google")
    assert dkim["status"] == "pass" and "bits = 2048" in dkim["summary"]
    # The sending IP from the config was evaluated: SPF passes for it through `mx`.
    evaluation = one_check(good, "spf.evaluation", "127.0.0.10")
    assert evaluation["status"] == "pass"


def test_unmet_expectation_fails_and_points_at_the_config_line(fixture_run):
    _, reports = fixture_run
    check = one_check(reports["dmarc-none.example"], "expect.dmarc.record")
    assert check["status"] == "fail"
    assert mentions(check["summary"], "dmarc.record", "status pass", "status fail", "_dmarc.dmarc-none.example")
    line = FIXTURE_CONFIG.read_text().splitlines().index('expect = { "dmarc.record" = "pass" }') + 1
    assert check["details"]["config"].endswith(f"mailcheck.toml:{line}")


def test_accepted_warnings_become_info_with_the_reason(fixture_run):
    _, reports = fixture_run
    ptrs = checks_by_id(reports["mx-ptr.example"], "mx.ptr")
    assert [c["status"] for c in ptrs] == ["info", "info"]
    assert mentions(ptrs[0]["summary"], "127.0.0.30", "warning accepted", "OPS-1234")
    assert ptrs[0]["details"]["original_status"] == "warn"


def test_check_text_junit_and_sarif_from_the_config(tmp_path):
    junit = tmp_path / "report.xml"
    result = run_cli("check", "--config", str(FIXTURE_CONFIG), "--format", "junit", "--output", str(junit))
    assert result.exit_code == 1
    assert "✗ expect.dmarc.record  dmarc.record: expected status pass" in result.stdout
    assert "3 targets checked" in result.stdout
    assert 'name="expect.dmarc.record [dmarc-none.example]"' in junit.read_text()
    sarif = run_cli("check", "dmarc-none.example", "--config", str(FIXTURE_CONFIG), "--format", "sarif")
    [result_] = [r for r in json.loads(sarif.stdout)["runs"][0]["results"] if r["ruleId"] == "expect.dmarc.record"]
    physical = result_["locations"][0]["physicalLocation"]
    lines = FIXTURE_CONFIG.read_text().splitlines()
    assert physical["artifactLocation"]["uri"].endswith("fixtures/mailcheck.toml")
    # An expectation points at its own line; the domain's other findings at its table.
    assert physical["region"] == {"startLine": lines.index('expect = { "dmarc.record" = "pass" }') + 1}
    [record] = [r for r in json.loads(sarif.stdout)["runs"][0]["results"] if r["ruleId"] == "dmarc.record"]
    assert record["locations"][0]["physicalLocation"]["region"] == {
        "startLine": lines.index('[domains."dmarc-none.example"]') + 1
    }


def test_only_named_domains_and_unknown_name(tmp_path):
    result = run_cli("check", "good.example", "--config", str(FIXTURE_CONFIG), "--format", "json")
    assert result.exit_code == 0 and result.json()["target"] == "good.example"
    unknown = run_cli("check", "other.example", "--config", str(FIXTURE_CONFIG))
    assert unknown.exit_code == 2
    assert "other.example is not in" in unknown.stderr and "good.example, mx-ptr.example, dmarc-none.example" in unknown.stderr


def test_pyproject_tool_table_is_found_in_the_working_directory(tmp_path, monkeypatch):
    _config(
        tmp_path,
        f"""
        [project]
        name = "zones"

        [tool.mailcheck]
        {_zones_line(tmp_path).replace(chr(10), chr(10) + "        ")}
        [tool.mailcheck.domains."mx-ptr.example".expect]
        "mx.ptr" = "pass"
        """,
        name="pyproject.toml",
    )
    monkeypatch.chdir(tmp_path)
    result = run_cli("check", "--format", "json")
    report = result.json()
    assert result.exit_code == 1
    expect = one_check(report, "expect.mx.ptr")
    assert expect["summary"].startswith(
        "mx.ptr: expected status pass; 127.0.0.30: got status warn: 127.0.0.30 has no reverse DNS"
    )
    assert expect["summary"].endswith("(+1 more)")


def test_no_config_anywhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("check")
    assert result.exit_code == 2
    assert (
        result.stderr
        == "mailcheck: error: no mailcheck.toml here and no [tool.mailcheck] in pyproject.toml; pass --config FILE\n"
    )
    missing = run_cli("check", "--config", str(tmp_path / "absent.toml"))
    assert missing.exit_code == 2 and missing.stderr == f"mailcheck: error: --config {tmp_path / 'absent.toml'}: no such file\n"


# -- config errors name the key and its line ---------------------------------------------


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (
            'zones = ["."]\ntimeout = 2\nofline = true\n[domains."a.example"]\n',
            3,
            "ofline: unknown key (known here: domains, nameservers, offline, smtp, smtp_port, timeout, zones)",
        ),
        (
            '[domains."a.example"]\ndkim_selectors = ["s1"]\n\n[domains."b.example"]\ndkim_selector = ["s1"]\n',
            5,
            'domains."b.example".dkim_selector: unknown key',
        ),
        (
            '[domains."a.example"]\ndkim_selectors = "s1"\n',
            2,
            'domains."a.example".dkim_selectors: must be a list of strings, not a string ("s1")',
        ),
        ('timeout = "2s"\n[domains."a.example"]\n', 1, 'timeout: must be a positive number, not a string ("2s")'),
        (
            '[domains."a.example"]\nsending_ips = ["192.0.2.1",\n  "192.0.2.300"]\n',
            2,
            "domains.\"a.example\".sending_ips[1]: '192.0.2.300' is not an IPv4 or IPv6 address",
        ),
        (
            '[domains."a.example"]\n\n[domains."a.example".expect]\n"spf.lookups" = { lookups = { most = 8 } }\n',
            4,
            'domains."a.example".expect."spf.lookups".lookups.most: unknown comparison; use one of equals, not, max, min, in, contains, matches',
        ),
        (
            '[domains."a.example".expect]\n"dmarc.policy" = "passed"\n',
            2,
            'domains."a.example".expect."dmarc.policy": \'passed\' is not a status (pass, info, skip, warn, error, fail)',
        ),
        (
            '[domains."a.example"]\nexpect = { "spf.lookups" = { lookups = { max = "8" } } }\n',
            2,
            'domains."a.example".expect."spf.lookups".lookups.max: must be a number, not a string ("8")',
        ),
        (
            '[domains."a.example"]\naccept_warnings = { "mx.ptr" = 3 }\n',
            2,
            'domains."a.example".accept_warnings."mx.ptr": the reason must be a non-empty string, not an integer (3)',
        ),
        ('[domains."a..example"]\n', 1, "domains.\"a..example\": domain name 'a..example' has an empty label ('..')"),
        (
            '[domains."a.example"]\nzones = ["missing-dir"]\n',
            2,
            'domains."a.example".zones[0]: missing-dir: no such file or folder (relative to mailcheck.toml)',
        ),
        ("offline = true\n", 1, '(top level): no [domains."NAME"] table: the config checks nothing'),
        ('[domains."a.example".expect]\n"DMARC policy" = "pass"\n', 2, "is not a check id (dotted, like dmarc.policy)"),
    ],
)
def test_config_errors_name_key_and_line(tmp_path, body, line, message):
    path = _config(tmp_path, body)
    result = run_cli("check", "--config", str(path))
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith(f"mailcheck: error: {path}:{line}: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_invalid_toml_says_where(tmp_path):
    path = _config(tmp_path, '[domains."a.example"]\nsmtp = yes\n')
    result = run_cli("check", "--config", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"mailcheck: error: {path}: not valid TOML: ")
    assert "(at line 2, column 8)" in result.stderr


@pytest.mark.parametrize(
    "body",
    [
        # Deep enough that tomllib itself would run out of stack.
        "x = " + "[" * 5000 + "]" * 5000 + "\n",
        '[domains."a.example"]\nexpect = {x = ' + "{a = " * 3000 + "1" + "}" * 3000 + "}\n",
        # Parses fine, but no config nests like this.
        '[domains."a.example".expect."dmarc.policy"]\npolicy = {in = ' + "[" * 17 + "]" * 17 + "}\n",
    ],
    ids=["arrays", "inline-tables", "past-the-cap"],
)
def test_deep_nesting_is_one_line_of_bad_input(tmp_path, body):
    path = _config(tmp_path, body)
    result = run_cli("check", "--config", str(path))
    assert result.exit_code == 2
    assert result.stderr == f"mailcheck: error: {path}: arrays or tables nested more than 16 levels deep\n"
    assert result.stdout == ""


def test_nesting_at_the_cap_is_read(tmp_path):
    # 1 (top) + domains + NAME + expect + ID + FIELD + the "in" array + 9 more arrays = 16
    path = _config(tmp_path, '[domains."a.example".expect."dmarc.policy"]\npolicy = {in = ' + "[" * 10 + "]" * 10 + "}\n")
    rule = load_config(path).domains[0].expect[0].fields[0]
    assert (rule.field, rule.op) == ("policy", "in")


def test_a_huge_file_is_refused_by_its_size_without_reading_it_all(tmp_path):
    path = tmp_path / "mailcheck.toml"
    with path.open("wb") as file:
        file.truncate(100 * 1024 * 1024)  # sparse: 100 MB that cost no disk
    result = run_cli("check", "--config", str(path))
    assert result.exit_code == 2
    assert result.stderr == f"mailcheck: error: {path}: 104,857,600 bytes is too big for a config (at most 1,048,576)\n"


def test_offline_domain_without_zones(tmp_path):
    path = _config(tmp_path, 'offline = true\n\n[domains."a.example"]\n')
    result = run_cli("check", "--config", str(path))
    assert result.exit_code == 2
    assert result.stderr == f"mailcheck: error: {path}:3: a.example is offline but has no zones to answer from\n"


def test_zone_paths_are_relative_to_the_config(tmp_path):
    zones = tmp_path / "repo" / "dns"
    zones.mkdir(parents=True)
    (zones / "team.example.zone").write_text(
        "$ORIGIN team.example.\n$TTL 300\n@ SOA ns1 host 1 3600 600 604800 300\n@ NS ns1\nns1 A 127.0.0.1\n"
        '@ MX 0 .\n@ TXT "v=spf1 -all"\n_dmarc TXT "v=DMARC1; p=reject"\n'
    )
    path = _config(
        tmp_path / "repo",
        """
        zones = ["dns"]
        offline = true
        smtp = false
        [domains."team.example".expect]
        "mx.null" = { status = "info" }  # the domain is parked: its null MX is the point
        "dmarc.policy" = { effective = "reject" }
        """,
    )
    result = run_cli("check", "--config", str(path), "--format", "json")
    report = result.json()
    assert one_check(report, "expect.mx.null")["status"] == "pass"
    assert mentions(one_check(report, "expect.dmarc.policy")["summary"], "dmarc.policy", "'reject'", "'reject'")


# -- the pieces ----------------------------------------------------------------------


def test_locate_finds_headers_dotted_keys_and_inline_tables():
    lines = textwrap.dedent(
        """
        zones = ["z"]
        domains."b.example".probe = ["x@b.example"]
        [domains."a.example"]
        dkim_selectors = ["s1"]
        [domains."a.example".expect]
        "spf.lookups" = { lookups = { max = 8 } }
        'dmarc.policy' = "pass"
        """
    ).splitlines()
    assert locate(lines, ("zones",)) == 2
    assert locate(lines, ("domains", "b.example", "probe")) == 3
    assert locate(lines, ("domains", "a.example")) == 4
    assert locate(lines, ("domains", "a.example", "dkim_selectors", 0)) == 5
    assert locate(lines, ("domains", "a.example", "expect", "spf.lookups", "lookups", "max")) == 7
    assert locate(lines, ("domains", "a.example", "expect", "dmarc.policy")) == 8
    assert locate(lines, ("domains",)) == 3
    assert locate(lines, ("domains", "c.example")) == 3  # not there: the closest enclosing key


def _report(*checks: Check) -> Report:
    return Report("domain", "a.example", (Obstacle("authentication", "Authentication", checks),))


def test_expectation_rules_read_details_values(tmp_path):
    from mailcheck.config import DomainConfig

    lookups = Check("spf.lookups", Status.PASS, "a.example", "SPF needs 9 DNS lookups of 10", {"lookups": 9, "limit": 10})
    key = Check("dkim.key", Status.PASS, "s1", "s1: RSA 1024-bit key", {"bits": 1024, "algorithm": "rsa"})
    domain = DomainConfig(
        "a.example",
        expect=(
            Expectation("spf.lookups", fields=(FieldRule("lookups", "max", 8),), line=7),
            Expectation(
                "dkim.key",
                subject="s1",
                fields=(FieldRule("bits", "min", 2048), FieldRule("algorithm", "in", ["rsa", "ed25519"])),
                line=8,
            ),
            Expectation("dkim.key", subject="s2", statuses=(Status.PASS,), line=9),
            Expectation("spf.lookups", fields=(FieldRule("tree.depth", "max", 3),), line=10),
            Expectation("spf.lookups", fields=(FieldRule("lookups", "matches", r"^\d$"),), line=11),
        ),
    )
    results = expectation_checks(domain, [lookups, key], "a.example", "mailcheck.toml")
    assert [c.status for c in results] == [Status.FAIL, Status.FAIL, Status.FAIL, Status.FAIL, Status.PASS]
    assert mentions(results[0].summary, "spf.lookups", "<= 8", "= 9")
    assert results[0].details["config"] == "mailcheck.toml:7"
    assert mentions(results[1].summary, "dkim.key", ">= 2048", "'rsa'", "'ed25519'", "= 1024")
    assert results[1].subject == "s1"
    assert mentions(results[2].summary, "dkim.key on s2", "no such check")
    assert mentions(results[3].summary, "spf.lookups", "tree.depth", "<= 3", "'tree.depth'")


def test_accept_warnings_leaves_failures_alone():
    warn = Check("mx.ptr", Status.WARN, "192.0.2.1", "no PTR")
    fail = Check("mx.host", Status.FAIL, "mx.a.example", "no address")
    report = accept_warnings(_report(warn, fail), [("mx.ptr", "known"), ("mx.host", "also known")])
    assert [(c.status, c.summary) for c in report.checks] == [
        (Status.INFO, "no PTR (warning accepted: known)"),
        (Status.FAIL, "no address"),
    ]


def test_fixture_config_loads(tmp_path):
    config = load_config(FIXTURE_CONFIG)
    assert [d.name for d in config.domains] == ["good.example", "mx-ptr.example", "dmarc-none.example"]
    assert config.zones == (str(ZONES),) and config.offline and config.smtp is False
    good = config.domains[0]
    assert good.sending_ips == ("127.0.0.10",) and good.dkim_selectors == ("google",)
    assert config.domains[1].accept_warnings == (("mx.ptr", "provider sets PTRs in Q3 (ticket OPS-1234)"),)


def test_probe_addresses_are_probed_and_held_to_expectations(tmp_path):
    from tests.helpers.smtp_servers import Script, free_port, known_users, smtp_server

    port = free_port()
    path = _config(
        tmp_path,
        f"""
        zones = ["{ZONES}"]
        offline = true
        timeout = 2
        smtp = false

        [domains."probe-ok.example"]
        smtp_port = {port}
        probe = ["alice@probe-ok.example", "bob@probe-ok.example"]
        expect = {{ "acceptance.verdict" = "pass" }}
        """,
    )
    with smtp_server("127.0.1.10", port, Script(rcpt=known_users("alice@probe-ok.example"))) as server:
        result = run_cli("check", "--config", str(path), "--format", "json")
    reports = {r["target"]: r for r in result.json()["reports"]}
    assert list(reports) == ["probe-ok.example", "alice@probe-ok.example", "bob@probe-ok.example"]
    assert reports["alice@probe-ok.example"]["verdict"] == "deliverable"
    assert reports["bob@probe-ok.example"]["verdict"] == "undeliverable"
    expect = one_check(reports["probe-ok.example"], "expect.acceptance.verdict")
    assert expect["status"] == "fail"
    assert expect["summary"].startswith("acceptance.verdict: expected status pass; bob@probe-ok.example: got status fail")
    assert "DATA" not in server.verbs() and result.exit_code == 1
