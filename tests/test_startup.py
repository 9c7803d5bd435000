"""What a run loads: only what it uses, and the same answers as the slow way."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import typer.main
import typer.rich_utils  # whole, as typer imports it: the in-process help below is drawn by it
from publicsuffixlist import PSLFILE, PublicSuffixList
from typer._coercion import build_runtime_param
from typer.core import TyperGroup

from mailcheck import suffixes
from mailcheck.cli import COMMANDS, HELP_OPTION_NAMES, app, register_commands
from mailcheck.cli.coercion import coerce_plainly, is_unsure, plain_value
from tests.helpers import ROOT, ZONES, run_cli
from tests.helpers.cli_subprocess import run_mailcheck

# Started with every Python process (sitecustomize): writes the modules it imported.
_RECORDER = """
import atexit, json, os, sys
atexit.register(lambda: open(os.environ["IMPORTED_MODULES"], "w").write(json.dumps(sorted(sys.modules))))
"""


def _modules_of(*args: str, cache: Path) -> tuple[int, str, set[str]]:
    """The exit code, the output and the modules (and packages) of a run."""
    (cache / "sitecustomize.py").write_text(_RECORDER)
    record = cache / "modules.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(cache), os.environ.get("PYTHONPATH")])),
        "IMPORTED_MODULES": str(record),
        "XDG_CACHE_HOME": str(cache),
        "COLUMNS": "80",
    }
    process = run_mailcheck(*args, env=env)
    modules = set(json.loads(record.read_text()))
    assert "mailcheck.launch" in modules
    return process.returncode, process.stdout, modules | {name.split(".")[0] for name in modules}


@pytest.mark.parametrize("args", [("--help",), ("domain", "--help"), ("--version",)])
def test_help_and_version_load_no_checking_library(args, tmp_path):
    code, stdout, modules = _modules_of(*args, cache=tmp_path)
    assert code == 0 and ("Usage: mailcheck" in stdout or stdout.startswith("mailcheck "))
    assert modules.isdisjoint({"checkdmarc", "dkim", "spf", "dns", "publicsuffixlist", "pydantic", "httpx"})
    # typer's help renderer, without its Markdown and pretty-traceback parts (cli.help_renderer)
    assert ("typer.rich_utils" in modules) == (args != ("--version",))
    assert modules.isdisjoint({"rich.markdown", "markdown_it", "rich.traceback", "pygments", "attr"})


def test_a_report_read_without_dns_loads_no_dns_machinery(tmp_path):
    report = ROOT / "fixtures" / "reports" / "aggregate-rfc7489.xml"
    code, stdout, modules = _modules_of("report", str(report), "--no-dns", "--format", "json", cache=tmp_path)
    read = json.loads(stdout)["obstacles"][0]["checks"][0]
    assert code == 0 and (read["id"], read["details"]["report_metadata"]["report_id"]) == (
        "report.aggregate",
        "rx-2026-11-30-0001",
    )
    # dnspython (and the package metadata it reads) is for the cross-check against today's
    # DNS; the email package and zipfile for reports that come in messages and zips. (The
    # test network guard of the child loads asyncio and ssl, so they cannot be told here.)
    assert modules.isdisjoint({"dns", "email", "zipfile", "importlib.metadata"})


@pytest.mark.parametrize("command", [(), *((name,) for name in COMMANDS)])
def test_the_help_is_what_typers_whole_renderer_draws(command, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    drawn_here = run_cli(*command, "--help")  # typer.rich_utils imported whole (above)
    child = run_mailcheck(*command, "--help", env={**os.environ, "COLUMNS": "100"})
    assert (child.returncode, child.stderr) == (0, "") and drawn_here.exit_code == 0
    assert child.stdout == drawn_here.stdout and f"Usage: mailcheck {' '.join(command)}".rstrip() in child.stdout


def test_a_domain_report_as_json_loads_only_what_it_uses(tmp_path):
    args = ("domain", "good.example", "--zone", str(ZONES), "--offline", "--no-smtp", "--format", "json")
    code, stdout, modules = _modules_of(*args, cache=tmp_path)
    assert code in (0, 1) and json.loads(stdout)["target"] == "good.example"
    assert modules.isdisjoint({"pydantic", "rich", "spf"})  # no text drawn, no --ip for pyspf to evaluate
    assert "checkdmarc" in modules and "dkim" in modules  # they judge the DMARC record and the DKIM keys
    # Of the commands, only the one that ran.
    assert {name for name in modules if name.startswith("mailcheck.cli.") and name[14:] in COMMANDS} == {"mailcheck.cli.domain"}
    # The list was parsed, once, and kept for the next run.
    assert [path.name.split("-")[:2] for path in (tmp_path / "mailcheck").iterdir()] == [["public", "suffixes"]]


_AT_EXIT = """
import atexit, os

class _Teardown:
    # Its own references: by the time teardown reaches it, the builtins are gone.
    def __del__(self, open=open, path=os.environ["EXIT_RECORD"]):
        open(path, "a").write("teardown\\n")

TORN_DOWN_WITH_THE_INTERPRETER = _Teardown()
atexit.register(lambda: open(os.environ["EXIT_RECORD"], "a").write("atexit\\n"))
"""


@pytest.mark.parametrize(
    ("args", "code"),
    [(("explain", "--list", "--format", "json"), 0), (("domain", "bad..example"), 2), (("domain", "--bogus"), 2)],
    ids=["output", "bad-input", "usage"],
)
def test_a_run_ends_once_its_output_is_out_without_tearing_python_down(args, code, tmp_path):
    # The interpreter's teardown is skipped (mailcheck.launch): the atexit handlers still
    # run, every byte written reaches the pipe, and the exit code is the command's.
    (tmp_path / "sitecustomize.py").write_text(_AT_EXIT)
    record = tmp_path / "exit.txt"
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "EXIT_RECORD": str(record)}
    process = run_mailcheck(*args, env=env)
    assert process.returncode == code
    assert record.read_text() == "atexit\n"
    if code == 0:
        assert {entry["id"] for entry in json.loads(process.stdout)["checks"]} >= {"dns.exists", "message.verdict"}
    else:
        assert process.stdout == "" and process.stderr.startswith("mailcheck: error: ")
        assert len(process.stderr.splitlines()) == 1


# -- the Public Suffix List ------------------------------------------------------------------

_NAMES = [
    "example.com",
    "www.example.co.uk",
    "a.b.c.example.co.uk",
    "co.uk",
    "uk",
    "city.kobe.jp",  # an exception rule
    "www.city.kobe.jp",
    "a.b.kobe.jp",  # a wildcard rule
    "foo.bar.ck",
    "www.ck",
    "sub.dmarc-inherit.example",  # an unknown top-level domain
    "github.io",
    "user.github.io",
    "a.user.github.io",
    "食狮.公司.cn",
    "www.xn--85x722f.xn--55qx5d.cn",
    "xn--55qx5d.cn",
    "test.рф",
    "www.test.xn--p1ai",
    "EXAMPLE.Com.",
    "bad..example.com",
    "s3.dualstack.us-east-1.amazonaws.com",
    "x.s3.dualstack.us-east-1.amazonaws.com",
]


@pytest.fixture
def fresh_suffixes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    suffixes.public_suffixes.cache_clear()
    yield tmp_path
    suffixes.public_suffixes.cache_clear()


def _answers(psl: PublicSuffixList, name: str) -> tuple[object, ...]:
    return (psl.privatesuffix(name), psl.publicsuffix(name), psl.is_public(name), psl.is_private(name))


@pytest.mark.parametrize("round", ["parsed", "from the cache"])
def test_the_suffix_list_answers_as_publicsuffixlist_parses_it(round, fresh_suffixes):
    if round == "from the cache":
        suffixes.public_suffixes()
        suffixes.public_suffixes.cache_clear()
        assert len(list((fresh_suffixes / "mailcheck").glob("public-suffixes-*.txt"))) == 1
    ours, theirs = suffixes.public_suffixes(), PublicSuffixList()
    assert [_answers(ours, name) for name in _NAMES] == [_answers(theirs, name) for name in _NAMES]
    assert suffixes.registered_domain("a.b.city.kobe.jp") == "city.kobe.jp"
    # Every rule the library holds, in either spelling of an internationalised one.
    assert ours._publicsuffix == theirs._publicsuffix and ours._maxlabel == theirs._maxlabel


def test_every_rule_of_the_list_answers_the_same(fresh_suffixes):
    ours, theirs = suffixes.public_suffixes(), PublicSuffixList()
    rules = [line.split()[0] for line in Path(PSLFILE).read_text("utf-8").splitlines() if line and not line.startswith("//")]
    names = [f"www.{rule.lstrip('!*.')}" for rule in rules]
    assert len(names) > 5000
    assert [ours.privatesuffix(name) for name in names] == [theirs.privatesuffix(name) for name in names]


def test_a_cache_directory_that_cannot_be_written_is_skipped(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    suffixes.public_suffixes.cache_clear()
    try:
        assert suffixes.registered_domain("www.example.co.uk") == "example.co.uk"
    finally:
        suffixes.public_suffixes.cache_clear()


def test_a_damaged_cache_file_is_parsed_again(fresh_suffixes):
    suffixes.public_suffixes()
    (cached,) = (fresh_suffixes / "mailcheck").glob("public-suffixes-*.txt")
    cached.write_text("com\nco.u")  # cut short: no final line end
    suffixes.public_suffixes.cache_clear()
    assert suffixes.registered_domain("www.example.co.uk") == "example.co.uk"
    assert cached.read_text().endswith("\n") and len(cached.read_text().splitlines()) > 5000


# -- option values without pydantic ----------------------------------------------------------


def _parameters(command):
    params = list(command.params)
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            params += _parameters(sub)
    return params


def test_every_command_is_registered_by_the_module_of_its_name():
    register_commands(())
    assert typer.main.get_command(app).list_commands(None) == list(COMMANDS)
    # (registered in the order a process first ran them: the help sorts them)
    modules = sorted(info.callback.__module__ for info in app.registered_commands)
    assert modules == [f"mailcheck.cli.{name}" for name in COMMANDS]


def test_plain_values_are_what_typers_own_coercion_returns():
    register_commands(())
    command = typer.main.get_command(app)
    coerce_plainly(command, HELP_OPTION_NAMES)
    compared = 0
    for param in _parameters(command):
        descriptor = param.type_descriptor
        if descriptor.file_annotation is not None:
            continue
        samples = [
            param.default,
            "json",
            "text",
            "Json",
            "1",
            "30",
            "007",
            "2.5",
            "10.25",
            "x.example",
            ("a", "b"),
            ["c"],
            2,
            0.5,
            True,
        ]
        for value in samples:
            ours = plain_value(descriptor.annotation, descriptor.parameter_info, value, None)
            if is_unsure(ours) or value is None:
                continue
            theirs = build_runtime_param(descriptor)._coerce_value(value, param=param, ctx=None)
            assert (ours, type(ours)) == (theirs, type(theirs)), (param.name, value)
            compared += 1
    assert compared > 100


def test_the_help_renderers_stand_ins_are_richs_classes_when_used(monkeypatch):
    import typer

    from mailcheck.cli import help_renderer

    monkeypatch.setattr(typer, "rich_utils", typer.rich_utils)  # put back after the fresh import
    for module in ("typer.rich_utils", "rich.markdown", "rich.traceback"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    help_renderer.load()
    fresh = sys.modules["typer.rich_utils"]
    assert "rich.markdown" not in sys.modules and "rich.traceback" not in sys.modules
    page = fresh.Markdown("**bold**")  # what typer draws help written in Markdown with
    real = sys.modules["rich.markdown"].Markdown
    assert type(page) is real and isinstance(page, fresh.Markdown) and page.markup == "**bold**"
    assert fresh.Traceback.from_exception.__func__ is sys.modules["rich.traceback"].Traceback.from_exception.__func__
