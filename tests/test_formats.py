"""Report formats: golden files for junit, sarif, markdown, jsonl and json, each
validated against its schema; --output, --fail-on and the exit codes end to end.

The golden reports come from fixture domains checked by the dns and mx areas only (so
new checks in other areas do not change them), plus one domain whose report crashed,
for the ``error`` status. Set MAILCHECK_UPDATE_GOLDEN=1 to rewrite the files.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mailcheck.cli.options import FailOn, OutputFormat
from mailcheck.cli.output import exit_code_for, render_document
from mailcheck.model import Check, DnsStats, ExitCode, Obstacle, Report, Status
from mailcheck.run import crash_report
from tests.helpers import offline, run_cli, validate_report

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
SCHEMAS = HERE / "schemas"
# The golden files name this version, so that a release does not change them.
FIXED_VERSION = "0.0.0-golden"
DOMAINS = ("mx-ptr.example", "mx-dangling.example", "nope.example")
SUFFIX = {"json": "json", "jsonl": "jsonl", "junit": "xml", "sarif": "sarif.json", "markdown": "md"}


@pytest.fixture(scope="module")
def golden_reports(zone_server):
    """Reports of three fixture domains (dns and mx areas) and one crashed domain."""
    import asyncio

    from mailcheck.checks import existence, mx
    from mailcheck.checks.context import DomainOptions
    from mailcheck.dns.library import LibraryResolver
    from mailcheck.dns.nameservers import Nameserver
    from mailcheck.dns.resolver import Resolver
    from mailcheck.domain_report import domain_report
    from mailcheck.names import parse_domain

    async def build():
        resolver = Resolver(
            zone_server=Nameserver(zone_server.host, zone_server.port),
            zone_origins=zone_server.origins,
            offline=True,
            timeout=2.0,
        )
        library = LibraryResolver(resolver, asyncio.get_running_loop())
        areas = [("dns", existence.check_existence), ("mx", mx.check_mx)]
        return [await domain_report(parse_domain(name), resolver, library, DomainOptions(), checks=areas) for name in DOMAINS]

    reports = asyncio.run(build())
    reports.append(crash_report("domain", "crash.example", RuntimeError("zone walk exploded")))
    # Timings vary from run to run: fix them so the files are stable.
    stats = DnsStats(queries=42, elapsed_ms=1234, max_in_flight=7)
    return [Report(r.command, r.target, r.obstacles, stats, r.display_target, r.extra) for r in reports]


def _golden(name: str, text: str) -> str:
    path = GOLDEN / name
    if os.environ.get("MAILCHECK_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path.read_text(encoding="utf-8")


def test_golden_reports_cover_every_problem_status(golden_reports):
    statuses = {c.status for r in golden_reports for c in r.checks}
    assert {Status.PASS, Status.WARN, Status.FAIL, Status.ERROR, Status.SKIP} <= statuses
    assert [r.status for r in golden_reports] == [Status.WARN, Status.FAIL, Status.FAIL, Status.ERROR]


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
def test_format_matches_golden_file(golden_reports, fmt):
    text = render_document(golden_reports, OutputFormat(fmt), version=FIXED_VERSION)
    assert text == _golden(f"reports.{SUFFIX[fmt]}", text)


def test_junit_is_valid_and_maps_statuses(golden_reports):
    import xmlschema

    text = render_document(golden_reports, OutputFormat.junit, version=FIXED_VERSION)
    xmlschema.XMLSchema(SCHEMAS / "junit.xsd").validate(text)
    # Jenkins' schema too: no "skipped" on <testsuites>, a time on every test case.
    xmlschema.XMLSchema(SCHEMAS / "junit-10.xsd").validate(text)
    root = ET.fromstring(text)
    assert root.get("skipped") is None
    assert {case.get("time") for case in root.iter("testcase")} == {"0.000"}
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [f"domain {d}" for d in (*DOMAINS, "crash.example")]
    assert root.get("tests") == str(sum(len(r.checks) for r in golden_reports))

    ptr, dangling, nope, crash = suites
    # mx-ptr.example: its PTR warnings pass (JUnit has no warning) but say WARN.
    case = ptr.find("testcase[@name='mx.ptr [127.0.0.30]']")
    assert case is not None and case.get("classname") == "mx-ptr.example.routing"
    assert list(case) == [case.find("system-out")]
    assert case.find("system-out").text.startswith("WARN: 127.0.0.30 has no reverse DNS (PTR)")
    assert ptr.get("failures") == "0" and ptr.get("errors") == "0"
    # mx-dangling.example: the host that does not exist is a failure with its fix.
    failure = dangling.find("testcase[@name='mx.host [gone.mx-dangling.example]']/failure")
    assert failure.get("type") == "fail"
    assert (
        failure.get("message") == "MX target gone.mx-dangling.example does not exist (NXDOMAIN): mail to it cannot be delivered"
    )
    assert "fix: Add A/AAAA records for gone.mx-dangling.example" in failure.text
    assert failure.text.endswith("\nmore: mailcheck explain mx.host")
    # nope.example: one failure, the rest skipped because the domain does not exist.
    assert nope.get("failures") == "1"
    skipped = nope.findall("testcase/skipped")
    assert int(nope.get("skipped")) == len(skipped) >= 1
    assert all(s.get("message") == "skipped: nope.example does not exist" for s in skipped)
    # The crashed report: an error carrying the exception's message.
    error = crash.find("testcase[@name='run.crash [crash.example]']/error")
    assert error.get("message") == "checking crash.example crashed: RuntimeError: zone walk exploded"
    assert crash.get("errors") == "1"
    assert root.get("time") == "1.234" and suites[0].get("time") is None  # the run's DNS time, once


def test_junit_fail_on_warn_turns_warnings_into_failures(golden_reports):
    root = ET.fromstring(render_document(golden_reports, OutputFormat.junit, fail_on=FailOn.warn))
    ptr = root.find("testsuite[@name='domain mx-ptr.example']")
    failures = ptr.findall("testcase/failure")
    assert ptr.get("failures") == str(len(failures)) == "2"
    assert {f.get("type") for f in failures} == {"warn"}


def test_sarif_is_valid_and_maps_levels(golden_reports):
    import jsonschema

    document = json.loads(render_document(golden_reports, OutputFormat.sarif, version=FIXED_VERSION))
    schema = json.loads((SCHEMAS / "sarif-2.1.0-subset.json").read_text())
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids)) and {"dns.exists", "mx.ptr", "mx.host", "run.crash"} <= set(ids)
    for result in run["results"]:  # ruleIndex points at the rule of ruleId
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    levels = {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]): r["level"] for r in run["results"]}
    assert levels[("mx.ptr", "127.0.0.30")] == "warning"
    assert levels[("mx.host", "gone.mx-dangling.example")] == "error"
    assert levels[("run.crash", "crash.example")] == "note"
    # Only checks that ask for attention are results: no pass, info or skip.
    problems = sum(1 for r in golden_reports for c in r.checks if c.status.severity > 0)
    assert len(run["results"]) == problems
    dangling = next(r for r in run["results"] if r["ruleId"] == "mx.host" and "gone." in r["message"]["text"])
    assert dangling["message"]["text"].startswith("gone.mx-dangling.example: MX target gone.mx-dangling.example does not exist")
    assert (
        dangling["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        == "mx-dangling.example/routing/gone.mx-dangling.example"
    )
    # Rules carry the catalogue's text (what mailcheck explain prints), not one domain's fix.
    from mailcheck.catalogue import find

    spec = find("mx.host")
    rule = rules[ids.index("mx.host")]
    assert rule["shortDescription"]["text"] == spec.title
    assert rule["fullDescription"]["text"] == spec.verifies
    assert spec.example.bad in rule["help"]["text"] and spec.example.good in rule["help"]["text"]
    assert rule["helpUri"] == "https://www.rfc-editor.org/rfc/rfc5321#section-5.1"
    assert rule["help"]["markdown"].startswith("### `mx.host`: ")


def test_sarif_physical_location_when_the_file_is_known(golden_reports, tmp_path, monkeypatch):
    import jsonschema

    from mailcheck.render.sarif import Artifact

    # Run from a folder below the repository root: the path is told from the root.
    (tmp_path / ".git").mkdir()
    (tmp_path / "ci").mkdir()
    monkeypatch.chdir(tmp_path / "ci")
    document = json.loads(
        render_document(golden_reports, OutputFormat.sarif, artifacts={"mx-ptr.example": Artifact("mailcheck.toml", 12)})
    )
    jsonschema.validate(document, json.loads((SCHEMAS / "sarif-2.1.0-subset.json").read_text()))
    run = document["runs"][0]
    assert run["originalUriBaseIds"] == {"SRCROOT": {"uri": tmp_path.resolve().as_uri() + "/"}}
    located = [r for r in run["results"] if "physicalLocation" in r["locations"][0]]
    assert {r["properties"]["target"] for r in located} == {"mx-ptr.example"}
    assert located[0]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "ci/mailcheck.toml", "uriBaseId": "SRCROOT"},
        "region": {"startLine": 12},
    }


def _line_of(path: Path, start: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if line.startswith(start))


def test_sarif_with_zones_points_at_the_record_a_check_judged():
    import jsonschema

    from tests.helpers import ROOT, offline, run_cli

    result = run_cli("domain", "dmarc-monitor.example", "parked.test", *offline("--no-smtp", "--format", "sarif"))
    document = json.loads(result.stdout)
    jsonschema.validate(document, json.loads((SCHEMAS / "sarif-2.1.0-subset.json").read_text()))
    run = document["runs"][0]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == ROOT.resolve().as_uri() + "/"
    where = {(r["properties"]["target"], r["ruleId"]): r["locations"][0]["physicalLocation"] for r in run["results"]}
    monitor = ROOT / "fixtures/zones/dmarc-monitor.example.zone"
    assert where[("dmarc-monitor.example", "dmarc.policy")] == {
        "artifactLocation": {"uri": "fixtures/zones/dmarc-monitor.example.zone", "uriBaseId": "SRCROOT"},
        "region": {"startLine": _line_of(monitor, "_dmarc")},
    }
    parked = ROOT / "fixtures/zones/parked.test.zone"
    # The null MX is the MX line; a record that is missing points at the zone's SOA.
    assert where[("parked.test", "mx.null")]["region"] == {"startLine": _line_of(parked, "@               MX")}
    assert where[("parked.test", "dmarc.record")]["region"] == {"startLine": _line_of(parked, "@               SOA")}
    assert where[("parked.test", "dkim.selectors")]["region"] == {"startLine": _line_of(parked, "@               SOA")}


def test_jsonl_is_one_valid_report_a_line(golden_reports):
    text = render_document(golden_reports, OutputFormat.jsonl)
    lines = text.splitlines()
    assert len(lines) == 4 and text.endswith("\n")
    for line, report in zip(lines, golden_reports, strict=False):
        document = json.loads(line)
        validate_report(document)
        assert document["target"] == report.target and document["status"] == report.status.value


def test_markdown_table_per_target(golden_reports):
    text = render_document(golden_reports, OutputFormat.markdown, version=FIXED_VERSION)
    assert "| mx-dangling.example | ❌ fail | 2 | 0 | 0 |" in text
    assert "## ⚠️ `domain` mx-ptr.example: warn" in text
    assert "| ⚠️ | `mx.ptr` | 127.0.0.30 | 127.0.0.30 has no reverse DNS (PTR); many receivers distrust such hosts |" in text
    assert "| ❔ | `run.crash` |  | checking crash.example crashed: RuntimeError: zone walk exploded |  |" in text


def test_markdown_escapes_pipes_and_newlines():
    check = Check("spf.record", Status.FAIL, "a.example", "record v=spf1 a|b\nbroken", fix="use *one*")
    report = Report("domain", "a.example", (Obstacle("authentication", "Authentication", (check,)),))
    text = render_document([report], OutputFormat.markdown)
    assert "| ❌ | `spf.record` |  | record v=spf1 a\\|b broken | use \\*one\\* |" in text


@pytest.mark.parametrize(
    ("fail_on", "worst", "code"),
    [
        (None, Status.WARN, ExitCode.OK),
        (None, Status.ERROR, ExitCode.NO_VERDICT),
        (None, Status.FAIL, ExitCode.FAILED),
        (FailOn.warn, Status.INFO, ExitCode.OK),
        (FailOn.warn, Status.WARN, ExitCode.FAILED),
        (FailOn.error, Status.WARN, ExitCode.OK),
        (FailOn.error, Status.ERROR, ExitCode.FAILED),
        (FailOn.fail, Status.ERROR, ExitCode.OK),
        (FailOn.fail, Status.FAIL, ExitCode.FAILED),
    ],
)
def test_fail_on_thresholds(fail_on, worst, code):
    report = Report("domain", "a.example", (Obstacle("dns", "DNS", (Check("dns.exists", worst, "a.example", "x"),)),))
    assert exit_code_for([report], fail_on) is code


# -- end to end -----------------------------------------------------------------------


def test_cli_output_file_gets_the_format_and_terminal_the_text(tmp_path):
    target = tmp_path / "report.xml"
    result = run_cli("domain", *offline("mx-ptr.example", "--no-smtp", "--format", "junit", "--output", str(target)))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("mx-ptr.example  ! WARN")
    assert "! mx.ptr [127.0.0.30]  127.0.0.30 has no reverse DNS (PTR)" in result.stdout
    root = ET.fromstring(target.read_text())
    assert root.find("testsuite").get("name") == "domain mx-ptr.example"


def test_cli_fail_on_warn_exits_1_and_default_exits_0():
    default = run_cli("domain", *offline("mx-ptr.example", "--no-smtp", "--format", "json"))
    strict = run_cli("domain", *offline("mx-ptr.example", "--no-smtp", "--format", "json", "--fail-on", "warn"))
    assert default.json()["status"] == "warn" and default.exit_code == 0
    assert strict.json()["status"] == "warn" and strict.exit_code == 1


def test_cli_fail_on_fail_ignores_errors_and_fail_on_error_counts_them():
    # No DNS server answers: the run cannot tell (error, exit 3 by default).
    args = ("domain", "unreachable.example", "--nameserver", "127.0.0.1:9", "--timeout", "0.3", "--no-smtp", "-q")
    assert run_cli(*args).exit_code == 3
    assert run_cli(*args, "--fail-on", "fail").exit_code == 0
    assert run_cli(*args, "--fail-on", "error").exit_code == 1


def test_cli_sarif_and_markdown_on_stdout():
    sarif = run_cli("domain", *offline("mx-dangling.example", "--no-smtp", "--format", "sarif"))
    assert sarif.exit_code == 1
    results = json.loads(sarif.stdout)["runs"][0]["results"]
    assert any(r["ruleId"] == "mx.host" and r["level"] == "error" for r in results)
    markdown = run_cli("domain", *offline("mx-dangling.example", "--no-smtp", "--format", "markdown"))
    assert "## ❌ `domain` mx-dangling.example: fail" in markdown.stdout


def test_cli_bad_output_path_and_bad_fail_on(tmp_path):
    missing = tmp_path / "no" / "such" / "dir" / "r.xml"
    result = run_cli("domain", *offline("good.example", "--format", "junit", "--output", str(missing)))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"mailcheck: error: --output {missing}: No such file or directory")
    bad = run_cli("domain", *offline("good.example", "--fail-on", "sometimes"))
    assert bad.exit_code == 2 and "--fail-on" in bad.stderr and "Traceback" not in bad.stderr


def test_every_command_takes_the_report_options(tmp_path):
    """--format/--output/--fail-on are global: blocklist here, through the shared sink."""
    target = tmp_path / "blocklist.sarif"
    result = run_cli("blocklist", *offline("127.0.0.2", "--only", "zen", "--format", "sarif", "--output", str(target)))
    assert result.exit_code == 1
    assert "127.0.0.2 is listed on Spamhaus ZEN (zen.spamhaus.org)" in result.stdout
    [finding] = json.loads(target.read_text())["runs"][0]["results"]
    assert finding["ruleId"] == "blocklist.listing" and finding["level"] == "error"
    for command in ("probe", "links", "blocklist", "domain", "check"):
        help_text = run_cli(command, "--help").stdout
        assert "--output" in help_text and "--fail-on" in help_text, command


@pytest.mark.parametrize("fmt", ["json", "junit", "sarif", "markdown"])
def test_the_cli_names_the_installed_version(fmt):
    """The golden files pass a fixed version; a user's run names the real one."""
    from mailcheck import __version__

    result = run_cli("domain", "mx-ptr.example", *offline("--no-smtp", "--format", fmt))
    if fmt == "json":
        assert result.json()["tool"] == {"name": "mailcheck", "version": __version__}
    elif fmt == "junit":
        versions = {p.get("value") for p in ET.fromstring(result.stdout).iter("property") if p.get("name") == "mailcheck.version"}
        assert versions == {__version__}
    elif fmt == "sarif":
        assert json.loads(result.stdout)["runs"][0]["tool"]["driver"]["version"] == __version__
    else:
        assert result.stdout.startswith(f"# mailcheck {__version__}\n")
