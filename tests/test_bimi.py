"""bimi.*: the record at SELECTOR._bimi, the DMARC policy BIMI depends on, the logo
fetched from a loopback HTTPS server (SVG Tiny PS, plain SVG, not SVG) and the mark
certificate's presence."""

from __future__ import annotations

import pytest

from tests.conftest import offline, one_check, run_cli
from tests.https_server import HttpsServer, Route
from tests.transport_helpers import checks_of, transport_report

TINY_PS = (
    b'<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 100 100">'
    b"<title>Transport Good</title><rect width=\"100\" height=\"100\" fill=\"#036\"/></svg>"
)
PLAIN_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 100 100"><rect width="100" height="100"/></svg>'
SVG = {"Content-Type": "image/svg+xml"}


def serve(logo: bytes):  # type: ignore[no-untyped-def]
    import trustme

    vmc = trustme.CA().cert_pem.bytes()
    routes = {
        "/logo.svg": Route(200, SVG, logo),
        "/vmc.pem": Route(200, {"Content-Type": "application/pem-certificate-chain"}, vmc),
        "/notsvg.svg": Route(200, {"Content-Type": "text/html"}, b"<html><body>logo</body></html>"),
    }
    return HttpsServer(routes, hostnames=["bimi.transport-good.example"], host="127.0.2.1")


@pytest.fixture(scope="module")
def bimi_server():
    with serve(TINY_PS) as server:
        yield server


def report(resolver_factory, server, domain: str, **options):  # type: ignore[no-untyped-def]
    return transport_report(resolver_factory, domain, smtp=False, https_port=server.port, ca_file=server.ca_file, **options)


def test_good_bimi(resolver_factory, bimi_server):
    result = report(resolver_factory, bimi_server, "transport-good.example")
    record = one_check(result, "bimi.record")
    assert record["status"] == "pass"
    assert record["summary"] == (
        "default._bimi.transport-good.example: v=BIMI1; l=https://bimi.transport-good.example/logo.svg; "
        "a=https://bimi.transport-good.example/vmc.pem"
    )
    dmarc = one_check(result, "bimi.dmarc")
    assert (dmarc["status"], dmarc["summary"]) == ("pass", "DMARC p=reject: BIMI logos can be shown")
    logo = one_check(result, "bimi.logo")
    assert logo["status"] == "pass"
    assert logo["summary"] == f"BIMI logo https://bimi.transport-good.example/logo.svg is an SVG Tiny PS image ({len(TINY_PS)} bytes)"
    vmc = one_check(result, "bimi.vmc")
    assert vmc["status"] == "pass"
    assert vmc["summary"] == "mark certificate present at https://bimi.transport-good.example/vmc.pem (1 PEM certificate(s); not validated)"


def test_plain_svg_is_not_tiny_ps(resolver_factory):
    with serve(PLAIN_SVG) as server:
        result = report(resolver_factory, server, "transport-good.example")
    logo = one_check(result, "bimi.logo")
    assert logo["status"] == "warn"
    assert logo["summary"] == (
        f"BIMI logo https://bimi.transport-good.example/logo.svg is an SVG ({len(PLAIN_SVG)} bytes) but not SVG Tiny PS "
        "as BIMI requires: The SVG version must be 1.2, not 1.1"
    )


def test_dmarc_none_and_a_logo_that_is_not_svg(resolver_factory, bimi_server):
    result = report(resolver_factory, bimi_server, "transport-bad.example")
    dmarc = one_check(result, "bimi.dmarc")
    assert dmarc["status"] == "warn"
    assert dmarc["summary"] == "BIMI does not count: DMARC is p=none, and BIMI needs p=quarantine or p=reject"
    logo = one_check(result, "bimi.logo")
    assert logo["status"] == "fail"
    assert logo["summary"].startswith("BIMI logo https://bimi.transport-good.example/notsvg.svg is not an SVG image (text/html, 30 bytes)")
    vmc = one_check(result, "bimi.vmc")
    assert vmc["status"] == "info"
    assert vmc["summary"].startswith("no mark certificate (a= empty)")


def test_other_selector_with_an_http_logo_is_invalid(resolver_factory, bimi_server):
    result = report(resolver_factory, bimi_server, "transport-bad.example", bimi_selector="brand")
    record = one_check(result, "bimi.record")
    assert record["status"] == "fail"
    assert record["summary"] == (
        "BIMI record at brand._bimi.transport-bad.example is invalid: l= must be empty or one https:// URL, "
        "not http://bimi.transport-good.example/logo.svg (record: v=BIMI1; l=http://bimi.transport-good.example/logo.svg)"
    )
    assert checks_of(result, "bimi.logo") == []


def test_no_record_is_info(resolver_factory, bimi_server):
    result = report(resolver_factory, bimi_server, "good.example")
    record = one_check(result, "bimi.record")
    assert record["status"] == "info"
    assert record["summary"] == "no BIMI record at default._bimi.good.example: mailboxes show no brand logo (optional)"


def test_cli_text_and_json(bimi_server):
    args = offline("domain", "transport-bad.example", "--no-smtp", "--bimi-selector", "brand", "--https-port", str(bimi_server.port))
    text = run_cli(*args, "--no-color")
    assert text.exit_code == 1
    assert "✗ bimi.record  BIMI record at brand._bimi.transport-bad.example is invalid" in text.stdout
    data = run_cli(*args, "--format", "json")
    assert data.exit_code == 1
    assert one_check(data.json(), "bimi.record")["details"]["name"] == "brand._bimi.transport-bad.example"
