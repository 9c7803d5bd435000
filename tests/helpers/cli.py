"""Run the CLI in this process and read what a user would see."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from typing import Any

from tests.helpers.paths import ZONES
from tests.helpers.reports import validate_report


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """The JSON report, validated against the published schema."""
        document = json.loads(self.stdout)
        validate_report(document)
        return document


def run_cli(*args: str) -> CliResult:
    """Run ``mailcheck ARGS`` in this process, as the console script would."""
    from mailcheck.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return CliResult(code, out.getvalue(), err.getvalue())


def offline(*args: str) -> tuple[str, ...]:
    """The options that make a CLI run answer from the fixture zones only."""
    return (*args, "--zone", str(ZONES), "--offline", "--timeout", "2")
