"""RFC 8020 in DKIM probing: NXDOMAIN for _domainkey.DOMAIN answers for every common
selector, so a domain without DKIM costs one query, not one a selector."""

from __future__ import annotations

import json

from tests.helpers import mentions, offline, run_cli


def _dkim_queries(stdout: str, domain: str) -> list[str]:
    return [line for line in stdout.splitlines() if f"_domainkey.{domain} TXT -> " in line]


def test_no_domainkey_subtree_means_one_query_and_the_usual_warning():
    result = run_cli("domain", *offline("mx-null.example", "--no-smtp", "--verbose", "--no-color"))
    asked = _dkim_queries(result.stdout, "mx-null.example")
    assert len(asked) == 1 and "  _domainkey.mx-null.example TXT -> NXDOMAIN" in asked[0], asked
    assert "_domainkey.mx-null.example does not exist (NXDOMAIN): no selector below it (RFC 8020)" in result.stdout
    report = json.loads(run_cli("domain", *offline("mx-null.example", "--no-smtp", "--format", "json")).stdout)
    selectors = next(c for o in report["obstacles"] for c in o["checks"] if c["id"] == "dkim.selectors")
    assert selectors["status"] == "warn"
    assert mentions(selectors["summary"], "51 probed", "--dkim-selector")
    assert selectors["details"]["found"] == [] and len(selectors["details"]["probed"]) == 51


def test_an_existing_domainkey_subtree_is_probed_selector_by_selector():
    result = run_cli("domain", *offline("good.example", "--no-smtp", "--verbose", "--no-color"))
    asked = _dkim_queries(result.stdout, "good.example")
    # The subtree's own name, then each of the 51 selectors below it.
    assert len(asked) == 1 + 51, len(asked)
    assert "✓ dkim.key [google]  google: RSA 2048-bit key" in result.stdout
