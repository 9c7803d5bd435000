"""Conventions people expect of a command-line tool."""

from __future__ import annotations

import json

import pytest

from mailcheck import __version__
from tests.helpers import offline, run_cli


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_prints_the_version_and_exits_0(flag):
    result = run_cli(flag)
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"mailcheck {__version__}\n", "")


# -- bare mailcheck ---------------------------------------------------------------------


def test_bare_mailcheck_prints_help_and_exits_0_without_an_error_line():
    result = run_cli()
    assert result.exit_code == 0 and result.stderr == ""
    assert "Usage: mailcheck [OPTIONS] COMMAND [ARGS]..." in result.stdout
    assert "domain" in result.stdout and "probe" in result.stdout


# -- shell completion -------------------------------------------------------------------


@pytest.mark.parametrize(
    "shell, marker",
    [
        ("bash", "complete -o default -F _mailcheck_completion mailcheck"),
        ("zsh", "#compdef mailcheck"),
        ("fish", "complete --command mailcheck"),
    ],
)
def test_show_completion_prints_the_shells_script(shell, marker):
    result = run_cli("--show-completion", shell)
    assert result.exit_code == 0 and result.stderr == ""
    assert marker in result.stdout and "_MAILCHECK_COMPLETE" in result.stdout


def test_an_unknown_shell_is_a_usage_error():
    result = run_cli("--show-completion", "tcsh")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "mailcheck: error: --show-completion 'tcsh' is not one of bash, zsh or fish\n"


def test_the_completion_script_completes_commands_and_choices(monkeypatch):
    monkeypatch.setenv("_MAILCHECK_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "mailcheck dom")
    monkeypatch.setenv("COMP_CWORD", "1")
    assert run_cli().stdout.split() == ["domain"]
    monkeypatch.setenv("COMP_WORDS", "mailcheck domain --format j")
    monkeypatch.setenv("COMP_CWORD", "3")
    assert run_cli().stdout.split() == ["json", "jsonl", "junit"]


# -- help -------------------------------------------------------------------------------

COMMANDS = ["domain", "probe", "blocklist", "links", "check", "report", "explain", "bounce", "message", "spf"]


def _help(monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.setenv("COLUMNS", "200")  # one row per option: nothing wraps
    result = run_cli(*args, "--help")
    assert result.exit_code == 0 and result.stderr == ""
    return result.stdout


def _row(help_text: str, option: str) -> str:
    return next(line for line in help_text.splitlines() if f" {option} " in line)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_placeholders_are_words_and_flags_have_none(monkeypatch, command):
    text = _help(monkeypatch, command)
    assert "<bool>" not in text and "<list[" not in text and "<str>" not in text and "<int>" not in text
    assert _row(text, "--help").split("│")[1].split() == ["--help", "-h", "Show", "this", "message", "and", "exit."]


def test_domain_help_names_values_in_words_and_says_each_default_once(monkeypatch):
    text = _help(monkeypatch, "domain")
    assert _row(text, "--timeout").split()[2] == "SECONDS"
    assert _row(text, "--nameserver").split()[2] == "HOST[:PORT]"
    assert _row(text, "--format").split()[2] == "FORMAT"
    assert _row(text, "--no-smtp").split()[2] == "Do"  # the help right after the flag
    port = _row(text, "--port")
    assert port.count("25") == 1 and "[default: 25]" in port
    assert _row(text, "--https-port").count("443") == 1


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_ends_with_an_example_of_it(monkeypatch, command):
    last = [line.strip() for line in _help(monkeypatch, command).splitlines() if line.strip()][-1]
    assert last.startswith(f"Example: mailcheck {command} ")


# -- usage errors in our words ----------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (("--format", "xml"), "--format 'xml' is not one of text, json, jsonl, junit, sarif, markdown or html"),
        (
            ("--format", "jsn"),
            "--format 'jsn' is not one of text, json, jsonl, junit, sarif, markdown or html; did you mean json?",
        ),
        (("--fail-on", "warning"), "--fail-on 'warning' is not one of warn, error or fail; did you mean warn?"),
        (("--port", "abc"), "--port must be a whole number, not 'abc'"),
        (("--timeout", "soon"), "--timeout must be a number, not 'soon'"),
        (("--formt", "json"), "No such option: --formt; did you mean --format?"),
    ],
)
def test_a_bad_value_is_one_line_in_our_words(args, message):
    result = run_cli("domain", "good.example", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"mailcheck: error: {message}\n")


@pytest.mark.parametrize(
    "toml, message",
    [
        (
            'ofline = true\n[domains."a.example"]\n',
            "ofline: unknown key (known here: domains, nameservers, offline, smtp, smtp_port, timeout, zones); did you mean offline?",
        ),
        (
            '[domains."a.example".expect]\n"dmarc.polcy" = "pass"\n',
            'domains."a.example".expect."dmarc.polcy": no check is called \'dmarc.polcy\'; did you mean dmarc.policy?',
        ),
        (
            '[domains."a.example"]\ndkim_selectors = ["bad selector!"]\n',
            "domains.\"a.example\".dkim_selectors[0]: 'bad selector!' is not a valid selector",
        ),
    ],
)
def test_a_config_error_says_which_key_and_what_was_meant(tmp_path, toml, message):
    config = tmp_path / "mailcheck.toml"
    config.write_text(toml)
    result = run_cli("check", "--config", str(config))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"mailcheck: error: {config}:") and result.stderr.endswith(f": {message}\n")
    assert result.stderr.count("\n") == 1 and "--" not in result.stderr


# -- every --from-file reads one syntax -------------------------------------------------

LIST_FILE = "\ufeff# who sends for us\ngood.example  # the main domain\n\n   \nspf-toomany.example\n"


def test_domain_from_file_reads_comments_after_names_blank_lines_and_a_bom(tmp_path):
    listing = tmp_path / "domains.txt"
    listing.write_text(LIST_FILE, encoding="utf-8")
    result = run_cli("domain", "--from-file", str(listing), "--no-smtp", "--format", "json", *offline())
    assert result.exit_code == 1
    assert [r["target"] for r in json.loads(result.stdout)["reports"]] == ["good.example", "spf-toomany.example"]


def test_blocklist_from_file_reads_the_same_syntax(tmp_path):
    listing = tmp_path / "targets.txt"
    listing.write_text(LIST_FILE + "https://blocklist-spam.example/#offers  # a URL keeps its fragment\n", encoding="utf-8")
    result = run_cli("blocklist", "--from-file", str(listing), "--only", "dbl", "--format", "json", *offline())
    assert result.exit_code == 1
    reports = json.loads(result.stdout)["reports"]
    assert [r["target"] for r in reports] == ["good.example", "spf-toomany.example", "blocklist-spam.example"]
    assert [r["status"] for r in reports] == ["pass", "pass", "fail"]
