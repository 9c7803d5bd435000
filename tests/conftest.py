"""Shared test set-up: the loopback-only network guard, the fixture zone server, and a
way to run the CLI in-process and read what a user would see."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mailcheck.dns.nameservers import Nameserver
from mailcheck.dns.resolver import Resolver
from mailcheck.dns.zones import load_zones
from mailcheck.dns.zoneserver import ZoneServer
from tests import netguard

ROOT = Path(__file__).resolve().parent.parent
ZONES = ROOT / "fixtures" / "zones"

netguard.install_loopback_guard()


@pytest.fixture(autouse=True)
def loopback_only() -> Iterator[None]:
    """Fail the test if it, or a guarded child process, tried to reach outside loopback."""
    before = netguard.take_unwatched()  # made by a session fixture set up for this test
    with netguard.watch() as attempts:
        yield
    if blocked := before + attempts:
        pytest.fail(netguard.report(blocked), pytrace=False)


@pytest.fixture(scope="session")
def zone_server():
    """The project's zone server over fixtures/zones, for the whole session."""
    with ZoneServer(load_zones([ZONES])) as server:
        yield server


@pytest.fixture
def resolver_factory(zone_server):
    """Build a Resolver that answers from the fixture zones and refuses everything else."""

    def make(timeout: float = 2.0, **kwargs: Any) -> Resolver:
        return Resolver(
            zone_server=Nameserver(zone_server.host, zone_server.port),
            zone_origins=zone_server.origins,
            offline=True,
            timeout=timeout,
            **kwargs,
        )

    return make


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


def validate_report(document: Any) -> None:
    import jsonschema

    schema = json.loads((ROOT / "docs" / "report.schema.json").read_text())
    jsonschema.validate(document, schema)


def offline(*args: str) -> tuple[str, ...]:
    """The options that make a CLI run answer from the fixture zones only."""
    return (*args, "--zone", str(ZONES), "--offline", "--timeout", "2")


def checks_by_id(report: dict, check_id: str) -> list[dict]:
    return [c for o in report["obstacles"] for c in o["checks"] if c["id"] == check_id]


def one_check(report: dict, check_id: str, subject: str | None = None) -> dict:
    found = [c for c in checks_by_id(report, check_id) if subject is None or c["subject"] == subject]
    assert len(found) == 1, f"expected one {check_id} check for {subject}, got {found}"
    return found[0]


def run_async(coro):
    return asyncio.run(coro)
