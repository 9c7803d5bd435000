"""The CI examples in docs/ci/ run as written: each mailcheck command they hold is run
here against the repository's fixtures, and what it writes is read back."""

from __future__ import annotations

import json
import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli

EXAMPLES = sorted((ROOT / "docs" / "ci").glob("*.yml"))


def mailcheck_commands(path: Path) -> list[list[str]]:
    """The `mailcheck ...` commands of a workflow file, folded (>) YAML blocks joined."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[str] = []
    folded_lines: set[int] = set()
    for index, line in enumerate(lines):
        if index in folded_lines:
            continue
        if line.rstrip().endswith(">"):
            indent = len(line) - len(line.lstrip())
            folded = []
            for at, following in enumerate(lines[index + 1 :], start=index + 1):
                if not following.strip() or len(following) - len(following.lstrip()) <= indent:
                    break
                folded.append(following.strip())
                folded_lines.add(at)
            blocks.append(" ".join(folded))
        elif (command := re.sub(r"^\s*(- )?(run: )?", "", line)).startswith("mailcheck "):
            blocks.append(command)
    # What the shell adds after the command (|| true, >> $GITHUB_STEP_SUMMARY) is not ours.
    shells = [re.split(r" \|\| | >> ", block)[0] for block in blocks if block.startswith("mailcheck ")]
    return [shlex.split(shell)[1:] for shell in shells]


def install_commands(path: Path) -> list[str]:
    """The pip lines a workflow runs (comments are not run)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    runs = [re.sub(r"^\s*(- )?(run: )?", "", line) for line in lines if not line.lstrip().startswith("#")]
    return [run for run in runs if run.startswith("pip ")]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_install_the_tool_from_the_checkout(path):
    # mailcheck-cli is not published: the one install that works today is this checkout.
    assert install_commands(path) == ["pip install ."]
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == "mailcheck-cli" and "mailcheck" in project["scripts"]


def test_both_examples_are_found_and_hold_commands():
    assert [p.name for p in EXAMPLES] == ["github-actions.yml", "gitlab-ci.yml"]
    assert all(len(mailcheck_commands(path)) >= 2 for path in EXAMPLES)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_commands_run_and_write_their_reports(path, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    stdout_by_format = {}
    for args in mailcheck_commands(path):
        assert args[:1] == ["check"] and "--offline" in args and "--zone" in args
        if "--output" in args:
            at = args.index("--output") + 1
            args[at] = str(tmp_path / Path(args[at]).name)
        result = run_cli(*args)
        # fixtures/mailcheck.toml keeps one domain that breaks its expectation on purpose,
        # so every run of the example exits 1, whatever its format.
        assert result.exit_code == 1, result.stderr
        assert "mailcheck: error" not in result.stderr and "Traceback" not in result.stderr
        stdout_by_format[args[args.index("--format") + 1]] = result.stdout
    import jsonschema
    import xmlschema

    # What Jenkins, GitLab and code scanning read: valid for each of them.
    for schema in ("junit.xsd", "junit-10.xsd"):
        xmlschema.XMLSchema(ROOT / "tests" / "schemas" / schema).validate(str(tmp_path / "mailcheck-junit.xml"))
    subset = json.loads((ROOT / "tests" / "schemas" / "sarif-2.1.0-subset.json").read_text())
    jsonschema.validate(json.loads((tmp_path / "mailcheck.sarif").read_text()), subset)
    junit = ET.parse(tmp_path / "mailcheck-junit.xml").getroot()
    assert junit.tag == "testsuites" and int(junit.get("failures")) >= 1
    assert {suite.get("name") for suite in junit} >= {"domain good.example", "domain dmarc-none.example"}
    sarif = json.loads((tmp_path / "mailcheck.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert any(r["ruleId"] == "expect.dmarc.record" and r["level"] == "error" for r in sarif["runs"][0]["results"])
    # Paths from the repository root, so code scanning annotates the config's line.
    located = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in sarif["runs"][0]["results"]]
    assert {(a["uri"], a["uriBaseId"]) for a in located} == {("fixtures/mailcheck.toml", "SRCROOT")}
    if "markdown" in stdout_by_format:  # the step summary is the command's stdout
        assert stdout_by_format["markdown"].startswith("# mailcheck ")
        assert "expect.dmarc.record" in stdout_by_format["markdown"]
