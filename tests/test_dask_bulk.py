"""A bulk list on a local Dask cluster of two worker processes gives the CLI's reports."""

from __future__ import annotations

import json
import os

import pytest

from mailcheck.api import Network
from mailcheck.dns.zones import load_zones
from mailcheck.dns.zoneserver import ZoneServer
from mailcheck.render.jsonl import render_line
from tests.helpers import ROOT, ZONES, netguard
from tests.helpers.cli_subprocess import run_mailcheck

distributed = pytest.importorskip("distributed")

NAMES = ["good.example", "mx-null.example", "nope.example", "mx-ptr.example", "spf-toomany.example", "dmarc-inherit.example"]


def _comparable(report: dict) -> dict:
    # The DNS figures are the run's (time, queries of the whole run): not the domain's.
    return {key: value for key, value in report.items() if key != "dns"}


def test_a_local_cluster_of_two_workers_gives_the_reports_of_the_cli(tmp_path, monkeypatch):
    from mailcheck.dask_bulk import check_domains_on_dask

    # The workers import the tests' preload (the guard) from the project root.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    listing = tmp_path / "domains.txt"
    listing.write_text("# the list\n" + "\n".join(NAMES) + "\n")
    with ZoneServer(load_zones([ZONES])) as server, netguard.watch() as attempts:
        nameserver = f"127.0.0.1:{server.port}"
        cli = run_mailcheck(
            "domain", "--from-file", str(listing), "--nameserver", nameserver, "--no-smtp", "-s", "google", "--format", "jsonl"
        )
        assert cli.returncode == 1, cli.stderr  # nope.example does not exist
        by_cli = {report["target"]: report for report in map(json.loads, cli.stdout.splitlines())}
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                preload=["tests.helpers.dask_guard"],
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            assert len(client.nthreads()) == 2
            reports = list(
                check_domains_on_dask(
                    client, listing.read_text().splitlines(), network=Network(nameservers=(nameserver,)), batch=2,
                    smtp=False, dkim_selectors=("google",),
                )
            )  # fmt: skip
            ran_on = {worker["id"] for worker in client.scheduler_info()["workers"].values()}
    assert not attempts, netguard.report(attempts)
    assert [report.target for report in reports] == NAMES
    assert [_comparable(json.loads(render_line(report))) for report in reports] == [_comparable(by_cli[name]) for name in NAMES]
    assert reports[0].status.value == "pass" and reports[2].status.value == "fail"
    assert len(ran_on) == 2
