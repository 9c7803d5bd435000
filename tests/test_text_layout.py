"""The text report at 60, 80 and 120 columns: the answer first, nothing past the width,
continuation lines hanging under the text they continue."""

from __future__ import annotations

import os

import pytest

from tests.helpers.cli_subprocess import run_mailcheck

ZONES = ("--zone", "fixtures/zones", "--offline", "--no-smtp", "--no-color")


def _report(width: int, *args: str) -> list[str]:
    env = {**os.environ, "COLUMNS": str(width)}
    env.pop("NO_COLOR", None)
    result = run_mailcheck("domain", "spf-toomany.example", *ZONES, *args, env=env)
    assert result.returncode == 1, result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize("width", [60, 80, 120])
def test_problems_come_first_and_no_line_passes_the_width(width: int) -> None:
    lines = _report(width)
    assert lines[0] == "spf-toomany.example  ✗ FAIL"
    # The side fact that could not be made stays right after the verdict, then the problems.
    assert lines[1] == "  1 check could not be made:"
    problems = lines.index("  Problems (3)")
    first_obstacle = lines.index("  DNS  ✓ PASS")
    assert problems < first_obstacle
    told = [line for line in lines[problems:first_obstacle] if line.startswith("    ✗ ") or line.startswith("    ! ")]
    assert [line.split()[1] for line in told] == ["spf.lookups", "dmarc.record", "dkim.selectors"]
    assert max(len(line) for line in lines) <= width
    assert "mailcheck explain ID, for spf.lookups, dmarc.record" in " ".join(lines[-2:])


@pytest.mark.parametrize("width", [60, 80])
def test_wrapped_lines_hang_and_never_split_a_word(width: int) -> None:
    lines = _report(width)
    text = "\n".join(lines)
    # A continuation of a check line starts under the check's id, not at column 0.
    index = next(i for i, line in enumerate(lines) if line.startswith("    ? mx.ptr [127.0.4.14]:"))
    assert lines[index + 1].startswith("      ") and not lines[index + 1].startswith("       ")
    # The fix hangs under its first word.
    fix = next(i for i, line in enumerate(lines) if line.startswith("        fix: Publish a TXT record"))
    assert lines[fix + 1].startswith(" " * len("        fix: ")) and lines[fix + 1][len("        fix: ")] != " "
    # Words (an address, a name) stay whole across the wrap.
    assert "127.0.4.14" in text and "_dmarc.spf-toomany.example" in text
    for line in lines:
        assert not line.rstrip().endswith("127.") and not line.rstrip().endswith("127.0.")


def test_passes_fold_to_one_line_unless_verbose() -> None:
    lines = _report(120)
    assert "    ✓ 3 passed: dns.exists, dns.soa, dns.ns" in lines
    assert not any(line.startswith("    ✓ dns.exists") for line in lines)
    verbose = _report(120, "-v")
    assert any(line.startswith("    ✓ dns.exists  spf-toomany.example exists") for line in verbose)


def test_probed_selectors_only_with_verbose_never_with_quiet() -> None:
    assert not any("probed: default" in line or "probed: " in line for line in _report(200))
    assert not any("probed: " in line for line in _report(200, "-q"))
    probed = [line for line in _report(400, "-v") if line.strip().startswith("probed: ")]
    assert len(probed) == 1 and probed[0].count(",") == 50
