"""bimi.*: the record at SELECTOR._bimi (or the organizational domain's), the DMARC
policy BIMI depends on (the domain's own, else the organizational domain's sp= or p=),
the logo fetched from a loopback HTTPS server (SVG Tiny PS, plain SVG, not SVG) and the
mark certificate's presence."""

from __future__ import annotations

import pytest

from tests.helpers import mentions, offline, one_check, run_cli
from tests.helpers.https_server import HttpsServer, Route
from tests.helpers.transport import checks_of, transport_report

TINY_PS = (
    b'<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 100 100">'
    b'<title>Transport Good</title><rect width="100" height="100" fill="#036"/></svg>'
)
PLAIN_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 100 100"><rect width="100" height="100"/></svg>'
SVG = {"Content-Type": "image/svg+xml"}


# bimi.bimi-org.example in fixtures/zones/bimi-*.example.zone: the logo host of the
# organizational-domain fixtures.
ORG_HOST = "bimi.bimi-org.example"
ORG_ADDRESS = "127.0.2.160"


def serve(logo: bytes, hostname: str = "bimi.transport-good.example", host: str = "127.0.2.1"):
    import trustme

    vmc = trustme.CA().cert_pem.bytes()
    routes = {
        "/logo.svg": Route(200, SVG, logo),
        "/vmc.pem": Route(200, {"Content-Type": "application/pem-certificate-chain"}, vmc),
        "/notsvg.svg": Route(200, {"Content-Type": "text/html"}, b"<html><body>logo</body></html>"),
    }
    return HttpsServer(routes, hostnames=[hostname], host=host)


@pytest.fixture(scope="module")
def bimi_server():
    with serve(TINY_PS) as server:
        yield server


@pytest.fixture(scope="module")
def org_server():
    with serve(TINY_PS, ORG_HOST, ORG_ADDRESS) as server:
        yield server


def report(resolver_factory, server, domain: str, **options):
    return transport_report(resolver_factory, domain, smtp=False, https_port=server.port, ca_file=server.ca_file, **options)


def test_good_bimi(resolver_factory, bimi_server):
    result = report(resolver_factory, bimi_server, "transport-good.example")
    record = one_check(result, "bimi.record")
    assert record["status"] == "pass"
    assert mentions(
        record["summary"],
        "default._bimi.transport-good.example",
        "v=BIMI1",
        "l=https://bimi.transport-good.example/logo.svg",
        "a=https://bimi.transport-good.example/vmc.pem",
    )
    dmarc = one_check(result, "bimi.dmarc")
    assert (dmarc["status"], dmarc["summary"]) == (
        "pass",
        "DMARC p=reject at _dmarc.transport-good.example: BIMI logos can be shown",
    )
    logo = one_check(result, "bimi.logo")
    assert logo["status"] == "pass"
    assert mentions(logo["summary"], "https://bimi.transport-good.example/logo.svg", "SVG Tiny PS", f"{len(TINY_PS)} bytes")
    vmc = one_check(result, "bimi.vmc")
    assert vmc["status"] == "pass"
    assert mentions(vmc["summary"], "https://bimi.transport-good.example/vmc.pem", "1 PEM")


def test_plain_svg_is_not_tiny_ps(resolver_factory):
    with serve(PLAIN_SVG) as server:
        result = report(resolver_factory, server, "transport-good.example")
    logo = one_check(result, "bimi.logo")
    assert logo["status"] == "warn"
    assert mentions(logo["summary"], "https://bimi.transport-good.example/logo.svg", len(PLAIN_SVG), "1.2", "1.1")


def test_dmarc_none_and_a_logo_that_is_not_svg(resolver_factory, bimi_server):
    result = report(resolver_factory, bimi_server, "transport-bad.example")
    dmarc = one_check(result, "bimi.dmarc")
    assert dmarc["status"] == "warn"
    assert mentions(dmarc["summary"], "p=none", "_dmarc.transport-bad.example", "p=quarantine", "pct=100", "p=reject")
    logo = one_check(result, "bimi.logo")
    assert logo["status"] == "fail"
    assert logo["summary"].startswith(
        "BIMI logo https://bimi.transport-good.example/notsvg.svg is not an SVG image (text/html, 30 bytes)"
    )
    vmc = one_check(result, "bimi.vmc")
    assert vmc["status"] == "info"
    assert vmc["summary"].startswith("no mark certificate (a= empty)")


def test_other_selector_with_an_http_logo_is_invalid(resolver_factory, bimi_server):
    result = report(resolver_factory, bimi_server, "transport-bad.example", bimi_selector="brand")
    record = one_check(result, "bimi.record")
    assert record["status"] == "fail"
    assert mentions(
        record["summary"],
        "brand._bimi.transport-bad.example",
        "l=",
        "http://bimi.transport-good.example/logo.svg",
        "v=BIMI1",
        "l=http://bimi.transport-good.example/logo.svg",
    )
    assert checks_of(result, "bimi.logo") == []


def test_no_record_is_info(resolver_factory, bimi_server):
    result = report(resolver_factory, bimi_server, "good.example")
    record = one_check(result, "bimi.record")
    assert record["status"] == "info"
    assert mentions(record["summary"], "default._bimi.good.example")


def test_cli_text_and_json(bimi_server):
    args = offline(
        "domain", "transport-bad.example", "--no-smtp", "--bimi-selector", "brand", "--https-port", str(bimi_server.port)
    )
    text = run_cli(*args, "--no-color")
    assert text.exit_code == 1
    assert "✗ bimi.record  BIMI record at brand._bimi.transport-bad.example is invalid" in text.stdout
    data = run_cli(*args, "--format", "json")
    assert data.exit_code == 1
    assert one_check(data.json(), "bimi.record")["details"]["name"] == "brand._bimi.transport-bad.example"


# -- the organizational domain's record ---------------------------------------------


def test_subdomain_falls_back_to_the_organizational_record(resolver_factory, org_server):
    result = report(resolver_factory, org_server, "sub.bimi-org.example")
    record = one_check(result, "bimi.record")
    assert record["status"] == "pass"
    assert mentions(
        record["summary"],
        "default._bimi.sub.bimi-org.example",
        "default._bimi.bimi-org.example",
        "v=BIMI1",
        "l=https://bimi.bimi-org.example/logo.svg",
        "a=https://bimi.bimi-org.example/vmc.pem",
    )
    assert (record["details"]["name"], record["details"]["inherited"]) == ("default._bimi.bimi-org.example", True)
    dmarc = one_check(result, "bimi.dmarc")
    assert dmarc["status"] == "pass"
    assert mentions(dmarc["summary"], "p=reject", "_dmarc.bimi-org.example", "_dmarc.sub.bimi-org.example", "sp=")
    logo = one_check(result, "bimi.logo")
    assert logo["status"] == "pass"
    assert mentions(logo["summary"], f"https://{ORG_HOST}/logo.svg", "SVG Tiny PS", f"{len(TINY_PS)} bytes")
    assert one_check(result, "bimi.vmc")["status"] == "pass"


def test_the_organizational_domain_uses_its_own_record(resolver_factory, org_server):
    result = report(resolver_factory, org_server, "bimi-org.example")
    record = one_check(result, "bimi.record")
    assert record["status"] == "pass"
    assert record["summary"].startswith("default._bimi.bimi-org.example: v=BIMI1; ")
    assert record["details"]["inherited"] is False


def test_a_txt_record_that_is_not_bimi_does_not_stop_the_fallback(resolver_factory, org_server):
    result = report(resolver_factory, org_server, "other.bimi-org.example")
    record = one_check(result, "bimi.record")
    assert record["status"] == "pass"
    assert record["summary"].startswith(
        "no BIMI record at default._bimi.other.bimi-org.example; the organizational domain's record at default._bimi.bimi-org.example applies: "
    )


def test_no_record_at_either_name_is_info(resolver_factory, org_server):
    result = report(resolver_factory, org_server, "sub.bimi-org.example", bimi_selector="brand")
    record = one_check(result, "bimi.record")
    assert record["status"] == "info"
    assert mentions(record["summary"], "brand._bimi.sub.bimi-org.example", "brand._bimi.bimi-org.example")
    assert checks_of(result, "bimi.dmarc") == []


def test_a_declination_at_the_domain_is_not_overridden_by_the_organizational_record(resolver_factory, org_server):
    result = report(resolver_factory, org_server, "decline.bimi-org.example")
    record = one_check(result, "bimi.record")
    assert record["status"] == "info"
    assert mentions(record["summary"], "default._bimi.decline.bimi-org.example", "l=", "a=", "v=BIMI1", "l=", "a=")
    assert checks_of(result, "bimi.logo") == []


def test_two_records_at_the_domain_are_not_overridden_by_the_organizational_record(resolver_factory, org_server):
    result = report(resolver_factory, org_server, "twice.bimi-org.example")
    record = one_check(result, "bimi.record")
    assert record["status"] == "fail"
    assert mentions(record["summary"], "2 BIMI", "default._bimi.twice.bimi-org.example")


# -- the record's tags --------------------------------------------------------------


def test_empty_logo_with_a_certificate_is_not_a_declination(resolver_factory, org_server):
    result = report(resolver_factory, org_server, "vmconly.bimi-org.example")
    record = one_check(result, "bimi.record")
    assert record["status"] == "pass"
    assert mentions(
        record["summary"], "default._bimi.vmconly.bimi-org.example", "v=BIMI1", "l=", "a=https://bimi.bimi-org.example/vmc.pem"
    )
    logo = one_check(result, "bimi.logo")
    assert logo["status"] == "info"
    assert mentions(logo["summary"], "l=", "https://bimi.bimi-org.example/vmc.pem")
    vmc = one_check(result, "bimi.vmc")
    assert vmc["status"] == "pass"
    assert mentions(vmc["summary"], "https://bimi.bimi-org.example/vmc.pem", "1 PEM")
    assert one_check(result, "bimi.dmarc")["status"] == "pass"


def test_tag_names_are_case_sensitive(resolver_factory, org_server):
    result = report(resolver_factory, org_server, "upper.bimi-org.example")
    record = one_check(result, "bimi.record")
    assert record["status"] == "fail"
    assert mentions(
        record["summary"],
        "default._bimi.upper.bimi-org.example",
        "l=",
        "L=",
        "l=",
        "v=BIMI1",
        "L=https://bimi.bimi-org.example/logo.svg",
        "A=https://bimi.bimi-org.example/vmc.pem",
    )


@pytest.mark.parametrize(
    ("text", "logo", "vmc", "declines"),
    [
        ("v=BIMI1; l=; a=", "", "", True),
        ("v=BIMI1; l=", "", "", True),
        ("v=BIMI1; l=; a=https://h.example/vmc.pem", "", "https://h.example/vmc.pem", False),
        ("v=BIMI1; l=https://h.example/l.svg; A=https://h.example/vmc.pem", "https://h.example/l.svg", "", False),
    ],
)
def test_parse_declination_and_tag_case(text, logo, vmc, declines):
    from mailcheck.checks.bimi import parse_bimi

    record = parse_bimi(text)
    assert (record.logo, record.vmc, record.declines) == (logo, vmc, declines)


# -- the DMARC policy that applies ----------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "status", "summary"),
    [
        (
            "quarantine.bimi-org.example",
            "pass",
            "DMARC p=quarantine with pct=100 at _dmarc.quarantine.bimi-org.example: BIMI logos can be shown",
        ),
        (
            "half.bimi-org.example",
            "warn",
            "BIMI does not count: DMARC is p=quarantine with pct=50 at _dmarc.half.bimi-org.example, "
            "and BIMI needs p=quarantine with pct=100 or p=reject",
        ),
        (
            "rejecthalf.bimi-org.example",
            "pass",
            "DMARC p=reject at _dmarc.rejecthalf.bimi-org.example: BIMI logos can be shown",
        ),
        (
            # The organizational domain's p=reject applies to itself; its sp=none does not.
            "bimi-spnone.example",
            "pass",
            "DMARC p=reject at _dmarc.bimi-spnone.example: BIMI logos can be shown",
        ),
        (
            "sub.bimi-spnone.example",
            "warn",
            "BIMI does not count: DMARC is sp=none from the organizational domain's record at _dmarc.bimi-spnone.example "
            "(none at _dmarc.sub.bimi-spnone.example), and BIMI needs sp=quarantine with pct=100 or sp=reject",
        ),
        (
            # A subdomain's own record wins over the organizational domain's sp=none.
            "own.bimi-spnone.example",
            "pass",
            "DMARC p=quarantine with pct=100 at _dmarc.own.bimi-spnone.example: BIMI logos can be shown",
        ),
        (
            "bimi-sp.example",
            "warn",
            "BIMI does not count: DMARC is p=none at _dmarc.bimi-sp.example, and BIMI needs p=quarantine with pct=100 or p=reject",
        ),
        (
            "sub.bimi-sp.example",
            "pass",
            "DMARC sp=reject from the organizational domain's record at _dmarc.bimi-sp.example "
            "(none at _dmarc.sub.bimi-sp.example): BIMI logos can be shown",
        ),
        (
            # pct= of the organizational domain's record covers its sp= too.
            "sub.bimi-sppct.example",
            "warn",
            "BIMI does not count: DMARC is sp=quarantine with pct=25 from the organizational domain's record at "
            "_dmarc.bimi-sppct.example (none at _dmarc.sub.bimi-sppct.example), and BIMI needs sp=quarantine with "
            "pct=100 or sp=reject",
        ),
    ],
)
def test_dmarc_policy_that_applies(resolver_factory, org_server, domain, status, summary):
    result = report(resolver_factory, org_server, domain)
    dmarc = one_check(result, "bimi.dmarc")
    assert (dmarc["status"], dmarc["summary"]) == (status, summary)


def test_dmarc_fix_names_the_record_to_change(resolver_factory, org_server):
    sub = one_check(report(resolver_factory, org_server, "sub.bimi-spnone.example"), "bimi.dmarc")
    assert sub["fix"] == (
        "Set sp=quarantine (pct=100) or sp=reject at _dmarc.bimi-spnone.example, or publish an enforcing record "
        "at _dmarc.sub.bimi-spnone.example."
    )
    assert (sub["details"]["tag"], sub["details"]["policy"], sub["details"]["inherited"]) == ("sp", "none", True)
    half = one_check(report(resolver_factory, org_server, "half.bimi-org.example"), "bimi.dmarc")
    assert half["fix"] == (
        "Raise _dmarc.half.bimi-org.example to p=quarantine with pct=100, or p=reject, once reports show your mail aligns."
    )
