"""DMARC as RFC 9989 reads it, beside RFC 7489: the tree walk against the Public Suffix
List, long names, np=, psd=, t=, the removed tags, and what each generation of receivers
applies, through the CLI in text and JSON and at the check level."""

from __future__ import annotations

import pytest

from mailcheck.model import Status
from mailcheck.records.dmarc_discovery import NameRecords, tree_walk, walk_names
from tests.helpers import checks_by_id, offline, one_check, run_cli
from tests.test_dmarc import dmarc_run, only, outcome


def domain_json(domain: str) -> dict:
    result = run_cli("domain", domain, *offline("--no-smtp", "--format", "json"))
    return result.json()


def domain_text(domain: str) -> str:
    return run_cli("domain", domain, *offline("--no-smtp", "--no-color")).stdout


# -- the tree walk and the Public Suffix List disagree -----------------------------------


def test_psd_n_below_the_psl_organizational_domain_splits_the_generations():
    report = domain_json("a.dept.dmarc-walk.example")
    discovery = one_check(report, "dmarc.discovery")
    assert (discovery["status"], discovery["summary"]) == (
        "warn",
        "RFC 9989 receivers apply sp=none from _dmarc.dept.dmarc-walk.example; RFC 7489 receivers apply "
        "sp=reject from _dmarc.dmarc-walk.example (tree walk: _dmarc.a.dept.dmarc-walk.example, "
        "_dmarc.dept.dmarc-walk.example)",
    )
    assert discovery["details"]["rfc9989"]["organizational_domain"] == "dept.dmarc-walk.example"
    assert discovery["details"]["rfc7489"] == {
        "record": "_dmarc.dmarc-walk.example",
        "policy": "sp=reject",
        "testing": False,
        "asked": ["_dmarc.a.dept.dmarc-walk.example", "_dmarc.dmarc-walk.example"],
        "organizational_domain": "dmarc-walk.example",
    }
    alignment = one_check(report, "dmarc.alignment")
    assert (alignment["status"], alignment["summary"]) == (
        "warn",
        "adkim=r (relaxed), aspf=r (relaxed); organizational domain dept.dmarc-walk.example by the RFC 9989 "
        "tree walk, dmarc-walk.example by the RFC 7489 Public Suffix List: relaxed alignment of other names "
        "under them differs between receivers",
    )
    # The checks that judge the record judge the one RFC 7489 receivers apply.
    assert one_check(report, "dmarc.policy")["details"]["effective"] == "reject"


def test_psd_n_split_in_text():
    out = domain_text("a.dept.dmarc-walk.example")
    assert (
        "! dmarc.discovery  RFC 9989 receivers apply sp=none from _dmarc.dept.dmarc-walk.example; "
        "RFC 7489 receivers apply sp=reject from _dmarc.dmarc-walk.example"
    ) in out


def test_an_intermediate_record_without_psd_does_not_stop_the_walk():
    # RFC 9989 §4.10.2: without psd= the record with the fewest labels is the
    # organizational domain's, so team's p=none is not what x.team gets.
    report = domain_json("x.team.dmarc-walk.example")
    discovery = one_check(report, "dmarc.discovery")
    assert (discovery["status"], discovery["summary"]) == (
        "info",
        "RFC 9989 and RFC 7489 receivers both apply sp=reject from _dmarc.dmarc-walk.example (tree walk: "
        "_dmarc.x.team.dmarc-walk.example, _dmarc.team.dmarc-walk.example, _dmarc.dmarc-walk.example, "
        "_dmarc.example)",
    )
    assert one_check(report, "dmarc.alignment")["status"] == "info"


def test_only_the_tree_walk_finds_a_record():
    report = domain_json("box.lab.dmarc-walkonly.example")
    record = one_check(report, "dmarc.record")
    assert (record["status"], record["summary"]) == (
        "warn",
        "RFC 7489 receivers find no record at _dmarc.box.lab.dmarc-walkonly.example nor at "
        "_dmarc.dmarc-walkonly.example; RFC 9989 receivers apply the one their tree walk finds at "
        "_dmarc.lab.dmarc-walkonly.example: v=DMARC1; p=quarantine; rua=mailto:dmarc@dmarc-walkonly.example",
    )
    discovery = one_check(report, "dmarc.discovery")
    assert (discovery["status"], discovery["summary"]) == (
        "warn",
        "RFC 9989 receivers apply sp=quarantine from _dmarc.lab.dmarc-walkonly.example; RFC 7489 receivers "
        "find no record (tree walk: _dmarc.box.lab.dmarc-walkonly.example, _dmarc.lab.dmarc-walkonly.example, "
        "_dmarc.dmarc-walkonly.example, _dmarc.example)",
    )
    assert discovery["details"]["rfc7489"]["record"] is None


def test_a_long_name_skips_to_seven_labels_and_asks_eight_names(resolver_factory):
    domain = "a.b.c.d.e.f.g.h.dmarc-long.example"
    checks, asked = dmarc_run(resolver_factory, domain)
    walk = [
        "_dmarc.a.b.c.d.e.f.g.h.dmarc-long.example",
        "_dmarc.d.e.f.g.h.dmarc-long.example",
        "_dmarc.e.f.g.h.dmarc-long.example",
        "_dmarc.f.g.h.dmarc-long.example",
        "_dmarc.g.h.dmarc-long.example",
        "_dmarc.h.dmarc-long.example",
        "_dmarc.dmarc-long.example",
        "_dmarc.example",
    ]
    assert sorted(name for name in asked if name.startswith("_dmarc.")) == sorted(f"{n} TXT" for n in walk)
    discovery = only(checks, "dmarc.discovery")
    assert discovery.details["rfc9989"]["walk"] == walk
    # c.d.e.f.g.h's psd=n record is skipped, so both generations land on dmarc-long.example.
    assert outcome(discovery) == (
        Status.INFO,
        f"RFC 9989 and RFC 7489 receivers both apply sp=reject from _dmarc.dmarc-long.example (tree walk: {', '.join(walk)})",
    )


def test_walk_names_per_rfc_9989_section_4_10():
    assert walk_names("example") == ["example"]
    assert walk_names("a.b.example") == ["a.b.example", "b.example", "example"]
    eight = "a.b.c.d.e.f.g.example"
    assert walk_names(eight) == [eight, *(eight.split(".", i)[-1] for i in range(1, 8))]
    assert len(walk_names("1.2.3.4.5.6.7.8.9.10.11.12.example")) == 8
    assert walk_names("1.2.3.4.5.6.7.8.9.10.11.12.example")[1] == "7.8.9.10.11.12.example"


def test_a_registry_psd_record_applies_when_the_organizational_domain_has_none():
    # A real public suffix cannot be served by the fixture zones without changing every
    # name under it, so the walk is replayed on answers for one: _dmarc.test with psd=y.
    answers = {
        "shop.brand.test": NameRecords("shop.brand.test"),
        "brand.test": NameRecords("brand.test"),
        "test": NameRecords("test", ("v=DMARC1; p=reject; psd=y; np=reject",)),
    }
    found = tree_walk("shop.brand.test", answers)
    assert (found.via, found.policy_domain, found.org_domain, found.psd_domain) == ("psd", "test", "brand.test", "test")
    answers["brand.test"] = NameRecords("brand.test", ("v=DMARC1; p=none",))
    found = tree_walk("shop.brand.test", answers)
    assert (found.via, found.policy_domain, found.org_domain) == ("organizational", "brand.test", "brand.test")


def test_several_records_at_a_parent_are_discarded_by_the_walk():
    answers = {
        "a.b.example": NameRecords("a.b.example"),
        "b.example": NameRecords("b.example", ("v=DMARC1; p=none", "v=DMARC1; p=reject")),
        "example": NameRecords("example"),
    }
    found = tree_walk("a.b.example", answers)
    assert (found.via, found.record, found.org_domain) == ("none", None, "a.b.example")


# -- np= ---------------------------------------------------------------------------------


def test_np_none_under_p_reject_leaves_non_existent_subdomains_unprotected():
    report = domain_json("dmarc-tags.example")
    np = one_check(report, "dmarc.np")
    assert (np["status"], np["summary"]) == (
        "warn",
        "np=none: spoofed mail from non-existent subdomains of dmarc-tags.example is delivered by RFC 9989 "
        "receivers, though p=reject, sp=reject; RFC 7489 receivers ignore np= and apply sp=reject",
    )
    assert np["details"] == {
        "name": "_dmarc.dmarc-tags.example",
        "np": "none",
        "source": "np",
        "explicit": True,
        "sp": "reject",
    }
    assert np["fix"] == "Set np=reject (or remove np= to inherit sp=reject) at _dmarc.dmarc-tags.example."
    assert "RFC 9989 §4.7" in np["refs"]


def test_absent_np_says_which_tag_applies_instead():
    np = one_check(domain_json("dmarc-inherit.example"), "dmarc.np")
    assert (np["status"], np["summary"]) == (
        "pass",
        "non-existent subdomains of dmarc-inherit.example get no np=, so sp=quarantine applies (RFC 9989); "
        "RFC 7489 receivers ignore np= and apply sp=quarantine",
    )
    assert np["details"]["source"] == "sp"


def test_np_reject_with_p_none_passes_np_and_a_non_existent_name_gets_it(resolver_factory):
    np = one_check(domain_json("dmarc-np.example"), "dmarc.np")
    assert (np["status"], np["summary"]) == (
        "pass",
        "non-existent subdomains of dmarc-np.example get np=reject (RFC 9989); RFC 7489 receivers ignore np= and apply sp=none",
    )
    # The domain command skips a name that does not exist, so the name is judged at
    # the check level, as a message from it would be.
    checks, asked = dmarc_run(resolver_factory, "nosuch.dmarc-np.example")
    assert "nosuch.dmarc-np.example A" in asked
    discovery = only(checks, "dmarc.discovery")
    assert outcome(discovery) == (
        Status.WARN,
        "RFC 9989 receivers apply np=reject from _dmarc.dmarc-np.example; RFC 7489 receivers apply sp=none "
        "from _dmarc.dmarc-np.example (tree walk: _dmarc.nosuch.dmarc-np.example, _dmarc.dmarc-np.example, "
        "_dmarc.example)",
    )
    assert discovery.details["exists"] is False


def test_an_existing_subdomain_gets_sp_from_both_generations(resolver_factory):
    checks, asked = dmarc_run(resolver_factory, "sub.dmarc-inherit.example")
    assert "sub.dmarc-inherit.example A" in asked
    discovery = only(checks, "dmarc.discovery")
    assert outcome(discovery) == (
        Status.INFO,
        "RFC 9989 and RFC 7489 receivers both apply sp=quarantine from _dmarc.dmarc-inherit.example (tree walk: "
        "_dmarc.sub.dmarc-inherit.example, _dmarc.dmarc-inherit.example, _dmarc.example)",
    )
    assert discovery.details["exists"] is True


def test_np_of_a_record_below_the_organizational_domain_is_not_used():
    np = one_check(domain_json("testing.dmarc-tags.example"), "dmarc.np")
    assert (np["status"], np["summary"]) == (
        "info",
        "non-existent names under testing.dmarc-tags.example take np= of the organizational domain's record "
        "(_dmarc.dmarc-tags.example) under RFC 9989, not p=reject from _dmarc.testing.dmarc-tags.example",
    )


# -- t= and pct= ---------------------------------------------------------------------------


def test_t_y_alone_is_test_mode_for_rfc_9989_receivers_only():
    report = domain_json("testing.dmarc-tags.example")
    testing = one_check(report, "dmarc.testing")
    assert (testing["status"], testing["summary"]) == (
        "warn",
        "t=y: RFC 9989 receivers do not apply p=reject (test mode, like p=none); RFC 7489 receivers ignore t= "
        "and apply p=reject to 100% of failing mail",
    )
    assert testing["details"] == {"name": "_dmarc.testing.dmarc-tags.example", "t": "y", "pct": 100, "policy": "p=reject"}
    discovery = one_check(report, "dmarc.discovery")
    assert (discovery["status"], discovery["summary"]) == (
        "warn",
        "RFC 9989 receivers apply p=reject in test mode (not applied) from _dmarc.testing.dmarc-tags.example; "
        "RFC 7489 receivers apply p=reject from _dmarc.testing.dmarc-tags.example (tree walk: "
        "_dmarc.testing.dmarc-tags.example, _dmarc.dmarc-tags.example, _dmarc.example)",
    )
    assert discovery["fix"] == (
        "Publish t=y together with pct=0 at _dmarc.testing.dmarc-tags.example (test mode for both generations), or neither."
    )


def test_t_y_with_pct_0_is_test_mode_for_both():
    report = domain_json("both.dmarc-tags.example")
    testing = one_check(report, "dmarc.testing")
    assert (testing["status"], testing["summary"]) == (
        "warn",
        "t=y: RFC 9989 receivers do not apply p=quarantine (test mode, like p=none); RFC 7489 receivers, "
        "which ignore t=, see pct=0 and apply the next weaker policy",
    )
    discovery = one_check(report, "dmarc.discovery")
    assert (discovery["status"], discovery["details"]["rfc9989"]["testing"], discovery["details"]["rfc7489"]["testing"]) == (
        "info",
        True,
        True,
    )


def test_pct_0_without_t_is_test_mode_for_rfc_7489_receivers_only():
    report = domain_json("legacy.dmarc-tags.example")
    testing = one_check(report, "dmarc.testing")
    assert (testing["status"], testing["summary"]) == (
        "warn",
        "pct=0: RFC 7489 receivers apply the next weaker policy than p=reject; RFC 9989 receivers ignore pct= "
        "and apply p=reject (t=n)",
    )
    pct = one_check(report, "dmarc.pct")
    assert (pct["status"], pct["summary"]) == (
        "warn",
        "pct=0: RFC 7489 receivers apply the policy to 0% of failing mail and only monitor the rest; "
        "RFC 9989 receivers ignore pct= and apply p=reject to all of it",
    )


def test_no_t_and_no_pct_0_gives_no_testing_result():
    assert checks_by_id(domain_json("good.example"), "dmarc.testing") == []


# -- removed and unknown tags ----------------------------------------------------------------


def test_unknown_tags_warn_and_removed_ones_are_named():
    report = domain_json("legacy.dmarc-tags.example")
    tags = one_check(report, "dmarc.tags")
    assert (tags["status"], tags["subject"], tags["summary"]) == (
        "warn",
        "legacy.dmarc-tags.example",
        "receivers ignore the unknown tag adkin= at _dmarc.legacy.dmarc-tags.example; rf=afrf, ri=3600: "
        "RFC 7489 receivers may still read them, RFC 9989 receivers ignore them (removed)",
    )
    assert tags["details"] == {
        "name": "_dmarc.legacy.dmarc-tags.example",
        "unknown": ["adkin"],
        "removed": {"rf": "afrf", "ri": "3600"},
    }
    # An unknown tag is not a failure: the record is still valid.
    assert one_check(report, "dmarc.syntax")["status"] == "pass"


def test_removed_tags_in_text():
    out = domain_text("legacy.dmarc-tags.example")
    assert "! dmarc.tags  receivers ignore the unknown tag adkin=" in out
    assert "! dmarc.testing  pct=0: RFC 7489 receivers apply the next weaker policy than p=reject" in out


# -- psd= ------------------------------------------------------------------------------------


def test_psd_y_on_a_domain_the_psl_does_not_list_warns():
    psd = one_check(domain_json("dmarc-psd.example"), "dmarc.psd")
    assert (psd["status"], psd["summary"]) == (
        "warn",
        "psd=y at _dmarc.dmarc-psd.example, but the Public Suffix List does not list dmarc-psd.example as a "
        "public suffix: RFC 9989 receivers treat each subdomain of dmarc-psd.example as its own organization "
        "(organizational domain of dmarc-psd.example: dmarc-psd.example); RFC 7489 receivers ignore psd=",
    )
    assert psd["fix"] == "Remove psd=y from _dmarc.dmarc-psd.example: it is for registries' domains only."
    assert psd["details"]["public_suffix"] is False


def test_a_subdomain_under_a_psd_record_is_its_own_organization():
    report = domain_json("shop.dmarc-psd.example")
    discovery = one_check(report, "dmarc.discovery")
    assert (discovery["status"], discovery["summary"]) == (
        "info",
        "RFC 9989 and RFC 7489 receivers both apply sp=reject from _dmarc.dmarc-psd.example (tree walk: "
        "_dmarc.shop.dmarc-psd.example, _dmarc.dmarc-psd.example); for RFC 9989 receivers it is the public "
        "suffix domain's record, shop.dmarc-psd.example having none as organizational domain",
    )
    assert discovery["details"]["rfc9989"]["psd_domain"] == "dmarc-psd.example"
    alignment = one_check(report, "dmarc.alignment")
    assert alignment["status"] == "warn"
    assert alignment["details"]["organizational_domain"] == {
        "rfc9989": "shop.dmarc-psd.example",
        "rfc7489": "dmarc-psd.example",
    }


def test_a_subdomain_with_its_own_record_under_a_psd_record_is_told_of_the_psd():
    report = domain_json("bank.dmarc-psd.example")
    psd = one_check(report, "dmarc.psd")
    assert psd["status"] == "warn"
    assert psd["details"] == {
        "name": "_dmarc.dmarc-psd.example",
        "psd": "y",
        "public_suffix": False,
        "organizational_domain": "bank.dmarc-psd.example",
    }


def test_psd_n_is_info_naming_the_psl_organizational_domain(resolver_factory):
    checks, _ = dmarc_run(resolver_factory, "dept.dmarc-walk.example")
    assert outcome(only(checks, "dmarc.psd")) == (
        Status.INFO,
        "psd=n at _dmarc.dept.dmarc-walk.example: dept.dmarc-walk.example is its own organizational domain for "
        "RFC 9989 receivers (the Public Suffix List's is dmarc-walk.example); RFC 7489 receivers ignore psd=",
    )


# -- what stays as it was ------------------------------------------------------------------


@pytest.mark.parametrize("domain", ["good.example", "dkim-big.test"])
def test_a_plain_record_is_the_same_for_both_generations(domain):
    result = run_cli("domain", domain, *offline("--no-smtp", "--format", "json"))
    report = result.json()
    discovery = one_check(report, "dmarc.discovery")
    assert discovery["status"] == "info"
    assert discovery["summary"].startswith(f"RFC 9989 and RFC 7489 receivers both apply p=reject from _dmarc.{domain} ")
    assert checks_by_id(report, "dmarc.psd") == checks_by_id(report, "dmarc.tags") == []


def test_an_unanswered_parent_leaves_the_own_policy_certain():
    # _dmarc.test lies outside the fixture zones and --offline refuses it.
    discovery = one_check(domain_json("dkim-big.test"), "dmarc.discovery")
    assert discovery["summary"].endswith("; _dmarc.test went unanswered, so its organizational domain is uncertain")
