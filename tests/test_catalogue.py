"""The check catalogue: in step with the code, complete, and what explain prints."""

from __future__ import annotations

import fnmatch
import importlib
import json
import re
from pathlib import Path

import pytest

from mailcheck import catalogue
from mailcheck.render.catalogue import list_markdown
from tests.emitted_ids import emitted_ids
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
REF = re.compile(r"^(RFC \d+( §[\d.]+)?(, [a-z ]+)?|https://\S+|docs/\S+\.md)$")


def test_every_id_the_code_emits_is_declared():
    emitted = emitted_ids()
    assert emitted.untraceable == []
    declared = catalogue.catalogue()
    # A wildcard emitter (f"compliance.{provider}.{rule}") is declared by the ids it stands for.
    undeclared = {
        check_id: where
        for check_id, where in emitted.ids.items()
        if check_id not in declared and not ("*" in check_id and any(fnmatch.fnmatchcase(d, check_id) for d in declared))
    }
    assert undeclared == {}


def test_every_declared_id_is_emitted_somewhere():
    # A specific entry under a wildcard emitter counts: f"{area}.lookup" emits mx.lookup.
    emitted = set(emitted_ids().ids)
    patterns = [pattern for pattern in emitted if "*" in pattern]

    def reached(check_id: str) -> bool:
        return check_id in emitted or any(fnmatch.fnmatchcase(check_id, p) for p in patterns)

    beside_code = {spec.id for name in catalogue.SPEC_MODULES for spec in catalogue.declared_specs(importlib.import_module(name))}
    old_style = [check_id for check_id in catalogue.catalogue() if check_id not in beside_code]
    assert [check_id for check_id in old_style if not reached(check_id)] == []


_EMIT_METHODS = ("ok", "info", "skip", "warn", "error", "fail", "result", "recast")


def test_every_spec_declared_beside_its_code_is_emitted():
    # A spec declared in a SPEC_MODULES module is emitted through its own methods
    # (SPEC.fail(...)), so its name followed by an emit method must appear in src/.
    source = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "src").rglob("*.py"))
    never = []
    for name in catalogue.SPEC_MODULES:
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if isinstance(value, catalogue.CheckSpec):
                calls = "|".join(_EMIT_METHODS)
                if not re.search(rf"\b{re.escape(attribute)}\.({calls})\(", source):
                    never.append(f"{name}.{attribute} ({value.id})")
    assert never == []


def test_the_scanner_finds_each_way_an_id_is_built(tmp_path):
    # The two tests above are only as good as the scanner: a scanner that found nothing
    # would pass the first and fail the second, one that missed a way would hide drift.
    package = tmp_path / "mailcheck"
    package.mkdir()
    (package / "area.py").write_text(
        'CONSTANT = "area.constant"\n'
        "def literal(): return Check('area.literal', s, x, y)\n"
        "def keyword(): return Check(id='area.keyword', status=s)\n"
        "def choose(t): return Check('area.a' if t else 'area.b', s, x, y)\n"
        "def local(t):\n    check_id = 'area.local'\n    return Check(check_id, s, x, y)\n"
        "def constant(): return Check(CONSTANT, s, x, y)\n"
        "def helper(check_id, name): return Check(check_id, s, name, y)\n"
        "def callers(): return [helper('area.param', 1), helper(check_id='area.param2', name=1)]\n"
        "def wild(area): return Check(f'{area}.lookup', s, x, y)\n"
        "def renamed(c): return replace(c, id='area.renamed')\n"
        "def passed(c): return Check(id=c.id, status=s)\n"
        "def lost(x): return Check(x.make_id(), s, x, y)\n"
    )
    emitted = emitted_ids(package)
    assert sorted(emitted.ids) == [
        "*.lookup",
        "area.a",
        "area.b",
        "area.constant",
        "area.keyword",
        "area.literal",
        "area.local",
        "area.param",
        "area.param2",
        "area.renamed",
    ]
    assert len(emitted.untraceable) == 1 and emitted.untraceable[0].endswith("x.make_id()")


@pytest.mark.parametrize("spec", list(catalogue.catalogue().values()), ids=lambda spec: spec.id)
def test_each_declaration_is_complete(spec):
    assert re.fullmatch(r"(\*|[a-z-]+)(\.[a-z0-9-]+)*\.([a-z0-9-]+|\*)", spec.id)
    assert 0 < len(spec.title) <= 60 and not spec.title.endswith(".")
    for text in (spec.verifies, spec.why, spec.example.why):
        assert len(text) >= 30 and text.rstrip().endswith((".", ")")), text
    assert spec.example.bad.strip() and spec.example.good.strip() and spec.example.bad != spec.example.good
    assert spec.refs and all(REF.match(ref) for ref in spec.refs), spec.refs


def test_references_become_links():
    spec = catalogue.find("spf.lookups")
    assert spec is not None and "RFC 7208 §4.6.4" in spec.refs
    assert "https://www.rfc-editor.org/rfc/rfc7208#section-4.6.4" in spec.ref_urls()
    assert catalogue.ref_url("RFC 8461") == "https://www.rfc-editor.org/rfc/rfc8461"
    assert catalogue.ref_url("docs/ci.md") is None


def test_explain_prints_every_part_of_a_check():
    spec = catalogue.find("dmarc.policy")
    assert spec is not None
    result = run_cli("explain", "dmarc.policy")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"dmarc.policy: {spec.title}\n")
    for heading in ("What it verifies", "Why it matters", "Example", "  Bad:", "  Fixed:", "References"):
        assert f"\n{heading}\n" in out
    flat = " ".join(out.split())
    assert " ".join(spec.verifies.split()) in flat and " ".join(spec.why.split()) in flat
    assert spec.example.bad.splitlines()[0] in out and spec.example.good.splitlines()[0] in out
    assert all(ref in out for ref in spec.refs)


def test_explain_json_carries_the_declaration():
    result = run_cli("explain", "SPF.Lookups", "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    spec = catalogue.find("spf.lookups")
    assert document["id"] == "spf.lookups" and document["title"] == spec.title
    assert document["example"] == {"bad": spec.example.bad, "good": spec.example.good, "why": spec.example.why}
    assert {"ref": "RFC 7208 §4.6.4", "url": "https://www.rfc-editor.org/rfc/rfc7208#section-4.6.4"} in document["refs"]


def test_explain_an_area_lookup_shows_the_generic_entry():
    result = run_cli("explain", "dkim.lookup")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("*.lookup: ")
    assert "(dkim.lookup is one of the checks *.lookup stands for)" in result.stdout
    assert run_cli("explain", "expect.dmarc.policy").stdout.startswith("expect.*: ")


def test_explain_list_names_every_check_once():
    result = run_cli("explain", "--list")
    assert result.exit_code == 0, result.stderr
    ids = [line.split()[0] for line in result.stdout.splitlines()[:-2]]
    assert ids == list(catalogue.catalogue())
    assert result.stdout.splitlines()[-1].startswith(f"{len(ids)} checks.")
    listed = json.loads(run_cli("explain", "--list", "--format", "json").stdout)["checks"]
    assert [entry["id"] for entry in listed] == ids


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("explain", "spf.lokups"), "no check is called 'spf.lokups': did you mean spf.lookups"),
        (("explain", "nothing-like-it"), "no check is called 'nothing-like-it': mailcheck explain --list shows every id"),
        (("explain",), "give one CHECK_ID or --list"),
        (("explain", "spf.all", "--list"), "give one CHECK_ID or --list"),
    ],
)
def test_explain_bad_input_is_one_line_and_exit_2(args, message):
    result = run_cli(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("mailcheck: error: ")
    assert message in result.stderr


def test_docs_checks_md_is_generated_from_the_catalogue():
    generated = list_markdown(list(catalogue.catalogue().values()))
    assert (ROOT / "docs" / "checks.md").read_text(encoding="utf-8") == generated, (
        "docs/checks.md is stale: mailcheck explain --list --format markdown > docs/checks.md"
    )
    assert run_cli("explain", "--list", "--format", "markdown").stdout == generated


def test_readme_links_the_full_list():
    assert "(docs/checks.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_text_report_with_a_problem_ends_with_the_explain_hint():
    from tests.helpers import offline

    failing = run_cli("domain", *offline("spf-toomany.example", "--no-smtp", "--no-color"))
    assert failing.exit_code == 1
    # Every failing check of the report is named, and explain knows them.
    assert failing.stdout.splitlines()[-1] == (
        "What a check means and how to fix it: mailcheck explain ID, for spf.lookups, dmarc.record"
    )
    assert "✗ spf.lookups" in failing.stdout
    assert run_cli("explain", "spf.lookups").exit_code == 0

    quiet = run_cli("domain", *offline("spf-toomany.example", "--no-smtp", "--no-color", "--quiet"))
    assert "mailcheck explain" not in quiet.stdout
    healthy = run_cli("domain", *offline("good.example", "--no-smtp", "--no-color", "-s", "google"))
    assert healthy.exit_code == 0 and "mailcheck explain" not in healthy.stdout
