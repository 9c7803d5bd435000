"""The check catalogue: in step with the code, complete, and what explain prints."""

from __future__ import annotations

import ast
import fnmatch
import importlib
import json
import re
from pathlib import Path

import pytest

from mailcheck import catalogue
from mailcheck.render.catalogue import list_markdown
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
REF = re.compile(r"^(RFC \d+( §[\d.]+)?(, [a-z ]+)?|https://\S+|docs/\S+\.md)$")


SRC = ROOT / "src" / "mailcheck"
SPEC_MODULE = SRC / "catalogue" / "spec.py"


def _id_builders(path: Path) -> list[str]:
    """Where PATH builds a check with an id of its own choosing: ``Check(...)`` or
    ``replace(check, id=...)``. Only CheckSpec may, so every id comes from a spec."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if called == "Check" or (called == "replace" and any(k.arg == "id" for k in node.keywords)):
            found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)[:60]}")
    return found


def test_the_builder_finder_sees_each_way_an_id_is_chosen(tmp_path):
    module = tmp_path / "area.py"
    module.write_text(
        "def a(): return Check('area.a', s, x, y)\n"
        "def b(c): return dataclasses.replace(c, id='area.b')\n"
        "def c(c): return replace(c, status=s)\n"
        "def d(): return SPEC.fail(x, y)\n"
    )
    assert [line.split(":")[1] for line in _id_builders(module)] == ["1", "2"]


def test_every_check_is_built_by_a_spec():
    """The ids a report can hold are the specs' ids (a wildcard family's members
    included), so the catalogue cannot miss one: no scan of the emitters is needed."""
    builders = [b for path in sorted(SRC.rglob("*.py")) if path != SPEC_MODULE for b in _id_builders(path)]
    assert builders == []
    assert _id_builders(SPEC_MODULE) != []  # the one place that builds them


_EMIT_METHODS = ("ok", "info", "skip", "warn", "error", "fail", "result", "recast", "member")


def test_every_spec_declared_beside_its_code_is_emitted():
    # A spec declared in a SPEC_MODULES module is emitted through its own methods
    # (SPEC.fail(...), LOOKUP.member(area).error(...)), so its name followed by an emit
    # method must appear in src/.
    source = "\n".join(path.read_text(encoding="utf-8") for path in SRC.rglob("*.py"))
    never = []
    for name in catalogue.SPEC_MODULES:
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if isinstance(value, catalogue.CheckSpec):
                calls = "|".join(_EMIT_METHODS)
                if not re.search(rf"\b{re.escape(attribute)}\.({calls})\(", source):
                    never.append(f"{name}.{attribute} ({value.id})")
    assert never == []


def test_every_compliance_rule_is_emitted_for_its_provider():
    from mailcheck.message.compliance import PROVIDERS, Facts, compliance_checks, compliance_specs

    facts = Facts(
        spf_pass=True,
        spf_known=True,
        dkim_pass=True,
        dkim_aligned=True,
        spf_aligned=True,
        dmarc_record=True,
        dmarc_pass=True,
        dmarc_policy="reject",
        ptr_ok=True,
        tls=True,
        format_ok=True,
        format_problem="",
        marketing=True,
        one_click=True,
        unsubscribe_any=True,
        body_link=True,
        smallest_key=2048,
    )
    emitted = [c.id for c in compliance_checks(facts, PROVIDERS)]
    assert emitted == [spec.id for spec in compliance_specs()]
    assert {c.id.split(".")[1] for c in compliance_checks(facts, ("yahoo",))} == {"yahoo"}


def test_the_specs_held_in_tables_are_emitted():
    """The entries not declared beside their code: the compliance rules (tested above),
    and specific members of a wildcard family that a beside-code spec emits (mx.lookup
    is the mx area's *.lookup)."""
    from mailcheck.message.compliance import compliance_specs

    beside_code = {spec.id for name in catalogue.SPEC_MODULES for spec in catalogue.declared_specs(importlib.import_module(name))}
    families = [check_id for check_id in beside_code if "*" in check_id]
    in_tables = set(catalogue.catalogue()) - beside_code - {spec.id for spec in compliance_specs()}
    assert in_tables == {"mx.lookup"}
    assert [i for i in in_tables if not any(fnmatch.fnmatchcase(i, family) for family in families)] == []


def test_a_family_member_takes_the_family_text():
    from mailcheck.area_errors import LOOKUP

    member = LOOKUP.member("spf")
    assert (member.id, member.title, member.refs) == ("spf.lookup", LOOKUP.title, LOOKUP.refs)
    with pytest.raises(ValueError, match="not a wildcard family"):
        member.member("x")


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
