"""Conventions people expect of a command-line tool."""

from __future__ import annotations

import pytest

from mailcheck import __version__
from tests.conftest import run_cli


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_prints_the_version_and_exits_0(flag):
    result = run_cli(flag)
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"mailcheck {__version__}\n", "")
