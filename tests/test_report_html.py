"""mailcheck report --format html: one self-contained page, rendered by a real browser.

Chromium (Debian's package, installed by .ci/run) loads the page headless with its
network features off; the page's own Content-Security-Policy forbids every fetch, so
what it shows comes from the file alone.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli

REPORTS = ROOT / "fixtures" / "reports"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# The volume chart's bar colour in html.py.
BAR = (0x4C, 0x78, 0xA8)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    result = run_cli(
        "report",
        str(REPORTS / "aggregate-rfc7489.xml"),
        str(REPORTS / "two-reports.eml"),
        str(REPORTS / "aggregate-no-metadata.xml"),
        "--no-dns",
        "--format",
        "html",
        "--output",
        str(path),
    )
    assert result.exit_code == 3, result.stderr  # one unreadable document: an error, nothing failed
    return path


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [CHROMIUM, *_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120
        )


def test_the_page_is_self_contained(page: Path):
    html = page.read_text()
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=""", html, re.IGNORECASE)
    assert "http://" not in html and "https://" not in html
    assert "default-src 'none'" in html


def test_chromium_renders_the_tables_and_charts(page: Path):
    result = chromium("--dump-dom", page.as_uri())
    assert result.returncode == 0, result.stderr[-500:]
    dom = result.stdout
    assert '<p id="documents">3 reports read, 1 unreadable, 0 failure reports.</p>' in dom
    assert "<td>receiver.example</td><td>aggregate</td>" in dom
    assert '<td>2001:db8::25</td><td class="n">400</td><td>100.0%</td>' in dom
    assert '<td>2026-11-30</td><td class="n">167</td><td>89.8%</td>' in dom
    assert "reports.example (p=none): 99.1% of 555 messages pass DMARC aligned" in dom
    assert "&lt;feedback&gt; has no &lt;report_metadata&gt;" in dom
    # Two days: two bars in the volume chart, two points on the pass-rate line.
    assert len(re.findall(r'<rect class="bar"', dom)) == 2
    assert len(re.findall(r'<circle class="point"', dom)) == 2


def test_chromium_draws_the_bars(page: Path, tmp_path: Path):
    shot = tmp_path / "page.png"
    result = chromium(f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri())
    assert result.returncode == 0 and shot.exists(), result.stderr[-500:]
    width, height, pixels = read_png(shot.read_bytes())
    assert (width, height) == (1000, 1400)
    blue = sum(1 for pixel in pixels if all(abs(a - b) <= 6 for a, b in zip(pixel, BAR, strict=False)))
    # Two bars of about 40 px each way at least: far more than anti-aliasing could give.
    assert blue > 2000


def read_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """The RGB pixels of an 8-bit RGB or RGBA PNG (what Chromium writes); no image library needed."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, header = 8, b"", b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6)
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    pixels = []
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        pixels.extend(tuple(line[i : i + 3]) for i in range(0, stride, channels))
        previous = line
    return width, height, pixels  # type: ignore[return-value]
